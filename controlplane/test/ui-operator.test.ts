// The admin UI as an emergency operator uses it (issue 19), in Debian's Chromium against a real hub
// fed by a claimed gateway's real uplink: a node whose first frame is its SOS is asked for its name
// over the mesh and named in the alert, the fleet, the feed and the map; the SOS is a pulsing
// triangle on the map, pinned in the feed, and the alert card opens the map on it with distance and
// bearing from the gateway; every screen at phone (375x812) and laptop (1280x800) size, with
// screenshots, no sideways scrolling and no axe-core violation; Turkish from the browser's language
// or the setting; acknowledging from the keyboard with a note.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage, signIn, SIZES, type SizeName } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-operator');
const CENTER = { lat: 46.5197, lon: 6.6323 };
const HARBOUR = { id: '!2b3c4d01', name: 'Harbour', lat: 46.5224, lon: 6.6440 };
const CLINIC = { id: '!2b3c4d03', name: 'Clinic', lat: 46.5323, lon: 6.6518 };
const VIEWS = [
  ['fleet', /^(Fleet|Cihazlar)/],
  ['map', /^(Map|Harita)/],
  ['feed', /^(Live feed)/],
  ['send', /^(Send|Gönder)/],
  ['sensors', /^(Sensors|Sensörler)/],
  ['alerts', /^(Alerts|Uyarılar)/],
  ['modules', /^(Modules|Modüller)/],
] as const;

async function showView(page: Page, id: string): Promise<void> {
  await page.evaluate((v) => (location.hash = `#/${v}`), id);
  await page.locator(`a[href="#/${id}"][aria-current="page"]`).waitFor();
}

test('admin UI for the operator', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots: ${SHOTS}`);
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const GW = `!${gw.id}`;
  let packetId = 5000;
  // The gateway announces itself and where it is (as its own beacons do), a named node is heard.
  gw.mesh(GW, 'info', { longName: 'Demo gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++, snr: 9 });
  gw.mesh(GW, 'position', { latitude: CENTER.lat, longitude: CENTER.lon }, { packetId: packetId++, snr: 9 });
  gw.mesh(HARBOUR.id, 'info', { longName: HARBOUR.name, shortName: 'HARB', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++, snr: 7.5 });
  gw.mesh(HARBOUR.id, 'position', { latitude: HARBOUR.lat, longitude: HARBOUR.lon }, { packetId: packetId++, snr: 7.5 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === HARBOUR.id, { what: 'the harbour position' });

  const { page, problems } = await openPage(browser, hub, { size: 'laptop' });
  await signIn(page, hub, admin, '#/alerts');

  await t.test('a node whose first frame is its SOS shows a placeholder, is asked for its name over the mesh, and is named everywhere', async () => {
    const raisedAt = Date.now();
    gw.mesh(CLINIC.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 77, position: { latitude: CLINIC.lat, longitude: CLINIC.lon, precisionBits: 32 } }, { packetId: packetId++, snr: -7, hops: 1 });
    // The hub asks through the gateway that heard it: a NodeInfo request the node answers.
    await gw.nameRequested(CLINIC.id);

    const card = page.getByRole('list', { name: 'Alerts' }).getByRole('article', { name: new RegExp(`SOS from ${CLINIC.id} \\(name not known yet\\)`) });
    await card.waitFor();
    assert.match(await card.innerText(), /name not known yet/, 'a clear placeholder, not a bare id');
    await page.screenshot({ path: join(SHOTS, 'sos-unnamed-laptop.png') });

    // The node answers (its NodeInfo to the gateway that asked); the gateway uplinks it.
    gw.mesh(CLINIC.id, 'info', { longName: CLINIC.name, shortName: 'CLIN', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++, snr: -7, hops: 1, to: GW });
    const named = page.getByRole('list', { name: 'Alerts' }).getByRole('article', { name: /SOS from Clinic, Open/ });
    await named.waitFor();
    assert.ok(Date.now() - raisedAt < 60_000, 'named within the first minute');
    const text = await named.innerText();
    assert.match(text, /From the nearest gateway/);
    assert.match(text, /\d(\.\d)? km (N|NE|E|SE|S|SW|W|NW) \(\d+°\) of Demo gateway/, `distance and bearing from the gateway: ${text}`);
    assert.match(text, /Taken by a gateway/);
    assert.match(text, /Received by the hub/);
    await page.screenshot({ path: join(SHOTS, 'sos-named-laptop.png') });

    await showView(page, 'fleet');
    const row = page.getByRole('table', { name: 'Fleet' }).getByRole('row', { name: /^SOS Clinic/ });
    await row.waitFor();
    assert.equal(await row.locator('th').getAttribute('title'), CLINIC.id, 'the id is on hover');
    await showView(page, 'feed');
    await page.getByRole('list', { name: 'Open SOS' }).getByText('SOS from Clinic').waitFor();
    await page.getByRole('alert').filter({ hasText: 'SOS from Clinic' }).waitFor();
    assert.equal(await page.getByRole('alert').filter({ hasText: 'name not known yet' }).count(), 0, 'the banner names the node too');
    assert.deepEqual(problems, []);
  });

  await t.test('the alert card opens the map centred on the SOS: a pulsing triangle, labelled markers, the gateway with coverage and links by SNR', async () => {
    await showView(page, 'alerts');
    await page.getByRole('link', { name: 'Show on map: Clinic' }).click();
    const map = page.getByRole('region', { name: 'Node map' });
    const sos = map.getByRole('button', { name: 'SOS from Clinic' });
    await sos.waitFor();
    assert.equal(await sos.locator('.sos-pulse').count(), 1, 'it pulses');
    assert.equal(await sos.locator('.sos-shape').count(), 1, 'it has a shape, not only a colour');
    const box = (await map.boundingBox())!;
    const at = (await sos.boundingBox())!;
    const dx = at.x + at.width / 2 - (box.x + box.width / 2);
    const dy = at.y + at.height / 2 - (box.y + box.height / 2);
    assert.ok(Math.hypot(dx, dy) < 40, `the map is centred on the SOS (${Math.round(dx)}, ${Math.round(dy)} px off)`);
    await map.locator('.leaflet-tooltip.node-label', { hasText: 'Clinic' }).waitFor();
    await map.getByRole('button', { name: /Gateway Demo gateway \(online\)/ }).waitFor();
    await page.getByRole('button', { name: 'Fit to nodes' }).click();
    await map.locator('.leaflet-tooltip.node-label', { hasText: 'Harbour' }).waitFor();
    assert.equal(await map.locator('path.gw-coverage').count(), 1, 'the gateway’s coverage');
    assert.equal(await map.locator('path.node-link--good').count(), 1, 'the harbour link is good (7.5 dB)');
    assert.equal(await map.locator('path.node-link--poor').count(), 1, 'the clinic link is poor (-7 dB): red and dotted');
    await page.screenshot({ path: join(SHOTS, 'map-sos-laptop.png') });
  });

  await t.test('acknowledges from the keyboard with a note for the person', async () => {
    await showView(page, 'alerts');
    const ackButton = page.getByRole('button', { name: 'Acknowledge SOS from Clinic' });
    const dialog = page.getByRole('dialog', { name: /Acknowledge the SOS from Clinic/ });
    // A note the mesh cannot carry (150 Turkish letters are 300 bytes) is refused in the dialog,
    // which stays open; Escape then is no, not a yes with the note left out.
    let acknowledgeRequests = 0;
    page.on('request', (r) => void (/\/acknowledge$/.test(r.url()) && acknowledgeRequests++));
    await ackButton.click();
    const note = dialog.getByLabel('Note for the person (optional)');
    await note.fill('ş'.repeat(150));
    await dialog.getByText('300 of 200 bytes (letters like ü or ş take two)').waitFor();
    await dialog.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    assert.equal(await note.evaluate((el) => (el as HTMLTextAreaElement).validationMessage), 'Too long for the mesh: 300 bytes, at most 200. Nothing was sent.');
    assert.ok(await dialog.isVisible(), 'the dialog stays open');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('article', { name: /SOS from Clinic, Open/ }).waitFor();
    await ackButton.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'ack-note', 'focus moves into the dialog');
    await page.keyboard.type('Team on the way');
    await page.keyboard.press('Tab');
    const ack = page.waitForResponse((r) => /\/acknowledge$/.test(r.url()));
    // The toast goes after 4 s: watched from before the click, not after the downlink below.
    const onItsWay = page.getByText('The note is on its way to Clinic.').waitFor();
    onItsWay.catch(() => undefined); // awaited below; a rejection meanwhile is not unhandled
    await page.keyboard.press('Enter');
    assert.equal((await ack).status(), 200);
    assert.equal(acknowledgeRequests, 1, 'acknowledged once, with the note that fits');
    await page.getByRole('article', { name: /SOS from Clinic, Acknowledged/ }).getByText('Note: Team on the way').waitFor();
    // The note goes to the person's node as a text, through the gateway that heard it.
    let text = await gw.nextDownlink();
    while (text.text === undefined) text = await gw.nextDownlink();
    assert.deepEqual({ to: text.to, text: text.text }, { to: CLINIC.id, text: 'Team on the way' });
    await onItsWay;
    assert.deepEqual(problems, []);
  });

  await t.test('a new SOS sounds a siren and, once allowed, shows a system notification that opens the map', async () => {
    const { context, page: p, problems: probs } = await openPage(browser, hub, { size: 'laptop' });
    t.after(() => context.close());
    await context.grantPermissions(['notifications'], { origin: hub.url });
    // Records what the page asks of the system (headless Chromium shows nothing itself). Given as
    // source text: a compiled function would need helpers the page does not have.
    await p.addInitScript({
      content: `
        window.shownNotifications = [];
        Object.defineProperty(window, 'Notification', { configurable: true, writable: true, value: Object.assign(function (title, options) {
          window.shownNotifications.push({ title: title, body: (options && options.body) || '' });
          this.onclick = null;
          this.close = function () {};
          window.lastNotification = this;
        }, { permission: 'granted', requestPermission: async function () { return 'granted'; } }) });
      `,
    });
    await signIn(p, hub, admin, '#/fleet');
    gw.mesh(HARBOUR.id, 'alert', { level: 'SOS', text: 'Boat capsized', requestId: 91, position: { latitude: HARBOUR.lat, longitude: HARBOUR.lon, precisionBits: 32 } }, { packetId: packetId++, snr: 7 });
    await p.getByRole('alert').filter({ hasText: 'SOS from Harbour' }).waitFor();
    await p.waitForFunction(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications.length > 0);
    const shown = await p.evaluate(() => (window as unknown as { shownNotifications: Array<{ title: string; body: string }> }).shownNotifications);
    assert.deepEqual(shown, [{ title: 'SOS from Harbour', body: 'Boat capsized' }]);
    assert.ok(await p.evaluate(() => document.documentElement.dataset.lastSiren), 'the siren played');
    await p.evaluate(() => (window as unknown as { lastNotification: { onclick: () => void } }).lastNotification.onclick());
    await p.getByRole('region', { name: 'Node map' }).getByRole('button', { name: 'SOS from Harbour' }).waitFor();
    assert.deepEqual(probs, []);
  });

  for (const size of Object.keys(SIZES) as SizeName[]) {
    await t.test(`every screen works at ${SIZES[size].width}x${SIZES[size].height}: navigation, no sideways scrolling, no axe-core violation`, async () => {
      const { context, page: p, problems: probs } = await openPage(browser, hub, { size });
      t.after(() => context.close());
      await signIn(p, hub, admin);
      /** @type {string[]} */
      const found: string[] = [];
      for (const [id, title] of VIEWS) {
        const link = p.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: title });
        await link.click();
        await p.locator(`a[href="#/${id}"][aria-current="page"]`).waitFor();
        if (id === 'map') await p.locator('#node-map .leaflet-tooltip.node-label').first().waitFor();
        await assertFitsWidth(p, `${id} at ${size}`);
        await p.screenshot({ path: join(SHOTS, `${id}-${size}.png`) });
        for (const v of await axe(p)) found.push(`${id}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(', ')}`);
      }
      assert.deepEqual(found, [], 'axe-core finds nothing to fix');
      assert.deepEqual(probs, []);
    });
  }

  await t.test('speaks Turkish to a Turkish browser, with dates and numbers in Turkish, and English when chosen', async () => {
    const { context, page: p, problems: probs } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
    t.after(() => context.close());
    await signIn(p, hub, admin, '#/alerts');
    assert.equal(await p.evaluate(() => document.documentElement.lang), 'tr');
    await p.getByRole('navigation', { name: 'Ekranlar' }).getByRole('link', { name: /^Harita/ }).waitFor();
    const card = p.getByRole('list', { name: 'Uyarılar' }).getByRole('article', { name: /Clinic kaynaklı SOS/ });
    // The card comes with the alerts; its nearest gateway once the fleet has loaded too.
    await card.filter({ hasText: 'En yakın ağ geçidinden' }).waitFor();
    const text = await card.innerText();
    assert.match(text, /En yakın ağ geçidinden/);
    assert.match(text, /46,53230°K 6,65180°D/, 'numbers with a decimal comma, compass points in Turkish');
    assert.match(text, /Not: Team on the way/);
    await p.screenshot({ path: join(SHOTS, 'alerts-phone-tr.png') });
    await p.getByRole('combobox', { name: 'Dil' }).selectOption('en');
    await p.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Map/ }).waitFor();
    assert.equal(await p.evaluate(() => localStorage.getItem('unibos.lang')), 'en', 'the choice is kept');
    assert.deepEqual(probs, []);
  });
});
