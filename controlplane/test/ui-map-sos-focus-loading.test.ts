// `#/map/<node>` for a node whose only position is the one its SOS carried: the open alerts may
// answer after the fleet. The map waits for both, then centres on the node with its popup open; it
// must not say the node has no position while the alerts are still on their way. English on a
// laptop, Turkish on a phone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-map-sos-focus-loading');
const GATEWAY = { lat: 36.2021, lon: 36.1604 };
/** Heard by name, never by a position report: where it is comes only from its SOS. */
const CALLER = { id: '!3c4d5e2a', name: 'Kırıkhan', lat: 36.4981, lon: 36.3612 };
const CASES = [
  { locale: 'en-GB', size: 'laptop', map: 'Node map', loaded: '1 of 2 devices have a position', noPosition: 'has not reported a position yet' },
  { locale: 'tr-TR', size: 'phone', map: 'Cihaz haritası', loaded: '2 cihazdan 1 tanesinin konumu var', noPosition: 'henüz konum bildirmedi' },
] as const;

test('a node located only by its SOS: the map waits for the alerts, then centres on it with its popup', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 7300;
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Antakya gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(`!${gw.id}`, 'position', { latitude: GATEWAY.lat, longitude: GATEWAY.lon }, { packetId: packetId++ });
  gw.mesh(CALLER.id, 'info', { longName: CALLER.name, shortName: 'KRK', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(CALLER.id, 'alert', { level: 'SOS', text: 'SOS', position: { latitude: CALLER.lat, longitude: CALLER.lon } }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === CALLER.id, { what: 'the SOS' });

  for (const c of CASES) {
    await t.test(`${c.locale} ${c.size}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: c.size, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/fleet');

      // The open alerts are slow to answer; the fleet is not.
      let release = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/api/v1/alerts?*', async (route) => {
        await released;
        await route.continue().catch(() => undefined);
      });
      await page.reload();
      await page.evaluate((id) => (location.hash = `#/map/${encodeURIComponent(id)}`), CALLER.id);
      const map = page.getByRole('region', { name: c.map });
      // The fleet is on the map (the caller without a place yet): no word that it has none.
      await page.locator('#map-title + .summary').filter({ hasText: c.loaded }).waitFor();
      assert.equal(await page.getByText(c.noPosition).count(), 0, 'the map does not say the node has no position while the alerts load');

      // The alerts answer: the map centres on where the SOS came from, the node's popup open.
      release();
      await map.locator('.leaflet-popup .node-popup strong').filter({ hasText: CALLER.name }).waitFor();
      const { frame, marker } = await page.evaluate((id) => {
        const f = document.querySelector('#node-map')!.getBoundingClientRect();
        const m = document.querySelector(`#node-map [data-node-id="${id}"]`)!.getBoundingClientRect();
        return { frame: { x: f.left + f.width / 2, y: f.top + f.height / 2 }, marker: { x: m.left + m.width / 2, y: m.top + m.height / 2 } };
      }, CALLER.id);
      assert.ok(Math.abs(frame.x - marker.x) <= 10 && Math.abs(frame.y - marker.y) <= 10, `${CALLER.name} is in the map's middle: marker at ${Math.round(marker.x)},${Math.round(marker.y)}, middle ${Math.round(frame.x)},${Math.round(frame.y)}`);
      await map.locator('.leaflet-popup .popup-sos').waitFor();
      assert.equal(await page.getByText(c.noPosition).count(), 0, 'nor afterwards');
      // Shot once the popup has faded in, as the user sees it.
      await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')!).opacity === '1');
      await page.screenshot({ path: `${SHOTS}/sos-focus-${c.locale}-${c.size}.png` });
      assert.deepEqual(problems, []);
    });
  }
});
