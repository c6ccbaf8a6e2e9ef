// A fleet row leads to its node: Enter on the node's name (a real link) or a click or tap anywhere
// on its row opens the map centred on the node with its popup open, at laptop and phone size, in
// English and Turkish. A node that has not reported a position is said to have none.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, assertFitsWidth, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-fleet-row-link');
const GATEWAY = { lat: 46.5197, lon: 6.6323 };
const CLINIC = { id: '!4a5c7d03', name: 'Clinic', lat: 46.53228, lon: 6.65188 };
const FARM = { id: '!4a5c7d05', name: 'Farm', lat: 46.51521, lon: 6.61141 };
const DEPOT = { id: '!4a5c7d09', name: 'Depot' };
const CASES = [
  { locale: 'en-GB', viewport: { width: 1366, height: 800 }, map: 'Node map', noPosition: 'Depot has not reported a position yet: it is not on the map.' },
  { locale: 'tr-TR', viewport: { width: 375, height: 812 }, map: 'Cihaz haritası', noPosition: 'Depot henüz konum bildirmedi: haritada yok.' },
] as const;

/** The map shows `node` in its middle (within 10 px) with the node's popup open. */
async function assertCentredWithPopup(page: Page, node: { id: string; name: string }, mapName: string): Promise<void> {
  await page.waitForURL((url) => url.hash === `#/map/${encodeURIComponent(node.id)}`);
  const map = page.getByRole('region', { name: mapName });
  await map.locator('.leaflet-popup .node-popup strong').filter({ hasText: node.name }).waitFor();
  const { frame, marker } = await page.evaluate((id) => {
    const f = document.querySelector('#node-map')!.getBoundingClientRect();
    const m = document.querySelector(`#node-map [data-node-id="${id}"]`)!.getBoundingClientRect();
    return { frame: { x: f.left + f.width / 2, y: f.top + f.height / 2 }, marker: { x: m.left + m.width / 2, y: m.top + m.height / 2 } };
  }, node.id);
  assert.ok(Math.abs(frame.x - marker.x) <= 10 && Math.abs(frame.y - marker.y) <= 10, `${node.name} is in the map's middle: marker at ${Math.round(marker.x)},${Math.round(marker.y)}, middle ${Math.round(frame.x)},${Math.round(frame.y)}`);
}

test('a fleet row takes the admin to the node on the map, by keyboard, click or tap', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 8100;
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Lausanne gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(`!${gw.id}`, 'position', { latitude: GATEWAY.lat, longitude: GATEWAY.lon }, { packetId: packetId++ });
  for (const n of [CLINIC, FARM]) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 3).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon }, { packetId: packetId++ });
  }
  gw.mesh(DEPOT.id, 'info', { longName: DEPOT.name, shortName: 'DEP', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === DEPOT.id, { what: 'the depot' });

  for (const c of CASES) {
    await t.test(`${c.locale} at ${c.viewport.width}x${c.viewport.height}`, async () => {
      const phone = c.viewport.width < 600;
      const { page, problems, context } = await openPage(browser, hub, { viewport: c.viewport, locale: c.locale, ...(phone ? { size: 'phone' as const } : {}) });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/fleet');
      const rowOf = (id: string) => page.locator(`table.fleet-table tbody tr[data-node-id="${id}"]`);
      await rowOf(DEPOT.id).waitFor();
      await assertFitsWidth(page, 'the fleet');
      await page.screenshot({ path: `${SHOTS}/fleet-${c.viewport.width}x${c.viewport.height}.png` });

      // The keyboard: the node's name is a link in its row; Enter on it opens the map there.
      const link = rowOf(CLINIC.id).getByRole('link', { name: CLINIC.name, exact: true });
      await link.waitFor({ timeout: 5000 });
      await link.focus();
      await page.keyboard.press('Enter');
      await assertCentredWithPopup(page, CLINIC, c.map);
      await page.screenshot({ path: `${SHOTS}/fleet-to-map-${c.viewport.width}x${c.viewport.height}.png` });

      // A click (a tap on the phone) anywhere on a row, here on its battery or SNR, not on the name.
      await page.goBack();
      await page.waitForURL((url) => url.hash === '#/fleet');
      const cell = rowOf(FARM.id).locator('td').nth(5);
      if (phone) await cell.tap();
      else await cell.click();
      await assertCentredWithPopup(page, FARM, c.map);

      // A node with no position: the admin is told, not left looking at the whole fleet.
      await page.goBack();
      await rowOf(DEPOT.id).locator('td').nth(1).click();
      await page.getByText(c.noPosition).waitFor();
      assert.deepEqual(problems, []);
    });
  }
});
