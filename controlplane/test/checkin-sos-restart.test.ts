// A person's SOS heard before the quake's round opened, then a hub restart: the round the quake
// opens after the restart lists that person as needing help, not "no answer" (birlikteyiz keeps
// what it heard in the hub's database, not only in memory). A real hub, SQLite, stopped and started
// again on the same data dir.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { usgsFeedDocument, type DemoQuake } from '@unibos/module-birlikteyiz';
import { waitForEvent } from './support/hub-events.ts';
import { startModuleHub } from './support/module-test-hub.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';

const NODES = [
  { id: '!7e5d0001', name: 'Çarşı', lat: 37.5901, lon: 36.9442 },
  { id: '!7e5d0002', name: 'Okul', lat: 37.5803, lon: 36.9287 },
];

test('an SOS heard before a hub restart still needs help in the round a quake opens after it', { timeout: 60_000 }, async (t) => {
  const quakes: DemoQuake[] = [];
  const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(usgsFeedDocument(quakes, quakes[0]?.timeMs ?? Date.now())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-sos-restart-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));

  const hub = await startModuleHub({}, { dataDir });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 7400;
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'SIM', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon, altitudeM: 500 }, { packetId: packetId++ });
  }
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && (e.data as { nodeId?: string }).nodeId === NODES[1]!.id, { what: 'the nodes' });
  const settings = { usgsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/summary/2.5_hour.geojson`, afadUrl: '', emscUrl: '', kandilliUrl: '', pollIntervalS: 5, radiusKm: 50 };
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/settings', { method: 'PUT', body: settings })).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST' })).body.state, 'loaded');

  // The ground shakes: a person at Okul holds the button (SOS) before any feed has the quake.
  const quakeMs = Date.now() - 30_000;
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'SOS', requestId: 93 }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && (e.data as { nodeId?: string }).nodeId === NODES[1]!.id, { what: 'the SOS at the hub' });
  // The gateway reconnects to the new hub on its own (nothing more is queued for it).
  await hub.stop();

  // The hub starts again; then the feed reports the quake and its round opens.
  const again = await startModuleHub({}, { dataDir });
  t.after(() => again.stop());
  quakes.push({ id: 'tr-restart', latitude: 37.585, longitude: 36.937, depthKm: 10, magnitude: 5.8, timeMs: quakeMs, place: 'Kahramanmaraş, Türkiye' });
  const opened = await waitForEvent(again, admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'the quake\u2019s round after the restart', timeoutMs: 30_000 });
  const round = (opened.data as { round: { id: string; nodes: Array<{ id: string; status: string }>; counts: { needsHelp: number } } }).round;
  assert.deepEqual(Object.fromEntries(round.nodes.map((n) => [n.id, n.status])), { [NODES[0]!.id]: 'waiting', [NODES[1]!.id]: 'needs_help' });
  assert.equal(round.counts.needsHelp, 1);
  const viaApi = (await api(again, admin, `/api/v1/modules/birlikteyiz/rounds/${round.id}`)).body as { nodes: Array<{ id: string; status: string }> };
  assert.equal(viaApi.nodes.find((n) => n.id === NODES[1]!.id)?.status, 'needs_help');
});
