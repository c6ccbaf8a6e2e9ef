// An SOS a gateway took into its outbox is still only on that gateway's card: if the gateway cannot
// reach the hub, or loses power, the SOS must reach the hub through another gateway in range. The
// node sends a copy when it hears another gateway, and a slow copy until the hub's stage comes back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';

test('an SOS held by a gateway that then dies reaches the hub through the next gateway in range', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 7, link: { rssi: -100, snr: 4 }, prefix: 'bridge-sos-orphan' });
  const run = (ms: number) => scheduler.runUntil(scheduler.now() + ms);
  const g1 = make('G1', 'GATEWAY');
  const g2 = make('G2', 'GATEWAY');
  const node = make('N', 'CLIENT');
  const sosRows = (rows: string[]) => rows.filter((r) => r.includes('/alert ') && r.includes('"SOS"'));
  const heldByG1: string[] = []; // its hub link is down: rows stay in its outbox
  const forwardedByG2: string[] = [];
  const uplink = (rows: string[]): UplinkSink => ({ forward: (m) => void rows.push(`${m.topic} ${m.payload.toString()}`) });
  new MeshBridge({ gatewayId: 'gw1', device: g1.device, params, local: { publish: async () => undefined }, uplink: uplink(heldByG1), logger: silent });
  new MeshBridge({ gatewayId: 'gw2', device: g2.device, params, local: { publish: async () => undefined }, uplink: uplink(forwardedByG2), logger: silent });
  await g1.device.start();
  await node.device.start();
  run(30_000);
  node.device.raiseSos();
  run(30_000);
  assert.equal(node.device.status().sos.stage, 'gateway', 'G1 took it');
  assert.ok(sosRows(heldByG1).length >= 1);
  await g1.device.stop(); // G1 loses power: its card holds the only copy
  await g2.device.start(); // G2, whose hub link works, comes up in range and announces itself
  run(60_000);
  assert.ok(sosRows(forwardedByG2).length >= 1, 'G2 took a copy when the node heard it announce itself');
  run(3 * 3600_000);
  // Without the hub's stage (this test has no hub) the node keeps a slow pace: one copy per 10 minutes at most.
  const copies = node.device.status().sos.copiesSent;
  assert.ok(copies <= 4 + 3 * 6 + 2, `${copies} copies in 3 hours`);
});
