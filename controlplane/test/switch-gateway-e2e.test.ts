// A switch from the admin to a device and back, through the gateway's real parts (issue 14): the
// hub's switch command travels the gateway's HubUplink to its MeshBridge, whose SwitchCommander
// sets a Tasmota-style plug through the Tasmota profile on a real GatewayBroker (cmnd/plug1/POWER);
// the plug (an MQTT client with its own login and topic rules) reports stat/plug1/POWER, the
// profile reads it, and the gateway's txstatus report reaches the hub as `switch.status` confirmed.
// Only the radio node of a gateway is left out.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import mqtt from 'mqtt';
import pino from 'pino';
import { loraParams, type MeshRouter } from '@unibos/mesh-protocol';
import { DeviceCredentials, FAMILY_PROFILES, GatewayBroker, HubOutbox, HubUplink, MeshBridge, ProfileRouter, SwitchCommander, openGatewayDb, type UplinkSink } from '@unibos/gateway';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { claimDevice } from './support/test-gateway.ts';
import { testIdentity } from './support/test-identity.ts';
import { startTestHub } from './support/test-hub.ts';

test('an admin switches a Tasmota plug at a real gateway and hears it confirmed', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const identity = testIdentity();
  const gatewayId = identity.id;
  const claim = (await claimDevice(hub, admin, 'gateway', identity)) as { mqtt: { url: string; username: string; password: string } };

  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'unibos-switch-e2e-'));
  const db = openGatewayDb(dir);
  const credentials = new DeviceCredentials(db);
  const broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId, logger, port: 0, wsPort: null, db });
  const outbox = new HubOutbox(db, { logger });
  const uplink = new HubUplink({ ...claim.mqtt, gatewayId, outbox, logger, reconnectMinMs: 100 });
  const hubSink: UplinkSink = { forward: (m) => void outbox.add({ source: m.source, topic: m.topic, payload: m.payload, retain: m.retain ?? false, lane: m.lane, msgId: m.msgId }) };
  const profiles = new ProfileRouter({ broker, uplink: hubSink, logger, profiles: FAMILY_PROFILES });
  profiles.start();
  const switches = new SwitchCommander({ router: profiles, source: `unibos-${gatewayId}`, publish: (topic, payload) => broker.publish(topic, payload, { qos: 1 }), confirmWithinMs: 10_000 });
  const unused = (): never => {
    throw new Error('no mesh in this test');
  };
  // The bridge listens to the router for heard frames; there is no radio here.
  const router = { on: () => router } as unknown as MeshRouter;
  const bridge = new MeshBridge({ switches, gatewayId, device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params: loraParams('LongFast'), local: broker, uplink: hubSink, logger });
  uplink.onDownlink((_topic, payload) => void bridge.handleTx(Buffer.from(payload), 'hub'));
  const connected = new Promise<void>((resolve) => {
    const off = uplink.onState((s) => {
      if (s === 'connected') {
        off();
        resolve();
      }
    });
  });
  uplink.start();
  let plug: mqtt.MqttClient | null = null;
  after(async () => {
    await plug?.endAsync(true);
    await uplink.stop({ timeoutMs: 1000 });
    profiles.stop();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await connected;

  // The plug, as a Tasmota device is set up to reach the gateway: its own prefix rules.
  const secret = await credentials.add('plug1', 'sensor', { allow: ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#'], deny: [] });
  plug = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: 'plug1', password: secret, clientId: 'plug1', protocolVersion: 4, reconnectPeriod: 0 });
  const commands: string[] = [];
  const device = plug;
  device.on('message', (topic, payload) => {
    commands.push(`${topic} ${payload.toString()}`);
    void device.publishAsync('stat/plug1/POWER', payload.toString() === 'OFF' ? 'OFF' : 'ON', { qos: 1 });
  });
  await device.subscribeAsync('cmnd/plug1/#', { qos: 1 });
  // Its first state report tells the gateway the family, and reaches the hub as a reading.
  await device.publishAsync('stat/plug1/POWER', 'OFF', { qos: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1', { what: 'the plug\u2019s first reading at the hub' });

  const res = await fetch(`${hub.url}/api/v1/gateways/!${gatewayId}/switch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sensor: 'plug1', state: 'ON' }),
  });
  assert.equal(res.status, 202, await res.clone().text());
  const { ref } = (await res.json()) as { ref: string };
  const confirmed = await waitForEvent(hub, admin.orgId, (e) => e.type === 'switch.status' && e.data.ref === ref && ['confirmed', 'unconfirmed', 'refused'].includes(String(e.data.status)), { what: 'the switch\u2019s outcome', timeoutMs: 20_000 });
  assert.deepEqual([confirmed.data.status, confirmed.data.state, confirmed.data.error], ['confirmed', 'ON', null]);
  assert.deepEqual(commands, ['cmnd/plug1/POWER ON']);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'switch.status' && e.data.ref === ref && e.data.status === 'queued', { what: 'the gateway\u2019s queued report' });
  const got = await fetch(`${hub.url}/api/v1/switches/${ref}`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
  assert.equal(got.status, 200);
  assert.equal(((await got.json()) as { status: string }).status, 'confirmed');
});
