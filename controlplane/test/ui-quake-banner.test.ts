// A quake that alerted the org's nodes raises the banner on whatever screen the admin is on, from
// the moment the hub's page is open: before, birlikteyiz announced it only once its own screen had
// been opened (Modules), so a coordinator watching the map or the alerts heard of it nowhere. The
// banner leads to the check-in round. English on a laptop, Turkish on a phone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCheckinHub } from './support/checkin-hub.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const NODES = [
  { id: '!7e5f0001', name: 'Çarşı', lat: 38.2044, lon: 37.2046 },
  { id: '!7e5f0002', name: 'Okul', lat: 38.1946, lon: 37.1891 },
];

test('a quake raises the banner on the fleet and map screens, leading to its check-in round', async (t) => {
  let quakes: Array<{ id: string; latitude: number; longitude: number; depthKm: number; magnitude: number; timeMs: number; place: string }> = [];
  const { hub, admin } = await startCheckinHub(t, NODES, () => quakes, 7700);
  const browser = await launch();
  t.after(() => browser.close());
  const cases = [
    { locale: 'en-GB', size: 'laptop', screen: '#/fleet', banner: /^Earthquake M5\.8: 9 km S of Pazarcık, Turkey\. 2 nodes in range\.$/, link: 'Open the check-in round', listed: '9 km S of Pazarcık, Turkey' },
    // USGS names places in English: a Turkish reader gets the named place first, as the mesh's Turkish alert says it.
    { locale: 'tr-TR', size: 'phone', screen: '#/map', banner: /^M5,8 deprem: Pazarcık, Türkiye \(9 km G\)\. Etki alanında 2 cihaz var\.$/, link: 'Yoklamayı aç', listed: 'Pazarcık, Türkiye (9 km G)' },
  ] as const;
  const pages = [];
  for (const c of cases) {
    const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
    t.after(() => context.close());
    // The page has loaded its modules' notices (asked the hub for birlikteyiz's UI script) before the quake.
    const loaded = page.waitForResponse((r) => r.url().includes('/modules/birlikteyiz/ui/') && r.ok());
    await signIn(page, hub, admin, c.screen);
    await loaded;
    pages.push({ c, page, problems });
  }
  quakes = [{ id: 'qb1', latitude: 38.12, longitude: 37.19, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: '9 km S of Pazarcık, Turkey' }];
  for (const { c, page, problems } of pages) {
    const banner = page.locator('.alarms .alarm').filter({ has: page.locator('.alarm-text', { hasText: c.banner }) });
    await banner.waitFor();
    assert.match((await banner.locator('.alarm-text').innerText()).trim(), c.banner);
    await banner.getByRole('link', { name: c.link }).click();
    await page.waitForURL(/#\/modules\/birlikteyiz\/round$/);
    // The module's list of quakes names it the same way.
    await page.locator('ul.quakes li').filter({ hasText: c.listed }).waitFor();
    assert.deepEqual(problems, []);
  }
});
