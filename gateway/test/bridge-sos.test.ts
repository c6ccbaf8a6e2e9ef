// The gateway's part in an SOS's stages, on simulated time: a gateway G (bridge and hub outbox
// stand-in) and a field node N. G answers "taken by a gateway" only after the SOS is committed
// for the hub; a refused or hub-less SOS gets no answer (N keeps resending); the hub's stages
// arrive as tx commands and reach N.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';

type Forwarded = { source: string; topic: string; payload: Buffer };

async function setup(t: { after: (fn: () => Promise<void>) => void }, hub: 'up' | 'refusing' | 'none') {
  const { scheduler, make } = simMesh(t, { seed: 5, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-sos' });
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

test('an SOS raised on the gateway\u2019s own node goes to the hub once, is taken at once, and its stages and "I am safe" follow as for any node', async (t) => {
  const s = await setup(t, 'up');
  const gid = `!${s.g.nodeId.toString(16).padStart(8, '0')}`;
  const alerts = () => s.committed.filter((c) => c.topic === `unibos/v1/mesh/${gid}/alert`).map((c) => JSON.parse(c.payload.toString()) as { level: string; requestId?: number; gatewayId: string; hops: number });
  s.g.raiseSos();
  // As it is queued, before any radio could put it on air (one that is down would never).
  s.run(0);
  assert.equal(s.g.status().sos.stage, 'gateway', 'taken by its own gateway at once: no radio of its own ever hears it');
  s.run(30_000);
  const sos = s.g.status().sos;
  assert.equal(sos.stage, 'gateway');
  assert.equal(sos.resending, false);
  assert.deepEqual(alerts().map((a) => ({ level: a.level, requestId: a.requestId, gatewayId: a.gatewayId, hops: a.hops })), [{ level: 'SOS', requestId: sos.requestId, gatewayId: 'gw1', hops: 0 }], 'on its way to the hub, once');
  assert.deepEqual(s.answers.map((a) => ({ stage: a.stage, committedSos: a.committedSos })), [{ stage: 'gateway', committedSos: true }]);

  // The hub's stages come back to this gateway for its own node.
  const cmd = (sosStage: Record<string, unknown>) => Buffer.from(JSON.stringify({ to: gid, sosStage }));
  assert.equal(s.bridge.handleTx(cmd({ requestId: sos.requestId, stage: 'acknowledged', time: '2027-01-15T08:02:00Z', by: 'Ayse' }), 'hub').ok, true);
  s.run(1000);
  assert.equal(s.g.status().sos.stage, 'acknowledged');
  assert.equal(s.g.status().sos.acknowledgedBy, 'Ayse');

  // A text from the gateway's node, and its "I am safe", reach the hub too.
  s.g.sendText('at the gateway, all fine');
  s.g.imSafe();
  s.run(60_000);
  const texts = s.committed.filter((c) => c.topic === `unibos/v1/mesh/${gid}/text`).map((c) => (JSON.parse(c.payload.toString()) as { text: string }).text);
  assert.deepEqual(texts, ['at the gateway, all fine']);
  // "I am safe" is resent, each copy a frame of its own (as the hub hears a field node's), until the hub resolves the SOS.
  const safes = alerts().filter((a) => a.level === 'SAFE');
  assert.ok(safes.length >= 1 && safes.every((a) => a.requestId === sos.requestId), JSON.stringify(alerts()));
  assert.equal(alerts().filter((a) => a.level === 'SOS').length, 1, 'the SOS once: its resends stopped when it was taken');
  assert.equal(s.bridge.handleTx(cmd({ requestId: sos.requestId, stage: 'resolved', time: '2027-01-15T08:10:00Z', by: 'Ayse' }), 'hub').ok, true);
  s.run(1000);
  assert.equal(s.g.status().sos.stage, 'resolved');
  assert.equal(s.g.status().sos.safe, 'confirmed', 'its "I am safe" copies stop');
  const after = alerts().length;
  s.run(10 * 60_000);
  assert.equal(alerts().length, after, 'nothing more once resolved');

  // What the hub asks the gateway to send is not the gateway node's own: it never comes back up as if heard.
  const before = s.committed.length;
  assert.equal(s.bridge.handleTx(Buffer.from(JSON.stringify({ to: 'broadcast', text: 'water at the school', ref: 'hub-1' })), 'hub').ok, true);
  assert.equal(s.bridge.handleTx(Buffer.from(JSON.stringify({ to: 'broadcast', alert: { level: 'WARNING', text: 'flood' }, ref: 'hub-2' })), 'hub').ok, true);
  s.run(60_000);
  assert.deepEqual(s.committed.slice(before).filter((c) => c.topic.startsWith(`unibos/v1/mesh/${gid}/`)).map((c) => c.topic), [], 'no echo of the hub\u2019s own text or alert');
});

test('the gateway\u2019s own node reports its health to the hub every telemetry interval, as a heard node does', async (t) => {
  const s = await setup(t, 'up');
  const gid = `!${s.g.nodeId.toString(16).padStart(8, '0')}`;
  const telemetry = () => s.committed.filter((c) => c.topic === `unibos/v1/mesh/${gid}/telemetry`).map((c) => JSON.parse(c.payload.toString()) as { uptimeS: number; gatewayId: string; hops: number });
  // Telemetry goes every 30 minutes (±10 %).
  s.run(35 * 60_000);
  const first = telemetry();
  assert.equal(first.length, 1, JSON.stringify(first));
  assert.deepEqual([first[0]!.gatewayId, first[0]!.hops], ['gw1', 0]);
  assert.ok(first[0]!.uptimeS > 25 * 60, 'with its uptime');
  s.run(35 * 60_000);
  assert.equal(telemetry().length, 2, 'each time it is due');
});
