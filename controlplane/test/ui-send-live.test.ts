// The Send screen lists what every operator of the org sends, as it is sent: a colleague's
// broadcast appears on an open screen at once (queued), then moves on as the gateway reports.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHub } from './support/test-hub.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

test('a colleague\u2019s message appears on an open Send screen without a reload', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const colleague = await createOrgUser(hub, admin, 'member');
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Square gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the gateway online' });
  const { page, problems } = await openPage(browser, hub, { size: 'phone' });
  await signIn(page, hub, admin, '#/send');
  await page.getByText('Nothing sent yet.').waitFor();

  const sent = await api(hub, colleague, '/api/v1/messages', { method: 'POST', body: { text: 'water at the school at 6' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const row = page.getByRole('row').filter({ hasText: 'water at the school at 6' });
  await row.filter({ hasText: 'queued' }).waitFor();
  // The gateway takes it: the row says so.
  const command = await gw.nextDownlink();
  gw.txStatus({ ref: command.ref, packetId: 4242, status: 'queued' });
  await row.filter({ hasText: 'sent' }).waitFor();
  assert.equal(await page.getByText('Nothing sent yet.').isVisible(), false);
  assert.deepEqual(problems, []);
});

test('the Send screen\u2019s times age while it is open', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Square gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the gateway online' });
  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  // The page's clock is the test's to move: minutes pass without waiting for them.
  await page.clock.install();
  await signIn(page, hub, admin, '#/send');
  const sent = await api(hub, admin, '/api/v1/messages', { method: 'POST', body: { text: 'bread at the mosque' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const when = page.getByRole('row').filter({ hasText: 'bread at the mosque' }).locator('time');
  await when.filter({ hasText: 'just now' }).waitFor();
  await page.clock.fastForward('03:00');
  await when.filter({ hasText: '3 min ago' }).waitFor({ timeout: 5000 });
  assert.deepEqual(problems, []);
});

test('a recipient the operator picks stays picked when the fleet changes, also after arriving from a node\u2019s link', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const [shelter, school] = ['!3c4d5e21', '!3c4d5e22'];
  gw.mesh(shelter, 'info', { longName: 'Shelter', shortName: 'SHL', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 1 });
  gw.mesh(school, 'info', { longName: 'School', shortName: 'SCH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 2 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === school, { what: 'the school node' });
  const { page, problems } = await openPage(browser, hub, { size: 'phone' });
  // From the map's or an alert's link: the shelter is picked, already while the fleet loads (its
  // answer held here), never "Everyone" in its place.
  let fleetLoads!: () => void;
  const held = new Promise<void>((resolve) => (fleetLoads = resolve));
  const fleetList = /\/api\/v1\/nodes\?/;
  await page.route(fleetList, async (route) => {
    await held;
    await route.continue();
  });
  await signIn(page, hub, admin, `#/send/${encodeURIComponent(shelter)}`);
  const to = page.locator('#send-to');
  await to.locator('option:checked', { hasText: `${shelter} (loading the fleet…)` }).waitFor({ state: 'attached' });
  fleetLoads();
  await to.locator('option:checked', { hasText: `Shelter (${shelter})` }).waitFor({ state: 'attached' });
  await page.unroute(fleetList);
  // The operator would rather tell everyone; then the school reports a new name.
  await to.selectOption('broadcast');
  gw.mesh(school, 'info', { longName: 'School (clinic)', shortName: 'SCH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 3 });
  await to.locator('option', { hasText: 'School (clinic)' }).waitFor({ state: 'attached' });
  assert.equal(await to.inputValue(), 'broadcast', 'what the operator picked, not the link\u2019s node again');
  // A link to another node while the screen is open picks that one.
  await page.evaluate((id) => (location.hash = `#/send/${encodeURIComponent(id)}`), school);
  await page.waitForFunction((id) => (document.getElementById('send-to') as HTMLSelectElement | null)?.value === id, school);
  // A link to a node the fleet does not have: that node shows picked, saying so (the hub says no
  // gateway can reach it if sent), and stays picked, named, when it first reports.
  const stranger = '!3c4d5e23';
  await page.evaluate((id) => (location.hash = `#/send/${encodeURIComponent(id)}`), stranger);
  await to.locator('option:checked', { hasText: `${stranger} (not in the fleet)` }).waitFor({ state: 'attached' });
  gw.mesh(school, 'info', { longName: 'School (clinic 2)', shortName: 'SCH', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 4 });
  await to.locator('option', { hasText: 'School (clinic 2)' }).waitFor({ state: 'attached' });
  assert.equal(await to.inputValue(), stranger, 'still the node the link asked for, after a redraw');
  gw.mesh(stranger, 'info', { longName: 'Field team', shortName: 'FT', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 5 });
  await to.locator('option:checked', { hasText: `Field team (${stranger})` }).waitFor({ state: 'attached' });
  assert.equal(await to.locator('option', { hasText: 'not in the fleet' }).count(), 0, 'one option for it, named');
  // The operator picks Everyone: a later report keeps it.
  await to.selectOption('broadcast');
  gw.mesh(stranger, 'info', { longName: 'Field team 2', shortName: 'FT', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 6 });
  await to.locator('option', { hasText: 'Field team 2' }).waitFor({ state: 'attached' });
  assert.equal(await to.inputValue(), 'broadcast');
  assert.deepEqual(problems, []);
});

test('the line under Send follows the message it sent: queued, sent, then delivered when the node acknowledged it; a later refusal stays said', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const farm = '!3c4d5e31';
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Square gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: 1 });
  gw.mesh(farm, 'info', { longName: 'Farm', shortName: 'FRM', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 2 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === farm, { what: 'the farm node' });
  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(page, hub, admin, `#/send/${encodeURIComponent(farm)}`);
  await page.locator('#send-to option:checked', { hasText: `Farm (${farm})` }).waitFor({ state: 'attached' });
  const line = page.locator('.form-actions .form-result');
  const send = async (text: string) => {
    await page.locator('#send-text').fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
  };
  await send('team coming, stay where you are');
  await line.filter({ hasText: 'To Farm: queued' }).waitFor();
  const command = await gw.nextDownlink();
  gw.txStatus({ ref: command.ref, packetId: 4343, status: 'queued' });
  await line.filter({ hasText: 'To Farm: sent' }).waitFor();
  gw.mesh(farm, 'ack', { error: 'NONE', requestId: 4343 }, { packetId: 3, to: `!${gw.id}` });
  await line.filter({ hasText: 'To Farm: delivered' }).waitFor();
  await page.getByRole('row').filter({ hasText: 'team coming' }).filter({ hasText: 'delivered' }).waitFor();

  // Another goes out; the one after it is refused; the news of the first (sent, late) does not cover the refusal.
  await send('water at the school');
  await line.filter({ hasText: 'To Farm: queued' }).waitFor();
  const water = await gw.nextDownlink();
  await page.route(`**/api/v1/nodes/${encodeURIComponent(farm)}/messages`, (route) =>
    route.request().method() === 'POST' ? route.fulfill({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 503, code: 'E_UNAVAILABLE', error: 'Service Unavailable', message: 'no gateway heard the node recently' }) }) : route.continue(),
  );
  await send('second message');
  await line.filter({ hasText: /^Not sent: / }).waitFor();
  const refusal = await line.innerText();
  gw.txStatus({ ref: water.ref, packetId: 4344, status: 'queued' });
  await page.getByRole('row').filter({ hasText: 'water at the school' }).filter({ hasText: 'sent' }).waitFor();
  assert.equal(await line.innerText(), refusal, 'the refusal stays said');
  assert.deepEqual(problems.filter((p) => !/status of 503/.test(p)), []);
});
