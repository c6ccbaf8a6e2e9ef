// Sensor readings cannot fill the hub's data disk, which accounts, the messenger and alerts share:
// while it has less than sensorMinFreeBytes free, each new reading takes the place of its metric's
// oldest (the chart goes on, as long as it was), a metric or a device first reported then is not
// stored, neither goes to the event log (live to a page left open all the same), both are counted on /metrics, and
// the Sensors page says so, live; once there is room again readings are added as before. A
// real hub on a small tmpfs as its disk (root: CI runs as root), a gateway's real parts, a Tasmota
// plug, Chromium at phone and laptop sizes in English and Turkish.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { sensorGateway } from './support/sensor-gateway.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-sensor-history-at-reserve');
const MiB = 1024 * 1024;
const NOTICE = {
  'en-GB': 'The hub\u2019s disk is nearly full: new readings take the room left in its database, then each takes the place of its metric\u2019s oldest, so charts lose their oldest readings until an administrator frees space.',
  'tr-TR': 'Merkezin diski neredeyse dolu: yeni okumalar önce veritabanında kalan yeri kullanır, sonra her biri kendi ölçümünün en eski okumasının yerini alır; bir yönetici yer açana kadar grafikler en eski okumalarını kaybeder.',
};

test('below its disk reserve each new reading of the hub\u2019s sensors takes the place of its metric\u2019s oldest (a new metric or device is live only), the Sensors page says so, and readings are added again once there is room', { timeout: 180_000, skip: process.getuid?.() !== 0 && 'mounting a small tmpfs as the hub\u2019s disk needs root (CI runs as root)' }, async (t) => {
  const disk = mkdtempSync(join(tmpdir(), 'unibos-hub-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0700', 'tmpfs', disk]);
  let hub: TestHub | undefined;
  // Registered before anything can fail; the hub's files are on this disk, so it stops first (stop() is idempotent).
  t.after(async () => {
    await hub?.stop();
    execFileSync('umount', ['-l', disk]);
    rmSync(disk, { recursive: true, force: true });
  });
  const reserve = 32 * MiB;
  hub = await startTestHub({ dataDir: disk, sensorMinFreeBytes: reserve, dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await sensorGateway(t, hub, admin, Date.now);
  const plug = await gw.device('plug1', ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#']);
  await gw.connect();
  const tele = async (energy: Record<string, number>) => {
    // Each metric's event is waited for from before the publish: at the reserve they go out live only.
    const events = Object.entries(energy).map(([name, value]) => {
      const metric = `energy_${name.toLowerCase()}`;
      return waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1' && e.data.metric === metric && e.data.value === value, { what: `the plug's ${metric} ${value}` });
    });
    await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ ENERGY: energy }), { qos: 1 });
    await Promise.all(events);
  };
  const power = (watts: number) => tele({ Power: watts });
  const kept = async (metric = 'energy_power'): Promise<number[]> => {
    const r = await api(hub, admin, `/api/v1/sensors/plug1/readings?metric=${metric}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.items as Array<{ value: number }>).map((x) => x.value).reverse();
  };
  const listed = async () => {
    const r = await api(hub, admin, '/api/v1/sensors');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const plug1 = (r.body.items as Array<{ id: string; metrics: Array<{ metric: string; value: number }> }>).find((s) => s.id === 'plug1');
    return { historyKept: r.body.historyKept as boolean, power: plug1?.metrics.find((m) => m.metric === 'energy_power')?.value, voltage: plug1?.metrics.find((m) => m.metric === 'energy_voltage')?.value };
  };
  // What the hub's event log keeps (its rows outweigh the readings'): the live stream still has them all.
  const logged = () => (hub.app.events as unknown as { after(orgId: string, afterId: number, limit: number): Array<{ type: string; data: { metric?: string; value?: number } }> }).after(admin.orgId, 0, 10_000).filter((e) => e.type === 'sensor.reading' && e.data.metric === 'energy_power').map((e) => e.data.value);
  const counted = async () => {
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    const count = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    return { replaced: count('unibos_hub_sensor_readings_replaced_total'), notKept: count('unibos_hub_sensor_readings_not_kept_total'), liveOnly: count('unibos_hub_ingest_live_only_total') };
  };

  await power(10);
  await power(11);
  assert.deepEqual(await kept(), [10, 11]);
  assert.deepEqual(await listed(), { historyKept: true, power: 11, voltage: undefined });

  const browser = await launch();
  t.after(() => browser.close());
  // A page left open from before the disk fills: the notice comes and goes with the readings.
  const open = await openPage(browser, hub, { viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  await signIn(open.page, hub, admin, '#/sensors');
  await open.page.locator('.live-status[data-state="live"]').waitFor();
  assert.equal(await open.page.locator('.notice--warn').isVisible(), false);

  // A database with no free room in it (else new readings would fill that first: sensor-history.test.ts).
  hub.app.db.exec('VACUUM');
  assert.equal(hub.app.sensors.freeBytes(), 0);
  // Everything else on the disk (backups, logs, clips) leaves it 4 MiB under the reserve.
  const freeNow = () => {
    const s = statfsSync(disk);
    return s.bavail * s.bsize;
  };
  writeFileSync(join(disk, 'other-files'), Buffer.alloc(freeNow() - reserve + 4 * MiB));
  await hub.app.sensorHistory.reserve.check();
  await power(12);
  await power(13);
  assert.deepEqual(await kept(), [12, 13], 'each new reading in place of the oldest: the chart goes on, as long as it was');
  // A metric the plug had not reported before has nothing to replace, and is not stored (a firmware
  // with a counter in its metric names would fill the disk): live only.
  await tele({ Power: 14, Voltage: 230 });
  assert.deepEqual(await kept(), [13, 14]);
  assert.deepEqual(await kept('energy_voltage'), [], 'a new metric\u2019s reading is not kept');
  assert.deepEqual(await listed(), { historyKept: false, power: 14, voltage: undefined }, 'the latest values of known metrics still update');
  assert.deepEqual(logged(), [10, 11], 'nor are they in the event log');
  // Nor is a device first heard then: a Tasmota saying it is online is shown live, not listed.
  const plug2 = await gw.device('plug2', ['write tele/%u/#']);
  const online = waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'plug2', { what: 'plug2 online' });
  await plug2.publishAsync('tele/plug2/LWT', 'Online', { qos: 1, retain: true });
  assert.equal((await online).data.atDiskReserve, true);
  const ids = (await api(hub, admin, '/api/v1/sensors')).body.items.map((s: { id: string }) => s.id);
  assert.deepEqual(ids, ['plug1'], 'a device first heard at the reserve is not stored');
  // The ingest says so: the new metric's reading and the new device's word were not stored.
  assert.deepEqual(await counted(), { replaced: 3, notKept: 1, liveOnly: 2 });

  for (const [locale, size, viewport] of [['en-GB', '1280x800', { width: 1280, height: 800 }], ['tr-TR', '360x740', { width: 360, height: 740 }]] as const) {
    const { page, problems, context } = await openPage(browser, hub, { viewport, locale, ...(viewport.width === 360 ? { size: 'phone' as const } : {}) });
    await signIn(page, hub, admin, '#/sensors');
    await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().waitFor();
    const notice = page.locator('.notice--warn');
    await notice.waitFor();
    assert.equal(await notice.innerText(), NOTICE[locale]);
    assert.match(await page.locator('tr[data-sensor-id="plug1"]').innerText(), /14/, `${locale}: the latest value shown`);
    if (viewport.width === 360) await assertFitsWidth(page, 'the sensors screen with the disk notice');
    await page.screenshot({ path: join(SHOTS, `sensors-history-at-reserve-${locale}-${size}.png`), fullPage: true });
    assert.deepEqual(problems, [], `${locale} ${size}: no page errors`);
    await context.close();
  }

  // The page left open shows each new value as it comes, and the notice since the first at the reserve.
  await power(15);
  await open.page.locator('tr[data-sensor-id="plug1"] .metric-chip', { hasText: '15' }).waitFor();
  // The value and the notice change in the same handler: once the one shows, so does the other.
  assert.equal(await open.page.locator('.notice--warn').isVisible(), true, 'the page left open warns');
  assert.equal(await open.page.locator('.notice--warn').innerText(), NOTICE['en-GB']);
  assert.deepEqual(await kept(), [14, 15]);

  // Space freed: readings are added again, and the page no longer warns.
  rmSync(join(disk, 'other-files'));
  await hub.app.sensorHistory.reserve.check();
  await power(16);
  assert.deepEqual(await kept(), [14, 15, 16]);
  assert.deepEqual(logged(), [10, 11, 16]);
  assert.deepEqual(await listed(), { historyKept: true, power: 16, voltage: undefined });
  await open.page.locator('tr[data-sensor-id="plug1"] .metric-chip', { hasText: '16' }).waitFor();
  assert.equal(await open.page.locator('.notice--warn').isVisible(), false, 'the page left open no longer warns');
  assert.deepEqual(open.problems, []);
  await open.context.close();
  const { page, context } = await openPage(browser, hub, { viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  await signIn(page, hub, admin, '#/sensors');
  await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().waitFor();
  assert.equal(await page.locator('.notice--warn').isVisible(), false);
  await context.close();
});
