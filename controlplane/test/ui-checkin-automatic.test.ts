// An unattended node's check-in answerer answers by itself (Alert.automatic): the round shows that
// node as "answered automatically (no person confirmed)", counts it apart from the safe, never
// over an SOS, and the hub's SOS alert for that node stays open. In both languages, on a phone
// and a laptop; screenshots for a person to look at (UNIBOS_SHOTS, else the test's artifacts dir).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { startOpenRound } from './support/checkin-hub.ts';
import { api } from './support/test-auth.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5c0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5c0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
  { id: '!7e5c0003', name: 'Pompa istasyonu', lat: 37.5752, lon: 36.9511 },
  { id: '!7e5c0004', name: 'Köy', lat: 37.5952, lon: 36.9211 },
  { id: '!7e5c0005', name: 'Depo', lat: 37.5702, lon: 36.9391 },
];
const AUTOMATIC = { level: 'SAFE', text: 'Answered automatically: no person confirmed', automatic: true };

const CASES = [
  { locale: 'en-GB', panel: 'birlikteyiz panel', label: 'Node answered automatically (no person confirmed)', cell: 'Automatic answerno person confirmed', summary: '1 safe · 2 need help · 1 node answered automatically (no person confirmed) · 1 no answer' },
  { locale: 'tr-TR', panel: 'birlikteyiz paneli', label: 'Cihaz otomatik yanıt verdi (kimse teyit etmedi)', cell: 'Otomatik yanıtkimse teyit etmedi', summary: '1 güvende · 2 yardım gerekiyor · 1 cihaz otomatik yanıt verdi (kimse teyit etmedi) · 1 yanıt yok' },
] as const;
const VIEWPORTS = [
  { name: '360x740', viewport: { width: 360, height: 740 }, size: 'phone' as const },
  { name: '1280x800', viewport: { width: 1280, height: 800 }, size: 'laptop' as const },
];

test('a node that answered automatically is shown and counted as automatic, not safe, and hides no SOS', async (t) => {
  const shots = process.env.UNIBOS_SHOTS ?? artifactsDir('ui-checkin-automatic');
  mkdirSync(shots, { recursive: true });
  const quake = { id: 'tr-auto', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: 'Kahramanmaraş, Türkiye' };
  const { hub, admin, gw, roundId, nextPacketId } = await startOpenRound(t, NODES, quake, 7300);
  // Çarşı: a person pressed "I am safe". Okul: a person asked for help. The pump station has nobody: its
  // answerer answered. Köy: a person asked for help, then its answerer answered the question anyway. Depo: silent.
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 91 }, { packetId: nextPacketId() });
  gw.mesh(NODES[2]!.id, 'alert', AUTOMATIC, { packetId: nextPacketId() });
  gw.mesh(NODES[3]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 92 }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && (e.data as { nodeId?: string }).nodeId === NODES[3]!.id, { what: "Köy's SOS at the hub" });
  gw.mesh(NODES[3]!.id, 'alert', AUTOMATIC, { packetId: nextPacketId() });
  const counted = (e: { type: string; data: unknown }) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round?: { nodes?: Array<{ status: string }> } }).round?.nodes?.some((n) => n.status === 'automatic') === true;
  await waitForEvent(hub, admin.orgId, counted, { what: 'the automatic answer in the round' });

  // The API: counted apart from the safe; the SOS stays.
  const round = (await api(hub, admin, `/api/v1/modules/birlikteyiz/rounds/${roundId}`)).body as { counts: Record<string, number>; nodes: Array<{ id: string; status: string }> };
  assert.deepEqual(Object.fromEntries(round.nodes.map((n) => [n.id, n.status])), { [NODES[0]!.id]: 'safe', [NODES[1]!.id]: 'needs_help', [NODES[2]!.id]: 'automatic', [NODES[3]!.id]: 'needs_help', [NODES[4]!.id]: 'waiting' });
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 2, waiting: 1, automatic: 1, resolved: 0 });
  // Köy's automatic answer did not resolve its SOS at the hub: only a person ends it.
  const open = (await api(hub, admin, '/api/v1/alerts?state=open')).body as { items: Array<{ nodeId: string; level: string }> };
  assert.deepEqual(open.items.filter((a) => a.level === 'SOS').map((a) => a.nodeId).sort(), [NODES[1]!.id, NODES[3]!.id]);

  const browser = await launch();
  t.after(() => browser.close());
  for (const c of CASES) {
    for (const v of VIEWPORTS) {
      await t.test(`${c.locale} at ${v.name}`, async () => {
        const { page, problems, context } = await openPage(browser, hub, { size: v.size, viewport: v.viewport, locale: c.locale });
        t.after(() => context.close());
        await signIn(page, hub, admin, '#/modules');
        const panel = page.locator(`section[aria-label="${c.panel}"]`);
        const row = panel.locator(`tr[data-node="${NODES[2]!.id}"]`);
        await row.and(page.locator('[data-status="automatic"]')).waitFor();
        assert.equal((await row.locator('.checkin').textContent())?.trim(), c.cell);
        // Köy needs help, whatever its answerer said after.
        await panel.locator(`tr[data-node="${NODES[3]!.id}"][data-status="needs_help"]`).waitFor();
        assert.equal((await panel.locator('.round-summary').textContent())?.trim(), c.summary);
        // The legend names the amber marker while a node in the round answered automatically.
        const legend = panel.locator('.checkin-legend li[data-status="automatic"]');
        assert.ok(await legend.isVisible(), `${c.locale}: the legend names the automatic answer`);
        assert.equal((await legend.innerText()).trim(), c.label);
        // Listed after the silent and before the safe: a team goes first where nobody has said they are safe.
        const order = await panel.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.status));
        assert.deepEqual(order, ['needs_help', 'needs_help', 'waiting', 'automatic', 'safe']);
        await assertFitsWidth(page, `the round with an automatic answer at ${v.name}`);
        await page.screenshot({ path: join(shots, `automatic-${c.locale}-${v.name}.png`), fullPage: true });
        assert.deepEqual(problems, []);
      });
    }
  }
});
