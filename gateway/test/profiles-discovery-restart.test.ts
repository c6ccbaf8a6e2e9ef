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

function startRouter(broker: FakeBroker) {
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
