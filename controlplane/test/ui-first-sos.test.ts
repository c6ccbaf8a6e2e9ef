// Issue 19's proof, end to end on one machine as `npm start` runs it (a hub, a real gateway and a
// real node on the simulated air): the first frame of a node that reaches the hub is its SOS, with
// no name: everything the node sent before (its announcement, its position) is lost on the way,
// as on a busy channel at 3 a.m. The hub asks the node for its name through the gateway, the node
// answers, and within the first minute the name is on the alert, in the fleet and on the map.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { Device, SimAir, loadNodeConfig, loadOrCreateIdentity, runNode, type RunningNode } from '@unibos/firmware';
import { runGateway } from '@unibos/gateway';
import { formatNodeId } from '@unibos/mesh-protocol';
import { claimGatewayAtHub } from '../../cli/hub-claim.ts';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const CENTER = { lat: 46.5197, lon: 6.6323 };
const silent = pino({ level: 'silent' });
const SHOTS = artifactsDir('ui-first-sos');

test('a node whose first frame at the hub is its SOS is named in the alert, the fleet and the map within a minute', { timeout: 240_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-first-sos-'));
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });
  const flags = { radio: 'sim', preset: 'ShortFast', gps: 'sim', 'http-port': 'off' };
  const air = new SimAir({ params: Device.radioParams(loadNodeConfig({ env: {}, flags: { ...flags, 'data-dir': join(root, 'air'), lat: String(CENTER.lat), lon: String(CENTER.lon) } })), port: 0 });
  const airAt = `127.0.0.1:${await air.listen()}`;
  stops.push(() => air.close());

  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gwDir = join(root, 'gateway');
  mkdirSync(gwDir, { recursive: true });
  const { token } = hub.app.fleet.credentials.createClaimToken(admin.orgId, 'gateway', 'Demo gateway', 3_600_000, Date.now());
  const creds = await claimGatewayAtHub(hub.url, token, loadOrCreateIdentity(join(gwDir, 'identity.json')));
  const gwConfig = loadNodeConfig({ env: {}, flags: { ...flags, 'data-dir': gwDir, air: airAt, lat: String(CENTER.lat), lon: String(CENTER.lon), name: 'Demo gateway' } });
  const gateway = await runGateway(gwConfig, { mqttHost: '127.0.0.1', mqttPort: 0, wsPort: null, allowAnonymous: false, hub: { ...creds, url: `mqtt://127.0.0.1:${hub.mqttPort}` } }, { logger: silent });
  stops.push(() => gateway.stop());

  // Until its SOS, whatever the node sends is lost between the gateway and the hub.
  const nodeDir = join(root, 'clinic');
  mkdirSync(nodeDir, { recursive: true });
  const clinic = formatNodeId(loadOrCreateIdentity(join(nodeDir, 'identity.json')).nodeId);
  const bridge = gateway.bridge as unknown as { uplink: (source: string, topic: string, ...rest: unknown[]) => void };
  const uplink = bridge.uplink.bind(bridge);
  let sosSent = false;
  const lost: string[] = [];
  bridge.uplink = (source, topic, ...rest) => {
    if (topic === `unibos/v1/mesh/${clinic}/alert`) sosSent = true;
    if (source === `mesh:${clinic}` && !sosSent) return void lost.push(topic.split('/').pop()!);
    uplink(source, topic, ...rest);
  };

  const node: RunningNode = await runNode(loadNodeConfig({ env: {}, flags: { ...flags, 'data-dir': nodeDir, air: airAt, lat: '46.5323', lon: '6.6518', name: 'Clinic' } }), { logger: silent });
  stops.push(() => node.stop());
  // The node's start-up is over: its announcement and first position went out (and were lost).
  for (let i = 0; i < 600 && !(lost.includes('info') && lost.includes('position') && node.device.status().outbox.queued === 0); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(lost.includes('info') && lost.includes('position'), `the node's name and position were lost on the way: ${lost.join(', ')}`);

  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems } = await openPage(browser, hub);
  await signIn(page, hub, admin, '#/alerts');

  const sosAt = Date.now();
  node.device.raiseSos();
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === clinic, { what: 'the SOS at the hub', timeoutMs: 60_000 });
  assert.equal(raised.data.nodeName, null, 'the hub had no name for it');
  const records = (await (await fetch(`${hub.url}/api/v1/records?node=${encodeURIComponent(clinic)}&limit=50`, { headers: { authorization: `Bearer ${admin.accessToken}` } })).json()) as { items: Array<{ kind: string }> };
  assert.equal(records.items.at(-1)?.kind, 'alert', `the SOS is the first frame of this node at the hub: ${records.items.map((r) => r.kind).join(', ')}`);
  await page.getByRole('list', { name: 'Alerts' }).getByRole('article', { name: /name not known yet/ }).or(page.getByRole('list', { name: 'Alerts' }).getByRole('article', { name: /^SOS from Clinic/ })).first().waitFor();
  await page.screenshot({ path: join(SHOTS, 'alert-first-laptop.png') });

  // Named: the hub asked through the gateway, the node answered.
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'node.updated' && e.data.id === clinic && e.data.name === 'Clinic', { what: 'the node named', timeoutMs: 90_000, afterId: raised.id });
  await page.getByRole('list', { name: 'Alerts' }).getByRole('article', { name: /^SOS from Clinic/ }).waitFor();
  await page.getByRole('alert').filter({ hasText: 'SOS from Clinic' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'alert-named-laptop.png') });
  await page.getByRole('link', { name: 'Show on map: Clinic' }).click();
  await page.getByRole('region', { name: 'Node map' }).getByRole('button', { name: 'SOS from Clinic' }).waitFor();
  await page.locator('#node-map .leaflet-tooltip.node-label', { hasText: 'Clinic' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'map-named-laptop.png') });
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: /^Fleet/ }).click();
  await page.getByRole('table', { name: 'Fleet' }).getByRole('row', { name: /Clinic/ }).waitFor();
  const tookS = Math.round((Date.now() - sosAt) / 1000);
  t.diagnostic(`named in the alert, the fleet and the map ${tookS} s after the SOS`);
  assert.ok(tookS < 60, `within the first minute (${tookS} s)`);
  assert.deepEqual(problems, []);
});
