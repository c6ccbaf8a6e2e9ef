// birlikteyiz end to end on a real hub, in a real browser: a fixture quake near the fleet (served
// by a local feed server in USGS format, with ETag; AFAD pointed at a port nobody listens on, as
// with no internet) becomes an alert in the admin UI and an EARTHQUAKE frame to the gateway; the
// check-in round lists the nodes in range; the simulated nodes answer over the mesh (one "I am
// safe", one SOS, one silent) and the UI's list and counts follow live.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { usgsFeedDocument } from '@unibos/module-birlikteyiz';
import { createAdminSession, bearer } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub } from './support/module-test-hub.ts';

const CHROMIUM = process.env.UNIBOS_CHROMIUM ?? '/usr/bin/chromium';
const CENTER = { latitude: 46.5197, longitude: 6.6323 };
const NODES = [
  { id: '!5afe0001', name: 'Harbour', lat: 46.5224, lon: 6.6441 },
  { id: '!5afe0002', name: 'School', lat: 46.5269, lon: 6.6231 },
  { id: '!5afe0003', name: 'Farm', lat: 46.5152, lon: 6.6114 },
];

async function feedServer(body: () => string): Promise<{ url: string; conditional: () => number; close: () => Promise<void> }> {
  let conditional = 0;
  const server: Server = createServer((req, res) => {
    const text = body();
    const etag = `"${text.length}-${text.slice(-12).replace(/\W/g, '')}"`;
    if (req.headers['if-none-match'] === etag) {
      conditional++;
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/summary/2.5_hour.geojson`, conditional: () => conditional, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('a fixture quake near the fleet opens a check-in round that the nodes answer, seen live in the admin UI', async (t) => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
  const quakeMs = Date.now() - 60_000;
  const feed = await feedServer(() =>
    usgsFeedDocument(
      [
        { id: 'demo1', latitude: CENTER.latitude + 0.05, longitude: CENTER.longitude + 0.06, depthKm: 8, magnitude: 5.6, timeMs: quakeMs, place: '7 km NE of Lausanne, Switzerland' },
        { id: 'far1', latitude: 19.2, longitude: -155.4, depthKm: 30, magnitude: 6.1, timeMs: quakeMs, place: 'Island of Hawaii, Hawaii' },
      ],
      quakeMs,
    ),
  );
  t.after(() => feed.close());
  const hub = await startModuleHub({});
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 5000;
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'SIM', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon, altitudeM: 500 }, { packetId: packetId++ });
  }
  const last = NODES[NODES.length - 1]!;
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === last.id, { what: 'the nodes on the map' });
  const headers = { ...bearer(admin.accessToken), 'content-type': 'application/json' };
  const configured = await fetch(`${hub.url}/api/v1/modules/birlikteyiz/settings`, { method: 'PUT', headers, body: JSON.stringify({ usgsUrl: feed.url, afadUrl: 'http://127.0.0.1:9/apiv2/event/filter', emscUrl: '', kandilliUrl: '', pollIntervalS: 5, radiusKm: 50 }) });
  assert.equal(configured.status, 200, await configured.clone().text());

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    if (new URL(req.url()).host !== new URL(hub.url).host) problems.push(`request to another origin: ${req.url()}`);
  });
  await page.goto(`${hub.url}/`);
  await page.getByLabel('Email').fill(admin.email);
  await page.getByLabel('Password').fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status', { name: 'Event stream' }).filter({ hasText: 'Live' }).waitFor();
  await page.goto(`${hub.url}/#/modules`);
  await page.getByRole('heading', { name: 'Modules', level: 1 }).waitFor();
  const card = page.locator('li[data-module="birlikteyiz"]');
  await card.getByRole('status').filter({ hasText: 'Disabled' }).waitFor();

  // The admin enables it from the modules screen: no restart.
  await card.getByRole('button', { name: 'Enable birlikteyiz' }).click();
  await card.getByRole('status').filter({ hasText: 'Loaded' }).waitFor();

  // The alert goes into the mesh as an EARTHQUAKE frame asking every node.
  const command = await gw.nextDownlink();
  const alert = command.alert as { level: string; text: string; magnitude: number };
  assert.equal(command.to, 'broadcast');
  assert.equal(alert.level, 'EARTHQUAKE');
  assert.equal(alert.magnitude, 5.6);
  assert.match(alert.text, /^M5\.6 7 km NE of Lausanne.*Are you safe\?/);

  const panel = page.getByRole('region', { name: 'birlikteyiz panel' }).or(page.locator('section[aria-label="birlikteyiz panel"]'));
  await panel.getByText('M5.6').first().waitFor();
  const summary = panel.getByRole('status', { name: 'Check-in summary' });
  await summary.filter({ hasText: '0 safe · 0 need help · 3 no answer' }).waitFor();
  const rows = panel.getByRole('table', { name: 'Check-in round' }).locator('tbody tr');
  assert.equal(await rows.count(), 3);
  await panel.locator('li[data-source="afad"][data-state="unreachable"]').waitFor();
  await panel.locator('li[data-source="usgs"][data-state="ok"]').waitFor();

  // The simulated nodes answer: Harbour presses "I am safe", School holds for help, Farm is silent.
  gw.mesh(NODES[0]!.id, 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: packetId++ });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 77 }, { packetId: packetId++ });
  await summary.filter({ hasText: '1 safe · 1 needs help · 1 no answer' }).waitFor();
  assert.match(await panel.locator('tr[data-node="!5afe0001"]').innerText(), /Safe/);
  assert.match(await panel.locator('tr[data-node="!5afe0002"]').innerText(), /Needs help/);
  assert.match(await panel.locator('tr[data-node="!5afe0003"]').innerText(), /No answer yet/);
  assert.equal(await panel.locator('.leaflet-interactive').count() >= 4, true, 'epicentre, radius and the nodes on the map');

  // Quakes far away are listed but raise nothing; later polls ask with If-None-Match.
  await panel.getByText('Island of Hawaii').waitFor();
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'module.birlikteyiz.feed_status' && e.data.source === 'afad' && e.data.state === 'unreachable', { what: 'afad unreachable' });
  const quakes = (await (await fetch(`${hub.url}/api/v1/modules/birlikteyiz/quakes`, { headers })).json()) as { quakes: Array<{ place: string; verdict: string }> };
  assert.deepEqual(quakes.quakes.map((q) => q.verdict).sort(), ['alert', 'outside_region']);
  // Another org on the same hub sees none of it: module data is scoped by the caller's org.
  const roundsA = (await (await fetch(`${hub.url}/api/v1/modules/birlikteyiz/rounds`, { headers })).json()) as { rounds: Array<{ id: string }> };
  assert.equal(roundsA.rounds.length, 1);
  const other = await createAdminSession(hub, { orgName: 'Other org' });
  const roundsB = (await (await fetch(`${hub.url}/api/v1/modules/birlikteyiz/rounds`, { headers: bearer(other.accessToken) })).json()) as { rounds: unknown[] };
  assert.deepEqual(roundsB.rounds, []);
  const peek = await fetch(`${hub.url}/api/v1/modules/birlikteyiz/rounds/${roundsA.rounds[0]!.id}`, { headers: bearer(other.accessToken) });
  assert.equal(peek.status, 404);
  assert.equal(((await peek.json()) as { code: string }).code, 'E_NOT_FOUND');
  const shots = mkdtempSync(join(tmpdir(), 'unibos-birlikteyiz-ui-'));
  await page.screenshot({ path: join(shots, 'check-in-round.png'), fullPage: true });
  t.diagnostic(`screenshot: ${join(shots, 'check-in-round.png')}`);
  assert.deepEqual(problems, []);
});
