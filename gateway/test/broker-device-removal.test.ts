// A device removed while connected, as `unibos gateway device remove` does it: from another process
// (here another connection to gateway.db), which changes only the database. The running broker
// closes the device's connections, takes nothing more of it, and leaves the other devices alone.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import mqtt from 'mqtt';
import pino from 'pino';
import { EventWaiter } from '@unibos/test-support';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';
import { GatewayBroker } from '../src/broker/gateway-broker.ts';
import { openGatewayDb } from '../src/run-gateway.ts';
import { teardown } from './support/teardown.ts';

/** A broker on a gateway.db with devices s1 and s2, and what the gateway takes from them (the uplink subscribes the same way). */
async function startGateway(t: Parameters<typeof teardown>[0]) {
  const cleanup = teardown(t);
  const dir = mkdtempSync(join(tmpdir(), 'unibos-device-removal-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const db = openGatewayDb(dir);
  cleanup(() => db.close());
  const credentials = new DeviceCredentials(db);
  const [s1, s2] = [await credentials.add('s1', 'sensor'), await credentials.add('s2', 'sensor')];
  const broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: 'gw-test', logger: pino({ level: 'silent' }), port: 0, wsPort: null, minFreeBytes: 0 });
  cleanup(() => broker.close());
  const taken: string[] = [];
  const waiter = new EventWaiter();
  broker.subscribe('unibos/v1/sensor/#', (topic, payload) => {
    taken.push(`${topic} ${payload.toString()}`);
    waiter.wake();
  });
  const url = `mqtt://127.0.0.1:${broker.ports.mqtt}`;
  const connect = async (username: string, password: string, clientId: string): Promise<mqtt.MqttClient> => {
    const c = await mqtt.connectAsync(url, { username, password, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    cleanup(() => c.endAsync(true));
    return c;
  };
  return { dir, broker, s1: s1!, s2: s2!, taken, waiter, connect };
}

test('a device removed from another process while connected is cut off, and nothing it sends afterwards reaches the gateway', async (t) => {
  const { dir, broker, s1, s2, taken, waiter, connect } = await startGateway(t);
  const removed = await connect('s1', s1, 's1:pub');
  const other = await connect('s2', s2, 's2');
  let closed = false;
  removed.on('close', () => {
    closed = true;
    waiter.wake();
  });
  await removed.publishAsync('unibos/v1/sensor/s1/level', 'before', { qos: 1 });

  // The CLI's side: its own connection to gateway.db.
  const cli = openGatewayDb(dir);
  assert.equal(new DeviceCredentials(cli).remove('s1'), true);
  cli.close();

  await waiter.until(() => closed, "the removed device's connection to be closed", 5000);
  assert.equal(broker.stats.devicesCut, 1);
  // Its next publishes: the connection is gone, and a new one is refused.
  await assert.rejects(connect('s1', s1, 's1:pub'), /Not authorized|Bad username or password/i);
  // The other device goes on.
  await other.publishAsync('unibos/v1/sensor/s2/level', 'after', { qos: 1 });
  await waiter.until(() => taken.length >= 2, 'the other device\u2019s reading');
  assert.deepEqual(taken, ['unibos/v1/sensor/s1/level before', 'unibos/v1/sensor/s2/level after']);
  assert.equal(other.connected, true);
});

test('a device whose secret is rotated from another process is cut off: the old secret\u2019s connections closed, the new secret gets in', async (t) => {
  const { dir, broker, s1, s2, taken, waiter, connect } = await startGateway(t);
  // The secret leaked: whoever holds it is connected.
  const leaked = await connect('s1', s1, 's1:leaked');
  const other = await connect('s2', s2, 's2');
  let closed = false;
  leaked.on('close', () => {
    closed = true;
    waiter.wake();
  });
  await leaked.publishAsync('unibos/v1/sensor/s1/level', 'before', { qos: 1 });

  // `unibos gateway device rotate s1`: its own connection to gateway.db.
  const cli = openGatewayDb(dir);
  const fresh = await new DeviceCredentials(cli).rotate('s1');
  cli.close();

  await waiter.until(() => closed, 'the connection made with the old secret to be closed', 5000);
  assert.equal(broker.stats.devicesCut, 1);
  await assert.rejects(connect('s1', s1, 's1:leaked'), /Not authorized|Bad username or password/i);
  const owner = await connect('s1', fresh, 's1:pub');
  await owner.publishAsync('unibos/v1/sensor/s1/level', 'after', { qos: 1 });
  await other.publishAsync('unibos/v1/sensor/s2/level', 'after', { qos: 1 });
  await waiter.until(() => taken.length >= 3, 'the readings after the rotation');
  assert.deepEqual(taken, ['unibos/v1/sensor/s1/level before', 'unibos/v1/sensor/s1/level after', 'unibos/v1/sensor/s2/level after']);
  assert.equal(other.connected, true);
  assert.equal(broker.stats.devicesCut, 1, 'the new secret\u2019s connection and the other device are left alone');
});
