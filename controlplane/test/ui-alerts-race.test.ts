// The Alerts screen and the shared SOS store draw a snapshot of the hub's alerts that can be older
// than the events which arrived while it was on its way (a slow link, a big page): an SOS raised,
// acknowledged or resolved meanwhile must be neither lost nor undone when the snapshot lands, and
// the cards, the badge and the banner must agree with the hub.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { createAdminSession, type TestSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const CLINIC = { id: '!2b3c4d03', name: 'Clinic' };
const HARBOUR = { id: '!2b3c4d01', name: 'Harbour' };

/**
 * Every GET /api/v1/alerts?… the page sends is answered by the hub at once, but the answer reaches
 * the page only on release(): the snapshot is taken before what the test does next.
 */
async function holdAlertLists(page: Page): Promise<{ allAnswered(): Promise<void>; release(): void }> {
  const isList = (url: string) => /\/api\/v1\/alerts\?/.test(url);
  let sent = 0;
  let answered = 0;
  let wake = () => {};
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  page.on('request', (r) => {
    if (isList(r.url())) sent++;
  });
  await page.route((url) => isList(url.href), async (route) => {
    const response = await route.fetch();
    answered++;
    wake();
    await released;
    await route.fulfill({ response }).catch(() => undefined);
  });
  return {
    async allAnswered() {
      while (sent === 0 || answered < sent) await new Promise<void>((resolve) => (wake = resolve));
    },
    release,
  };
}

async function setUp(): Promise<{ hub: TestHub; admin: TestSession; gw: TestGateway; raise: (node: typeof CLINIC, level: string, text: string) => Promise<number> }> {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 7000;
  for (const n of [CLINIC, HARBOUR]) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4).toUpperCase(), hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.updated' && e.data.id === n.id && e.data.name === n.name, { what: `${n.name} named` });
  }
  let requestId = 1;
  const raise = async (node: typeof CLINIC, level: string, text: string) => {
    gw.mesh(node.id, 'alert', { level, text, requestId: requestId++, position: { latitude: 46.53, longitude: 6.65, precisionBits: 32 } }, { packetId: packetId++, snr: 3 });
    const e = await waitForEvent(hub, admin.orgId, (ev) => ev.type === 'alert.raised' && ev.data.nodeId === node.id && ev.data.text === text, { what: `${level} from ${node.name}` });
    return Number(e.data.id);
  };
  return { hub, admin, gw, raise };
}

test('an SOS raised while the alerts load stays on the Alerts screen, in the badge and in the banner', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const { hub, admin, raise } = await setUp();
  // Already open before sign-in: only the snapshot tells the page of it.
  await raise(HARBOUR, 'FLOOD', 'Water rising at the quay');

  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  const hold = await holdAlertLists(page);
  await signIn(page, hub, admin, '#/alerts');
  await hold.allAnswered();

  await raise(CLINIC, 'SOS', 'Trapped under rubble');
  const alerts = page.getByRole('list', { name: 'Alerts' });
  const sos = alerts.getByRole('article', { name: 'SOS from Clinic, Open' });
  await sos.waitFor();
  const banner = page.getByRole('alert').filter({ hasText: 'SOS from Clinic: Trapped under rubble' });
  await banner.waitFor();

  hold.release();
  // The snapshot has landed when the flood it alone knows of is drawn.
  await alerts.getByRole('article', { name: 'FLOOD from Harbour, Open' }).waitFor();
  assert.equal(await sos.count(), 1, 'the SOS raised while the list loaded is still there');
  await page.locator('#alerts-title + .summary').filter({ hasText: /^2 open$/ }).waitFor();
  await page.locator('a[href="#/alerts"] .nav-badge').filter({ hasText: /^2$/ }).waitFor();
  assert.equal(await banner.count(), 1, 'the banner stays until the SOS is handled');
  assert.equal(await sos.count(), 1);
  const open = (await (await fetch(`${hub.url}/api/v1/alerts?state=open`, { headers: { authorization: `Bearer ${admin.accessToken}` } })).json()) as { items: unknown[] };
  assert.equal(open.items.length, 2, 'as the hub has it');
  assert.deepEqual(problems, []);
});

for (const action of ['acknowledge', 'resolve'] as const) {
  const state = action === 'acknowledge' ? 'Acknowledged' : 'Resolved';
  test(`an SOS ${state.toLowerCase()} while the alerts load is not shown open again`, async (t) => {
    const browser = await launch();
    t.after(() => browser.close());
    const { hub, admin, raise } = await setUp();
    await raise(HARBOUR, 'FLOOD', 'Water rising at the quay');
    const sosId = await raise(CLINIC, 'SOS', 'Trapped under rubble');

    const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
    const hold = await holdAlertLists(page);
    await signIn(page, hub, admin, '#/alerts');
    await hold.allAnswered();

    // Another operator handles it; the page hears of it before the (older) snapshot arrives.
    const res = await fetch(`${hub.url}/api/v1/alerts/${sosId}/${action}`, { method: 'POST', headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    const alerts = page.getByRole('list', { name: 'Alerts' });
    const handled = alerts.getByRole('article', { name: `SOS from Clinic, ${state}` });
    await handled.waitFor();

    hold.release();
    await alerts.getByRole('article', { name: 'FLOOD from Harbour, Open' }).waitFor();
    assert.equal(await alerts.getByRole('article', { name: 'SOS from Clinic, Open' }).count(), 0, 'not reverted to open by the older snapshot');
    assert.equal(await handled.count(), 1);
    // An acknowledged SOS is not over until it is resolved: the summary still counts it.
    await page.locator('#alerts-title + .summary').filter({ hasText: action === 'resolve' ? /^1 open$/ : /^1 open · 1 acknowledged, not resolved$/ }).waitFor();
    await page.locator('a[href="#/alerts"] .nav-badge').filter({ hasText: /^1$/ }).waitFor();
    if (action === 'resolve') {
      // The shared store the map and the feed read: no open SOS pinned for a resolved one.
      await page.evaluate(() => (location.hash = '#/feed'));
      await page.getByRole('heading', { name: 'Live feed' }).waitFor();
      assert.equal(await page.getByRole('list', { name: 'Open SOS' }).getByText('SOS from Clinic').count(), 0);
    }
    assert.deepEqual(problems, []);
  });
}
