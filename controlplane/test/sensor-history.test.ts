// Where a reading goes as the hub's data disk nears, reaches and leaves its reserve: added and
// logged above it; added but live only when only the reserve's estimate refuses it (history is not
// deleted on a guess); at the reserve, into the room retention freed in the file first, then in place
// of its metric's oldest; added and logged again once there is room. A real SQLite file, the real
// store and the real DiskReserve, its free space told by the test instead of statfs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiskReserve } from '@unibos/mesh-protocol';
import { SensorHistory } from '../src/sensors/sensor-history.ts';
import { SensorStore } from '../src/sensors/sensor-store.ts';
import { tempHubDb } from './support/temp-hub-db.ts';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

test('a reading is added above the reserve, added live only on the estimate alone, fills the room retention freed at the reserve before it replaces, and is added again with room', async (t) => {
  const db = tempHubDb(t, 'sensor-history');
  const store = new SensorStore(db);
  let free = 100 * MiB;
  const reserve = new DiskReserve(64 * MiB, async () => free, (low) => history.reserveChanged(low));
  const history = new SensorHistory(store, reserve);
  await reserve.check();

  const now = Date.UTC(2026, 5, 1);
  let n = 0;
  const reading = (sensorId: string, timeMs: number) => history.add('org1', { sensorId, metric: 'level', value: ++n, raw: undefined, gatewayId: 'gw1', timeMs, receivedMs: timeMs });
  const count = (sensorId: string) => db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM sensor_readings WHERE sensor_id = ?').get(sensorId)!.n;

  // Above the reserve: added, logged. An old sensor's readings (forty days old), and a tank's.
  for (let i = 0; i < 2000; i++) assert.equal(reading('old', now - 40 * DAY + i * 1000).logged, true);
  for (let i = 0; i < 100; i++) reading('tank', now - DAY + i * 1000);
  assert.equal(count('tank'), 100);
  assert.equal(history.adding, true);

  // A measurement a little above the line: the estimate refuses what would take it below, but the
  // disk has not said it is full: added (nothing deleted), its event live only.
  free = 64 * MiB + 300;
  await reserve.check();
  const onEstimate = [reading('tank', now), reading('tank', now + 1), reading('tank', now + 2), reading('tank', now + 3)];
  assert.deepEqual(onEstimate.map((r) => r.logged), [true, false, false, false], 'the first fits the estimate, the others do not');
  assert.ok(onEstimate.every((r) => r.id !== null && r.replaced === 0));
  assert.equal(count('tank'), 104);
  assert.equal(history.adding, true);

  // Reached: each new reading takes the place of its metric's oldest (no free room in the file yet).
  free = 60 * MiB;
  await reserve.check();
  assert.equal(history.adding, false);
  const replacing = reading('tank', now + 10);
  assert.deepEqual({ kept: replacing.id !== null, replaced: replacing.replaced, logged: replacing.logged }, { kept: true, replaced: 1, logged: false });
  assert.equal(count('tank'), 104);

  // Retention deletes the old sensor's readings: the room they leave in the file is taken first.
  history.pruned(() => store.pruneReadings(now - 30 * DAY, 10_000));
  assert.equal(count('old'), 0);
  assert.ok(store.freeBytes() > 0, 'the deleted readings left free pages');
  let added = 0;
  for (let i = 0; ; i++) {
    const r = reading('tank', now + 100 + i);
    assert.notEqual(r.id, null);
    if (r.replaced > 0) break;
    added++;
  }
  assert.ok(added > 10, `readings added into the freed room before any replaced one (${added})`);
  assert.equal(count('tank'), 104 + added, 'the tank keeps them all');
  assert.equal(history.replaced, 2);

  // Room again (an eighth above the line): added and logged.
  free = 100 * MiB;
  await reserve.check();
  assert.equal(history.adding, true);
  const again = reading('tank', now + 10_000);
  assert.deepEqual({ replaced: again.replaced, logged: again.logged }, { replaced: 0, logged: true });
  assert.equal(count('tank'), 104 + added + 1);
});
