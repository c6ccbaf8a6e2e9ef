// A hub command the gateway's node lets go of unsent (nobody acknowledged it after every attempt)
// is reported to the hub as refused, with the reason: the hub shows it failed, not "sent" for ever.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNodeId } from '@unibos/mesh-protocol';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';

test('a text for a node that never answers is reported failed to the hub once the gateway gives up on it', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 9, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-dropped' });
  const g = make('G', 'GATEWAY');
  const away = make('Away', 'CLIENT'); // never started: switched off in the field
  const reports: Array<{ ref: string; packetId?: number; status: string; error?: string }> = [];
  const uplink: UplinkSink = { forward: () => undefined };
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) }, uplink, logger: silent });
  await g.device.start();
  assert.equal(bridge.handleTx(Buffer.from(JSON.stringify({ text: 'are you there?', to: formatNodeId(away.id), ref: 'm-1' })), 'hub').ok, true);
  const queued = reports.find((r) => r.ref === 'm-1' && r.status === 'queued');
  assert.ok(queued, 'queued first, with its packet id');
  scheduler.runUntil(scheduler.now() + 3 * 24 * 3600_000);
  const last = reports.filter((r) => r.ref === 'm-1').at(-1)!;
  assert.equal(last.status, 'refused', 'the hub is told it did not go through');
  assert.equal(last.packetId, queued.packetId);
  assert.match(last.error ?? '', /nobody acknowledged it/);
  assert.equal(g.device.outbox.size, 0);
});
