// birlikteyiz's check-in map is drawn on the hub's offline base map, land and borders with town
// names, as the main map is (a lat/lon grid on plain blue read as open sea); and the main map's
// "Go to the check-in round" lands on the round itself, not at the top of the Modules screen (on a
// phone the round is far below the list of modules). Phone and laptop, English and Turkish.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startOpenRound } from './support/checkin-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-map');
const CENTER = { latitude: 38.2001, longitude: 37.1975 };
const NODES = [
  { id: '!7e5f0001', name: 'Çarşı', lat: 38.2073, lon: 37.1884 },
  { id: '!7e5f0002', name: 'Okul', lat: 38.2028, lon: 37.2093 },
  { id: '!7e5f0003', name: 'Sağlık ocağı', lat: 38.1884, lon: 37.2014 },
];
const CASES = [
  { locale: 'en-GB', size: 'phone', panel: 'birlikteyiz panel', map: 'Check-in map', round: 'Check-in round', quake: 'Quake epicentre: M5.6 12 km NW of Elbistan, Turkey', link: 'Go to the check-in round' },
  { locale: 'tr-TR', size: 'phone', panel: 'birlikteyiz paneli', map: 'Yoklama haritası', round: 'Güvendeyim yoklaması', quake: 'Deprem merkez üssü: M5,6 deprem: Elbistan, Türkiye (12 km KB)', link: 'Yoklamaya git' },
  { locale: 'tr-TR', size: 'laptop', panel: 'birlikteyiz paneli', map: 'Yoklama haritası', round: 'Güvendeyim yoklaması', quake: 'Deprem merkez üssü: M5,6 deprem: Elbistan, Türkiye (12 km KB)', link: 'Yoklamaya git' },
  { locale: 'en-GB', size: 'laptop', panel: 'birlikteyiz panel', map: 'Check-in map', round: 'Check-in round', quake: 'Quake epicentre: M5.6 12 km NW of Elbistan, Turkey', link: 'Go to the check-in round' },
] as const;

test('the check-in map shows land and town names; the map’s link lands on the round', async (t) => {
  const quake = { id: 'cm1', latitude: CENTER.latitude + 0.03, longitude: CENTER.longitude + 0.04, depthKm: 10, magnitude: 5.6, timeMs: Date.now() - 60_000, place: '12 km NW of Elbistan, Turkey' };
  const { hub, admin } = await startOpenRound(t, NODES, quake, 7800);
  const browser = await launch();
  t.after(() => browser.close());

  for (const c of CASES) {
    await t.test(`${c.locale} (${c.size})`, async (tt) => {
      const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
      t.after(() => context.close());

      await tt.test('the main map’s link brings the round into view', async () => {
        await signIn(page, hub, admin, '#/map');
        const mark = page.locator('#node-map').getByRole('button', { name: c.quake });
        await mark.waitFor();
        await mark.focus();
        await page.keyboard.press('Enter');
        const link = page.locator('.leaflet-popup').getByRole('link', { name: c.link });
        await link.waitFor();
        await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')!).opacity === '1');
        await link.click();
        const table = page.locator(`section[aria-label="${c.panel}"]`).getByRole('table', { name: c.round });
        await table.locator('tbody tr').nth(NODES.length - 1).waitFor();
        // The round's heading below what sticks to the top (the bar, and any banners under it),
        // inside the screen, once the scroll is done.
        const where = () =>
          page.evaluate((label) => {
            const heading = [...document.querySelectorAll(`section[aria-label="${label}"] h3`)].find((e) => e.nextElementSibling?.classList.contains('round-head'))!;
            const bar = document.querySelector('.topbar')!.getBoundingClientRect();
            const alarms = document.querySelector('.alarms')!.getBoundingClientRect();
            const r = heading.getBoundingClientRect();
            return { top: r.top, bottom: r.bottom, barBottom: bar.bottom, alarmsTop: alarms.top, stuckBottom: Math.max(bar.bottom, alarms.bottom), banners: document.querySelectorAll('.alarm').length, height: window.innerHeight, scrollY: window.scrollY };
          }, c.panel);
        await page.waitForFunction((label) => {
          const heading = [...document.querySelectorAll(`section[aria-label="${label}"] h3`)].find((e) => e.nextElementSibling?.classList.contains('round-head'));
          const stuck = Math.max(document.querySelector('.topbar')!.getBoundingClientRect().bottom, document.querySelector('.alarms')!.getBoundingClientRect().bottom);
          const r = heading?.getBoundingClientRect();
          return Boolean(r && r.top >= stuck && r.bottom <= window.innerHeight / 2);
        }, c.panel, { timeout: 5000 }).catch(() => {});
        const w = await where();
        assert.ok(w.top >= w.stuckBottom && w.bottom <= w.height / 2, `the round's heading in the top half of the screen, below the top bar and the banners: ${JSON.stringify(w)}`);
        await page.screenshot({ path: join(SHOTS, `round-link-${c.locale}-${c.size}.png`) });
      });

      await tt.test('the check-in map has land, borders and town names', async () => {
        const map = page.locator(`section[aria-label="${c.panel}"]`).getByRole('region', { name: c.map });
        await map.scrollIntoViewIfNeeded();
        await map.locator('.leaflet-base-pane canvas').waitFor({ timeout: 5000 });
        // Out a little from the round's few streets, where the nodes' names leave no room: the towns around.
        const town = map.locator('.place-labels .place-label').first();
        for (let i = 0; i < 4 && !(await town.isVisible()); i++) {
          await map.getByRole('button', { name: /^Zoom out$|^Uzaklaştır$/ }).click();
          await town.waitFor({ timeout: 1500 }).catch(() => {});
        }
        await town.waitFor({ timeout: 3000 });
        const towns = await map.locator('.place-labels .place-name').allInnerTexts();
        assert.ok(towns.length > 0, 'town names on the check-in map');
        // Land, not water: the middle of the map (the round's nodes, in Elbistan) is drawn in the base map's land colour.
        const land = await page.evaluate((label) => {
          const canvas = document.querySelector(`section[aria-label="${label}"] .leaflet-base-pane canvas`) as HTMLCanvasElement;
          const ctx = canvas.getContext('2d')!;
          const px = ctx.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
          return [px[0], px[1], px[2]];
        }, c.panel);
        assert.deepEqual(land, [0xee, 0xf0, 0xe4], 'land colour under the nodes');
        await map.screenshot({ path: join(SHOTS, `checkin-map-${c.locale}-${c.size}.png`) });
        assert.deepEqual(problems, []);
      });
    });
  }
});
