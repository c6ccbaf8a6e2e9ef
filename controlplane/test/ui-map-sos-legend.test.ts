// The map's legend says what each SOS mark on it means: a pulsing one is an SOS nobody has
// acknowledged yet, a still one an SOS someone acknowledged (not yet resolved). An admin reading
// the legend must not take an acknowledged SOS for an unattended one, nor the other way round.
// Each entry shows while the map has such an SOS, with a swatch drawn as the mark is (the pulse
// ring or none). English on a laptop, Turkish on a phone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, assertFitsWidth, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-map-sos-legend');
const OPEN_CALLER = { id: '!5d6e7f01', name: 'Pazarcık', lat: 37.4862, lon: 37.2993 };
const ACKED_CALLER = { id: '!5d6e7f02', name: 'Türkoğlu', lat: 37.3843, lon: 36.8502 };
const CASES = [
  { locale: 'en-GB', viewport: { width: 1366, height: 800 }, legend: 'Legend', open: 'SOS, not yet acknowledged', acked: 'SOS acknowledged, not yet resolved', stale: /open SOS/i },
  { locale: 'tr-TR', viewport: { width: 375, height: 812 }, legend: 'Açıklama', open: 'SOS, henüz teyit edilmedi', acked: 'SOS teyit edildi, henüz kapatılmadı', stale: /açık SOS/i },
] as const;

/** The legend's entries as shown (hidden ones left out), and whether each SOS swatch has the pulse's ring. */
async function legendOf(page: Page, name: string): Promise<{ texts: string[]; rings: Record<string, boolean> }> {
  const legend = page.getByRole('list', { name, exact: true });
  const texts = (await legend.locator('li:not([hidden])').allInnerTexts()).map((s) => s.trim());
  const rings = await legend.locator('li:not([hidden]) .legend-sos').evaluateAll((els) =>
    Object.fromEntries(els.map((e) => [(e.closest('li') as HTMLElement).innerText.trim(), [...e.querySelectorAll('*')].some((c) => getComputedStyle(c).borderRadius === '50%' && parseFloat(getComputedStyle(c).borderTopWidth) > 0)])),
  );
  return { texts, rings };
}

test('the map legend tells an open SOS from an acknowledged one, each while one is shown', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 7300;
  for (const c of [OPEN_CALLER, ACKED_CALLER]) {
    gw.mesh(c.id, 'info', { longName: c.name, shortName: c.name.slice(0, 3).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(c.id, 'position', { latitude: c.lat, longitude: c.lon }, { packetId: packetId++ });
    gw.mesh(c.id, 'alert', { level: 'SOS', text: 'help', requestId: packetId, position: { latitude: c.lat, longitude: c.lon, precisionBits: 32 } }, { packetId: packetId++ });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === c.id, { what: `${c.name}'s SOS` });
  }
  const open = await api(hub, admin, '/api/v1/alerts?state=open');
  const idOf = (nodeId: string): number => open.body.items.find((a: { nodeId: string }) => a.nodeId === nodeId).id;
  const acked = await api(hub, admin, `/api/v1/alerts/${idOf(ACKED_CALLER.id)}/acknowledge`, { method: 'POST', body: { note: 'team on the way' } });
  assert.equal(acked.status, 200, JSON.stringify(acked.body));

  const pages: Array<{ page: Page; c: (typeof CASES)[number] }> = [];
  for (const c of CASES) {
    await t.test(`${c.locale} at ${c.viewport.width}x${c.viewport.height}: one SOS open, one acknowledged`, async () => {
      const phone = c.viewport.width < 600;
      const { page, problems, context } = await openPage(browser, hub, { viewport: c.viewport, locale: c.locale, ...(phone ? { size: 'phone' as const } : {}) });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      await page.locator('#node-map .sos-marker--open').waitFor();
      await page.locator('#node-map .sos-marker--acknowledged').waitFor();
      // The acknowledged SOS is drawn without the pulse, the open one with it.
      assert.equal(await page.locator('#node-map .sos-marker--acknowledged .sos-pulse').count(), 0);
      assert.equal(await page.locator('#node-map .sos-marker--open .sos-pulse').count(), 1);
      const { texts, rings } = await legendOf(page, c.legend);
      t.diagnostic(`${c.locale}: ${texts.join(' | ')}`);
      assert.ok(texts.includes(c.open), `the legend explains the open SOS ("${c.open}"): ${texts.join(' | ')}`);
      assert.ok(texts.includes(c.acked), `the legend explains the acknowledged SOS ("${c.acked}"): ${texts.join(' | ')}`);
      assert.deepEqual(rings, { [c.open]: true, [c.acked]: false }, 'each SOS swatch is drawn as its mark is: the pulse ring for the open one only');
      await assertFitsWidth(page, 'the map with its legend');
      await page.getByRole('list', { name: c.legend, exact: true }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/legend-${c.viewport.width}x${c.viewport.height}.png` });
      assert.deepEqual(problems, []);
      pages.push({ page, c });
    });
  }

  await t.test('once every SOS is acknowledged the legend no longer speaks of an open one', async () => {
    const res = await api(hub, admin, `/api/v1/alerts/${idOf(OPEN_CALLER.id)}/acknowledge`, { method: 'POST', body: {} });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const { page, c } of pages) {
      await page.locator('#node-map .sos-marker--open').waitFor({ state: 'detached' });
      await page.locator('#node-map .sos-marker--acknowledged').nth(1).waitFor();
      const { texts } = await legendOf(page, c.legend);
      assert.ok(texts.includes(c.acked), `${c.locale}: the acknowledged SOS is explained: ${texts.join(' | ')}`);
      assert.ok(!texts.includes(c.open) && !texts.some((s) => c.stale.test(s)), `${c.locale}: nothing in the legend calls an SOS open: ${texts.join(' | ')}`);
    }
  });
});
