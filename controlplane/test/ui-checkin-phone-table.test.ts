// On an English phone (360 px wide) the check-in table fits its frame: before, its last column
// ("Answered") sat past the frame's edge and had to be scrolled to sideways inside it, so a person
// reading down the list on a phone did not see when (or whether) each node answered.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { startOpenRound } from './support/checkin-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-checkin-phone-table');
const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5e0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5e0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
  { id: '!7e5e0003', name: 'Pompa istasyonu', lat: 37.5752, lon: 36.9511 },
  { id: '!7e5e0004', name: 'Köy', lat: 37.5952, lon: 36.9211 },
];

test('on a 360 px phone in English the check-in table fits its frame: every column, "Answered" included, without scrolling sideways', async (t) => {
  const quake = { id: 'tr-phone', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: Date.now() - 60_000, place: 'Kahramanmaraş, Türkiye' };
  const { hub, admin, gw, nextPacketId } = await startOpenRound(t, NODES, quake, 7600);
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 71 }, { packetId: nextPacketId() });
  gw.mesh(NODES[2]!.id, 'alert', { level: 'SAFE', text: 'Answered automatically: no person confirmed', automatic: true }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && (e.data as { round: { counts: { waiting: number } } }).round.counts.waiting === 1, { what: 'three answers in the round' });

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, context } = await openPage(browser, hub, { size: 'phone', viewport: { width: 360, height: 740 }, locale: 'en-GB' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/modules');
  const panel = page.locator('section[aria-label="birlikteyiz panel"]');
  const table = panel.getByRole('table', { name: 'Check-in round' });
  await table.locator(`tr[data-node="${NODES[2]!.id}"][data-status="automatic"]`).waitFor();
  await table.scrollIntoViewIfNeeded();
  const frame = await table.evaluate((el) => {
    const wrap = el.parentElement!;
    const box = wrap.getBoundingClientRect();
    const outside = [...el.querySelectorAll('th, td')].filter((c) => {
      const r = c.getBoundingClientRect();
      return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
    });
    return { scroll: wrap.scrollWidth, width: wrap.clientWidth, outside: outside.map((c) => c.textContent) };
  });
  await page.screenshot({ path: join(SHOTS, 'en-GB-360.png'), fullPage: true });
  assert.deepEqual(frame.outside, [], 'no cell lies outside the frame');
  assert.ok(frame.scroll <= frame.width + 1, `the table is ${frame.scroll} px wide in a ${frame.width} px frame`);
  // Every row still says when its node answered, readable as a person reads it.
  const answered = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.status, r.textContent]));
  for (const [status, text] of answered) if (status !== 'waiting') assert.match(text ?? '', /just now|s ago|min ago/, `a ${status} row says when it answered`);
  await assertFitsWidth(page, 'the check-in section at 360 px');
  assert.deepEqual(problems, []);
});
