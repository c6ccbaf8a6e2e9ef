// Where a reading goes as the hub's data disk nears, reaches and leaves its reserve: added and
// logged above it; added but live only when only the reserve's estimate refuses it (history is not
// deleted on a guess); at the reserve, into the room the file had free, retention freed or replaced
// readings left over, then in place of its metric's oldest, a new metric not at all; added as if
// there were room while measuring fails; added and logged again once there is room. A real SQLite file, the real
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
  let measureFails = false;
  const reserve = new DiskReserve(
    64 * MiB,
    async () => {
      if (measureFails) throw new Error('statfs failed');
      return free;
    },
    (low) => history.reserveChanged(low),
  );
  const history = new SensorHistory(store, reserve);
  await reserve.check();

  const now = Date.UTC(2026, 5, 1);
  let n = 0;
  const reading = (sensorId: string, timeMs: number) => history.add('org1', { sensorId, metric: 'level', value: ++n, raw: undefined, gatewayId: 'gw1', timeMs, receivedMs: timeMs });
  const pick = (r: { id: number | null; replaced: number; logged: boolean }) => ({ added: r.id !== null, replaced: r.replaced, logged: r.logged });
  const count = (sensorId: string) => db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM sensor_readings WHERE sensor_id = ?').get(sensorId)!.n;

  /** Adds readings of `sensorId` until one replaces an older one; how many were added before it. */
  const addedBeforeReplacing = (sensorId: string, from: number) => {
    for (let i = 0; ; i++) {
      const r = reading(sensorId, from + i);
      assert.notEqual(r.id, null);
      if (r.replaced > 0) return i;
    }
  };

  // Above the reserve: added, logged. Two old sensors' readings (45 and 40 days old), and a tank's.
  for (const [sensor, days] of [['old1', 45], ['old2', 40], ['old3', 25]] as const) {
    for (let i = 0; i < 2000; i++) assert.equal(reading(sensor, now - days * DAY + i * 1000).logged, true);
  }
  for (let i = 0; i < 100; i++) reading('tank', now - DAY + i * 1000);
  assert.equal(count('tank'), 100);
  // A door whose firmware reported a 2 KiB document at first, a number since.
  const door = (timeMs: number, raw?: string) => history.add('org1', { sensorId: 'door', metric: 'contact', value: raw === undefined ? 1 : null, raw, gatewayId: 'gw1', timeMs, receivedMs: timeMs });
  for (let i = 0; i < 5; i++) door(now - DAY + i, 'x'.repeat(2000));
  assert.equal(history.adding, true);
  // Retention, above the reserve: the room the first old sensor leaves in the file is free pages.
  history.prune(now - 42 * DAY, 10_000);
  assert.equal(count('old1'), 0);
  const freeInFile = store.freeBytes();
  assert.ok(freeInFile > 0, 'the deleted readings left free pages');

  // A measurement a little above the line: the estimate refuses what would take it below, but the
  // disk has not said it is full: added (nothing deleted), its event live only.
  free = 64 * MiB + 300;
  await reserve.check();
  const onEstimate = [reading('tank', now), reading('tank', now + 1), reading('tank', now + 2), reading('tank', now + 3)];
  assert.deepEqual(onEstimate.map((r) => r.logged), [true, false, false, false], 'the first fits the estimate, the others do not');
  assert.ok(onEstimate.every((r) => r.id !== null && r.replaced === 0));
  assert.equal(count('tank'), 104);
  assert.equal(history.adding, true);

  // Reached: new readings fill the file's free room first, then each takes the place of its metric's oldest.
  free = 60 * MiB;
  await reserve.check();
  assert.equal(history.adding, false);
  // Not a metric first reported now, even with room: a counter in metric names would fill the disk.
  const newMetric = history.add('org1', { sensorId: 'tank', metric: 'level_0001', value: 1, raw: undefined, gatewayId: 'gw1', timeMs: now + 9, receivedMs: now + 9 });
  assert.deepEqual({ id: newMetric.id, latest: newMetric.latest }, { id: null, latest: false });
  const pages = () => db.pragma('page_count', { simple: true }) as number;
  const pagesAtReserve = pages();
  const intoFreeRoom = addedBeforeReplacing('tank', now + 10);
  const perReading = store.bytesOf('org1', { sensorId: 'tank', metric: 'level', value: 1, raw: undefined, gatewayId: 'gw1', timeMs: now, receivedMs: now });
  const expected = freeInFile / perReading;
  assert.ok(Math.abs(intoFreeRoom - expected) <= expected * 0.05 + 1, `as many readings as the free room holds, by their estimated size: ${intoFreeRoom}, ${Math.round(expected)} expected`);
  assert.equal(count('tank'), 104 + intoFreeRoom);
  assert.ok(pages() <= pagesAtReserve + Math.ceil((freeInFile / 4096) * 0.2), `and the file barely grew: ${pages()} pages, ${pagesAtReserve} at the reserve`);
  const replacing = reading('tank', now + 5000);
  assert.deepEqual({ kept: replacing.id !== null, replaced: replacing.replaced, logged: replacing.logged }, { kept: true, replaced: 1, logged: false });
  assert.equal(count('tank'), 104 + intoFreeRoom);
  // A retention run that deletes nothing grants no room: the next still replaces.
  assert.equal(history.prune(now - 42 * DAY, 10_000), 0);
  assert.equal(reading('tank', now + 5001).replaced, 1);

  // Retention deletes the second old sensor's readings: the room they leave is taken first.
  history.prune(now - 30 * DAY, 10_000);
  assert.deepEqual([count('old2'), count('old3')], [0, 2000]);
  const intoRetentionRoom = addedBeforeReplacing('tank', now + 6000);
  assert.ok(intoRetentionRoom > 10, `readings added into the room retention left before any replaced one (${intoRetentionRoom})`);
  assert.equal(count('tank'), 104 + intoFreeRoom + intoRetentionRoom, 'the tank keeps them all');

  // A short reading in place of a 2 KiB one: the room left over is taken by the next ones before
  // any other reading goes.
  const short = door(now + 9000);
  assert.equal(short.replaced, 1);
  let afterShort = 0;
  while (door(now + 9001 + afterShort).replaced === 0) afterShort++;
  assert.ok(afterShort > 10, `the room the 2 KiB reading left over was taken first (${afterShort} added)`);

  // Measuring fails while the reserve is reached: readings are added as if there were room (a disk
  // that cannot be measured is not taken for a full one), and what retention frees meanwhile is
  // theirs, not credited again once measuring works.
  free = 60 * MiB;
  measureFails = true;
  await reserve.check().catch(() => undefined);
  assert.equal(history.adding, true, 'not taken for a full disk');
  history.prune(now - 20 * DAY, 10_000);
  assert.equal(count('old3'), 0);
  // More than the room left over from the door's last 2 KiB reading: they take it all.
  for (let i = 0; i < 60; i++) assert.deepEqual(pick(reading('tank', now + 12_000 + i)), { added: true, replaced: 0, logged: true });
  measureFails = false;
  await reserve.check();
  assert.equal(history.adding, false);
  const afterFailure = reading('tank', now + 13_000);
  assert.ok(afterFailure.replaced >= 1, `the room retention left while measuring failed is not granted again: ${JSON.stringify(afterFailure)}`);

  // Room again (an eighth above the line): added and logged.
  free = 100 * MiB;
  await reserve.check();
  assert.equal(history.adding, true);
  const before = count('tank');
  const again = reading('tank', now + 20_000);
  assert.deepEqual({ replaced: again.replaced, logged: again.logged }, { replaced: 0, logged: true });
  assert.equal(count('tank'), before + 1);
});
