// The hub heard a node without a name (its first frame was an SOS, or its NodeInfo was lost) and
// asks for it: a `nodeInfoRequest` tx command makes the gateway ask the node over the mesh, and the
// node's answer reaches the hub as an ordinary info frame, also within the 10 minutes in which a
// node ignores repeated broadcast announcements from the same gateway.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, formatNodeId, loraParams } from '@unibos/mesh-protocol';
import { Device, loadNodeConfig, loadOrCreateIdentity, openNodeDb, SimManagedRadio } from '@unibos/firmware';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { parseTxCommand } from '../src/bridge/tx-command.ts';

const silent = pino({ level: 'silent' });
const params = loraParams('ShortFast');

test('a nodeInfoRequest from the hub makes the node tell its name again, to the hub', async (t) => {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => ({ rssi: -100, snr: 4 }) });
  const dirs: string[] = [];
  const make = (name: string, role: string) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-bridge-info-${name}-`));
    dirs.push(dir);
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', role, name } });
    const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
    const db = openNodeDb(join(dir, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    const device = new Device({ config, identity, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => 1_800_000_000_000 + scheduler.now() });
    return { device, db, id: identity.nodeId };
  };
  const g = make('G', 'GATEWAY');
  const n = make('Clinic', 'CLIENT');
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const uplink: UplinkSink = { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) };
  const reports: string[] = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(String(body))) }, uplink, logger: silent });
  await g.device.start();
  await n.device.start();
  t.after(async () => {
    await n.device.stop();
    await g.device.stop();
    n.db.close();
    g.db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
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
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(3);
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => ({ rssi: -100, snr: 4 }) });
  const dir = mkdtempSync(join(tmpdir(), 'unibos-bridge-self-'));
  const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', role: 'GATEWAY', name: 'Demo gateway', gps: 'sim', lat: '46.5197', lon: '6.6323' } });
  const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
  const db = openNodeDb(join(dir, 'node.db'));
  const { SimGps } = await import('@unibos/firmware');
  const gps = new SimGps({ latitude: 46.5197, longitude: 6.6323, altitudeM: 380, scheduler, utcAtZeroMs: 1_800_000_000_000 });
  await gps.start();
  const device = new Device({ config, identity, db, radio: new SimManagedRadio(medium.radio(identity.nodeId), scheduler), gps, logger: silent, scheduler, random: rng.fork(), clock: () => 1_800_000_000_000 + scheduler.now() });
  await device.start();
  t.after(async () => {
    await device.stop();
    await gps.stop?.();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  scheduler.runUntil(5_000);
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device, params, local: { publish: async () => undefined }, uplink: { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) }, logger: silent });
  bridge.reportSelf();
  const me = formatNodeId(identity.nodeId);
  const info = committed.find((c) => c.topic === `unibos/v1/mesh/${me}/info`);
  const position = committed.find((c) => c.topic === `unibos/v1/mesh/${me}/position`);
  assert.ok(info && position, `info and position uplinked: ${committed.map((c) => c.topic).join(', ')}`);
  assert.deepEqual({ ...JSON.parse(info.payload.toString()), id: 0, rxTime: '' }, { from: me, to: 'broadcast', hops: 0, rssi: null, snr: null, rxTime: '', gatewayId: 'gw1', id: 0, longName: 'Demo gateway', shortName: me.slice(-4), hwModel: 'UNIBOS', role: 'GATEWAY' });
  const p = JSON.parse(position.payload.toString()) as { latitude: number; longitude: number };
  assert.ok(Math.abs(p.latitude - 46.5197) < 1e-4 && Math.abs(p.longitude - 6.6323) < 1e-4);
});
