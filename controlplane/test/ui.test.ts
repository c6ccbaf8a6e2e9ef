// The admin web UI in a real browser (Debian's Chromium through playwright-core) against a real
// hub: first-run setup, the fleet table, the offline map (checked on a screenshot), the live
// feed, sending a text and following its status, handling an SOS, sensors, sign-out, and a
// session that outlives its access token. Data reaches the hub the way it does in the field:
// a claimed gateway's real uplink over the hub broker.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, it, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { openPage } from './support/ui-browser.ts';
import { createAdminSession, TEST_PASSWORD, type TestSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { testIdentity } from './support/test-identity.ts';
import { waitForEvent } from './support/hub-events.ts';

const CHROMIUM = process.env.UNIBOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const SHOTS = mkdtempSync(join(tmpdir(), 'unibos-ui-test-'));

const ADMIN = { email: 'admin@valley-rescue.test', password: TEST_PASSWORD, name: 'Ada Admin', org: 'Valley Rescue' };
const GATEWAY_IDENTITY = testIdentity();
const GATEWAY = GATEWAY_IDENTITY.id;
/** Names carry markup on purpose: the UI must show them as text. */
const RIDGE = { id: '!1a2b3c01', name: 'Ridge <b>Station</b>', lat: 46.5201, lon: 7.9601 };
const VALLEY = { id: '!1a2b3c02', name: 'Valley Hut', lat: 46.5102, lon: 7.9803 };
const CABIN = { id: '!1a2b3c03', name: 'Old Cabin', lat: 46.5305, lon: 7.9902 };

/** Fails (never skips) when the browser is missing, naming it and the fix. */
async function launch(executablePath = CHROMIUM, extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: the UI tests drive Debian's Chromium. Install it (apt-get install chromium) or point UNIBOS_CHROMIUM at a Chromium binary.`);
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A fresh page that fails the test on any script error, CSP violation or request leaving the hub. */
function newPage(browser: Browser, hub: TestHub, otherHosts: string[] = []): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  return openPage(browser, hub, { viewport: { width: 1280, height: 860 }, locale: null, otherHosts });
}

async function signIn(page: Page, hub: TestHub, session: TestSession, hash = ''): Promise<void> {
  await page.goto(`${hub.url}/${hash}`);
  await page.getByLabel('Email').fill(session.email);
  await page.getByLabel('Password').fill(session.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
}

async function login(hub: TestHub, email: string, password: string): Promise<TestSession> {
  const res = await fetch(`${hub.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  assert.equal(res.status, 200, `API login: ${res.status} ${await res.clone().text()}`);
  const s = (await res.json()) as { accessToken: string; refreshToken: string; user: { id: string }; org: { id: string } };
  return { accessToken: s.accessToken, refreshToken: s.refreshToken, orgId: s.org.id, userId: s.user.id, email, password };
}

// One hub and one signed-in page walk through the screens in order, as an admin would. The steps
// are subtests of one test so the hub and the gateway (stopped by the test that started them)
// live across all of them.
test('admin web UI', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots (fleet, map, feed, send, alerts, sensors): ${SHOTS}`);
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const { page, problems } = await newPage(browser, hub);
  let admin: TestSession | undefined;
  let gw: TestGateway | undefined;
  let packetId = 1000;
  /** The gateway, once the first step has made an admin to claim it with. */
  const gateway = (): TestGateway => {
    assert.ok(gw, 'the gateway is connected (the setup step passed)');
    return gw;
  };

  await t.test('creates the first admin from the setup link and opens the fleet', async () => {
    const token = hub.app.auth.setupToken();
    assert.ok(token, 'a fresh hub offers a setup token');
    await page.goto(`${hub.url}/#setup=${token}`);
    await page.getByRole('heading', { name: 'Set up this hub' }).waitFor();
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Organisation name').fill(ADMIN.org);
    const setup = page.waitForResponse((r) => r.url().endsWith('/api/v1/setup') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Create admin account' }).click();
    assert.equal((await setup).status(), 201);
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    await page.locator('.who-org').getByText(ADMIN.org, { exact: true }).waitFor();
    assert.ok(!page.url().includes('setup='), 'the one-time token leaves the address bar');
    await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('unibos.refreshToken') !== null), true, 'the refresh token is kept for this tab');
    assert.equal(await page.evaluate(() => JSON.stringify(localStorage).includes('ey')), false, 'no token in localStorage');
  });
  if (hub.app.auth.setupToken() === null) {
    admin = await login(hub, ADMIN.email, ADMIN.password);
    gw = await TestGateway.connect(hub, admin, GATEWAY_IDENTITY);
  }

  await t.test('lists nodes with status, battery, SNR and the gateway that heard them, live as they are heard', async () => {
    const now = Date.now();
    for (const n of [RIDGE, VALLEY]) {
      gateway().mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: packetId++, snr: 6.5 });
      gateway().mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon, altitudeM: 1500 }, { packetId: packetId++, snr: 6.5 });
    }
    gateway().mesh(RIDGE.id, 'telemetry', { batteryLevel: 87, voltage: 4.1 }, { packetId: packetId++, snr: 6.5 });
    // Heard an hour ago only: known, but offline.
    const old = new Date(now - 3600_000).toISOString();
    gateway().mesh(CABIN.id, 'info', { longName: CABIN.name, shortName: 'CABN', hwModel: 'TBEAM', role: 'CLIENT' }, { packetId: packetId++, rxTime: old, snr: -4 });
    gateway().mesh(CABIN.id, 'position', { latitude: CABIN.lat, longitude: CABIN.lon }, { packetId: packetId++, rxTime: old, snr: -4 });
    await waitForEvent(hub, admin!.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === CABIN.id, { what: 'the cabin position' });

    const fleet = page.getByRole('table', { name: 'Fleet' });
    const ridge = fleet.getByRole('row', { name: /Ridge <b>Station<\/b>/ });
    await ridge.filter({ hasText: '87%' }).waitFor();
    const ridgeText = await ridge.innerText();
    assert.match(ridgeText, /Online/);
    assert.match(ridgeText, /6\.5 dB/);
    assert.match(ridgeText, new RegExp(`!${GATEWAY}`), 'heard by the gateway');
    assert.match(ridgeText, /heard, unclaimed/, 'a node only heard is not the org\u2019s own');
    assert.match(ridgeText, /just now|s ago/);
    assert.equal(await fleet.locator('b').count(), 0, 'a name with markup is shown as text, not parsed');
    await fleet.getByRole('row', { name: /Old Cabin/ }).filter({ hasText: 'Offline' }).waitFor();
    assert.match(await fleet.getByRole('row', { name: /Old Cabin/ }).innerText(), /1 h ago/);
    await fleet.getByRole('row', { name: /Valley Hut/ }).filter({ hasText: 'Online' }).waitFor();
    // A gateway without a name is called a gateway (with its id), not a bare id.
    await fleet.getByRole('row', { name: new RegExp(`^Gateway !${GATEWAY}`) }).filter({ hasText: 'Online' }).waitFor();

    // A reload shows the same fleet from the API (the session survives the reload).
    await page.reload();
    await page.getByRole('table', { name: 'Fleet' }).getByRole('row', { name: /Valley Hut/ }).waitFor();
    await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'fleet.png'), fullPage: true });
  });

  await t.test('draws the nodes on the offline map, green online and grey offline, inside the map', async () => {
    await page.getByRole('link', { name: 'Map' }).click();
    const map = page.getByRole('region', { name: 'Node map' });
    await map.waitFor();
    const markers = map.locator('path.node-marker');
    await page.waitForFunction(() => document.querySelectorAll('#node-map path.node-marker').length === 3);
    assert.equal(await map.locator('path.node-marker--online').count(), 2);
    assert.equal(await map.locator('path.node-marker--offline').count(), 1);
    assert.equal(await map.locator('.leaflet-tile-container img').count(), 0, 'no tile images without a tile server');
    await map.locator('canvas.graticule-tile').first().waitFor();

    const mapBox = (await map.boundingBox())!;
    const png = await map.screenshot({ path: join(SHOTS, 'map.png') });
    const image = decodePng(png);
    // The element screenshot starts at the whole pixel at or before the map's (fractional) corner.
    const ox = Math.floor(mapBox.x);
    const oy = Math.floor(mapBox.y);
    assert.ok(Math.abs(image.width - mapBox.width) <= 2, `the screenshot is the map (${image.width} px wide, map ${mapBox.width})`);
    const background = image.pixel(2, Math.floor(image.height / 2));
    let differing = 0;
    for (let y = 0; y < image.height; y += 2) for (let x = 0; x < image.width; x += 2) if (distance(image.pixel(x, y), background) > 60) differing++;
    assert.ok(differing > 150, `the map shows more than its background (${differing} sampled pixels differ)`);

    for (let i = 0; i < 3; i++) {
      const marker = markers.nth(i);
      const box = (await marker.boundingBox())!;
      const cx = box.x + box.width / 2 - ox;
      const cy = box.y + box.height / 2 - oy;
      assert.ok(cx > 8 && cy > 8 && cx < mapBox.width - 8 && cy < mapBox.height - 8, `marker ${i} lies inside the map (fitted to the nodes): ${cx},${cy}`);
      const [r, g, b] = image.pixel(Math.round(cx), Math.round(cy));
      const online = ((await marker.getAttribute('class')) ?? '').includes('node-marker--online');
      if (online) assert.ok(g > r + 40 && g > b + 30, `online marker ${i} is green on the screenshot, got rgb(${r},${g},${b})`);
      else assert.ok(Math.abs(r - g) < 20 && Math.abs(g - b) < 25 && g < 200, `offline marker ${i} is grey on the screenshot, got rgb(${r},${g},${b})`);
    }

    // A name in the popup is text too.
    await map.locator('path.node-marker--online').first().click();
    const popup = map.locator('.leaflet-popup-content');
    await popup.waitFor();
    assert.match(await popup.innerText(), /Ridge <b>Station<\/b>|Valley Hut/);
    assert.equal(await popup.locator('b').count(), 0);
  });

  await t.test('appends events to the live feed as they happen, newest on top', async () => {
    await page.getByRole('link', { name: 'Live feed' }).click();
    const feed = page.getByRole('list', { name: 'Live mesh feed' });
    await feed.waitFor();
    await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
    gateway().mesh(VALLEY.id, 'text', { text: 'Bridge on the lower trail is out' }, { packetId: packetId++ });
    await feed.getByRole('listitem').first().filter({ hasText: 'Bridge on the lower trail is out' }).waitFor();
    assert.match(await feed.getByRole('listitem').first().innerText(), /Valley Hut/);
    gateway().mesh(RIDGE.id, 'telemetry', { batteryLevel: 64, voltage: 3.8 }, { packetId: packetId++ });
    await feed.getByRole('listitem').first().filter({ hasText: 'battery 64%' }).waitFor();
    assert.match(await feed.getByRole('listitem').nth(1).innerText(), /Bridge on the lower trail is out/, 'the earlier event moved down');
    await page.screenshot({ path: join(SHOTS, 'feed.png') });
  });

  await t.test('sends a text to a node and follows its status live: queued, sent, delivered', async () => {
    await page.getByRole('link', { name: 'Send' }).click();
    await page.getByLabel('Recipient').selectOption(VALLEY.id);
    await page.getByLabel('Message', { exact: true }).fill('Stay at the hut, team on the way');
    const post = page.waitForResponse((r) => r.url().endsWith(`/api/v1/nodes/${encodeURIComponent(VALLEY.id)}/messages`) && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const res = await post;
    assert.equal(res.status(), 202);
    const message = (await res.json()) as { id: string };
    assert.deepEqual(res.request().postDataJSON(), { text: 'Stay at the hut, team on the way' });

    const sent = page.getByRole('table', { name: 'Sent messages' });
    const row = sent.getByRole('row', { name: /Stay at the hut, team on the way/ });
    await row.waitFor();
    assert.match(await row.innerText(), /Valley Hut/);

    // The gateway got the command; its report and the node's ack move the status on.
    const command = await gateway().nextDownlink();
    assert.equal(command.ref, message.id);
    gateway().txStatus({ ref: message.id, status: 'queued', packetId: 4242 });
    await row.filter({ hasText: 'sent' }).waitFor();
    gateway().mesh(VALLEY.id, 'ack', { requestId: 4242, error: 'NONE' }, { packetId: packetId++ });
    await row.filter({ hasText: 'delivered' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'send.png') });
  });

  await t.test('broadcasts an alert to everyone, after asking; never an SOS (a person calls for help, not the hub)', async () => {
    await page.getByLabel('Recipient').selectOption('broadcast');
    await page.getByRole('radio', { name: 'Alert' }).check();
    const levels = await page.getByLabel('Alert level').locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    assert.equal(levels[0], 'WARNING', 'a warning unless the admin picks another level');
    assert.ok(!levels.includes('SOS'), `no SOS from the hub: ${levels.join(', ')}`);
    await page.getByLabel('Alert level').selectOption('EVACUATE');
    await page.getByLabel('Message', { exact: true }).fill('Flood warning: leave the valley floor');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/messages') && r.method() === 'POST') posts.push(r.url());
    });
    // Asked first, Cancel focused: cancelled, nothing is sent.
    await page.getByRole('button', { name: 'Send alert' }).click();
    const question = page.getByRole('dialog', { name: 'Send this Evacuate alert to everyone?' });
    await question.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
    await page.keyboard.press('Enter');
    await question.waitFor({ state: 'detached' });
    assert.deepEqual(posts, [], 'cancelled: nothing sent');
    const post = page.waitForResponse((r) => r.url().endsWith('/api/v1/messages') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send alert' }).click();
    await question.getByRole('button', { name: 'Send alert' }).click();
    const res = await post;
    assert.equal(res.status(), 202);
    assert.deepEqual(res.request().postDataJSON(), { alert: { level: 'EVACUATE', text: 'Flood warning: leave the valley floor' } });
    await page.getByRole('table', { name: 'Sent messages' }).getByRole('row', { name: /Flood warning/ }).filter({ hasText: 'Everyone' }).waitFor();
    await gateway().nextDownlink();
  });

  await t.test('raises an SOS on every screen, then acknowledges and resolves it', async () => {
    await page.getByRole('link', { name: 'Fleet' }).click();
    gateway().mesh(RIDGE.id, 'alert', { level: 'SOS', text: 'Climber injured below the ridge' }, { packetId: packetId++ });
    // Announced wherever the admin is.
    await page.getByRole('alert').filter({ hasText: 'Climber injured below the ridge' }).waitFor();
    await page.getByRole('link', { name: /Alerts/ }).filter({ hasText: '1' }).waitFor();
    // A keyboard user on the SOS row's link (the node's name, beside its SOS tag) stays there while the fleet updates live.
    const fleet = page.getByRole('table', { name: 'Fleet' });
    await fleet.getByRole('row', { name: /Ridge/ }).getByRole('link', { name: /Ridge/ }).focus();
    gateway().mesh(VALLEY.id, 'telemetry', { batteryLevel: 42, voltage: 3.7 }, { packetId: packetId++, snr: 6.5 });
    await fleet.getByRole('row', { name: /Valley Hut/ }).filter({ hasText: '42%' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.nodeId), RIDGE.id, 'focus stayed on the link of the ridge row');

    await page.getByRole('link', { name: /^Alerts/ }).click();
    const alerts = page.getByRole('list', { name: 'Alerts' });
    const card = alerts.getByRole('article', { name: /SOS from Ridge <b>Station<\/b>/ });
    await card.filter({ hasText: 'Open' }).waitFor();
    assert.match((await card.locator('xpath=..').getAttribute('class')) ?? '', /is-sos/, 'an open SOS is highlighted');
    await page.screenshot({ path: join(SHOTS, 'alerts.png') });

    // A keyboard user on the card's Acknowledge button stays there when another alert comes in.
    await card.getByRole('button', { name: /^Acknowledge/ }).focus();
    gateway().mesh(VALLEY.id, 'alert', { level: 'ALERT', text: 'Rockfall on the valley road' }, { packetId: packetId++ });
    await alerts.getByRole('article').filter({ hasText: 'Rockfall on the valley road' }).waitFor();
    assert.match((await page.evaluate(() => document.activeElement?.closest('li')?.textContent)) ?? '', /Climber injured below the ridge/, 'focus stayed on the SOS card');

    // The dialog asking for a note, cancelled after another alert redrew the cards meanwhile: the
    // keyboard is back on the SOS card's button.
    await card.getByRole('button', { name: /^Acknowledge/ }).press('Enter');
    await page.getByRole('dialog', { name: /Acknowledge the SOS from Ridge/ }).waitFor();
    gateway().mesh(CABIN.id, 'alert', { level: 'ALERT', text: 'Road blocked at the pass' }, { packetId: packetId++ });
    // Behind the modal dialog the page is inert, out of the accessibility tree: found by its markup.
    await page.locator('li[data-alert-id] article', { hasText: 'Road blocked at the pass' }).waitFor({ state: 'attached' });
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => /^Acknowledge/.test(document.activeElement?.textContent ?? '') && /Climber injured below the ridge/.test(document.activeElement?.closest('li')?.textContent ?? ''));

    // Acknowledging asks for a note for the person first.
    await card.getByRole('button', { name: /^Acknowledge/ }).click();
    const dialog = page.getByRole('dialog', { name: /Acknowledge the SOS from Ridge/ });
    await dialog.getByLabel('Note for the person (optional)').fill('Team on the way, 15 min');
    const ack = page.waitForResponse((r) => /\/api\/v1\/alerts\/\d+\/acknowledge$/.test(r.url()));
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    assert.equal((await ack).status(), 200);
    assert.equal(JSON.parse((await ack).request().postData() ?? '{}').note, 'Team on the way, 15 min');
    await card.getByText('Note: Team on the way, 15 min').waitFor();
    assert.match(await card.innerText(), /by Ada Admin/, 'the person who acknowledged is named, not an account id');
    assert.doesNotMatch(await card.innerText(), /user:/);
    await card.filter({ hasText: 'Acknowledged' }).waitFor();
    assert.equal(await card.getByRole('button', { name: /^Acknowledge/ }).count(), 0);

    // Resolving asks first; Cancel (which has the focus) leaves it as it was.
    await card.getByRole('button', { name: /^Resolve/ }).click();
    const ask = page.getByRole('dialog', { name: /^Resolve the SOS from Ridge/ });
    await ask.getByText('Their node is told the SOS is closed.', { exact: false }).waitFor();
    await page.keyboard.press('Enter');
    await ask.waitFor({ state: 'detached' });
    assert.equal(await card.getByRole('button', { name: /^Resolve/ }).count(), 1, 'Enter on the question cancels: the SOS is still open');
    await card.filter({ hasText: 'Acknowledged' }).waitFor();
    const resolve = page.waitForResponse((r) => /\/api\/v1\/alerts\/\d+\/resolve$/.test(r.url()));
    await card.getByRole('button', { name: /^Resolve/ }).click();
    await page.getByRole('dialog', { name: /^Resolve the SOS from Ridge/ }).getByRole('button', { name: 'Resolve' }).click();
    assert.equal((await resolve).status(), 200);
    await card.filter({ hasText: 'Resolved' }).waitFor();
    for (const text of ['Rockfall on the valley road', 'Road blocked at the pass']) {
      const other = alerts.getByRole('article').filter({ hasText: text });
      await other.getByRole('button', { name: /^Resolve/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Resolve' }).click();
      await other.filter({ hasText: 'Resolved' }).waitFor();
    }
    await page.waitForFunction(() => (document.querySelector('a[href="#/alerts"] .nav-badge') as HTMLElement | null)?.hidden === true);

    // The state is the hub's, not only the page's.
    const res = await fetch(`${hub.url}/api/v1/alerts?state=resolved`, { headers: { authorization: `Bearer ${admin!.accessToken}` } });
    const body = (await res.json()) as { items: Array<{ text: string }> };
    assert.ok(body.items.some((a) => a.text === 'Climber injured below the ridge'));
  });

  await t.test('lists sensors and charts a metric, extended live', async () => {
    for (const v of ['4.5', '5.0', '5.75']) gateway().sensor('river-gauge', 'level', v);
    await waitForEvent(hub, admin!.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 5.75, { what: 'the third reading' });
    await page.getByRole('link', { name: 'Sensors' }).click();
    await page.getByRole('table', { name: 'Sensors' }).getByRole('row', { name: /river-gauge/ }).filter({ hasText: 'level: 5.75' }).waitFor();
    const chart = page.getByRole('img', { name: /level of river-gauge/ });
    await chart.waitFor();
    assert.equal(await chart.locator('circle').count(), 3);
    // A keyboard user on the row's Chart button: the live reading redraws the table, not their place.
    await page.getByRole('button', { name: 'Chart river-gauge' }).focus();
    gateway().sensor('river-gauge', 'level', '{"value": 6.25, "unit": "m"}');
    await page.waitForFunction(() => document.querySelectorAll('svg.line-chart circle').length === 4);
    await page.getByRole('table', { name: 'Sensors' }).getByRole('row', { name: /river-gauge/ }).filter({ hasText: 'level: 6.25 m' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Chart river-gauge', 'focus stayed on the Chart button');
    await page.screenshot({ path: join(SHOTS, 'sensors.png'), fullPage: true });
  });

  await t.test('signs out, forgets the session, and signs in again', async () => {
    const logout = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    assert.equal((await logout).status(), 204);
    await page.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('unibos.refreshToken')), null);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();

    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back on the screen the admin left (the address keeps it).
    await page.getByRole('heading', { name: 'Sensors', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('table', { name: 'Fleet' }).getByRole('row', { name: /Valley Hut/ }).waitFor();
    assert.deepEqual(problems, [], 'no script errors, CSP violations or outside requests');
  });
});

describe('admin web UI sessions and settings', () => {
  it('refreshes an expired access token and carries on, and asks to sign in when the session is gone', async (t) => {
    const browser = await launch();
    t.after(() => browser.close());
    let skewMs = 0;
    const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => Date.now() + skewMs });
    const admin = await createAdminSession(hub);
    const { page, problems } = await newPage(browser, hub);
    await signIn(page, hub, admin);
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();

    // The hub's clock passes the access token's lifetime (15 min) but not the refresh token's.
    skewMs = 20 * 60_000;
    const expired = page.waitForResponse((r) => r.url().endsWith('/api/v1/sensors') && r.status() === 401);
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.getByRole('link', { name: 'Sensors' }).click();
    assert.equal(((await (await expired).json()) as { code: string }).code, 'E_AUTH_EXPIRED');
    assert.equal((await refreshed).status(), 200);
    await page.getByText('No sensors have reported yet.').waitFor();
    assert.equal(await page.getByLabel('Sensor', { exact: true }).isDisabled(), true, 'nothing to chart yet: the choices are off');

    // The refresh token's family is revoked elsewhere (sign-out in another tab): back to sign-in.
    const stored = await page.evaluate(() => sessionStorage.getItem('unibos.refreshToken'));
    const out = await fetch(`${hub.url}/api/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: stored }) });
    assert.equal(out.status, 204);
    skewMs = 40 * 60_000;
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();
    await page.getByRole('alert').filter({ hasText: /sign in again/ }).waitFor();
    assert.deepEqual(problems, []);
  });

  it('shows the configured tile server under the grid, allowed by the page\u2019s CSP', async (t) => {
    const browser = await launch();
    t.after(() => browser.close());
    const tileRequests: string[] = [];
    const tiles = createServer((req, res) => {
      tileRequests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(ONE_PIXEL_PNG);
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => tiles.close(() => resolve())));
    const tileHost = `127.0.0.1:${(tiles.address() as AddressInfo).port}`;
    const mapTileUrl = `http://${tileHost}/{z}/{x}/{y}.png`;
    const hub = await startTestHub({ mapTileUrl });
    const config = await fetch(`${hub.url}/api/v1/ui-config`);
    assert.equal(config.status, 200, 'the UI settings need no sign-in');
    assert.deepEqual(await config.json(), { mapTileUrl, region: null });

    const admin = await createAdminSession(hub);
    const { page, problems } = await newPage(browser, hub, [tileHost]);
    await signIn(page, hub, admin, '#/map');
    const map = page.getByRole('region', { name: 'Node map' });
    await map.locator('img.leaflet-tile-loaded').first().waitFor();
    assert.ok(tileRequests.length > 0 && tileRequests.every((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u)), `tiles requested as z/x/y: ${tileRequests.slice(0, 3).join(', ')}`);
    assert.deepEqual(problems, [], 'no CSP violation for the tile origin');
  });

  it('works over plain HTTP at a LAN name, as a hub without TLS is reached in the field', async (t) => {
    // The name resolves to loopback inside this browser only; to Chromium it is an ordinary,
    // not potentially trustworthy, http:// origin (unlike 127.0.0.1), where a CSP that upgrades
    // insecure requests would send every script, style and the event stream to https:// and fail.
    const browser = await launch(CHROMIUM, ['--host-resolver-rules=MAP hub.lan 127.0.0.1']);
    t.after(() => browser.close());
    const hub = await startTestHub();
    const admin = await createAdminSession(hub);
    const lan = { ...hub, url: `http://hub.lan:${hub.httpPort}` };
    const { page, problems } = await newPage(browser, lan);
    await signIn(page, lan, admin);
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    assert.deepEqual(problems.filter((p) => !/Cross-Origin-Opener-Policy|Origin-Agent-Cluster/.test(p)), []);
  });

  it('fails, naming the fix, when Chromium is missing', async () => {
    await assert.rejects(launch('/nonexistent/chromium'), /Chromium not found at \/nonexistent\/chromium.*apt-get install chromium/);
  });
});

/** Minimal PNG reader for the screenshot check (8-bit RGB/RGBA, not interlaced: what Chromium writes). */
function decodePng(buf: Buffer): { width: number; height: number; pixel(x: number, y: number): [number, number, number] } {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG screenshot');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.subarray(at + 4, at + 8).toString('latin1');
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      assert.equal(data[12], 0, 'not interlaced');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${data[9]}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      out[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => {
      const i = y * stride + x * channels;
      return [out[i]!, out[i + 1]!, out[i + 2]!];
    },
  };
}

function distance(a: [number, number, number], b: [number, number, number]): number {
  return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
}
