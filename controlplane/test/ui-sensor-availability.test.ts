// A device that goes offline is shown offline, not as if its last values were current: through a
// gateway's real parts (its aedes broker, Tasmota and Zigbee2MQTT profiles, bridge, outbox and
// uplink) to a real hub and its Sensors page in Chromium. A Tasmota plug whose connection dies (its
// last will, tele/plug1/LWT Offline) is offline at the hub (API and page: "Offline since 14:05", its
// values greyed as last known) and online again once it is back; a Zigbee2MQTT device's availability
// likewise, and its devices all offline while Zigbee2MQTT itself is (its bridge state); a native
// sensor's own last will too. A metric that stopped while its sensor's others go
// on shows its own age. Screenshots of the offline plug at 360x740 and 1280x800, English and Turkish.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { topics } from '@unibos/mesh-protocol';
import { api, createAdminSession, type TestSession } from './support/test-auth.ts';
import { waitForEvent, type HubEvent } from './support/hub-events.ts';
import { sensorGateway } from './support/sensor-gateway.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-sensor-availability');
const HOUR = 3_600_000;
const PHONE = { width: 360, height: 740 };
const LAPTOP = { width: 1280, height: 800 };

interface Sensor {
  id: string;
  lastSeen: string;
  availability?: { state: string; since: string };
  metrics: Array<{ metric: string; value: number; time: string }>;
}

async function sensor(hub: TestHub, admin: TestSession, id: string): Promise<Sensor> {
  const r = await api(hub, admin, '/api/v1/sensors');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const s = (r.body.items as Sensor[]).find((x) => x.id === id);
  assert.ok(s, `${id} listed: ${JSON.stringify(r.body.items)}`);
  return s;
}

/** What a sensor's row on the Sensors page says: its availability badge, the note over its values, each chip. */
async function row(page: Page, id: string) {
  return page.locator(`tr[data-sensor-id="${id}"]`).evaluate((tr) => ({
    availability: tr.getAttribute('data-availability'),
    badge: (tr.querySelector('.sensor-availability') as HTMLElement | null)?.innerText ?? null,
    note: (tr.querySelector('.values-note') as HTMLElement | null)?.innerText ?? null,
    chips: [...tr.querySelectorAll('.metric-chip')].map((c) => ({ text: (c as HTMLElement).innerText, lastKnown: c.classList.contains('metric-chip--last-known'), stale: c.classList.contains('metric-chip--stale'), color: getComputedStyle(c).color })),
  }));
}

test('a device that goes offline is shown offline at the hub and on the Sensors page, and online again when it is back', { timeout: 180_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  // The gateway's clock: two hours back first, for a reading its plug's probe sent then.
  let offset = -2 * HOUR;
  const gw = await sensorGateway(t, hub, admin, () => Date.now() + offset);
  const TASMOTA = ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#'];
  const LWT = { topic: 'tele/plug1/LWT', payload: 'Offline' };
  let plug = await gw.device('plug1', TASMOTA, LWT);
  // As a Tasmota does on connecting: its LWT topic says Online (retained), then telemetry.
  await plug.publishAsync('tele/plug1/LWT', 'Online', { qos: 1, retain: true });
  // Two hours ago the probe still answered; since then only the energy meter reports.
  await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ AM2301: { Temperature: 21.5 }, ENERGY: { Power: 30 } }), { qos: 1 });
  offset = 0;
  await plug.publishAsync('tele/plug1/SENSOR', JSON.stringify({ ENERGY: { Power: 27 } }), { qos: 1 });
  await gw.connect();
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug1' && e.data.value === 27, { what: 'the plug\u2019s latest reading' });

  const online = await sensor(hub, admin, 'plug1');
  assert.equal(online.availability?.state, 'online', `the plug said it is online: ${JSON.stringify(online)}`);
  const probe = online.metrics.find((m) => m.metric === 'am2301_temperature');
  assert.ok(probe && Date.now() - Date.parse(probe.time) > 1.9 * HOUR, `the probe's reading is two hours old: ${JSON.stringify(online.metrics)}`);

  const browser = await launch();
  t.after(() => browser.close());
  const pages: Array<{ page: Page; locale: string; size: string; viewport: { width: number; height: number } }> = [];
  for (const [locale, size, viewport] of [['en-GB', '1280x800', LAPTOP], ['en-GB', '360x740', PHONE], ['tr-TR', '1280x800', LAPTOP], ['tr-TR', '360x740', PHONE]] as const) {
    const { page, problems, context } = await openPage(browser, hub, { viewport, locale, ...(viewport === PHONE ? { size: 'phone' as const } : {}) });
    t.after(() => {
      assert.deepEqual(problems, [], `${locale} ${size}: no page errors`);
      return context.close();
    });
    await signIn(page, hub, admin, '#/sensors');
    await page.locator('tr[data-sensor-id="plug1"] .metric-chip').first().waitFor();
    pages.push({ page, locale, size, viewport });
  }
  const en = pages[0]!.page;

  await t.test('online: current values as they are; the metric that stopped shows its own age', async () => {
    const r = await row(en, 'plug1');
    assert.equal(r.availability, 'online');
    assert.equal(r.badge, null, 'no offline badge');
    assert.equal(r.note, null);
    const temperature = r.chips.find((c) => /temperature/i.test(c.text));
    const power = r.chips.find((c) => /power/i.test(c.text));
    assert.ok(temperature && power, JSON.stringify(r.chips));
    assert.ok(temperature.stale && /2 h ago/.test(temperature.text), `the probe's value says how old it is: ${JSON.stringify(temperature)}`);
    assert.ok(!power.stale && !/ago/.test(power.text) && !power.lastKnown, `the power is current: ${JSON.stringify(power)}`);
  });

  // The plug loses power: the broker notices its connection gone and publishes its last will.
  const cut = Date.now();
  plug.stream.destroy();
  const wentOffline = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'plug1' && e.data.state === 'offline', { what: 'the plug offline at the hub' });

  await t.test('offline: the API says since when; the page says it and greys the values as last known', async () => {
    const offline = await sensor(hub, admin, 'plug1');
    assert.equal(offline.availability?.state, 'offline');
    const since = Date.parse(offline.availability!.since);
    assert.ok(since >= cut - 1000 && since <= Date.now(), `offline since the will: ${offline.availability!.since}`);
    const clock = new Date(since);
    for (const { page, locale, size, viewport } of pages) {
      // Live: the page heard the event.
      await page.locator('tr[data-sensor-id="plug1"] .sensor-availability').waitFor();
      const hhmm = clock.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
      const r = await row(page, 'plug1');
      assert.equal(r.availability, 'offline');
      assert.equal(r.badge, locale === 'en-GB' ? `Offline since ${hhmm}` : `${hhmm} itibarıyla çevrimdışı`, `${locale} ${size}`);
      assert.equal(r.note, locale === 'en-GB' ? 'Last known values:' : 'Bilinen son değerler:');
      assert.ok(r.chips.length === 2 && r.chips.every((c) => c.lastKnown), `every value greyed as last known: ${JSON.stringify(r.chips)}`);
      if (viewport === PHONE) await assertFitsWidth(page, 'the sensors screen with an offline device');
      await page.screenshot({ path: join(SHOTS, `sensors-offline-${locale}-${size}.png`), fullPage: true });
    }
  });

  await t.test('the plug comes back: online again, its values current', async () => {
    plug = await gw.device('plug1', TASMOTA, LWT);
    await plug.publishAsync('tele/plug1/LWT', 'Online', { qos: 1, retain: true });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'plug1' && e.data.state === 'online', { afterId: wentOffline.id, what: 'the plug online again' });
    assert.equal((await sensor(hub, admin, 'plug1')).availability?.state, 'online');
    await en.locator('tr[data-sensor-id="plug1"][data-availability="online"]').waitFor();
    const r = await row(en, 'plug1');
    assert.equal(r.badge, null);
    assert.ok(r.chips.every((c) => !c.lastKnown), JSON.stringify(r.chips));
  });

  await t.test('a Zigbee2MQTT device\u2019s availability, and a native sensor\u2019s own last will', async () => {
    const z2m = await gw.device('z2m', ['readwrite zigbee2mqtt/#']);
    await z2m.publishAsync('zigbee2mqtt/kitchen', JSON.stringify({ temperature: 20.5, humidity: 41 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/kitchen/availability', JSON.stringify({ state: 'offline' }), { qos: 1, retain: true });
    const off: HubEvent = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'z2m:kitchen' && e.data.state === 'offline', { what: 'the Zigbee device offline' });
    assert.equal((await sensor(hub, admin, 'z2m:kitchen')).availability?.state, 'offline');
    await en.locator('tr[data-sensor-id="z2m:kitchen"][data-availability="offline"] .sensor-availability').waitFor();
    // Zigbee2MQTT before 2.0 (or legacy_availability_payload) says it as a plain word.
    await z2m.publishAsync('zigbee2mqtt/kitchen/availability', 'online', { qos: 1, retain: true });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'z2m:kitchen' && e.data.state === 'online', { afterId: off.id, what: 'the Zigbee device online' });
    assert.equal((await sensor(hub, admin, 'z2m:kitchen')).availability?.state, 'online');
    await en.locator('tr[data-sensor-id="z2m:kitchen"][data-availability="online"]').waitFor();

    // Zigbee2MQTT itself stops (its last will on its bridge state): its devices cannot be reached either.
    const cutZ2m = Date.now();
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'offline' }), { qos: 1, retain: true });
    const bridgeOff = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'z2m' && e.data.state === 'offline', { what: 'the Zigbee2MQTT bridge offline' });
    const behind = (await sensor(hub, admin, 'z2m:kitchen')).availability;
    assert.ok(behind?.state === 'offline' && Date.parse(behind.since) >= cutZ2m - 1000, `a device behind a stopped Zigbee2MQTT is offline since it stopped: ${JSON.stringify(behind)}`);
    await en.locator('tr[data-sensor-id="z2m:kitchen"][data-availability="offline"] .sensor-availability').waitFor();
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'online' }), { qos: 1, retain: true });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'z2m' && e.data.state === 'online', { afterId: bridgeOff.id, what: 'the Zigbee2MQTT bridge back' });
    assert.equal((await sensor(hub, admin, 'z2m:kitchen')).availability?.state, 'online');
    await en.locator('tr[data-sensor-id="z2m:kitchen"][data-availability="online"]').waitFor();

    // A sensor speaking UNIBOS itself sets its last will on its own $availability level.
    const tank = await gw.device('tank1', [], { topic: topics.sensorAvailability('tank1'), payload: 'offline' });
    await tank.publishAsync(topics.sensorAvailability('tank1'), 'online', { qos: 1, retain: true });
    await tank.publishAsync(topics.sensor('tank1', 'level'), '41', { qos: 1 });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1', { what: 'the tank reading' });
    tank.stream.destroy();
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.availability' && e.data.sensorId === 'tank1' && e.data.state === 'offline', { what: 'the tank offline by its will' });
    const tank1 = await sensor(hub, admin, 'tank1');
    assert.equal(tank1.availability?.state, 'offline');
    assert.deepEqual(tank1.metrics.map((m) => m.metric), ['level'], 'its availability is not a metric');
  });

  await t.test('a plug that has said it is online but sent no reading yet is on the page, saying so, and charted once it reports', async () => {
    const plug2 = await gw.device('plug2', TASMOTA, { topic: 'tele/plug2/LWT', payload: 'Offline' });
    await plug2.publishAsync('tele/plug2/LWT', 'Online', { qos: 1, retain: true });
    // Live: the page was open before the plug was ever heard of.
    for (const { page, locale, size, viewport } of pages) {
      await page.locator('tr[data-sensor-id="plug2"][data-availability="online"]').waitFor();
      assert.equal(await page.locator('tr[data-sensor-id="z2m"]').count(), 0, 'not Zigbee2MQTT itself: its devices say its state');
      const r = await row(page, 'plug2');
      assert.equal(r.note, locale === 'en-GB' ? 'No readings yet.' : 'Henüz okuma yok.', `${locale} ${size}`);
      assert.deepEqual(r.chips, []);
      assert.equal(await page.locator('tr[data-sensor-id="plug2"] .sensor-action button').count(), 0, 'nothing to chart');
      assert.equal(await page.locator('#chart-sensor option[value="plug2"]').count(), 0, 'not offered for the chart');
      if (viewport === PHONE) await assertFitsWidth(page, 'the sensors screen with a device that sent no reading yet');
      await page.screenshot({ path: join(SHOTS, `sensors-no-readings-${locale}-${size}.png`), fullPage: true });
    }
    await plug2.publishAsync('tele/plug2/SENSOR', JSON.stringify({ ENERGY: { Power: 12 } }), { qos: 1 });
    await en.locator('tr[data-sensor-id="plug2"] .metric-chip').waitFor();
    const r = await row(en, 'plug2');
    assert.equal(r.note, null);
    assert.ok(r.chips.length === 1 && /12/.test(r.chips[0]!.text), JSON.stringify(r.chips));
    assert.equal(await en.locator('tr[data-sensor-id="plug2"] .sensor-action button').count(), 1);
    assert.equal(await en.locator('#chart-sensor option[value="plug2"]').count(), 1, 'offered for the chart once it reports');
  });
});
