// birlikteyiz's check-in section before and during a round: before any quake there is no empty
// table, no map of the whole world and no form to check people into nothing, only a line saying a
// round opens after a quake alert; once
// a round is open its summary counts each status in words that agree with the number
// ("1 needs help", "2 need help"), in the operator's language, on a phone and a laptop.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { startCheckinHub } from './support/checkin-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-round-states');
const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5c0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5c0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
  { id: '!7e5c0003', name: 'Köy', lat: 37.5752, lon: 36.9511 },
  { id: '!7e5c0004', name: 'Cami', lat: 37.5822, lon: 36.9401 },
];

const CASES = [
  { locale: 'en-GB', size: 'laptop', panel: 'birlikteyiz panel', table: 'Check-in round', map: 'Check-in map', form: 'Check a person in', empty: 'No check-in round yet.', summary: '2 safe · 1 needs help · 1 no answer' },
  { locale: 'tr-TR', size: 'phone', panel: 'birlikteyiz paneli', table: 'Güvendeyim yoklaması', map: 'Yoklama haritası', form: 'Bir kişiyi yoklamaya yaz', empty: 'Henüz yoklama yok.', summary: '2 güvende · 1 yardım gerekiyor · 1 yanıt yok' },
] as const;

test('the check-in section shows an empty state before a round and counts in agreeing words during one', async (t) => {
  // The quake feed: empty until the quake happens.
  let quakeMs = 0;
  const { hub, admin, gw, nextPacketId } = await startCheckinHub(t, NODES, () => (quakeMs ? [{ id: 'tr3', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: quakeMs, place: 'Kahramanmaraş, Türkiye' }] : []), 7300);

  const browser = await launch();
  t.after(() => browser.close());
  const pages: { c: (typeof CASES)[number]; page: Page; problems: string[] }[] = [];
  for (const c of CASES) {
    const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/modules');
    pages.push({ c, page, problems });
  }

  await t.test('before any round: a line saying so, no empty table, no world map', async () => {
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      await panel.locator('.round-head .empty').filter({ hasText: c.empty }).waitFor();
      assert.equal(await panel.getByRole('table', { name: c.table }).isVisible(), false, `${c.locale}: no empty check-in table`);
      assert.equal(await panel.getByRole('region', { name: c.map }).isVisible(), false, `${c.locale}: no map of the world with nothing on it`);
      assert.equal(await panel.getByRole('form', { name: c.form }).isVisible(), false, `${c.locale}: no form to check people into a round there is not`);
      await assertFitsWidth(page, `the empty check-in section at ${c.size} size`);
      await panel.locator('.round-head').screenshot({ path: join(SHOTS, `empty-${c.locale}.png`) });
      assert.deepEqual(problems, []);
    }
  });

  await t.test('during a round: the summary counts in words that agree with each number', async () => {
    quakeMs = Date.now() - 60_000;
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'a check-in round' });
    gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
    gw.mesh(NODES[2]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
    gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 81 }, { packetId: nextPacketId() });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round?: { counts?: { safe?: number; needsHelp?: number } } }).round?.counts?.safe === 2 && (e.data as { round?: { counts?: { needsHelp?: number } } }).round?.counts?.needsHelp === 1, { what: 'the answers' });
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      const summary = panel.locator('.round-summary');
      // The answers are in (2 safe, 1 needing help), whatever the words around the numbers.
      await summary.filter({ hasText: /^\s*2\D+1\D/ }).waitFor();
      assert.equal((await summary.textContent())?.trim(), c.summary);
      assert.ok(await panel.getByRole('table', { name: c.table }).isVisible(), `${c.locale}: the round's table shows`);
      assert.ok(await panel.getByRole('region', { name: c.map }).isVisible(), `${c.locale}: the round's map shows`);
      assert.ok(await panel.getByRole('form', { name: c.form }).isVisible(), `${c.locale}: people can be checked into the round`);
      await assertFitsWidth(page, `the check-in section at ${c.size} size`);
      assert.deepEqual(problems, []);
    }
  });

  await t.test('an SOS a gateway with a slow clock delivers late still counts, at the hub\'s time, with the gateway\'s time beside it', async () => {
    const slowBy = 2 * 3_600_000;
    gw.mesh(NODES[3]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 82 }, { packetId: nextPacketId(), rxTime: new Date(Date.now() - slowBy).toISOString() });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round?: { counts?: { needsHelp?: number } } }).round?.counts?.needsHelp === 2, { what: 'the late SOS' });
    for (const { c, page, problems } of pages) {
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      const row = panel.locator(`tr[data-node="${NODES[3]!.id}"]`);
      await row.and(page.locator('[data-status="needs_help"]')).waitFor();
      assert.match((await row.textContent()) ?? '', c.locale === 'tr-TR' ? /ağ geçidi saati .* gösterdi, yoklamadan önce/ : /the gateway dated it .*, before the round/);
      assert.match((await panel.locator('.round-since').textContent()) ?? '', c.locale === 'tr-TR' ? /Deprem anından/ : /when the quake struck/);
      await assertFitsWidth(page, `the late answer at ${c.size} size`);
      await panel.screenshot({ path: join(SHOTS, `late-sos-${c.locale}.png`) });
      assert.deepEqual(problems, []);
    }
  });
});
