// Nothing the map writes runs off its edges: a node's name beside a node near the edge moves to
// where it fits (on a phone a name to the right of the easternmost node ran past the edge, "Clin"),
// and the lat/lon grid's labels are wholly inside the map (".60°E" was cut at the left edge).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-map-edges');
const NODES = [
  { id: '!4a5b6c01', name: 'School', lat: 46.52689, lon: 6.62316 },
  { id: '!4a5b6c02', name: 'Harbour', lat: 46.5224, lon: 6.64405 },
  { id: '!4a5b6c03', name: 'Clinic', lat: 46.53228, lon: 6.65188 },
  { id: '!4a5b6c04', name: 'Bridge', lat: 46.50802, lon: 6.63622 },
  { id: '!4a5b6c05', name: 'Farm', lat: 46.51521, lon: 6.61141 },
];

/** The names and grid labels that stick out of the map (empty when all are inside), the grid labels under a map button, and how many grid labels there are. */
async function outside(page: Page): Promise<{ out: string[]; covered: string[]; grid: number; names: number }> {
  return page.evaluate(() => {
    const map = document.querySelector('#node-map')!.getBoundingClientRect();
    const labels = [...document.querySelectorAll('#node-map .leaflet-tooltip.node-label, #node-map .graticule-label')];
    const out = labels.flatMap((l) => {
      const r = l.getBoundingClientRect();
      return r.left < map.left - 0.5 || r.right > map.right + 0.5 || r.top < map.top - 0.5 || r.bottom > map.bottom + 0.5 ? [`"${l.textContent}" at ${Math.round(r.left - map.left)}..${Math.round(r.right - map.left)} of ${Math.round(map.width)} px`] : [];
    });
    const buttons = [...document.querySelectorAll('#node-map .leaflet-control')].map((c) => c.getBoundingClientRect());
    const covered = [...document.querySelectorAll('#node-map .graticule-label')].flatMap((l) => {
      const r = l.getBoundingClientRect();
      return buttons.some((b) => r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) ? [`"${l.textContent}"`] : [];
    });
    return { out, covered, grid: document.querySelectorAll('#node-map .graticule-label').length, names: document.querySelectorAll('#node-map .leaflet-tooltip.node-label').length };
  });
}

test('node names and grid labels stay inside the map', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 3100;
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 3).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon }, { packetId: packetId++ });
  }
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === NODES[NODES.length - 1]!.id, { what: 'the positions' });

  for (const [size, locale] of [
    ['phone', 'en-GB'],
    ['phone', 'tr-TR'],
    ['laptop', 'en-GB'],
  ] as const) {
    await t.test(`${size}, ${locale}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      await page.locator('#node-map .leaflet-tooltip.node-label').nth(NODES.length - 1).waitFor();
      // Placed once the map has settled on the nodes; a wait that ends when everything is inside.
      const settled = await page
        .waitForFunction(
          () => {
            const map = document.querySelector('#node-map')!.getBoundingClientRect();
            const labels = [...document.querySelectorAll('#node-map .leaflet-tooltip.node-label, #node-map .graticule-label')].map((l) => l.getBoundingClientRect());
            return document.querySelectorAll('#node-map .graticule-label').length > 0 && labels.every((r) => r.left >= map.left - 0.5 && r.right <= map.right + 0.5 && r.top >= map.top - 0.5 && r.bottom <= map.bottom + 0.5);
          },
          undefined,
          { timeout: 5000 },
        )
        .then(
          () => true,
          () => false,
        );
      const state = await outside(page);
      await page.screenshot({ path: join(SHOTS, `map-${size}-${locale}.png`) });
      assert.ok(state.names >= NODES.length, 'every node has its name on the map');
      assert.ok(state.grid > 0, 'the grid has labels on the map');
      assert.deepEqual(state.out, [], 'labels running off the map');
      assert.deepEqual(state.covered, [], 'grid labels under the zoom or layers buttons');
      assert.ok(settled);
      assert.deepEqual(problems, []);
    });
  }
});
