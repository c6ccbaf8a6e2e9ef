// A gateway without GPS still has a place on the map (issue 19): where the node it hears best
// directly stands (usually the node beside it), drawn with a dashed outline, named as estimated
// for screen readers and explained in its popup; screenshots at phone and laptop size.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, axe, openPage, signIn, SIZES } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-gateway-position');
const BESIDE = { id: '!4d5e6f01', name: 'Town hall', lat: 38.4237, lon: 27.1428 };
const FAR = { id: '!4d5e6f02', name: 'Harbour post', lat: 38.4404, lon: 27.1502 };

test('a gateway without GPS stands, marked as estimated, at the node it hears best', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 700;
  // The gateway names itself but never reports a position: it has no GPS.
  gw.mesh(`!${gw.id}`, 'info', { longName: 'School gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  for (const [n, rssi] of [[BESIDE, -40], [FAR, -105]] as const) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: 'N', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++, rssi });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon }, { packetId: packetId++, rssi });
  }
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === FAR.id, { what: 'the far position' });

  for (const size of ['laptop', 'phone'] as const) {
    await t.test(`at ${SIZES[size].width}x${SIZES[size].height}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/map');
      const map = page.getByRole('region', { name: 'Node map' });
      const gateway = map.getByRole('button', { name: 'Gateway School gateway (online), position estimated' });
      await gateway.waitFor();
      assert.match((await gateway.getAttribute('class')) ?? '', /gw-marker--estimated/);
      await page.getByRole('list', { name: 'Legend' }).getByText('gateway without GPS, at the node it hears best').waitFor();
      const beside = map.locator(`path.node-marker`).first();
      await beside.waitFor();
      // Where the node it hears best is: the town hall, not the harbour post.
      const at = (await gateway.boundingBox())!;
      const towns = await map.locator('path.node-marker').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; }));
      const centre = { x: at.x + at.width / 2, y: at.y + at.height / 2 };
      const distances = towns.map((p) => Math.hypot(p.x - centre.x, p.y - centre.y)).sort((a, b) => a - b);
      assert.ok(distances[0]! < 30 && distances[1]! > 100, `beside the node it hears best (${distances.map(Math.round).join(', ')} px)`);
      // Beside it, not over it: the node's marker keeps showing its status colour.
      const node = (await map.locator('path.node-marker').evaluateAll((els) => els.map((e) => { const r = e.getBoundingClientRect(); return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom }; })))
        .sort((a, b) => Math.hypot((a.x0 + a.x1) / 2 - centre.x, (a.y0 + a.y1) / 2 - centre.y) - Math.hypot((b.x0 + b.x1) / 2 - centre.x, (b.y0 + b.y1) / 2 - centre.y))[0]!;
      assert.ok(at.x + at.width <= node.x0 + 1 || at.y + at.height <= node.y0 + 1, 'the gateway square does not cover the node');
      await gateway.focus();
      await page.keyboard.press('Enter');
      await page.locator('.leaflet-popup').getByText('No position of its own: shown at Town hall, the node it hears best').waitFor();
      // Leaflet fades the popup in (and pans to it): checked once it is all there.
      await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')!).opacity === '1');
      await page.locator('.leaflet-map-pane:not(.leaflet-pan-anim)').waitFor({ state: 'attached' });
      await page.screenshot({ path: join(SHOTS, `gateway-estimated-${size}.png`) });
      const found = (await axe(page)).map((v) => `${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`);
      assert.deepEqual(found, [], 'axe-core finds nothing to fix');
      assert.deepEqual(problems, []);
    });
  }
});
