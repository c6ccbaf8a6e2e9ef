// An SOS card says how old and how precise its own position is. A node that raised an SOS, was
// helped, and later raises another from elsewhere with an old, coarse fix: the new card says the fix
// is 40 minutes old and coarse, and the closed card keeps its own age, not the new SOS's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { join } from 'node:path';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const NODE = '!4d5e6f07';

test("each SOS card shows its own position's age and accuracy, not those of the node's newer SOS", async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 700;
  gw.mesh(NODE, 'info', { longName: 'Farm', shortName: 'FARM', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(NODE, 'alert', { level: 'SOS', text: 'SOS', requestId: 1, position: { latitude: 46.53, longitude: 6.65, precisionBits: 32 } }, { packetId: packetId++ });
  const first = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === NODE, { what: 'the first SOS' });
  const resolved = await api(hub.url, admin, `/api/v1/alerts/${first.data.id}/resolve`, { method: 'POST', body: {} });
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
  // The new SOS carries a fix taken 40 minutes ago, to 16 bits of precision.
  const fixTime = new Date(Date.now() - 40 * 60_000).toISOString();
  gw.mesh(NODE, 'alert', { level: 'SOS', text: 'SOS', requestId: 2, position: { latitude: 46.61, longitude: 6.72, time: fixTime, precisionBits: 16 } }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === NODE && e.id > first.id, { what: 'the second SOS' });

  const { page, problems, context } = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/alerts');
  await page.locator('#alerts-filter').selectOption('');
  const alerts = page.getByRole('list', { name: 'Alerts' });
  const facts = (state: RegExp) => alerts.getByRole('article', { name: state }).locator('.alert-facts');
  const open = facts(/^SOS from Farm, Open/);
  // The new card learns its fix's age and precision from the SOS frame.
  await open.filter({ hasText: '40 min ago' }).waitFor();
  assert.match(await open.innerText(), /Accuracy\s+about ±\d/);
  const closed = await facts(/^SOS from Farm, Resolved/).innerText();
  assert.doesNotMatch(closed, /40 min ago|about ±/, `the closed SOS keeps its own position's age and accuracy: ${closed}`);
  assert.match(closed, /Position age\s+(just now|\d+ s ago)/);
  assert.doesNotMatch(await open.innerText(), /Node’s latest position/, 'no newer position yet');

  // The person moves on: the node's next position report, 0.01° (about 1.1 km) north of the SOS fix, shows beside it.
  gw.mesh(NODE, 'position', { latitude: 46.62, longitude: 6.72 }, { packetId: packetId++ });
  await open.filter({ hasText: 'Node’s latest position' }).waitFor();
  assert.match(await open.innerText(), /Node’s latest position\s+1\.1 km N \(0°\) of this position, (just now|\d+ s ago)/);
  assert.doesNotMatch(await facts(/^SOS from Farm, Resolved/).innerText(), /Node’s latest position/, 'not on the closed card');
  await page.screenshot({ path: join(artifactsDir('ui-alert-position-age'), 'moved-since-sos.png') });
  assert.deepEqual(problems, []);
});
