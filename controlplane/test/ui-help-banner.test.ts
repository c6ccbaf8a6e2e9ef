// A person an admin checks in as needing help (found by a neighbour, reached by phone) is announced
// on every screen, to every admin, as an SOS is: before, they were listed only inside the check-in
// round, where a coordinator watching the map never looked. One banner a round names everyone who
// needs help in it, leads to the round (its link as the quake's, ui-quake-banner.test.ts), is there
// for a page opened later too, and goes once they are checked in as safe. Banners of more rounds
// than there is room for never push an open SOS's banner out. English on a laptop (open before),
// Turkish on a phone (opened after).

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

/** The banners whose text matches, on `page`. */
const banner = (page: Page, text: RegExp) => page.locator('.alarms .alarm').filter({ has: page.locator('.alarm-text', { hasText: text }) });

test('people checked in as needing help raise one banner a round on every screen until they are safe, never pushing out an SOS', async (t) => {
  const quake = { id: 'hb1', latitude: 38.12, longitude: 37.19, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: '9 km S of Pazarcık, Turkey' };
  const { hub, admin, gw, roundId, nextPacketId } = await startOpenRound(t, NODES, quake, 7900);
  const browser = await launch();
  t.after(() => browser.close());
  const laptop = await openPage(browser, hub, { size: 'laptop', locale: 'en-GB' });
  t.after(() => laptop.context.close());
  const rounds = laptop.page.waitForResponse((r) => r.url().endsWith('/api/v1/modules/birlikteyiz/rounds') && r.ok());
  await signIn(laptop.page, hub, admin, '#/map');
  await rounds;
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 91 }, { packetId: nextPacketId() });
  const sos = laptop.page.locator('.alarms .alarm[data-key^="alert:"]');
  await sos.waitFor();

  const checkIn = (round: string, person: string, status: 'safe' | 'needs_help', note?: string) =>
    api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${round}/checkins`, { method: 'POST', body: { person, status, ...(note ? { note } : {}) } });
  assert.equal((await checkIn(roundId, 'Ayşe Kaya', 'needs_help', 'second floor, stairs blocked')).status, 200);
  const one = banner(laptop.page, /^Ayşe Kaya needs help: second floor, stairs blocked \(check-in round M5\.8 9 km S of Pazarcık, Turkey\)$/);
  await one.waitFor();
  assert.equal(await one.getByRole('link', { name: 'Open the check-in round' }).getAttribute('href'), '#/modules/birlikteyiz/round');
  assert.equal((await checkIn(roundId, 'Mehmet Demir', 'needs_help')).status, 200);
  const two = banner(laptop.page, /^2 people need help: Ayşe Kaya, Mehmet Demir \(check-in round M5\.8 9 km S of Pazarcık, Turkey\)$/);
  await two.waitFor();
  assert.equal(await banner(laptop.page, /needs? help/).count(), 1, 'one banner for the round');

  // A coordinator who opens the hub afterwards sees it too.
  const phone = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  t.after(() => phone.context.close());
  await signIn(phone.page, hub, admin, '#/fleet');
  const turkish = banner(phone.page, /^2 kişi yardım bekliyor: Ayşe Kaya, Mehmet Demir \(M5,8 deprem: Pazarcık, Türkiye \(9 km G\) yoklaması\)$/);
  await turkish.waitFor();
  await phone.page.screenshot({ path: join(artifactsDir('ui-help-banner'), 'phone-tr.png') });

  // Two more rounds with someone needing help: four banners for three places, and the SOS stays.
  for (const title of ['Flood, east bank', 'Landslide, school road']) {
    const opened = await api(hub, admin, '/api/v1/modules/birlikteyiz/rounds', { method: 'POST', body: { title } });
    assert.equal(opened.status, 201);
    assert.equal((await checkIn(opened.body.id, `Someone at ${title}`, 'needs_help')).status, 200);
    await banner(laptop.page, new RegExp(`^Someone at ${title} needs help`)).waitFor();
  }
  await two.waitFor({ state: 'detached' });
  assert.equal(await sos.count(), 1, 'the SOS banner is still there');

  for (const person of ['Ayşe Kaya', 'Mehmet Demir']) assert.equal((await checkIn(roundId, person, 'safe')).status, 200);
  await turkish.waitFor({ state: 'detached' });
  assert.deepEqual(laptop.problems, []);
  assert.deepEqual(phone.problems, []);
});
