// The check-in round says what actually happened to each person, as the Alerts page does: an SOS
// followed by the person's "I am safe" is safe (before, "Needs help" beside an alert "Resolved by
// Harbour"); an SOS an admin resolved at the hub is "SOS resolved by the hub", in its own colour and
// in the legend; an SOS still open from before the quake keeps its node needing help, and says the
// call came before the quake. The empty assembly-point list is a sentence, not a bulleted item. In
// both languages, on a phone and a laptop; screenshots for a person to look at (UNIBOS_SHOTS, else
// the test's artifacts dir).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DemoQuake } from '@unibos/module-birlikteyiz';
import { waitForEvent, type HubEvent } from './support/hub-events.ts';
import { startCheckinHub } from './support/checkin-hub.ts';
import { api } from './support/test-auth.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const CENTER = { latitude: 46.5197, longitude: 6.6323 };
const NODES = [
  { id: '!7e5d0001', name: 'Harbour', lat: 46.5251, lon: 6.6402 },
  { id: '!7e5d0002', name: 'Clinic', lat: 46.5152, lon: 6.6231 },
  { id: '!7e5d0003', name: 'School', lat: 46.5301, lon: 6.6187 },
  { id: '!7e5d0004', name: 'Village', lat: 46.5102, lon: 6.6452 },
];
const [HARBOUR, CLINIC, SCHOOL, VILLAGE] = NODES.map((n) => n.id) as [string, string, string, string];

const CASES = [
  { locale: 'en-GB', panel: 'birlikteyiz panel', resolved: 'SOS resolved by the hub', before: /^Needs helpSOS since \d{2}:\d{2}, before the quake$/, summary: '1 safe · 1 needs help · 1 SOS resolved by the hub · 1 no answer', empty: 'No assembly points yet.' },
  { locale: 'tr-TR', panel: 'birlikteyiz paneli', resolved: 'SOS merkezde kapatıldı', before: /^Yardım gerekiyorSOS saat \d{2}:\d{2} itibarıyla, depremden önce$/, summary: '1 güvende · 1 yardım gerekiyor · 1 SOS merkezde kapatıldı · 1 yanıt yok', empty: 'Henüz toplanma alanı yok.' },
] as const;
const VIEWPORTS = [
  { name: '375x812', viewport: { width: 375, height: 812 }, size: 'phone' as const },
  { name: '1280x800', viewport: { width: 1280, height: 800 }, size: 'laptop' as const },
];

type Round = { id: string; answersSince: number; counts: Record<string, number>; nodes: Array<{ id: string; status: string; sosBeforeRound?: number | null }> };
const statusOf = (e: HubEvent, nodeId: string): string | undefined => (e.data as { round?: Round }).round?.nodes.find((n) => n.id === nodeId)?.status;

test('the round shows an SOS then "I am safe" as safe, an SOS an admin resolved as resolved, and an SOS from before the quake as such', async (t) => {
  const shots = process.env.UNIBOS_SHOTS ?? artifactsDir('ui-checkin-sos-latest');
  mkdirSync(shots, { recursive: true });
  let quakes: DemoQuake[] = [];
  const { hub, admin, gw, nextPacketId } = await startCheckinHub(t, NODES, () => quakes, 7500);
  // Clinic asks for help before the quake; nobody resolves it.
  gw.mesh(CLINIC, 'alert', { level: 'SOS', text: 'SOS', requestId: 31 }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === CLINIC, { what: "Clinic's SOS at the hub" });
  // Then the quake strikes (its time after Clinic's SOS) and the feed reports it.
  quakes = [{ id: 'ch-latest', latitude: CENTER.latitude + 0.045, longitude: CENTER.longitude + 0.05, depthKm: 9, magnitude: 5.4, timeMs: Date.now(), place: '6 km NE of Lausanne' }];
  const opened = await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'the quake round' });
  const roundId = (opened.data as { round: Round }).round.id;

  // Harbour asks for help, then its person presses "I am safe" (which resolves the SOS alert).
  gw.mesh(HARBOUR, 'alert', { level: 'SOS', text: 'SOS', requestId: 41 }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && statusOf(e, HARBOUR) === 'needs_help', { what: "Harbour's SOS in the round" });
  gw.mesh(HARBOUR, 'alert', { level: 'SAFE', text: 'I am safe', requestId: 41 }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.resolved' && e.data.nodeId === HARBOUR, { what: "Harbour's SOS resolved by its I am safe" });
  // School asks for help; the coordinator resolves the alert at the hub.
  gw.mesh(SCHOOL, 'alert', { level: 'SOS', text: 'SOS', requestId: 51 }, { packetId: nextPacketId() });
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === SCHOOL, { what: "School's SOS at the hub" });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && statusOf(e, SCHOOL) === 'needs_help', { what: "School's SOS in the round" });
  assert.equal((await api(hub, admin, `/api/v1/alerts/${raised.data.id}/resolve`, { method: 'POST', body: {} })).status, 200);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && statusOf(e, SCHOOL) === 'resolved', { what: "School's SOS resolved in the round" });

  const round = (await api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}`)).body as Round;
  assert.deepEqual(Object.fromEntries(round.nodes.map((n) => [n.id, n.status])), { [HARBOUR]: 'safe', [CLINIC]: 'needs_help', [SCHOOL]: 'resolved', [VILLAGE]: 'waiting' });
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 1, waiting: 1, automatic: 0, resolved: 1 });
  const clinic = round.nodes.find((n) => n.id === CLINIC)!;
  assert.ok(typeof clinic.sosBeforeRound === 'number' && clinic.sosBeforeRound < round.answersSince, "Clinic's SOS is marked as from before the quake");

  const browser = await launch();
  t.after(() => browser.close());
  for (const c of CASES) {
    for (const v of VIEWPORTS) {
      await t.test(`${c.locale} at ${v.name}`, async () => {
        const { page, problems, context } = await openPage(browser, hub, { size: v.size, viewport: v.viewport, locale: c.locale });
        t.after(() => context.close());
        await signIn(page, hub, admin, '#/modules');
        const panel = page.locator(`section[aria-label="${c.panel}"]`);
        await panel.locator(`tr[data-node="${SCHOOL}"][data-status="resolved"]`).waitFor();
        await panel.locator(`tr[data-node="${HARBOUR}"][data-status="safe"]`).waitFor();
        const clinicCell = panel.locator(`tr[data-node="${CLINIC}"][data-status="needs_help"] .checkin`);
        assert.match((await clinicCell.textContent())?.trim() ?? '', c.before);
        assert.equal((await panel.locator(`tr[data-node="${SCHOOL}"] .checkin`).textContent())?.trim(), c.resolved);
        assert.equal((await panel.locator('.round-summary').textContent())?.trim(), c.summary);
        // The legend names the resolved colour while a node's SOS in the round was resolved, in the colour of its row.
        const legend = panel.locator('.checkin-legend li[data-status="resolved"]');
        assert.ok(await legend.isVisible(), `${c.locale}: the legend names the resolved SOS`);
        assert.equal((await legend.innerText()).trim(), c.resolved);
        const swatch = await legend.locator('.legend-dot').evaluate((e) => getComputedStyle(e).backgroundColor);
        assert.equal(await panel.locator(`tr[data-node="${SCHOOL}"] .checkin`).evaluate((e) => getComputedStyle(e).color), swatch);
        const order = await panel.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status));
        assert.deepEqual(order, ['needs_help', 'waiting', 'resolved', 'safe']);
        // No assembly points: said in a sentence, with no list bullet before it.
        const empty = panel.getByText(c.empty, { exact: true });
        assert.ok(await empty.isVisible());
        assert.equal(await empty.evaluate((e) => e.closest('ul, li') === null), true, 'the empty state is not a list item');
        await assertFitsWidth(page, `the round with resolved and early SOS at ${v.name}`);
        await page.screenshot({ path: join(shots, `sos-latest-${c.locale}-${v.name}.png`), fullPage: true });
        await panel.locator('.round-head').screenshot({ path: join(shots, `sos-latest-round-${c.locale}-${v.name}.png`) });
        assert.deepEqual(problems, []);
      });
    }
  }
});
