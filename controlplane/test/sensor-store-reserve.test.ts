// At the data disk's reserve, a new reading takes the place of as many of its metric's oldest as take
// its room in the file: a metric of numbers keeps as many readings, its newest; one whose readings
// grow (text) keeps fewer; the database file stays about its size however long this goes on and
// whatever the readings' sizes; a reading older than its metric's oldest kept (held through an
// outage), or larger than 64 of them, keeps its latest value only; a metric first reported at the
// reserve is not stored. A real SQLite file (the hub's
// own settings), filled as a hub with a few sensors would be.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SensorStore } from '../src/sensors/sensor-store.ts';
import { tempHubDb } from './support/temp-hub-db.ts';

const METRICS = ['tank1/level', 'tank1/temperature', 'plug1/energy_power', 'plug1/energy_voltage', 'door/contact', 'weather/wind'];

function hubStore(t: { after(fn: () => void): void }) {
  const db = tempHubDb(t, 'sensor-reserve');
  const store = new SensorStore(db);
  let clock = Date.UTC(2026, 0, 1);
  let n = 0;
  /** One reading of each metric, in turn; the door's are text (a raw value), `textBytes` long or of varying length. */
  let reporting = METRICS;
  const round = (history: 'add' | 'replace', textBytes?: number) =>
    reporting.map((m) => {
      const [sensorId, metric] = m.split('/') as [string, string];
      clock += 10_000;
      n++;
      const text = sensorId === 'door';
      const raw = text ? `open ${'x'.repeat(textBytes ?? n % 30)}` : undefined;
      return { metric: m, ...store.add('org1', { sensorId, metric, value: text ? null : n, raw, gatewayId: 'gw1', timeMs: clock, receivedMs: clock }, { history }) };
    });
  // A transaction per thousand rounds: the file's size is the point here, not a commit per reading.
  const rounds = (count: number, history: 'add' | 'replace', textBytes?: number) => {
    const results: Array<ReturnType<typeof round>[number]> = [];
    for (let done = 0; done < count; done += 1000) db.transaction(() => {
      for (let i = 0; i < Math.min(1000, count - done); i++) results.push(...round(history, textBytes));
    })();
    return results;
  };
  const counts = () => new Map(db.prepare<[], { m: string; n: number }>("SELECT sensor_id || '/' || metric AS m, COUNT(*) AS n FROM sensor_readings GROUP BY sensor_id, metric").all().map((c) => [c.m, c.n]));
  const filePages = () => db.pragma('page_count', { simple: true }) as number;
  /** From now on only these metrics report (the others' sensors went silent). */
  const onlyReporting = (metrics: string[]) => {
    reporting = metrics;
  };
  return { db, store, rounds, counts, filePages, onlyReporting, now: () => clock };
}

test('at the reserve a metric of numbers keeps its count of readings, its newest, and the database file stays about its size', (t) => {
  const { db, store, rounds, counts, filePages, now } = hubStore(t);
  rounds(4000, 'add');
  const before = counts();
  const pagesBefore = filePages();

  // Three times as many readings again, each in place of its metric's oldest.
  const results = rounds(12_000, 'replace');
  assert.ok(results.every((r) => r.id !== null && r.replaced >= 1), 'every one kept, in place of an older one');
  const after = counts();
  for (const m of METRICS.filter((m) => !m.startsWith('door/'))) assert.equal(after.get(m), before.get(m), `${m} keeps as many readings`);
  assert.ok(after.get('door/contact')! <= before.get('door/contact')!, 'text readings of varying length: no more than it had');
  const newest = db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sensor_readings WHERE sensor_id = 'tank1' AND metric = 'level' AND id > (SELECT MAX(id) FROM sensor_readings) - 4000 * 6").get()!.n;
  assert.equal(newest, 4000, 'its newest');
  assert.ok(filePages() <= pagesBefore * 1.1, `the file stays about its size: ${filePages()} pages, ${pagesBefore} before`);

  // A metric first reported at the reserve has nothing to replace, and is not stored at all (a
  // firmware with a counter in its metric names would fill the disk with their latest values).
  const first = store.add('org1', { sensorId: 'tank2', metric: 'level', value: 1, raw: undefined, gatewayId: 'gw1', timeMs: now(), receivedMs: now() }, { history: 'replace' });
  assert.deepEqual({ id: first.id, latest: first.latest, replaced: first.replaced }, { id: null, latest: false, replaced: 0 });
  assert.equal(store.readings('org1', 'tank2', { limit: 10 }).length, 0);
  assert.equal(store.list('org1').find((s) => s.id === 'tank2'), undefined);
});

test('at the reserve a reading larger than 64 of its metric\u2019s oldest keeps its latest value only', (t) => {
  const { store } = hubStore(t);
  const at = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 100; i++) store.add('org1', { sensorId: 'door', metric: 'contact', value: null, raw: 'open', gatewayId: 'gw1', timeMs: at + i, receivedMs: at + i });
  const huge = store.add('org1', { sensorId: 'door', metric: 'contact', value: null, raw: 'x'.repeat(8000), gatewayId: 'gw1', timeMs: at + 1000, receivedMs: at + 1000 }, { history: 'replace' });
  assert.deepEqual({ id: huge.id, latest: huge.latest, replaced: huge.replaced }, { id: null, latest: true, replaced: 0 });
  assert.equal(store.readings('org1', 'door', { limit: 500 }).length, 100, 'none of the short ones deleted for it');
  assert.equal(String(store.list('org1')[0]?.metrics[0]?.raw).length, 8000, 'its latest value stored');
});

test('at the reserve a reading larger than those it replaces takes the place of as many as its room: the file settles, then does not grow', (t) => {
  const { rounds, counts, filePages } = hubStore(t);
  rounds(3000, 'add', 10);
  const pagesBefore = filePages();
  const doorBefore = counts().get('door/contact')!;
  // The door's firmware now reports a document of about 2 KiB where it sent a word.
  const results = rounds(3000, 'replace', 2000).filter((r) => r.metric === 'door/contact');
  assert.ok(results.every((r) => r.id !== null), 'each kept');
  assert.ok(results[0]!.replaced >= 10, `the first in place of many of the short ones (${results[0]!.replaced})`);
  assert.ok(counts().get('door/contact')! < doorBefore / 10, 'so the door keeps fewer readings');
  // Rows of 2 KiB pack less tightly into 4 KiB pages than short ones: the file settles a little
  // larger (measured: 449 -> 575 pages, then 587 at most over 24,000 more rounds), then stays.
  const settled = filePages();
  assert.ok(settled <= pagesBefore * 1.4, `settled: ${settled} pages, ${pagesBefore} before`);
  rounds(6000, 'replace', 2000);
  assert.ok(filePages() <= settled * 1.03, `and does not grow: ${filePages()} pages, ${settled} before`);
});

test('at the reserve, next to sensors gone silent, the file settles a little larger, then does not grow', (t) => {
  const { rounds, counts, filePages, onlyReporting } = hubStore(t);
  rounds(5000, 'add');
  const pagesBefore = filePages();
  // Half the sensors went silent: their rows share pages with the reporting ones' oldest, so the
  // pages those leave are only partly freed at first.
  onlyReporting(METRICS.filter((m) => m.startsWith('tank1/') || m.startsWith('weather/')));
  rounds(5000, 'replace');
  const settled = filePages();
  assert.ok(settled <= pagesBefore * 1.4, `settled: ${settled} pages, ${pagesBefore} before`);
  rounds(10_000, 'replace');
  assert.ok(filePages() <= settled * 1.03, `and does not grow: ${filePages()} pages, ${settled} before`);
  assert.equal(counts().get('tank1/level'), 5000, 'the reporting metrics keep as many readings');
});

test('at the reserve a reading older than its metric\u2019s oldest kept (held through an outage) does not take a newer one\u2019s place', (t) => {
  const { store } = hubStore(t);
  const at = Date.UTC(2026, 0, 1, 12);
  for (const [i, v] of [100, 200, 300].entries()) store.add('org1', { sensorId: 'tank1', metric: 'level', value: v, raw: undefined, gatewayId: 'gw1', timeMs: at + i * 60_000, receivedMs: at + i * 60_000 });
  const held = store.add('org1', { sensorId: 'tank1', metric: 'level', value: 50, raw: undefined, gatewayId: 'gw2', timeMs: at - 3_600_000, receivedMs: at + 5 * 60_000 }, { history: 'replace' });
  assert.deepEqual({ id: held.id, latest: held.latest, replaced: held.replaced }, { id: null, latest: false, replaced: 0 }, 'nothing of it is stored: its metric\u2019s latest value is newer');
  assert.deepEqual(store.readings('org1', 'tank1', { limit: 10 }).map((r) => r.value), [300, 200, 100], 'the chart keeps its newest');
  assert.equal(store.list('org1')[0]?.metrics[0]?.value, 300, 'and the latest value stays the newest');
  // A newer one takes the oldest's place.
  const next = store.add('org1', { sensorId: 'tank1', metric: 'level', value: 400, raw: undefined, gatewayId: 'gw1', timeMs: at + 3 * 60_000, receivedMs: at + 3 * 60_000 }, { history: 'replace' });
  assert.equal(next.replaced, 1);
  assert.deepEqual(store.readings('org1', 'tank1', { limit: 10 }).map((r) => r.value), [400, 300, 200]);
});
