// A big aftershock asks the round again: an "I am safe" pressed before it no longer counts (the
// ground shook again since). The check-in table shows that node as waiting for a new answer, with
// its earlier one beside it ("safe at 14:02, before the M5.5 aftershock"), in both languages and
// within a 360 px phone's width.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DemoQuake } from '@unibos/module-birlikteyiz';
import { waitForEvent } from './support/hub-events.ts';
import { startCheckinHub } from './support/checkin-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-earlier-safe');

const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e600001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e600002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
];
type Round = { counts: { safe: number }; nodes: Array<{ id: string; status: string; earlier?: { at: number } | null }> };

test('after an aftershock asks again, a node that said "I am safe" before it shows as waiting, its earlier answer beside it', async (t) => {
  const quakes: DemoQuake[] = [];
  const { hub, admin, gw, nextPacketId } = await startCheckinHub(t, NODES, () => quakes, 7800);
  quakes.push({ id: 'tr-main', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 5 * 60_000, place: 'Kahramanmaraş, Türkiye' });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'the round' });
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: Round }).round.counts.safe === 1, { what: 'the "I am safe"' });
  // The M5.5 aftershock (within 1.0 of the M5.8; five minutes after it, so not the same quake): it goes to the nodes with the question again.
  quakes.unshift({ id: 'tr-after', latitude: CENTER.latitude + 0.02, longitude: CENTER.longitude, depthKm: 8, magnitude: 5.5, timeMs: Date.now(), place: 'Kahramanmaraş, Türkiye' });
  const asked = await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: Round }).round.nodes.some((n) => n.earlier), { what: 'the aftershock asking again' });
  const earlierAt = (asked.data as { round: Round }).round.nodes.find((n) => n.id === NODES[0]!.id)!.earlier!.at;

  const browser = await launch();
  t.after(() => browser.close());
  for (const c of [
    { locale: 'en-GB', panel: 'birlikteyiz panel', status: 'No answer yet', note: (time: string) => `safe at ${time}, before the M5.5 aftershock`, summary: /^0 safe · 0 need help · 2 no answer$/ },
    { locale: 'tr-TR', panel: 'birlikteyiz paneli', status: 'Henüz yanıt yok', note: (time: string) => `M5,5 artçı depremden önce, saat ${time}: güvende`, summary: /^0 güvende · 0 yardım gerekiyor · 2 yanıt yok$/ },
  ] as const) {
    await t.test(c.locale, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: 'phone', viewport: { width: 360, height: 740 }, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/modules');
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      const row = panel.locator(`tr[data-node="${NODES[0]!.id}"][data-status="waiting"]`);
      await row.waitFor();
      // The time as the hub's screens write a time of day, in the page's language.
      const time = await page.evaluate(async ([at, format]) => ((await import(format)) as { timeOfDay(t: number): string }).timeOfDay(at), [earlierAt, '/js/format.js'] as const);
      assert.equal((await row.locator('.checkin').evaluate((el) => el.firstChild!.textContent))?.trim(), c.status);
      assert.equal((await row.locator('.checkin-earlier').innerText()).trim(), c.note(time));
      assert.match((await panel.locator('.round-summary').innerText()).trim(), c.summary, 'the "I am safe" from before is not counted');
      await assertFitsWidth(page, `the round at 360 px (${c.locale})`);
      await row.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, `earlier-safe-${c.locale}-360.png`) });
      assert.deepEqual(problems, []);
    });
  }
});
