// An SOS the hub's admins resolved is over: the next quake's round (an aftershock's) does not list
// its node as needing help for it. One still open, or a new SOS after it, still does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

test("an SOS resolved by an admin no longer marks its node as needing help in the next aftershock's round", async () => {
  const f = fakeModule({ orgA: ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => node(id, 37.3 + i * 0.01, 37.1)) });
  const subscribers = new Map<string, (e: unknown) => void>();
  const jobs: Array<() => unknown> = [];
  let hubNow = NOW - 30 * 60_000;
  Object.assign(f.m, {
    now: () => hubNow,
    settings: { ...SETTINGS, usgsUrl: 'http://feed.invalid/usgs' },
    events: { ...f.m.events, subscribe: (type: string, h: (e: unknown) => void) => void subscribers.set(type, h) },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(usgsFeedDocument([{ id: 'us-aftershock', latitude: 37.3, longitude: 37.1, depthKm: 10, magnitude: 5.2, timeMs: NOW - 60_000, place: 'near the fleet' }], hubNow), { status: 200 }),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  const sos = (nodeId: string, requestId: number | undefined, atMs: number): void => {
    hubNow = atMs;
    subscribers.get('mesh.alert')!({ orgId: 'orgA', type: 'mesh.alert', id: 1, ts: atMs, data: { id: 1, nodeId, nodeName: null, kind: 'alert', packetId: 1, time: new Date(atMs).toISOString(), data: { level: 'SOS', ...(requestId !== undefined ? { requestId } : {}) }, receptions: [] } });
  };
  const resolved = (nodeId: string, requestId: number | null, lastHeardMs: number): void => {
    hubNow = lastHeardMs + 5 * 60_000;
    const at = new Date(lastHeardMs).toISOString();
    subscribers.get('alert.resolved')?.({ orgId: 'orgA', type: 'alert.resolved', id: 2, ts: hubNow, data: { id: 9, nodeId, nodeName: nodeId, level: 'SOS', text: 'SOS', position: null, state: 'resolved', raisedAt: at, lastHeardAt: at, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: new Date(hubNow).toISOString(), resolvedBy: 'user:admin', requestId, receivedAt: at, acknowledgedNote: null, resolvedNote: null, stages: [] } });
  };
  const t0 = NOW - 30 * 60_000;
  sos('n1', 7, t0);
  resolved('n1', 7, t0); // an admin reached the person and resolved the alert
  sos('n1', 7, t0 + 20_000); // a late copy of the same SOS, delivered afterwards
  sos('n2', 3, t0); // nobody resolved this one
  sos('n3', 1, t0);
  sos('n3', 2, t0 + 60_000); // a new SOS...
  resolved('n3', 1, t0); // ...closed the old one (superseded): the new one is still open
  sos('n4', undefined, t0); // older firmware: no request id
  resolved('n4', null, t0);
  hubNow = NOW;
  await jobs[0]!(); // the aftershock's poll opens a round
  const round = new CheckinRounds(f.m.store.collection('rounds')).list('orgA')[0]!;
  assert.deepEqual(
    Object.fromEntries(round.nodes.map((n) => [n.id, n.status])),
    { n1: 'waiting', n2: 'needs_help', n3: 'needs_help', n4: 'waiting', n5: 'waiting' },
  );
  assert.equal(round.counts.needsHelp, 2);
});
