// The hub heard a node without a name (its first frame was an SOS, or its NodeInfo was lost) and
// asks for it: a `nodeInfoRequest` tx command makes the gateway ask the node over the mesh, and the
// node's answer reaches the hub as an ordinary info frame, also within the 10 minutes in which a
// node ignores repeated broadcast announcements from the same gateway.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNodeId } from '@unibos/mesh-protocol';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { parseTxCommand } from '../src/bridge/tx-command.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';


test('a nodeInfoRequest from the hub makes the node tell its name again, to the hub', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 11, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-info' });
  const g = make('G', 'GATEWAY');
  const n = make('Clinic', 'CLIENT');
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const uplink: UplinkSink = { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) };
  const reports: string[] = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(String(body))) }, uplink, logger: silent });
  await g.device.start();
  await n.device.start();
  scheduler.runUntil(60_000);
  const infoTopic = `unibos/v1/mesh/${formatNodeId(n.id)}/info`;
  const infosBefore = committed.filter((c) => c.topic === infoTopic).length;

  const parsed = bridge.handleTx(Buffer.from(JSON.stringify({ to: formatNodeId(n.id), nodeInfoRequest: true, ref: 'ask-1' })), 'hub');
  assert.equal(parsed.ok, true);
  scheduler.runUntil(scheduler.now() + 30_000);
  const infos = committed.filter((c) => c.topic === infoTopic);
  assert.ok(infos.length > infosBefore, 'the node answered, and its answer went to the hub');
  const answer = JSON.parse(infos.at(-1)!.payload.toString()) as { longName?: string; to?: string };
  assert.equal(answer.longName, 'Clinic');
  assert.equal(answer.to, formatNodeId(g.id), 'the node answered the gateway that asked');
});

test('a nodeInfoRequest goes to one node: broadcast and malformed ones are refused with a reason', () => {
  const bad = parseTxCommand(Buffer.from(JSON.stringify({ nodeInfoRequest: true })));
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : '', /to one node/);
  const notTrue = parseTxCommand(Buffer.from(JSON.stringify({ to: '!1a2b3c4d', nodeInfoRequest: 'yes', ref: 'r1' })));
  assert.deepEqual(notTrue, { ok: false, error: '"nodeInfoRequest" must be true, alone', ref: 'r1' });
  assert.deepEqual(parseTxCommand(Buffer.from(JSON.stringify({ to: '!1a2b3c4d', nodeInfoRequest: true }))), { ok: true, command: { kind: 'nodeInfoRequest', to: 0x1a2b3c4d } });
});

test('the gateway reports its own name and position to the hub: it never hears its own beacons', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 3, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-self' });
  const { SimGps } = await import('@unibos/firmware');
  const gps = new SimGps({ latitude: 46.5197, longitude: 6.6323, altitudeM: 380, scheduler, utcAtZeroMs: 1_800_000_000_000 });
  await gps.start();
  t.after(async () => void (await gps.stop?.()));
  const { device, id } = make('Demo gateway', 'GATEWAY', { flags: { gps: 'sim', lat: '46.5197', lon: '6.6323' }, gps });
  await device.start();
  scheduler.runUntil(5_000);
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device, params, local: { publish: async () => undefined }, uplink: { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) }, logger: silent });
  bridge.reportSelf();
  const me = formatNodeId(id);
  const info = committed.find((c) => c.topic === `unibos/v1/mesh/${me}/info`);
  const position = committed.find((c) => c.topic === `unibos/v1/mesh/${me}/position`);
  assert.ok(info && position, `info and position uplinked: ${committed.map((c) => c.topic).join(', ')}`);
  assert.deepEqual({ ...JSON.parse(info.payload.toString()), id: 0, rxTime: '' }, { from: me, to: 'broadcast', hops: 0, rssi: null, snr: null, rxTime: '', gatewayId: 'gw1', id: 0, longName: 'Demo gateway', shortName: me.slice(-4), hwModel: 'UNIBOS', role: 'GATEWAY', publicKey: Buffer.from(device.publicKey).toString('base64') }, 'with its key, so hub users can write to it');
  const p = JSON.parse(position.payload.toString()) as { latitude: number; longitude: number };
  assert.ok(Math.abs(p.latitude - 46.5197) < 1e-4 && Math.abs(p.longitude - 6.6323) < 1e-4);
});
