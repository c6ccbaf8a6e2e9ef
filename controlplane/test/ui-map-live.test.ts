// The map draws a node's marker again when the node is renamed or goes on or offline, and puts
// every node back on top of the links on any fleet change: a popup the operator opened stays open,
// now with the new name, and the keyboard stays on the marker.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const NODE = { id: '!4d5e6f11', lat: 38.4237, lon: 27.1428 };

test('a node renamed while its popup is open: the popup stays open with the new name, and the focus stays on the marker', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 900;
  gw.mesh(NODE.id, 'info', { longName: 'Tent 4', shortName: 'T4', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(NODE.id, 'position', { latitude: NODE.lat, longitude: NODE.lon }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === NODE.id, { what: 'the position' });

  const { page, problems, context } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/map');
  const map = page.getByRole('region', { name: 'Node map' });
  await map.getByRole('button', { name: 'Tent 4 (online)' }).focus();
  await page.keyboard.press('Enter');
  const popup = page.locator('.leaflet-popup');
  await popup.getByText('Tent 4', { exact: true }).waitFor();

  gw.mesh(NODE.id, 'info', { longName: 'First aid tent', shortName: 'FA', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  await map.getByRole('button', { name: 'First aid tent (online)' }).waitFor();
  await popup.getByText('First aid tent', { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'First aid tent (online)', 'the keyboard is still on the node');

  // Any other fleet change redraws the links and puts the nodes back on top of them: the keyboard stays.
  gw.mesh('!4d5e6f12', 'info', { longName: 'Water point', shortName: 'WP', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh('!4d5e6f12', 'position', { latitude: NODE.lat + 0.01, longitude: NODE.lon + 0.01 }, { packetId: packetId++ });
  await map.getByRole('button', { name: 'Water point (online)' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'First aid tent (online)', 'still on the node after another one appeared');
  assert.deepEqual(problems, []);
});

test('a name a node gives itself over the air is text on the map, also in the tooltip of its link to a gateway', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 1900;
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Valley gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++ });
  gw.mesh(`!${gw.id}`, 'position', { latitude: NODE.lat - 0.01, longitude: NODE.lon - 0.01 }, { packetId: packetId++ });
  // Any radio on the channel can announce this; it fits the 64 characters the hub keeps.
  const name = '<b id=pwn>x</b><meta http-equiv=refresh content=0;url=/phish>';
  gw.mesh(NODE.id, 'info', { longName: name, shortName: 'EV', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(NODE.id, 'position', { latitude: NODE.lat, longitude: NODE.lon }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === NODE.id, { what: 'the position' });

  const { page, problems, context } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/map');
  const map = page.getByRole('region', { name: 'Node map' });
  await page.getByRole('button', { name: 'Fit to nodes' }).click();
  const link = map.locator('path.node-link').first();
  const tooltip = map.locator('.leaflet-tooltip').filter({ hasText: 'Valley gateway: SNR' });
  // The map redraws its links whole when anything arrives (the open alerts loading), which takes a
  // hover's tooltip with the old line: as for a person, moving the mouse on it again shows it.
  for (let tries = 1; ; tries++) {
    const box = (await link.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2 + 1, box.y + box.height / 2 + 1);
    const shown = await tooltip.waitFor({ timeout: 3000 }).then(() => true, () => false);
    if (shown) break;
    assert.ok(tries < 5, 'hovering a link shows its tooltip');
  }
  assert.match(await tooltip.innerText(), /<b id=pwn>x<\/b><meta http-equiv=refresh/, 'the name as the node sent it, as text');
  assert.equal(await page.locator('#pwn').count(), 0, 'nothing of it became part of the page');
  assert.match(page.url(), /#\/map$/, 'and the page stayed where it was');
  assert.deepEqual(problems, []);
});
