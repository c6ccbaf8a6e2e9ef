// A person an admin checks in as needing help (found by a neighbour, reached by phone) is announced
// on every screen, to every admin, as an SOS is: before, they were listed only inside the check-in
// round, where a coordinator watching the map never looked. The banner leads to the round (its link
// as the quake's, ui-quake-banner.test.ts), is there for a page opened later too, and goes once the
// person is checked in as safe. English on a laptop (open before), Turkish on a phone (opened after).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startOpenRound } from './support/checkin-hub.ts';
import { api } from './support/test-auth.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const NODES = [
  { id: '!7e5f0101', name: 'Çarşı', lat: 38.2044, lon: 37.2046 },
  { id: '!7e5f0102', name: 'Okul', lat: 38.1946, lon: 37.1891 },
];

/** The banner whose text matches, on `page`. */
const banner = (page: Page, text: RegExp) => page.locator('.alarms .alarm').filter({ has: page.locator('.alarm-text', { hasText: text }) });

test('a person checked in as needing help raises a banner on every screen until they are checked in as safe', async (t) => {
  const quake = { id: 'hb1', latitude: 38.12, longitude: 37.19, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: '9 km S of Pazarcık, Turkey' };
  const { hub, admin, roundId } = await startOpenRound(t, NODES, quake, 7900);
  const browser = await launch();
  t.after(() => browser.close());
  const laptop = await openPage(browser, hub, { size: 'laptop', locale: 'en-GB' });
  t.after(() => laptop.context.close());
  const rounds = laptop.page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/birlikteyiz/rounds') && r.ok());
  await signIn(laptop.page, hub, admin, '#/map');
  await rounds;

  const checkIn = (status: 'safe' | 'needs_help', note?: string) =>
    api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}/checkins`, { method: 'POST', body: { person: 'Ayşe Kaya', status, ...(note ? { note } : {}) } });
  assert.equal((await checkIn('needs_help', 'second floor, stairs blocked')).status, 200);
  const english = banner(laptop.page, /^Ayşe Kaya needs help: second floor, stairs blocked \(check-in round M5\.8 9 km S of Pazarcık, Turkey\)$/);
  await english.waitFor();
  assert.equal(await english.getByRole('link', { name: 'Open the check-in round' }).getAttribute('href'), '#/modules/birlikteyiz/round');

  // A coordinator who opens the hub afterwards sees it too.
  const phone = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  t.after(() => phone.context.close());
  await signIn(phone.page, hub, admin, '#/fleet');
  const turkish = banner(phone.page, /^Ayşe Kaya yardım bekliyor: second floor, stairs blocked \(M5,8 deprem: Pazarcık, Türkiye \(9 km G\) yoklaması\)$/);
  await turkish.waitFor();
  await phone.page.screenshot({ path: join(artifactsDir('ui-help-banner'), 'phone-tr.png') });

  assert.equal((await checkIn('safe')).status, 200);
  await turkish.waitFor({ state: 'detached' });
  await english.waitFor({ state: 'detached' });
  assert.deepEqual(laptop.problems, []);
  assert.deepEqual(phone.problems, []);
});
