// birlikteyiz's check-in round as a phone shows it: each node's name written beside its marker on
// the check-in map (names showed only on hover, and a phone has none), no name over another or
// over a marker, all inside the map; the round's title in the viewer's language whatever language
// the module wrote it in ("M5.6" with a dot stood in the Turkish screen); and the table calls a
// node "cihaz" in Turkish, as the rest of the Turkish UI does.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startOpenRound } from './support/checkin-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-names');
const CENTER = { latitude: 38.2001, longitude: 37.1975 };
// One to two kilometres apart around the centre, as the demo's nodes are.
const NODES = [
  { id: '!7e5e0001', name: 'Çarşı', lat: 38.2073, lon: 37.1884 },
  { id: '!7e5e0002', name: 'Okul', lat: 38.2028, lon: 37.2093 },
  { id: '!7e5e0003', name: 'Köy meydanı', lat: 38.2127, lon: 37.2171 },
  { id: '!7e5e0004', name: 'Sağlık ocağı', lat: 38.1884, lon: 37.2014 },
  { id: '!7e5e0005', name: 'Cami', lat: 38.1956, lon: 37.1766 },
];
// On top of another (40 m away): there may be no room to write both names, and a tap names it.
const CROWDED = { id: '!7e5e0006', name: 'Fırın', lat: 38.1956, lon: 37.1771 };
const NEIGHBOUR = 'Cami';
const CASES = [
  { locale: 'en-GB', size: 'phone', panel: 'birlikteyiz panel', map: 'Check-in map', table: 'Check-in round', title: 'M5.6 12 km NW of Elbistan, Turkey', node: 'Node' },
  { locale: 'tr-TR', size: 'phone', panel: 'birlikteyiz paneli', map: 'Yoklama haritası', table: 'Güvendeyim yoklaması', title: 'M5,6 deprem: Elbistan, Türkiye (12 km KB)', node: 'Cihaz' },
  { locale: 'tr-TR', size: 'laptop', panel: 'birlikteyiz paneli', map: 'Yoklama haritası', table: 'Güvendeyim yoklaması', title: 'M5,6 deprem: Elbistan, Türkiye (12 km KB)', node: 'Cihaz' },
] as const;

/** The names written on the check-in map, and which of them overlap another name or a marker or run out of the map. */
async function names(page: Page, panel: string): Promise<{ shown: string[]; clashes: string[] }> {
  return page.evaluate((label) => {
    const map = document.querySelector(`section[aria-label="${label}"] .leaflet-container`)!;
    const frame = map.getBoundingClientRect();
    const tips = [...map.querySelectorAll('.leaflet-tooltip')].filter((e) => getComputedStyle(e).opacity !== '0').map((e) => ({ text: e.textContent ?? '', r: e.getBoundingClientRect() }));
    const marks = [...map.querySelectorAll('path.leaflet-interactive')].map((e) => e.getBoundingClientRect());
    // No named inner functions here (tsx's __name does not exist in the page): overlaps by hand.
    const clashes: string[] = [];
    for (const [i, x] of tips.entries()) {
      for (const y of [...tips.slice(i + 1).map((o) => ({ what: `"${o.text}"`, r: o.r })), ...marks.map((r) => ({ what: 'a marker', r }))]) {
        if (x.r.left < y.r.right - 0.5 && x.r.right > y.r.left + 0.5 && x.r.top < y.r.bottom - 0.5 && x.r.bottom > y.r.top + 0.5) clashes.push(`"${x.text}" over ${y.what}`);
      }
      if (x.r.left < frame.left || x.r.right > frame.right || x.r.top < frame.top || x.r.bottom > frame.bottom) clashes.push(`"${x.text}" out of the map`);
    }
    return { shown: tips.map((x) => x.text).sort(), clashes };
  }, panel);
}

test('the check-in round on a phone: names on the map without hover, its title and words in the viewer’s language', async (t) => {
  // The module words its alerts and its stored round title in English (its default language).
  const quake = { id: 'cn1', latitude: CENTER.latitude + 0.03, longitude: CENTER.longitude + 0.04, depthKm: 10, magnitude: 5.6, timeMs: Date.now() - 60_000, place: '12 km NW of Elbistan, Turkey' };
  const { hub, admin } = await startOpenRound(t, [...NODES, CROWDED], quake, 7700);

  const browser = await launch();
  t.after(() => browser.close());
  for (const c of CASES) {
    await t.test(`${c.locale} (${c.size})`, async (tt) => {
      const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/modules');
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      const table = panel.getByRole('table', { name: c.table });
      await table.locator('tbody tr').nth(NODES.length).waitFor();
      const map = panel.getByRole('region', { name: c.map });
      await map.scrollIntoViewIfNeeded();

      await tt.test('every node’s name is on the map, with no hover, clear of the others', async () => {
        // Placed once the map has settled on the round: a wait that ends when the names are there
        // (a redraw takes them off for a moment) and none is in another's way; else the asserts say what is wrong.
        await page.waitForFunction(([label, n]) => {
          const map = document.querySelector(`section[aria-label="${label}"] .leaflet-container`)!;
          const tips = [...map.querySelectorAll('.leaflet-tooltip')].map((e) => e.getBoundingClientRect());
          return tips.length >= Number(n) && tips.every((a, i) => tips.slice(i + 1).every((b) => !(a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top)));
        }, [c.panel, NODES.length] as const, { timeout: 5000 }).catch(() => {});
        const { shown, clashes } = await names(page, c.panel);
        await map.screenshot({ path: join(SHOTS, `names-${c.locale}-${c.size}.png`) });
        // Of the two on top of each other, one is named on the map (the other on a tap, below).
        const hidden = [...NODES, CROWDED].map((n) => n.name).filter((n) => !shown.includes(n));
        assert.ok(hidden.length === 0 || (hidden.length === 1 && [NEIGHBOUR, CROWDED.name].includes(hidden[0]!)), `each node named on the map but one of the two on top of each other: ${shown.join(', ')}`);
        assert.deepEqual(clashes, [], 'names in one another’s way, over markers or off the map');
        for (const name of hidden) {
          // Its name has no room: a tap on its marker names it.
          const at = await page.evaluate((label) => {
            const map = document.querySelector(`section[aria-label="${label}"] .leaflet-container`)!;
            return [...map.querySelectorAll('path.leaflet-interactive')].map((e) => {
              const r = e.getBoundingClientRect();
              return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
            });
          }, c.panel);
          let tapped = false;
          for (const p of at) {
            await page.touchscreen.tap(p.x, p.y).catch(() => page.mouse.click(p.x, p.y));
            if ((await map.locator('.leaflet-tooltip').filter({ hasText: name }).count()) > 0) {
              tapped = true;
              break;
            }
          }
          assert.ok(tapped, `a tap on a marker names ${name}`);
        }
      });

      await tt.test('the round’s title is in the viewer’s language', async () => {
        assert.equal((await panel.locator('.round-head strong').first().innerText()).trim(), c.title);
      });

      await tt.test('the table calls a node as the rest of the UI does', async () => {
        assert.equal((await table.getByRole('columnheader').first().textContent())?.trim(), c.node);
        if (c.locale === 'tr-TR') assert.doesNotMatch(await panel.innerText(), /düğüm/i, 'no "düğüm" in the Turkish check-in screen');
      });
      await panel.screenshot({ path: join(SHOTS, `round-${c.locale}-${c.size}.png`) });
      assert.deepEqual(problems, []);
    });
  }
});
