// birlikteyiz's check-in map says what its colours and shapes mean: a legend under the map names
// each node status in the colour its markers have on the map, the epicentre and the check-in area,
// in the operator's language, on a phone and a laptop.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { startOpenRound } from './support/checkin-hub.ts';
import { assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const CENTER = { latitude: 37.5858, longitude: 36.9371 };
const NODES = [
  { id: '!7e5b0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5b0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
  { id: '!7e5b0003', name: 'Köy', lat: 37.5752, lon: 36.9511 },
];

const CASES = [
  { locale: 'en-GB', panel: 'birlikteyiz panel', legend: 'Check-in map legend', items: ['Safe', 'Needs help', 'No answer yet', 'Epicentre', 'Check-in area: nodes inside it are asked'], size: 'laptop' },
  { locale: 'tr-TR', panel: 'birlikteyiz paneli', legend: 'Yoklama haritasının açıklaması', items: ['Güvende', 'Yardım gerekiyor', 'Henüz yanıt yok', 'Merkez üssü', 'Yoklama alanı: içindeki cihazlara sorulur'], size: 'phone' },
] as const;

test('the check-in map has a legend of its marker colours, in the operator’s language', async (t) => {
  const quakeMs = Date.now() - 60_000;
  const quake = { id: 'tr2', latitude: CENTER.latitude + 0.04, longitude: CENTER.longitude + 0.05, depthKm: 10, magnitude: 5.8, timeMs: quakeMs, place: 'Kahramanmaraş, Türkiye' };
  const { hub, admin, gw, nextPacketId } = await startOpenRound(t, NODES, quake, 7100);
  // One node safe, one needing help, one silent: every status on the map.
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: nextPacketId() });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 79 }, { packetId: nextPacketId() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_updated' && JSON.stringify(e.data).includes('needs_help'), { what: 'the answers' });

  const browser = await launch();
  t.after(() => browser.close());
  for (const c of CASES) {
    await t.test(`${c.locale} (${c.size})`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/modules');
      const panel = page.locator(`section[aria-label="${c.panel}"]`);
      await panel.locator('tr[data-status="needs_help"]').waitFor();
      const legend = panel.getByRole('list', { name: c.legend });
      await legend.waitFor();
      assert.deepEqual((await legend.getByRole('listitem').allInnerTexts()).map((s) => s.trim()), c.items);
      // Each status's swatch has the colour its markers have on the map (Leaflet draws them as SVG paths).
      const map = panel.getByRole('region', { name: c.locale === 'en-GB' ? 'Check-in map' : 'Yoklama haritası' });
      await map.locator('path.leaflet-interactive').nth(NODES.length).waitFor();
      const markerColours = await map.locator('path.leaflet-interactive').evaluateAll((paths) => paths.map((p) => getComputedStyle(p).fill));
      for (const status of ['safe', 'needs_help', 'waiting']) {
        const swatch = await legend.locator(`li[data-status="${status}"] .legend-dot`).evaluate((e) => getComputedStyle(e).backgroundColor);
        assert.ok(markerColours.includes(swatch), `the "${status}" swatch (${swatch}) is a marker colour on the map (${markerColours.join(', ')})`);
        assert.notEqual(swatch, 'rgba(0, 0, 0, 0)', `the "${status}" swatch is coloured`);
      }
      assert.ok(await legend.isVisible(), 'the legend shows');
      await assertFitsWidth(page, `the check-in legend at ${c.size} size`);
      assert.deepEqual(problems, []);
    });
  }
});
