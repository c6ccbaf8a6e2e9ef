// What a Turkish and an English reader see of values that have a language: the map grid's labels
// (decimal comma and compass letters), sensor metrics named in the reader's language with their units
// as the locale writes them ("%66", "17,6 °C"), node roles in the feed, unambiguous module buttons,
// a top bar on one row at laptop width, and on a phone a navigation row that shows it scrolls.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { api, createAdminSession } from './support/test-auth.ts';
import { startModuleHub, writeModules } from './support/module-test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-reader-locale');
const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 375, height: 812 };

async function showView(page: Page, id: string): Promise<void> {
  await page.evaluate((v) => (location.hash = `#/${v}`), id);
  await page.locator(`a[href="#/${id}"][aria-current="page"]`).waitFor();
}

test('values read in the reader’s language and locale', async (t) => {
  const root = writeModules({ greeter: {} });
  const hub = await startModuleHub({ root, host: { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } } });
  const admin = await createAdminSession(hub, { orgName: 'Demo' });
  assert.equal((await api(hub, admin, '/api/v1/modules/greeter/enable', { method: 'POST' })).body.state, 'loaded');
  const gw = await TestGateway.connect(hub, admin);
  const GW = `!${gw.id}`;
  let packetId = 9000;
  gw.mesh(GW, 'info', { longName: 'Demo gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++, snr: 9 });
  gw.mesh(GW, 'position', { latitude: 46.508, longitude: 6.636 }, { packetId: packetId++, snr: 9 });
  gw.mesh('!0a0b0c01', 'info', { longName: 'Clinic', shortName: 'CLI', hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: packetId++, snr: 3 });
  gw.mesh('!0a0b0c01', 'position', { latitude: 46.52, longitude: 6.58 }, { packetId: packetId++, snr: 3 });
  gw.sensor('garden', 'temperature', '17.6');
  gw.sensor('garden', 'humidity', JSON.stringify({ value: 66, unit: '%' }));
  gw.sensor('garden', 'level', JSON.stringify({ value: 1.5, unit: 'm' }));
  // A Tasmota plug's relay, as the gateway's profile reports it: on or off, not "power: 1 W".
  gw.sensor('garden', 'POWER', JSON.stringify({ value: 1, deviceClass: 'switch' }));
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.metric === 'POWER', { what: 'the last reading' });
  // An open SOS: the Alerts link carries its count, as on a hub in use.
  gw.mesh('!0a0b0c01', 'alert', { level: 'SOS', text: 'help', requestId: 5, position: { latitude: 46.52, longitude: 6.58, precisionBits: 32 } }, { packetId: packetId++, snr: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type.startsWith('alert'), { what: 'the SOS' });

  const browser = await launch();
  t.after(() => browser.close());
  t.after(() => hub.stop());
  t.diagnostic(`screenshots: ${SHOTS}`);

  const cases = [
    { locale: 'en-GB', tag: 'en', grid: /^\d+(\.\d+)?°[NSEW]?$/, temperature: 'temperature: 17.6 °C', humidity: 'humidity: 66%', level: 'level: 1.5 m', relay: 'POWER: on', roles: ['UNIBOS · gateway', 'RAK4631 · client'], disable: 'Disable greeter' },
    { locale: 'tr-TR', tag: 'tr', grid: /^\d+(,\d+)?°[KGDB]?$/, temperature: 'sıcaklık: 17,6 °C', humidity: 'nem: %66', level: 'level: 1,5 m', relay: 'POWER: açık', roles: ['UNIBOS · ağ geçidi', 'RAK4631 · istemci'], disable: '"greeter" modülünü devre dışı bırak' },
  ];
  for (const c of cases) {
    await t.test(`${c.locale} at 1366x800`, async () => {
      const { context, page, problems } = await openPage(browser, hub, { viewport: LAPTOP, locale: c.locale });
      t.after(() => context.close());
      // Every check runs and each one that fails is told, not only the first.
      const fails: string[] = [];
      const check = (ok: unknown, msg: string) => void (ok || fails.push(msg));
      // A browser that has not been asked about notifications yet: the "Notify me of SOS" button shows.
      await page.addInitScript("Object.defineProperty(Notification, 'permission', { get() { return 'default'; } })");
      await signIn(page, hub, admin, '#/sensors');

      // The top bar: one row, as tall as in English.
      await page.locator('header .bell').waitFor();
      await page.locator('nav.nav .nav-badge:not([hidden])').waitFor();
      const bar = await page.locator('header.topbar').boundingBox();
      const widths = await page.locator('header.topbar > *').evaluateAll((els) => els.map((e) => `${e.className}:${Math.round(e.getBoundingClientRect().width)}`).join(' '));
      check(bar && bar.height <= 60, `the top bar is one row: ${bar?.height} px tall (${widths})`);

      // Sensors: known metrics named in the reader's language with their units, on hover too.
      const chips = page.locator('tr[data-sensor-id="garden"] .metric-chip');
      await chips.nth(3).waitFor();
      const texts = await chips.allInnerTexts();
      for (const want of [c.temperature, c.humidity, c.level, c.relay]) check(texts.includes(want), `the sensor reads "${want}": ${texts.join(' | ')}`);
      // On hover the metric's name as the chip says it, not its id ("humidity" on a Turkish screen: ui-hover-titles.test.ts).
      const humidityTitle = await chips.filter({ hasText: /humidity|nem/ }).first().getAttribute('title');
      check(humidityTitle === c.humidity.split(':')[0], `the metric's name in the reader's language on hover: ${humidityTitle}`);
      await page.screenshot({ path: join(SHOTS, `sensors-${c.tag}-laptop.png`) });

      // Feed: node roles as people say them.
      await showView(page, 'feed');
      for (const role of c.roles) {
        const said = await page.locator('.feed-what', { hasText: role }).first().waitFor({ timeout: 5000 }).then(() => true, () => false);
        check(said, `the feed says "${role}": ${(await page.locator('.feed-what').allInnerTexts()).join(' | ')}`);
      }
      check((await page.locator('.feed-what', { hasText: /GATEWAY|CLIENT/ }).count()) === 0, 'no raw role in the feed');
      await page.screenshot({ path: join(SHOTS, `feed-${c.tag}-laptop.png`) });

      // Modules: the button says what it does, unlike "Resolve".
      await showView(page, 'modules');
      await page.locator('li[data-module="greeter"] button').first().waitFor();
      const toggle = await page.locator('li[data-module="greeter"] .toolbar button').innerText();
      check(toggle === c.disable, `the module's button reads "${c.disable}", not "${toggle}"`);
      await page.screenshot({ path: join(SHOTS, `modules-${c.tag}-laptop.png`) });

      // Map: the grid's labels in the locale's digits and compass letters.
      await showView(page, 'map');
      await page.locator('#node-map .graticule-label').filter({ hasText: '°' }).first().waitFor();
      const grid = (await page.locator('#node-map .graticule-label').allTextContents()).filter((x) => x.includes('°'));
      const wrong = grid.filter((x) => !c.grid.test(x));
      check(wrong.length === 0, `grid labels written the ${c.tag} way (${wrong.slice(0, 4).join(', ')})`);
      check(grid.some((x) => /\d[.,]\d/.test(x)), `grid labels have decimals here: ${grid.slice(0, 4).join(', ')}`);
      await page.screenshot({ path: join(SHOTS, `map-${c.tag}-laptop.png`) });
      assert.deepEqual(fails, []);
      assert.deepEqual(problems, []);
    });

    await t.test(`${c.locale} at 375x812`, async () => {
      const { context, page, problems } = await openPage(browser, hub, { viewport: PHONE, size: 'phone', locale: c.locale });
      t.after(() => context.close());
      // Every check runs and each one that fails is told, not only the first.
      const fails: string[] = [];
      const check = (ok: unknown, msg: string) => void (ok || fails.push(msg));
      await signIn(page, hub, admin, '#/fleet');
      // The navigation runs past the right edge: it says so (a fade there) until scrolled to its end.
      const nav = page.locator('nav.nav');
      const state = await nav.evaluate((n) => ({ more: n.dataset.more ?? '', mask: getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage, overflow: n.scrollWidth > n.clientWidth }));
      check(state.overflow, 'the navigation is wider than the phone');
      check(state.more === 'end' && /gradient/.test(state.mask), `the right edge fades (more: "${state.more}", mask: ${state.mask})`);
      await page.screenshot({ path: join(SHOTS, `fleet-${c.tag}-phone.png`) });
      // At the last screen the row has scrolled to it; the fade is on the left now.
      await showView(page, 'modules');
      const end = await nav.evaluate((n) => ({ more: n.dataset.more ?? '', mask: getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage }));
      check(/start/.test(end.more) && /gradient/.test(end.mask), `once the last screen is shown the left edge fades (more: "${end.more}", mask: ${end.mask})`);
      await page.screenshot({ path: join(SHOTS, `modules-${c.tag}-phone.png`) });
      await showView(page, 'sensors');
      await page.locator('tr[data-sensor-id="garden"] .metric-chip').nth(2).waitFor();
      await page.screenshot({ path: join(SHOTS, `sensors-${c.tag}-phone.png`) });
      await showView(page, 'feed');
      await page.screenshot({ path: join(SHOTS, `feed-${c.tag}-phone.png`) });
      await showView(page, 'map');
      await page.locator('.leaflet-tile-loaded').first().waitFor();
      await page.screenshot({ path: join(SHOTS, `map-${c.tag}-phone.png`) });
      assert.deepEqual(fails, []);
      assert.deepEqual(problems, []);
    });
  }
});
