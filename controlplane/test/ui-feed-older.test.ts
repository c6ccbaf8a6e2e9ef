// The live feed opens on the newest 30 things the mesh said; what came before stays reachable: "Show
// older" loads the page before, until there is no more. A position's row gives no altitude for the
// "not set" 0.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const NODE = '!3c4d5e3a';

test('the live feed loads older history on request, in order, until there is none', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh(NODE, 'info', { longName: 'Bridge', shortName: 'BRG', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 1 });
  for (let i = 1; i <= 40; i++) gw.mesh(NODE, 'text', { text: `report ${i}` }, { packetId: 100 + i, rxTime: new Date(Date.now() - (41 - i) * 60_000).toISOString() });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text' && (e.data.data as { text?: string })?.text === 'report 40', { what: 'the last report' });

  const { page, problems, context } = await openPage(browser, hub, { size: 'phone' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/feed');
  const feed = page.getByRole('list', { name: 'Live mesh feed' });
  const reports = async () => (await feed.getByRole('listitem').allInnerTexts()).flatMap((x) => x.match(/report (\d+)/)?.[1] ?? []).map(Number);
  const older = page.getByRole('button', { name: 'Show older' });
  await older.waitFor();
  const first = await reports();
  assert.ok(first.includes(40) && !first.includes(1), `the newest first, not all: ${first.join(',')}`);
  await older.click();
  await feed.getByRole('listitem').filter({ hasText: /report 1(?!\d)/ }).waitFor();
  const all = await reports();
  assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => 40 - i), 'every report once, newest on top');
  await older.waitFor({ state: 'hidden' });

  // Positions: an altitude when the node has one; none (not "0 m") when it sends 0, protobuf's "not set".
  gw.mesh(NODE, 'position', { latitude: 46.52, longitude: 6.63, altitudeM: 0 }, { packetId: 200 });
  gw.mesh(NODE, 'position', { latitude: 46.53, longitude: 6.64, altitudeM: 412 }, { packetId: 201 });
  await feed.getByRole('listitem').first().filter({ hasText: '412 m' }).waitFor();
  assert.doesNotMatch(await feed.getByRole('listitem').nth(1).innerText(), /\b0 m\b/);
  assert.match(await feed.getByRole('listitem').nth(1).innerText(), /46\.52/);
  assert.deepEqual(problems, []);
});
