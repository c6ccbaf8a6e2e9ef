// The map opens on the whole fleet and the gateway's coverage: the coverage circle, drawn a little
// past the farthest node the gateway hears, was cut off at the top and bottom of a laptop's map
// (1366x800) because the first view fitted the nodes only. Phone and laptop sizes.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-map-first-view');
const GATEWAY = { lat: 46.5197, lon: 6.6323 };
// Where the demo puts its nodes around its gateway.
const NODES = [
  { id: '!4a5c6c01', name: 'School', lat: 46.52689, lon: 6.62316 },
  { id: '!4a5c6c02', name: 'Harbour', lat: 46.5224, lon: 6.64405 },
  { id: '!4a5c6c03', name: 'Clinic', lat: 46.53228, lon: 6.65188 },
  { id: '!4a5c6c04', name: 'Bridge', lat: 46.50802, lon: 6.63622 },
  { id: '!4a5c6c05', name: 'Farm', lat: 46.51521, lon: 6.61141 },
];
const VIEWPORTS = [
  { width: 375, height: 812 },
  { width: 1280, height: 800 },
  { width: 1366, height: 800 },
];

test('the map first opens on the fleet and the whole of the gateway’s coverage', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 5100;
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Demo gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(`!${gw.id}`, 'position', { latitude: GATEWAY.lat, longitude: GATEWAY.lon }, { packetId: packetId++ });
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 3).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon }, { packetId: packetId++ });
  }
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === NODES[NODES.length - 1]!.id, { what: 'the positions' });

  for (const viewport of VIEWPORTS) {
    await t.test(`${viewport.width}x${viewport.height}`, async () => {
      const phone = viewport.width < 600;
      const { page, problems, context } = await openPage(browser, hub, { viewport, ...(phone ? { size: 'phone' as const } : {}) });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      const map = page.getByRole('region', { name: 'Node map' });
      await map.locator('path.node-marker').nth(NODES.length - 1).waitFor();
      await map.getByRole('button', { name: 'Gateway Demo gateway (online)' }).waitFor();
      await map.locator('path.gw-coverage').waitFor();
      const at = await page.evaluate(() => {
        const frame = document.querySelector('#node-map')!.getBoundingClientRect();
        const circle = document.querySelector('#node-map path.gw-coverage')!.getBoundingClientRect();
        const nodes = [...document.querySelectorAll('#node-map path.node-marker')].map((e) => e.getBoundingClientRect());
        return {
          frame: { left: frame.left, top: frame.top, right: frame.right, bottom: frame.bottom, width: frame.width, height: frame.height },
          circle: { left: circle.left, top: circle.top, right: circle.right, bottom: circle.bottom, width: circle.width, height: circle.height },
          nodesInside: nodes.every((r) => r.left >= frame.left && r.right <= frame.right && r.top >= frame.top && r.bottom <= frame.bottom),
        };
      });
      // Every name readable: no two node names on top of each other (the demo's Harbour sits beside its gateway).
      await page.waitForFunction(() => {
        const names = [...document.querySelectorAll('#node-map .leaflet-tooltip.node-label')].map((e) => e.getBoundingClientRect());
        return names.length > 0 && names.every((a, i) => names.every((b, j) => j <= i || a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top));
      }, undefined, { timeout: 5000 }).catch(async () => {
        const names = await page.locator('#node-map .leaflet-tooltip.node-label').evaluateAll((els) => els.map((e) => `${e.textContent} ${JSON.stringify(e.getBoundingClientRect())}`));
        assert.fail(`two node names overlap: ${names.join(' | ')}`);
      });
      await page.screenshot({ path: join(SHOTS, `first-view-${viewport.width}x${viewport.height}.png`) });
      const { frame, circle } = at;
      const said = `circle ${Math.round(circle.left - frame.left)}..${Math.round(circle.right - frame.left)} x ${Math.round(circle.top - frame.top)}..${Math.round(circle.bottom - frame.top)} in a ${Math.round(frame.width)}x${Math.round(frame.height)} map`;
      assert.ok(circle.left >= frame.left - 0.5 && circle.right <= frame.right + 0.5 && circle.top >= frame.top - 0.5 && circle.bottom <= frame.bottom + 0.5, `the coverage circle is whole on the map: ${said}`);
      // Fitted, not lost in a zoomed-out world: the circle fills much of the map's shorter side.
      assert.ok(Math.max(circle.width / frame.width, circle.height / frame.height) > 0.6, `the coverage fills the map: ${said}`);
      assert.ok(at.nodesInside, 'every node is on the map');
      assert.deepEqual(problems, []);
    });
  }
});
