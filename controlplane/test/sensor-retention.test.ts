// Sensor readings are not kept for ever: past the hub config's sensorRetentionDays (90 unless set,
// in hub.json or UNIBOS_HUB_SENSOR_RETENTION_DAYS) they are deleted, in batches that let ingest in
// between, while every sensor's latest values stay listed. Readings arrive through a gateway's real
// uplink at a real hub whose clock the test moves.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadHubConfig } from '../src/hub-config.ts';
import { SensorRetention } from '../src/sensors/sensor-retention.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

const DAY = 86_400_000;

test('readings older than the retention are deleted; the latest values stay listed', { timeout: 120_000 }, async () => {
  const start = Date.now();
  let clock = start;
  const hub = await startTestHub({ dedupWindowMs: 0, sensorRetentionDays: 30 }, { now: () => clock });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);

  // Forty days ago: a busy tank sensor, and a sensor heard then and never again.
  clock = start - 40 * DAY;
  const OLD = 1200;
  for (let i = 0; i < OLD; i++) gw.sensor('tank1', 'level', String(i));
  gw.sensor('shed', 'temperature', '12.5');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'shed', { what: 'the old readings' });
  // Yesterday, and today.
  clock = start - DAY;
  gw.sensor('tank1', 'level', '5000');
  clock = start;
  gw.sensor('tank1', 'level', '5001');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 5001, { what: 'today\u2019s reading' });
  /** Every reading of `sensor` the API gives, page by page. */
  const count = async (sensor: string) => {
    let n = 0;
    let cursor: string | null = null;
    do {
      const r = await api(hub, admin, `/api/v1/sensors/${sensor}/readings?from=1970-01-01T00:00:00Z&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      n += (r.body.items as unknown[]).length;
      cursor = r.body.nextCursor as string | null;
    } while (cursor);
    return n;
  };
  assert.equal(await count('tank1'), OLD + 2, 'before: every tank reading');

  const pruned = await hub.app.sensorRetention.runOnce();
  assert.deepEqual(pruned, { deleted: OLD + 1, batches: 2 }, 'forty-day-old readings deleted in batches of 1000');
  const tank = (await api(hub, admin, '/api/v1/sensors/tank1/readings?from=1970-01-01T00:00:00Z')).body.items as Array<{ value: number }>;
  assert.deepEqual(tank.map((r) => r.value), [5001, 5000], 'the readings within 30 days are kept');
  assert.equal(await count('shed'), 0);
  const listed = (await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; metrics: Array<{ value: number }> }>;
  assert.deepEqual(
    listed.map((s) => [s.id, s.metrics[0]!.value]),
    [['shed', 12.5], ['tank1', 5001]],
    'a sensor silent for longer than the retention is still listed with its last value',
  );
  assert.deepEqual(await hub.app.sensorRetention.runOnce(), { deleted: 0, batches: 1 }, 'nothing more to delete');
});

test('between two batches, whatever waits (ingest) gets its turn', async () => {
  const order: string[] = [];
  let left = 3;
  const retention = new SensorRetention({
    store: {
      pruneReadings: (_cutoff, limit) => {
        order.push('batch');
        // A publish arriving while the first batch runs.
        if (order.length === 1) setImmediate(() => order.push('ingest'));
        return left-- > 0 ? limit : 0;
      },
    },
    retentionMs: DAY,
    now: () => Date.now(),
    onError: (err) => assert.fail(String(err)),
    batchRows: 10,
  });
  assert.deepEqual(await retention.runOnce(), { deleted: 30, batches: 4 });
  assert.deepEqual(order.slice(0, 3), ['batch', 'ingest', 'batch'], `ingest ran between the first two batches: ${order.join(', ')}`);
});

test('the retention is 90 days unless hub.json or UNIBOS_HUB_SENSOR_RETENTION_DAYS says otherwise; a bad value names the key', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-retention-config-'));
  try {
    assert.equal(loadHubConfig({ env: {}, flags: { dataDir } }).sensorRetentionDays, 90);
    writeFileSync(join(dataDir, 'hub.json'), JSON.stringify({ sensorRetentionDays: 365 }));
    assert.equal(loadHubConfig({ env: {}, flags: { dataDir } }).sensorRetentionDays, 365);
    assert.equal(loadHubConfig({ env: { UNIBOS_HUB_SENSOR_RETENTION_DAYS: '14' }, flags: { dataDir } }).sensorRetentionDays, 14);
    assert.throws(() => loadHubConfig({ env: { UNIBOS_HUB_SENSOR_RETENTION_DAYS: '0' }, flags: { dataDir } }), /sensorRetentionDays \(from environment\)/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
