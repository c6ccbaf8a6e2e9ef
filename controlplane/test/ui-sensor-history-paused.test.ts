// Sensor readings cannot fill the hub's data disk, which accounts, the messenger and alerts share:
// while it has less than sensorMinFreeBytes free, a reading updates its metric's latest value (API,
// page, live to a page left open) but is not kept for the chart nor in the event log, counted on
// /metrics, and the Sensors page says so;
// once there is room again readings are kept as before. A real hub on a small tmpfs as its disk
// (root: CI runs as root), a gateway's real parts, a Tasmota plug, Chromium at phone and laptop
// sizes in English and Turkish.

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

const SHOTS = artifactsDir('ui-sensor-history-paused');
const MiB = 1024 * 1024;
const NOTICE = {
  'en-GB': 'The hub\u2019s disk is nearly full: new readings update the latest values below but are not kept for the chart until an administrator frees space.',
  'tr-TR': 'Merkezin diski neredeyse dolu: yeni okumalar aşağıdaki son değerleri günceller, ancak bir yönetici yer açana kadar grafik için saklanmaz.',
};

test('below its disk reserve the hub keeps sensors\u2019 latest values but not their history, says so on the Sensors page, and keeps readings again once there is room', { timeout: 180_000, skip: process.getuid?.() !== 0 && 'mounting a small tmpfs as the hub\u2019s disk needs root (CI runs as root)' }, async (t) => {
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
  const power = async (watts: number) => {
    await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ ENERGY: { Power: watts } }), { qos: 1 });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1' && e.data.value === watts, { what: `the plug's ${watts} W` });
  };
  const kept = async (): Promise<number[]> => {
    const r = await api(hub, admin, '/api/v1/sensors/plug1/readings?metric=energy_power');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.items as Array<{ value: number }>).map((x) => x.value).reverse();
  };
  const listed = async () => {
    const r = await api(hub, admin, '/api/v1/sensors');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const plug1 = (r.body.items as Array<{ id: string; metrics: Array<{ metric: string; value: number }> }>).find((s) => s.id === 'plug1');
    return { historyKept: r.body.historyKept as boolean, power: plug1?.metrics.find((m) => m.metric === 'energy_power')?.value };
  };
  // What the hub's event log keeps (its rows outweigh the readings'): the live stream still has them all.
  const logged = () => (hub.app.events as unknown as { after(orgId: string, afterId: number, limit: number): Array<{ type: string; data: { value?: number } }> }).after(admin.orgId, 0, 10_000).filter((e) => e.type === 'sensor.reading').map((e) => e.data.value);
  const notKept = async () => Number(/^unibos_hub_sensor_readings_not_kept_total (\d+)$/m.exec(await (await fetch(`${hub.url}/metrics`)).text())?.[1]);

  await power(10);
  assert.deepEqual(await kept(), [10]);
  assert.deepEqual(await listed(), { historyKept: true, power: 10 });

  // Everything else on the disk (backups, logs, clips) leaves it 4 MiB under the reserve.
  const freeNow = () => {
    const s = statfsSync(disk);
    return s.bavail * s.bsize;
  };
  writeFileSync(join(disk, 'other-files'), Buffer.alloc(freeNow() - reserve + 4 * MiB));
  await hub.app.sensorHistory.reserve.check();
  await power(11);
  await power(12);
  assert.deepEqual(await listed(), { historyKept: false, power: 12 }, 'the latest value still updates');
  assert.deepEqual(await kept(), [10], 'but the readings are not kept for the chart');
  assert.deepEqual(logged(), [10], 'nor in the event log');
  assert.equal(await notKept(), 2);

  const browser = await launch();
  t.after(() => browser.close());
  for (const [locale, size, viewport] of [['en-GB', '1280x800', { width: 1280, height: 800 }], ['tr-TR', '360x740', { width: 360, height: 740 }]] as const) {
    const { page, problems, context } = await openPage(browser, hub, { viewport, locale, ...(viewport.width === 360 ? { size: 'phone' as const } : {}) });
    await signIn(page, hub, admin, '#/sensors');
    await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().waitFor();
    const notice = page.locator('.notice--warn');
    await notice.waitFor();
    assert.equal(await notice.innerText(), NOTICE[locale]);
    assert.match(await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().innerText(), /12/, `${locale}: the latest value shown`);
    if (viewport.width === 360) await assertFitsWidth(page, 'the sensors screen with the disk notice');
    await page.screenshot({ path: join(SHOTS, `sensors-history-paused-${locale}-${size}.png`), fullPage: true });
    assert.deepEqual(problems, [], `${locale} ${size}: no page errors`);
    await context.close();
  }

  // A page left open shows each new value as it comes, though the hub does not keep it.
  {
    const { page, problems, context } = await openPage(browser, hub, { viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    await signIn(page, hub, admin, '#/sensors');
    await page.locator('.live-status[data-state="live"]').waitFor();
    await power(14);
    await page.locator('tr[data-sensor-id="plug1"] .metric-chip', { hasText: '14' }).waitFor();
    assert.deepEqual(await kept(), [10]);
    assert.deepEqual(problems, []);
    await context.close();
  }

  // Space freed: readings are kept again, and the page no longer warns.
  rmSync(join(disk, 'other-files'));
  await hub.app.sensorHistory.reserve.check();
  await power(13);
  assert.deepEqual(await kept(), [10, 13]);
  assert.deepEqual(logged(), [10, 13]);
  assert.deepEqual(await listed(), { historyKept: true, power: 13 });
  const { page, context } = await openPage(browser, hub, { viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
  await signIn(page, hub, admin, '#/sensors');
  await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().waitFor();
  assert.equal(await page.locator('.notice--warn').isVisible(), false);
  await context.close();
});
