// A hub with birlikteyiz enabled, its quake feed served by the test (USGS format, 127.0.0.1), and a
// gateway that has heard the given nodes with their positions: what the check-in UI tests start from.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { usgsFeedDocument, type DemoQuake } from '@unibos/module-birlikteyiz';
import { api, createAdminSession } from './test-auth.ts';
import { TestGateway } from './test-gateway.ts';
import { waitForEvent } from './hub-events.ts';
import { startModuleHub } from './module-test-hub.ts';

/** `quakes()` is asked at each poll of the feed (every 5 s), so a test can make a quake happen. */
export async function startCheckinHub(t: TestContext, nodes: ReadonlyArray<{ id: string; name: string; lat: number; lon: number }>, quakes: () => DemoQuake[], firstPacketId: number) {
  const server: Server = createServer((_req, res) => {
    const list = quakes();
    res.writeHead(200, { 'content-type': 'application/json' }).end(usgsFeedDocument(list, list[0]?.timeMs ?? Date.now()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  let packetId = firstPacketId;
  for (const n of nodes) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'SIM', role: 'CLIENT' }, { packetId: packetId++ });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon, altitudeM: 500 }, { packetId: packetId++ });
  }
  const last = nodes[nodes.length - 1]!.id;
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === last, { what: 'the nodes' });
  const settings = { usgsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/summary/2.5_hour.geojson`, afadUrl: 'http://127.0.0.1:9/apiv2/event/filter', emscUrl: '', kandilliUrl: '', pollIntervalS: 5, radiusKm: 50 };
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/settings', { method: 'PUT', body: settings })).status, 200);
  assert.equal((await api(hub, admin, '/api/v1/modules/birlikteyiz/enable', { method: 'POST' })).body.state, 'loaded');
  return { hub, admin, gw, nextPacketId: () => packetId++ };
}

/** startCheckinHub with a feed that reports `quake` from the first poll, once the quake's round has opened. */
export async function startOpenRound(t: TestContext, nodes: ReadonlyArray<{ id: string; name: string; lat: number; lon: number }>, quake: DemoQuake, firstPacketId: number) {
  const started = await startCheckinHub(t, nodes, () => [quake], firstPacketId);
  const opened = await waitForEvent(started.hub, started.admin.orgId, (e) => e.type === 'module.birlikteyiz.round_opened', { what: 'a check-in round' });
  return { ...started, roundId: (opened.data as { round: { id: string } }).round.id };
}
