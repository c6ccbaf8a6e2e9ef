// A node with two open SOS at once (an older one arrived late, from a gateway that was away, and
// opened beside the newer one): after the newer one is acknowledged, the other is still waiting
// for someone. The map's popup for the node and the Alerts screen's summary must say so: they said
// "SOS open" for the acknowledged one only, and "No open alerts" once nothing was unacknowledged
// while an acknowledged SOS was still not resolved.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-two-sos');
const NODE = '!3c4d5e0b';

test('a node with two open SOS, one acknowledged: the map and the Alerts screen say what is still waiting', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  gw.mesh(NODE, 'info', { longName: 'Reyhanlı', shortName: 'RYH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 1 });
  gw.mesh(NODE, 'position', { latitude: 36.268, longitude: 36.567 }, { packetId: 2 });
  gw.mesh(NODE, 'alert', { level: 'SOS', text: 'SOS', requestId: 402 }, { packetId: 3, rxTime: new Date(Date.now() - 60_000).toISOString() });
  const newer = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 402, { what: 'the newer SOS' });
  gw.mesh(NODE, 'alert', { level: 'SOS', text: 'SOS', requestId: 401 }, { packetId: 4, rxTime: new Date(Date.now() - 10 * 60_000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.requestId === 401, { what: 'the older SOS, late' });
  const acked = await api(hub, admin, `/api/v1/alerts/${newer.data.id}/acknowledge`, { method: 'POST' });
  assert.equal(acked.status, 200, JSON.stringify(acked.body));

  for (const [locale, size, summary, popup] of [
    ['en-GB', 'laptop', '1 open · 1 acknowledged, not resolved', '1 SOS open, 1 acknowledged'],
    ['tr-TR', 'phone', '1 açık · 1 teyit edildi, kapatılmadı', '1 SOS açık, 1 teyit edildi'],
  ] as const) {
    await t.test(`${locale} ${size}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/alerts');
      await page.locator('article.alert, #content article').nth(1).waitFor();
      await page.locator('#alerts-title + .summary').filter({ hasText: summary }).waitFor({ timeout: 5000 }).catch(async () => {
        assert.fail(`the Alerts summary reads "${await page.locator('#alerts-title + .summary').innerText()}", not "${summary}"`);
      });

      await page.evaluate((id) => (location.hash = `#/map/${encodeURIComponent(id)}`), NODE);
      const marker = page.locator('#node-map .sos-marker--open');
      await marker.waitFor();
      // The map opens the node's popup itself; a click on the triangle opens the triangle's (the
      // node's fades out: the triangle's is the last one).
      await page.locator('.leaflet-popup .popup-sos').first().waitFor();
      await marker.click();
      const text = page.locator('.leaflet-popup .popup-sos').last();
      await text.waitFor();
      await page.waitForFunction(() => document.querySelectorAll('.leaflet-popup').length === 1);
      assert.equal((await text.locator('.badge').innerText()).trim(), popup, 'the popup counts both SOS, by state');
      assert.equal(await text.locator('.badge').getAttribute('class'), 'badge badge--open', 'an SOS nobody has acknowledged: the popup shows it open');
      await page.screenshot({ path: join(SHOTS, `two-sos-${locale}-${size}.png`) });
      assert.deepEqual(problems, []);
    });
  }
});
