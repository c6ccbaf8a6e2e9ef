// The gateway's part in an SOS's stages, on simulated time: a gateway G (bridge and hub outbox
// stand-in) and a field node N. G answers "taken by a gateway" only after the SOS is committed
// for the hub; a refused or hub-less SOS gets no answer (N keeps resending); the hub's stages
// arrive as tx commands and reach N.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { Device, loadNodeConfig, loadOrCreateIdentity, openNodeDb, SimManagedRadio } from '@unibos/firmware';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';

const silent = pino({ level: 'silent' });
const params = loraParams('ShortFast');

type Forwarded = { source: string; topic: string; payload: Buffer };

async function setup(t: { after: (fn: () => Promise<void>) => void }, hub: 'up' | 'refusing' | 'none') {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(5);
  const medium = new SimMedium({ params, scheduler, random: rng.fork(), link: () => ({ rssi: -100, snr: 4 }) });
  const dirs: string[] = [];
  const make = (name: string, role: string) => {
    const dir = mkdtempSync(join(tmpdir(), `unibos-bridge-sos-${name}-`));
    dirs.push(dir);
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', role, name } });
    const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
    const db = openNodeDb(join(dir, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identity.nodeId), scheduler);
    const device = new Device({ config, identity, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => 1_800_000_000_000 + scheduler.now() });
    return { device, db };
  };
  const g = make('G', 'GATEWAY');
  const n = make('N', 'CLIENT');
  const committed: Forwarded[] = [];
  const uplink: UplinkSink = {
    forward: (m) => {
      if (hub === 'refusing') throw Object.assign(new Error('the hub would refuse this'), { code: 'E_OUTBOX_INVALID' });
      committed.push({ source: m.source, topic: m.topic, payload: m.payload });
    },
  };
  // What G had committed each time it answered an SOS.
  const answers: Array<{ stage: string; requestId: number; committedSos: boolean }> = [];
  const answerSos = g.device.answerSos.bind(g.device);
  g.device.answerSos = (to, requestId, report) => {
    const committedSos = committed.some((c) => c.topic.endsWith('/alert') && (JSON.parse(c.payload.toString()) as { requestId?: number }).requestId === requestId);
    answers.push({ stage: report.stage, requestId, committedSos });
    return answerSos(to, requestId, report);
  };
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async () => undefined }, uplink: hub === 'none' ? undefined : uplink, logger: silent });
  await g.device.start();
  await n.device.start();
  t.after(async () => {
    await n.device.stop();
    await g.device.stop();
    n.db.close();
    g.db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  scheduler.runUntil(30_000);
  return { n: n.device, g: g.device, bridge, committed, answers, run: (ms: number) => scheduler.runUntil(scheduler.now() + ms) };
}

test('the gateway says "taken" only after the SOS is committed for the hub', async (t) => {
  const s = await setup(t, 'up');
  s.n.raiseSos();
  s.run(30_000);
  const sos = s.n.status().sos;
  assert.equal(sos.stage, 'gateway');
  assert.equal(sos.resending, false);
  assert.ok(s.answers.length >= 1);
  assert.ok(s.answers.every((a) => a.stage === 'gateway' && a.requestId === sos.requestId && a.committedSos), 'every answer came after its SOS was in the outbox');
  assert.ok(!s.n.status().sos.stageTimes.hub, 'nothing claims the hub has it');
});

test('an SOS the outbox refused is not answered: the node keeps resending', async (t) => {
  const s = await setup(t, 'refusing');
  s.n.raiseSos();
  s.run(10 * 60_000);
  assert.equal(s.n.status().sos.stage, 'sent');
  assert.equal(s.n.status().sos.resending, true);
  assert.ok(s.n.status().sos.copiesSent >= 4);
  assert.equal(s.answers.length, 0);
  assert.ok(s.bridge.stats.uplinkRefused >= 4);
});

test('a gateway without a hub does not claim to have taken an SOS', async (t) => {
  const s = await setup(t, 'none');
  s.n.raiseSos();
  s.run(10 * 60_000);
  assert.equal(s.n.status().sos.stage, 'sent');
  assert.equal(s.answers.length, 0);
});

test("the hub's stages arrive as tx commands and reach the node; bad ones are refused with a reason", async (t) => {
  const s = await setup(t, 'up');
  s.n.raiseSos();
  s.run(30_000);
  const nid = `!${s.n.nodeId.toString(16).padStart(8, '0')}`;
  const requestId = s.n.status().sos.requestId;
  const cmd = (sosStage: Record<string, unknown>, to: string | null = nid) => Buffer.from(JSON.stringify({ ...(to ? { to } : {}), sosStage }));
  assert.equal(s.bridge.handleTx(cmd({ requestId, stage: 'hub', time: '2027-01-15T08:01:00Z' }), 'hub').ok, true);
  s.run(20_000);
  assert.equal(s.n.status().sos.stage, 'hub');
  assert.equal(s.n.status().sos.stageTimes.hub, Date.parse('2027-01-15T08:01:00Z'));
  assert.equal(s.bridge.handleTx(cmd({ requestId, stage: 'acknowledged', time: '2027-01-15T08:02:00Z', by: 'Ayse' }), 'hub').ok, true);
  s.run(20_000);
  assert.equal(s.n.status().sos.stage, 'acknowledged');
  assert.equal(s.n.status().sos.acknowledgedBy, 'Ayse');

  const bad = [
    cmd({ requestId, stage: 'lost' }),
    cmd({ requestId: 0, stage: 'hub' }),
    cmd({ requestId, stage: 'hub' }, null),
    cmd({ requestId, stage: 'hub', time: 'yesterday' }),
    Buffer.from(JSON.stringify({ to: nid, text: 'x', sosStage: { requestId, stage: 'hub' } })),
  ];
  const rejectedBefore = s.bridge.stats.txRejected;
  for (const b of bad) assert.equal(s.bridge.handleTx(b, 'hub').ok, false, b.toString());
  assert.equal(s.bridge.stats.txRejected - rejectedBefore, bad.length);
  s.run(20_000);
  assert.equal(s.n.status().sos.stage, 'acknowledged');
});
