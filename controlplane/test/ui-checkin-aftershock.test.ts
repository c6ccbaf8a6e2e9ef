// An aftershock a minute after the main shock must not hide who asked for help after the main
// shock: it joins the main shock's check-in round (birlikteyiz's aftershock rule), so the node that
// sent SOS and the person checked in as needing help stay on screen. A quake elsewhere opens a
// round of its own; the screen keeps the round with people needing help, and lists every open round
// with who needs help in each. A quake revised below the alert magnitude says so in its round. English
// on a laptop, Turkish on a phone.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { DemoQuake } from '@unibos/module-birlikteyiz';
import { startCheckinHub } from './support/checkin-hub.ts';
import { waitForEvent } from './support/hub-events.ts';
import { api } from './support/test-auth.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-aftershock');
const MAIN = { latitude: 37.5858, longitude: 36.9371 };
// A degree of longitude is 88 km here: "Doğu" is 40 km east of the main shock, 70 km from the aftershock.
const NODES = [
  { id: '!7e600001', name: 'Merkez', lat: MAIN.latitude, lon: MAIN.longitude + 0.01 },
  { id: '!7e600002', name: 'Doğu', lat: MAIN.latitude, lon: MAIN.longitude + 0.45 },
  { id: '!7e600003', name: 'Batı', lat: MAIN.latitude, lon: MAIN.longitude - 0.3 },
  { id: '!7e600004', name: 'İzmir', lat: 38.42, lon: 27.14 },
];

const CASES = [
  { locale: 'en-GB', size: 'laptop', viewport: { width: 1280, height: 800 }, panel: 'birlikteyiz panel', heading: 'Check-in round', aftershocks: /^1 aftershock in this round: M5\.0 at \d\d:\d\d$/, list: 'Open check-in rounds', help: /^2 need help: Ayşe Yılmaz, Doğu$/, revisedQuake: 'alerted the nodes, then revised below the alert magnitude', revised: 'The quake was revised to M3.8, below the alert magnitude M4.0. Open while someone in this round needs help.' },
  { locale: 'tr-TR', size: 'phone', viewport: { width: 360, height: 740 }, panel: 'birlikteyiz paneli', heading: 'Güvendeyim yoklaması', aftershocks: /^Bu yoklamada 1 artçı deprem: M5,0, saat \d\d:\d\d$/, list: 'Açık yoklamalar', help: /^2 kişi yardım bekliyor: Ayşe Yılmaz, Doğu$/, revisedQuake: 'cihazlar uyarıldı, sonra büyüklüğü uyarı eşiğinin altına düzeltildi', revised: 'Deprem M3,8 olarak düzeltildi, uyarı eşiğinin (M4,0) altında. Bu yoklamada yardım bekleyen olduğu için açık kalıyor.' },
] as const;

test('after an aftershock the SOS of the main shock is still shown needing help; every open round lists who needs help in it', async (t) => {
  const feed: DemoQuake[] = [];
  const { hub, admin, gw, nextPacketId } = await startCheckinHub(t, NODES, () => feed, 8600);
  const browser = await launch();
  t.after(() => browser.close());
  const pages: Array<{ c: (typeof CASES)[number]; page: Page; problems: string[] }> = [];
  for (const c of CASES) {
    const { page, problems, context } = await openPage(browser, hub, { size: c.size, viewport: c.viewport, locale: c.locale });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/modules');
    pages.push({ c, page, problems });
  }
  type Round = { id: string; closedAt: number | null; quakes?: unknown[]; counts: { needsHelp: number }; nodes: Array<{ id: string; status: string }> };
  const openRounds = async (): Promise<Round[]> => ((await api(hub, admin, '/api/v1/modules/birlikteyiz/rounds')).body.rounds as Round[]).filter((r) => r.closedAt === null);

  await t.test('an aftershock a minute after the main shock: the SOS and the person needing help stay on screen', async () => {
    const mainAt = Date.now() - 2 * 60_000;
    feed.push({ id: 'as-main', ...MAIN, depthKm: 10, magnitude: 6.2, timeMs: mainAt, place: '5 km S of Pazarcık, Turkey' });
    const opened = await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: "the main shock's round" });
    const roundId = (opened.data as { round: { id: string } }).round.id;
    gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 61 }, { packetId: nextPacketId() });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: Round }).round.counts.needsHelp === 1, { what: 'the SOS' });
    assert.equal((await api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}/checkins`, { method: 'POST', body: { person: 'Ayşe Yılmaz', status: 'needs_help' } })).status, 200);
    // The aftershock: M5.0, 30 km west, a minute after the main shock.
    feed.push({ id: 'as-after', latitude: MAIN.latitude, longitude: MAIN.longitude - 0.34, depthKm: 8, magnitude: 5.0, timeMs: mainAt + 60_000, place: '30 km W of Pazarcık, Turkey' });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.quake' && (e.data as { quake: { id: string } }).quake.id === 'usgs:as-after' || (e.type === 'module.birlikteyiz.round_updated' && ((e.data as { round: Round }).round.quakes?.length ?? 0) === 2) || (e.type === 'module.birlikteyiz.round_opened' && (e.data as { round: { id: string } }).round.id !== roundId), { what: 'the aftershock' });
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      // The aftershock's event reached the page (the main shock's round lists it)...
      await panel.locator('.quakes li').filter({ hasText: /30 km (W of Pazarcık|B\))/ }).waitFor();
      // ...and the SOS and the person needing help are still on screen.
      await panel.locator(`tr[data-node="${NODES[1]!.id}"][data-status="needs_help"]`).waitFor({ timeout: 5_000 });
      assert.match((await panel.locator('.people').textContent()) ?? '', /Ayşe Yılmaz/);
      await panel.locator('.round-aftershocks').filter({ hasText: c.aftershocks }).waitFor();
      assert.match((await panel.locator('.round-summary').textContent()) ?? '', /^\D*\d+\D+2 /, `${c.locale}: two need help`);
      await assertFitsWidth(page, `the round with its aftershock at ${c.size} size`);
      await panel.screenshot({ path: join(SHOTS, `aftershock-${c.locale}.png`) });
      assert.deepEqual(problems, []);
    }
    const open = await openRounds();
    assert.equal(open.length, 1, "one open round: the aftershock joined the main shock's");
    assert.equal(open[0]!.nodes.find((n) => n.id === NODES[1]!.id)?.status, 'needs_help');
  });

  await t.test('a quake elsewhere opens its own round: the screen keeps the round with people needing help, and lists both', async () => {
    feed.push({ id: 'as-izmir', latitude: 38.4, longitude: 27.16, depthKm: 12, magnitude: 4.4, timeMs: Date.now() - 30_000, place: 'İzmir' });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened' && (e.data as { round: { quakeId: string } }).round.quakeId === 'usgs:as-izmir', { what: 'the İzmir round' });
    gw.mesh(NODES[3]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 62 }, { packetId: nextPacketId() });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: Round }).round.nodes.some((n) => n.id === NODES[3]!.id && n.status === 'needs_help'), { what: 'the İzmir SOS' });
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      const list = panel.getByRole('list', { name: c.list });
      await list.locator('li').nth(1).waitFor();
      assert.equal(await list.locator('li').count(), 2);
      assert.match((await list.locator('li').first().locator('.open-round-help').textContent()) ?? '', c.help, `${c.locale}: the main shock's round first, naming who needs help`);
      assert.equal(await list.locator('li').first().getByRole('button').getAttribute('aria-current'), 'true', 'and it is the round shown');
      await panel.locator(`tr[data-node="${NODES[1]!.id}"][data-status="needs_help"]`).waitFor();
      await assertFitsWidth(page, `two open rounds at ${c.size} size`);
      await panel.screenshot({ path: join(SHOTS, `two-rounds-${c.locale}.png`) });
      // What the screen shows from the round's heading down (where the banner's link lands): clear of
      // the sticky top bar and, on a laptop, of the banners stuck under it (two SOS and a quake here);
      // on a phone the banners stay at the top of the page and the heading comes right under the bar.
      const stuck = await panel.locator('h3', { hasText: c.heading }).evaluate((el) => {
        el.scrollIntoView({ block: 'start' });
        const bar = document.querySelector('.topbar')!.getBoundingClientRect();
        const alarms = document.querySelector('.alarms')!;
        const a = alarms.getBoundingClientRect();
        return { heading: el.getBoundingClientRect().top, barBottom: bar.bottom, alarmsTop: a.top, alarmsBottom: a.bottom, alarmsStick: getComputedStyle(alarms).position === 'sticky', banners: document.querySelectorAll('.alarm').length };
      });
      assert.ok(stuck.banners > 0, `${c.locale}: banners up: ${JSON.stringify(stuck)}`);
      assert.equal(stuck.alarmsStick, c.size === 'laptop', `${c.locale}: banners stick on a laptop only`);
      if (stuck.alarmsStick) {
        assert.ok(Math.abs(stuck.alarmsTop - stuck.barBottom) < 1, `${c.locale}: the banners right under the top bar, not over it: ${JSON.stringify(stuck)}`);
        assert.ok(stuck.heading >= stuck.alarmsBottom, `${c.locale}: the round's heading below the bar and the banners, not under them: ${JSON.stringify(stuck)}`);
      } else {
        assert.ok(stuck.heading >= stuck.barBottom && stuck.heading < stuck.barBottom + 20, `${c.locale}: the round's heading right under the top bar: ${JSON.stringify(stuck)}`);
      }
      await page.screenshot({ path: join(SHOTS, `two-rounds-screen-${c.locale}-${c.viewport.width}x${c.viewport.height}.png`) });
      assert.deepEqual(problems, []);
    }
  });

  await t.test('the İzmir quake revised below the alert magnitude: its round says so and stays open for the SOS in it', async () => {
    feed[2] = { ...feed[2]!, magnitude: 3.8 };
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: { revisedBelow?: unknown } }).round.revisedBelow != null, { what: 'the revision' });
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      await panel.getByRole('list', { name: c.list }).locator('li').nth(1).getByRole('button').click();
      await panel.locator('.round-revised').filter({ hasText: c.revised }).waitFor();
      await panel.locator(`tr[data-node="${NODES[3]!.id}"][data-status="needs_help"]`).waitFor();
      // The quake list does not read as if the quake still qualified.
      await panel.locator('.quakes li').filter({ hasText: 'İzmir' }).filter({ hasText: c.revisedQuake }).waitFor();
      await assertFitsWidth(page, `the revised round at ${c.size} size`);
      await panel.screenshot({ path: join(SHOTS, `revised-${c.locale}.png`) });
      assert.deepEqual(problems, []);
    }
  });
});
