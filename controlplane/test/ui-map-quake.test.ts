// An open quake is on the hub's main map: birlikteyiz adds the epicentre of each quake whose
// check-in round is open, a red ring with the magnitude beside it ("M5.6", Turkish "M5,6"), named
// for screen readers and explained in the legend, no node's name over it; it goes when the round
// closes. The map opens on the fleet: an epicentre outside it is pointed at by a chip at the map's
// edge ("↗ M5.6"), which takes it into the view. Phone and laptop, English and Turkish.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startOpenRound } from './support/checkin-hub.ts';
import { api } from './support/test-auth.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-map-quake');
const CENTER = { latitude: 38.2001, longitude: 37.1975 };
const NODES = [
  { id: '!7e5d0001', name: 'Çarşı', lat: 38.2044, lon: 37.2046 },
  { id: '!7e5d0002', name: 'Okul', lat: 38.1946, lon: 37.1891 },
  { id: '!7e5d0003', name: 'Köy', lat: 38.1895, lon: 37.2115 },
];
const CASES = [
  { locale: 'en-GB', size: 'laptop', chip: 'Quake epicentre off the map: M5.6 12 km NW of Elbistan, Turkey. Show it', chipText: '↗ M5.6', button: 'Quake epicentre: M5.6 12 km NW of Elbistan, Turkey', mark: 'M5.6', legend: 'Legend', item: 'quake epicentre, check-in round open', link: 'Go to the check-in round' },
  { locale: 'tr-TR', size: 'phone', chip: 'Deprem merkez üssü haritanın dışında: M5,6 deprem: Elbistan, Türkiye (12 km KB). Göster', chipText: '↗ M5,6', button: 'Deprem merkez üssü: M5,6 deprem: Elbistan, Türkiye (12 km KB)', mark: 'M5,6', legend: 'Açıklama', item: 'deprem merkez üssü, yoklama açık', link: 'Yoklamaya git' },
] as const;

test('an open quake’s epicentre is on the main map, with its magnitude, until its round closes', async (t) => {
  // 25 km north-east of the fleet: outside the map's first view.
  const quake = { id: 'mq1', latitude: CENTER.latitude + 0.16, longitude: CENTER.longitude + 0.2, depthKm: 10, magnitude: 5.6, timeMs: Date.now() - 60_000, place: '12 km NW of Elbistan, Turkey' };
  const { hub, admin, roundId } = await startOpenRound(t, NODES, quake, 7600);

  const browser = await launch();
  t.after(() => browser.close());
  const pages: Array<{ c: (typeof CASES)[number]; page: Page; problems: string[] }> = [];
  for (const c of CASES) {
    await t.test(`${c.locale} (${c.size}): the epicentre and its magnitude`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      const map = page.locator('#node-map');
      await map.locator('path.node-marker').nth(NODES.length - 1).waitFor();
      const legendItem = page.getByRole('list', { name: c.legend }).getByText(c.item);
      await legendItem.waitFor();
      // The first view is the fleet's; the chip at the edge points at the epicentre, inside the map and clear of its buttons.
      const chip = map.getByRole('button', { name: c.chip });
      await chip.waitFor();
      assert.equal((await chip.innerText()).trim(), c.chipText);
      const clear = await page.evaluate(() => {
        const frame = document.querySelector('#node-map')!.getBoundingClientRect();
        const q = document.querySelector('#node-map .quake-offmap')!.getBoundingClientRect();
        const controls = [...document.querySelectorAll('#node-map .leaflet-control')].map((e) => e.getBoundingClientRect());
        return q.left >= frame.left && q.right <= frame.right && q.top >= frame.top && q.bottom <= frame.bottom && controls.every((r) => !(q.left < r.right && q.right > r.left && q.top < r.bottom && q.bottom > r.top));
      });
      assert.ok(clear, 'the chip is on the map and clear of its controls');
      if (c.size === 'phone') await chip.tap();
      else await chip.click();
      const mark = map.getByRole('button', { name: c.button });
      await mark.waitFor();
      await chip.waitFor({ state: 'hidden' });
      assert.equal((await mark.innerText()).trim(), c.mark, 'the magnitude is written on the map');
      // Wholly in the view now, with the fleet, and no node's name covers it.
      const inView = await page.evaluate(() => {
        const frame = document.querySelector('#node-map')!.getBoundingClientRect();
        const q = document.querySelector('#node-map .quake-marker')!.getBoundingClientRect();
        const nodes = [...document.querySelectorAll('#node-map path.node-marker')].map((e) => e.getBoundingClientRect());
        return [q, ...nodes].every((r) => r.left >= frame.left && r.right <= frame.right && r.top >= frame.top && r.bottom <= frame.bottom);
      });
      assert.ok(inView, 'the epicentre and the fleet are in view');
      const covered = await page.evaluate(() => {
        const q = document.querySelector('#node-map .quake-marker')!.getBoundingClientRect();
        return [...document.querySelectorAll('#node-map .leaflet-tooltip.node-label')].filter((l) => {
          const r = l.getBoundingClientRect();
          return r.left < q.right && r.right > q.left && r.top < q.bottom && r.bottom > q.top;
        }).map((l) => l.textContent);
      });
      assert.deepEqual(covered, [], 'no node name over the epicentre');
      await mark.focus();
      await page.keyboard.press('Enter');
      await page.locator('.leaflet-popup').getByRole('link', { name: c.link }).waitFor();
      await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')!).opacity === '1');
      await page.screenshot({ path: join(SHOTS, `quake-${c.locale}-${c.size}.png`) });
      assert.deepEqual(problems, []);
      pages.push({ c, page, problems });
    });
  }

  await t.test('the epicentre goes when its round closes', async () => {
    assert.equal(pages.length, CASES.length, 'each page showed the epicentre first');
    assert.equal((await api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}/close`, { method: 'POST' })).status, 200);
    for (const { c, page, problems } of pages) {
      await page.locator('#node-map .quake-marker').waitFor({ state: 'detached' });
      await page.getByRole('list', { name: c.legend }).getByText(c.item).waitFor({ state: 'hidden' });
      assert.deepEqual(problems, []);
    }
  });
});
