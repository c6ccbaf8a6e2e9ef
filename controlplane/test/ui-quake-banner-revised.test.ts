// The admins' quake banner ("Earthquake M5.8: …") kept the first magnitude after a feed revised the
// quake down below the alert magnitude: a team read an M5.8 on every screen while the round said
// M3.9 and had closed. The banner now gives the current figure and, as the mesh's alert text does,
// says it was revised; in both languages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { DemoQuake } from '@unibos/module-birlikteyiz';
import { waitForEvent } from './support/hub-events.ts';
import { startCheckinHub } from './support/checkin-hub.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5f0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5f0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
];
const CASES = [
  { locale: 'en-GB', first: /^Earthquake M5\.8: .+\. 2 nodes in range\.$/, revised: /^Earthquake M3\.9 \(revised from M5\.8\): .+\. 2 nodes in range\.$/ },
  { locale: 'tr-TR', first: /^M5,8 deprem: .+\. Etki alanında 2 cihaz var\.$/, revised: /^M3,9 deprem \(M5,8 değil\): .+\. Etki alanında 2 cihaz var\.$/ },
] as const;

test('the quake banner takes the magnitude a feed revised it to, and says it was revised', async (t) => {
  let quake: DemoQuake | null = null;
  const { hub, admin } = await startCheckinHub(t, NODES, () => (quake ? [quake] : []), 7700);
  const browser = await launch();
  t.after(() => browser.close());
  const pages: Array<{ c: (typeof CASES)[number]; page: Page; problems: string[] }> = [];
  for (const c of CASES) {
    const { page, problems, context } = await openPage(browser, hub, { locale: c.locale });
    t.after(() => context.close());
    // Another screen than the module's: the banner is on every screen.
    await signIn(page, hub, admin, '#/fleet');
    pages.push({ c, page, problems });
  }
  quake = { id: 'tr-rev', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: 'Kahramanmaraş, Türkiye' };
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'the round' });
  const banner = (page: Page) => page.locator('.alarm[data-key="quake:usgs:tr-rev"] .alarm-text');
  for (const { c, page } of pages) {
    await banner(page).waitFor();
    assert.match(await banner(page).innerText(), c.first, c.locale);
  }
  // The reviewed solution: M3.9, below the alert magnitude (nobody needs help: the round closes).
  quake = { ...quake, magnitude: 3.9 };
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_closed', { what: 'the round closed for the revision' });
  for (const { c, page, problems } of pages) {
    await banner(page).filter({ hasText: c.locale === 'en-GB' ? 'M3.9' : 'M3,9' }).waitFor();
    assert.match(await banner(page).innerText(), c.revised, c.locale);
    assert.equal(await page.locator('.alarm[data-key="quake:usgs:tr-rev"]').count(), 1, `${c.locale}: one banner for the quake, not a second`);
    assert.deepEqual(problems, []);
  }
});
