// Only a gateway's own status is kept as retained on the hub broker: nobody subscribes to anything
// else a gateway publishes, so a retained mesh or sensor publish (a sensor named ".../status", or a
// hostile gateway inventing topics) would only pile up in the hub's memory without bound.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from 'mqtt';
import { encodeHubEnvelope } from '@unibos/mesh-protocol';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { claimDevice } from './support/test-gateway.ts';

test('retained publishes other than the gateway\u2019s own status are not kept', async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const { mqtt: creds } = (await claimDevice(hub, admin, 'gateway')) as { mqtt: { url: string; username: string; password: string } };
  const client = connect(creds.url, { clientId: creds.username, username: creds.username, password: creds.password, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const publish = (topic: string, payload: Buffer | string) =>
    new Promise<void>((resolve, reject) => client.publish(topic, payload, { qos: 1, retain: true }, (err) => (err ? reject(err) : resolve())));
  const body = (n: number) => encodeHubEnvelope({ msgId: `m${n}`, source: 'sensor:s', format: 'json', payload: Buffer.from(String(n)) });
  for (let i = 0; i < 20; i++) await publish(`unibos/v1/sensor/pump${i}/status`, body(i));
  await publish(`unibos/v1/mesh/!bbbb0001/status`, body(99));
  await publish(`unibos/v1/gw/${creds.username}/status`, JSON.stringify({ status: 'online' }));
  await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));

  const persistence = (hub.app.gateways as unknown as { broker: { aedes: { persistence: { createRetainedStream(pattern: string): AsyncIterable<{ topic: string }> } } } }).broker.aedes.persistence;
  const retained: string[] = [];
  for await (const packet of persistence.createRetainedStream('#')) retained.push(packet.topic);
  assert.deepEqual(retained, [`unibos/v1/gw/${creds.username}/status`]);
});
