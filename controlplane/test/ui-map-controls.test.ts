// The maps' own buttons speak the reader's language: zoom in, zoom out and the layers button are
// named in Turkish on a Turkish screen (they said "Zoom in", "Zoom out", "Layers"), on the main map
// and on birlikteyiz's check-in map. On a phone the layers button opens with a tap and stays open
// (Leaflet's opened on the tap's mouseover and shut on its click), a layer can be switched there,
// and a tap on the map closes it. Screenshots at 360x740, 390x844, 1280x800 and 1440x900.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOpenRound } from './support/checkin-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-map-controls');
const CENTER = { latitude: 38.2001, longitude: 37.1975 };
const NODES = [
  { id: '!7e5f1001', name: 'Çarşı', lat: 38.2073, lon: 37.1884 },
  { id: '!7e5f1002', name: 'Okul', lat: 38.2028, lon: 37.2093 },
];
const WORDS = {
  'en-GB': { zoomIn: 'Zoom in', zoomOut: 'Zoom out', layers: 'Layers', grid: /^\s*Lat\/lon grid$/, panel: 'birlikteyiz panel', checkinMap: 'Check-in map' },
  'tr-TR': { zoomIn: 'Yakınlaştır', zoomOut: 'Uzaklaştır', layers: 'Katmanlar', grid: /^\s*Enlem\/boylam ızgarası$/, panel: 'birlikteyiz paneli', checkinMap: 'Yoklama haritası' },
} as const;
const CASES = [
  { locale: 'tr-TR', viewport: { width: 360, height: 740 }, phone: true },
  { locale: 'en-GB', viewport: { width: 390, height: 844 }, phone: true },
  { locale: 'tr-TR', viewport: { width: 1280, height: 800 }, phone: false },
  { locale: 'en-GB', viewport: { width: 1440, height: 900 }, phone: false },
] as const;

test("the maps' zoom and layers buttons are named in the reader's language; layers opens with a tap on a phone", { timeout: 180_000 }, async (t) => {
  const quake = { id: 'mc1', latitude: CENTER.latitude + 0.03, longitude: CENTER.longitude + 0.04, depthKm: 10, magnitude: 5.1, timeMs: Date.now() - 60_000, place: '12 km NW of Elbistan, Turkey' };
  const { hub, admin } = await startOpenRound(t, NODES, quake, 7900);
  const browser = await launch();
  t.after(() => browser.close());

  for (const c of CASES) {
    const w = WORDS[c.locale];
    await t.test(`${c.locale} at ${c.viewport.width}x${c.viewport.height}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, c.phone ? { size: 'phone', viewport: c.viewport, locale: c.locale } : { viewport: c.viewport, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      const map = page.locator('#node-map');
      for (const name of [w.zoomIn, w.zoomOut, w.layers]) await map.getByRole('button', { name, exact: true }).waitFor();
      assert.equal(await map.getByRole('button', { name: w.layers, exact: true }).getAttribute('title'), w.layers, 'the layers button says its name on hover too');

      const grid = map.getByRole('checkbox', { name: w.grid });
      if (c.phone) {
        // A finger's tap on the layers button: the list opens, and is still open a moment later.
        const toggle = await map.getByRole('button', { name: w.layers, exact: true }).boundingBox();
        assert.ok(toggle, 'the layers button shows');
        await page.touchscreen.tap(toggle.x + toggle.width / 2, toggle.y + toggle.height / 2);
        await page.waitForTimeout(800);
        assert.equal(await grid.isVisible(), true, 'the list of layers is open after a tap');
        const list = await map.locator('.leaflet-control-layers-list').boundingBox();
        assert.ok(list && list.x >= 0 && list.x + list.width <= c.viewport.width, `the list is on the screen: ${JSON.stringify(list)}`);
        await page.screenshot({ path: `${SHOTS}/layers-open-${c.locale}-${c.viewport.width}.png` });
        // A layer is switched with a tap there; the list stays open for the next.
        const before = await grid.isChecked();
        const box = (await grid.boundingBox())!;
        await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
        await page.waitForTimeout(400);
        assert.equal(await grid.isChecked(), !before, 'the tap switched the grid');
        assert.equal(await grid.isVisible(), true, 'the list stays open');
        // A tap on the map closes it.
        const m = (await map.boundingBox())!;
        await page.touchscreen.tap(m.x + m.width / 2, m.y + m.height - 60);
        await page.waitForTimeout(400);
        assert.equal(await grid.isVisible(), false, 'a tap on the map closes the list');
      } else {
        // A mouse over it opens the list (Leaflet's own way, kept where there is a mouse).
        const toggle = (await map.getByRole('button', { name: w.layers, exact: true }).boundingBox())!;
        await page.mouse.move(toggle.x + toggle.width / 2, toggle.y + toggle.height / 2);
        await grid.waitFor();
        await page.screenshot({ path: `${SHOTS}/layers-open-${c.locale}-${c.viewport.width}.png` });
      }

      // birlikteyiz's check-in map: the same zoom buttons, in the same language.
      await page.goto(`${hub.url}/#/modules`);
      const checkin = page.locator(`section[aria-label="${w.panel}"]`).getByRole('region', { name: w.checkinMap });
      await checkin.scrollIntoViewIfNeeded();
      for (const name of [w.zoomIn, w.zoomOut]) await checkin.getByRole('button', { name, exact: true }).waitFor();
      await checkin.screenshot({ path: `${SHOTS}/checkin-map-${c.locale}-${c.viewport.width}.png` });
      assert.deepEqual(problems, []);
    });
  }
});
