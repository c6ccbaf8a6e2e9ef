// At the data disk's reserve, each new reading takes the place of its metric's oldest: every metric
// keeps as many readings, its newest, a metric with none kept keeps its latest value only, and the
// database file stays about its size however long this goes on. A real SQLite file (the hub's own
// settings), filled as a hub with a few sensors would be.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openHubDb } from '../src/storage/hub-db.ts';
import { SensorStore } from '../src/sensors/sensor-store.ts';

test('at the reserve a metric keeps its count of readings, its newest, and the database file stays about its size', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-sensor-reserve-'));
  const db = openHubDb(dir);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const store = new SensorStore(db);
  const metrics = ['tank1/level', 'tank1/temperature', 'plug1/energy_power', 'plug1/energy_voltage', 'door/contact', 'weather/wind'];
  let clock = Date.UTC(2026, 0, 1);
  let n = 0;
  /** One reading of each metric, in turn; the door's are text (a raw value). */
  const round = (history: 'add' | 'replace') =>
    metrics.map((m) => {
      const [sensorId, metric] = m.split('/') as [string, string];
      clock += 10_000;
      n++;
      const text = sensorId === 'door';
      return store.add('org1', { sensorId, metric, value: text ? null : n, raw: text ? `open ${'x'.repeat(n % 30)}` : undefined, gatewayId: 'gw1', timeMs: clock, receivedMs: clock }, { history });
    });
  const counts = () => db.prepare<[], { metric: string; n: number; first: number }>('SELECT metric, COUNT(*) AS n, MIN(id) AS first FROM sensor_readings GROUP BY sensor_id, metric ORDER BY sensor_id, metric').all();
  const pages = () => (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);

  // A transaction per thousand rounds: the file's size is the point here, not a commit per reading.
  const rounds = (count: number, history: 'add' | 'replace') => {
    for (let done = 0; done < count; done += 1000) db.transaction(() => {
      for (let i = 0; i < 1000; i++) for (const r of round(history)) assert.ok(r.id !== null && r.replaced === (history === 'replace'));
    })();
  };
  rounds(4000, 'add');
  const before = counts();
  const pagesBefore = pages();
  assert.ok(before.every((c) => c.n === 4000));

  // Three times as many readings again, each in place of its metric's oldest.
  rounds(12_000, 'replace');
  const after = counts();
  assert.deepEqual(after.map((c) => [c.metric, c.n]), before.map((c) => [c.metric, c.n]), 'every metric keeps as many readings');
  const newest = db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sensor_readings WHERE sensor_id = 'tank1' AND metric = 'level' AND id > (SELECT MAX(id) FROM sensor_readings) - 4000 * 6").get()!.n;
  assert.equal(newest, 4000, 'its newest');
  assert.ok(pages() <= pagesBefore * 1.2, `the file stays about its size: ${pages()} pages in use, ${pagesBefore} before`);

  // A metric first reported at the reserve has nothing to replace: its latest value only.
  const first = store.add('org1', { sensorId: 'tank2', metric: 'level', value: 1, raw: undefined, gatewayId: 'gw1', timeMs: clock, receivedMs: clock }, { history: 'replace' });
  assert.deepEqual({ id: first.id, replaced: first.replaced }, { id: null, replaced: false });
  assert.equal(store.readings('org1', 'tank2', { limit: 10 }).length, 0);
  assert.equal(store.list('org1').find((s) => s.id === 'tank2')?.metrics[0]?.value, 1);
});
