// A device that speaks only through Home Assistant discovery announces itself at its own boot, not at
// the gateway's: after a gateway restart its readings are read through the configs the broker kept
// (retained, with the login that published each), taken up again as that login announced them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import type { Reading } from '../src/profiles/reading.ts';
import { FakeBroker } from './support/fake-profile-broker.ts';

const logger = pino({ level: 'silent' });
const SOIL = { '~': 'garden/soil', name: 'Soil', stat_t: '~/state', unit_of_meas: '%', dev_cla: 'moisture', dev: { ids: 'c0ffee', name: 'garden' } };

function startRouter(broker: ConstructorParameters<typeof ProfileRouter>[0]["broker"]) {
  const router = new ProfileRouter({ broker, logger });
  const readings: Reading[] = [];
  router.on('reading', ({ reading }) => readings.push(reading));
  router.start();
  return { router, readings };
}

test('a device known only by its discovery config is read again after a gateway restart, as the login that announced it', async () => {
  const broker = new FakeBroker();
  const before = startRouter(broker);
  broker.publish('homeassistant/sensor/garden/soil/config', SOIL, 'garden', { retain: true });
  // The gateway's own config of a mesh node, kept without an owner: no device's announcement.
  broker.keep('homeassistant/sensor/unibos_gw/battery/config', Buffer.from(JSON.stringify({ name: 'Battery', stat_t: 'garden/soil/state', dev: { ids: 'gw', name: 'gw' } })), null);
  broker.publish('garden/soil/state', '37.5', 'garden');
  assert.deepEqual(before.readings.map((r) => [r.sensor, r.metric, r.value]), [['garden', 'soil', 37.5]]);
  before.router.stop();

  // The gateway restarts; the device does not, and does not announce itself again.
  const after = startRouter(broker);
  assert.equal(await after.router.restore((filter) => broker.retained(filter)), 1, 'the device\u2019s config taken up, the gateway\u2019s own left alone');
  assert.equal(after.router.stats.discovered, 1);
  broker.publish('garden/soil/state', '38', 'garden');
  assert.deepEqual(after.readings.map((r) => [r.sensor, r.metric, r.value, r.unit, r.deviceClass]), [['garden', 'soil', 38, '%', 'moisture']]);
  assert.deepEqual(after.router.stats.drops, {});
  // Still the announcing login's only: another device writing that state topic makes no reading from it.
  broker.publish('garden/soil/state', '99', 'intruder');
  assert.equal(after.readings.length, 1);
  after.router.stop();
});

test('a config announced again while the kept ones are taken up wins over the kept one', async () => {
  const broker = new FakeBroker();
  broker.keep('homeassistant/sensor/garden/soil/config', Buffer.from(JSON.stringify(SOIL)), 'garden');
  const { router, readings } = startRouter(broker);
  // The device re-announces with another unit just as the gateway reads its store, which had already given the old one.
  async function* racing(filter: string) {
    const read = [];
    for await (const m of broker.retained(filter)) read.push(m);
    broker.publish('homeassistant/sensor/garden/soil/config', { ...SOIL, unit_of_meas: 'mm' }, 'garden', { retain: true });
    yield* read;
  }
  assert.equal(await router.restore(racing), 0);
  broker.publish('garden/soil/state', '4', 'garden');
  assert.deepEqual(readings.map((r) => [r.value, r.unit]), [[4, 'mm']]);
  router.stop();
});

/** What the tests on the real broker use, and a scratch data dir for the gateway. */
async function realGateway(t: { after(fn: () => void): void }) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { default: mqtt } = await import('mqtt');
  const { DeviceCredentials } = await import('../src/broker/device-credentials.ts');
  const { GatewayBroker } = await import('../src/broker/gateway-broker.ts');
  const { openGatewayDb } = await import('../src/run-gateway.ts');
  const dir = mkdtempSync(join(tmpdir(), 'unibos-discovery-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { mqtt, DeviceCredentials, GatewayBroker, openGatewayDb, dir };
}

test('on the real broker: a discovery-only device is read after a gateway restart, its config kept under its login', async (t) => {
  const { mqtt, DeviceCredentials, GatewayBroker, openGatewayDb, dir } = await realGateway(t);
  let password = '';
  const start = async () => {
    const db = openGatewayDb(dir);
    const credentials = new DeviceCredentials(db);
    if (!password) password = await credentials.add('garden', 'sensor', { allow: ['readwrite garden/#', 'write homeassistant/#'], deny: [] });
    const broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: '0a1b2c3d', logger, port: 0, wsPort: null, db });
    const { router, readings } = startRouter(broker);
    const restored = await router.restore((filter) => broker.retained(filter));
    const next = () => new Promise<Reading>((resolve) => router.once('reading', ({ reading }) => resolve(reading)));
    return { broker, router, readings, restored, next, stop: async () => (router.stop(), await broker.close(), db.close()) };
  };
  const device = async (port: number) => mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'garden', password, clientId: 'garden', protocolVersion: 4, reconnectPeriod: 0 });

  const first = await start();
  let d = await device(first.broker.ports.mqtt);
  await d.publishAsync('homeassistant/sensor/garden/soil/config', JSON.stringify(SOIL), { qos: 1, retain: true });
  let reading = first.next();
  await d.publishAsync('garden/soil/state', '37.5', { qos: 1 });
  assert.equal((await reading).value, 37.5);
  await d.endAsync();
  await first.stop();

  // The gateway restarts; the device reconnects but does not announce itself again.
  const second = await start();
  assert.equal(second.restored, 1, 'the device\u2019s kept config is taken up');
  d = await device(second.broker.ports.mqtt);
  reading = second.next();
  await d.publishAsync('garden/soil/state', '38', { qos: 1 });
  const r = await reading;
  assert.deepEqual([r.sensor, r.metric, r.value, r.unit], ['garden', 'soil', 38, '%']);
  await d.endAsync();
  await second.stop();
});

test('on the real broker: a device removed and added again under its id does not inherit the old one\u2019s kept configs', async (t) => {
  const { mqtt, DeviceCredentials, GatewayBroker, openGatewayDb, dir } = await realGateway(t);
  let clock = 1_700_000_000_000;
  const rules = { allow: ['readwrite garden/#', 'write homeassistant/#'], deny: [] };
  const start = async () => {
    const db = openGatewayDb(dir);
    const broker = await GatewayBroker.start({ dataDir: dir, credentials: new DeviceCredentials(db), gatewayId: '0a1b2c3d', logger, port: 0, wsPort: null, db });
    const { router, readings } = startRouter(broker);
    const restored = await router.restore((filter) => broker.retained(filter));
    return { broker, router, readings, restored, stop: async () => (router.stop(), await broker.close(), db.close()) };
  };
  // `unibos gateway device add/remove`: their own connection to gateway.db.
  const cli = async <T>(fn: (c: InstanceType<typeof DeviceCredentials>) => T | Promise<T>): Promise<T> => {
    const db = openGatewayDb(dir);
    try {
      return await fn(new DeviceCredentials(db, { now: () => clock }));
    } finally {
      db.close();
    }
  };
  let password = await cli((c) => c.add('garden', 'sensor', rules));

  const first = await start();
  const d = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.broker.ports.mqtt}`, { username: 'garden', password, clientId: 'garden', protocolVersion: 4, reconnectPeriod: 0 });
  await d.publishAsync('homeassistant/sensor/garden/soil/config', JSON.stringify(SOIL), { qos: 1, retain: true });
  await d.endAsync();
  await first.stop();

  // The device is given away: removed, and another added later under the same id.
  await cli((c) => c.remove('garden'));
  clock += 60_000;
  password = await cli((c) => c.add('garden', 'sensor', rules));
  const second = await start();
  assert.equal(second.restored, 0, 'the old device\u2019s config is not taken up for the new one');
  const owners: Array<string | null> = [];
  for await (const m of second.broker.retained('homeassistant/#')) owners.push(m.owner);
  assert.deepEqual(owners, [null], 'kept, as a removed device\u2019s: nobody\u2019s');
  const n = await mqtt.connectAsync(`mqtt://127.0.0.1:${second.broker.ports.mqtt}`, { username: 'garden', password, clientId: 'garden', protocolVersion: 4, reconnectPeriod: 0 });
  await n.publishAsync('garden/soil/state', '38', { qos: 1 });
  // Its own announcement is its own again.
  await n.publishAsync('homeassistant/sensor/garden/soil/config', JSON.stringify({ ...SOIL, unit_of_meas: 'mm' }), { qos: 1, retain: true });
  const reading = new Promise<Reading>((resolve) => second.router.once('reading', ({ reading: r }) => resolve(r)));
  await n.publishAsync('garden/soil/state', '4', { qos: 1 });
  const r = await reading;
  assert.deepEqual([r.value, r.unit], [4, 'mm']);
  assert.deepEqual(second.readings.map((x) => x.value), [4], 'nothing read through the old device\u2019s config');
  await n.endAsync();
  await second.stop();
});
