// An SOS heard before the quake's round opens is remembered in the module's store, not only in
// memory: a hub restarted (or the module reloaded for a settings change) between the call for help
// and the round still lists that person as needing help, never as "no answer". What the store
// keeps is one document a node, and a node silent for days is let go.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id, i) => node(id, 37.3 + i * 0.01, 37.1));

/** birlikteyiz's hub entry started on `f`'s store, as the hub starts it (again) after a restart or a settings change. */
async function start(f: ReturnType<typeof fakeModule>, clock: { now: number }, quakes: () => unknown[]) {
  const subscribers = new Map<string, (e: unknown) => void>();
  const jobs: Array<() => unknown> = [];
  Object.assign(f.m, {
    now: () => clock.now,
    settings: { ...SETTINGS, usgsUrl: 'http://feed.invalid/usgs' },
    events: { ...f.m.events, subscribe: (type: string, h: (e: unknown) => void) => void subscribers.set(type, h) },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(usgsFeedDocument(quakes() as never, clock.now), { status: 200 }),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  const alert = (nodeId: string, level: 'SOS' | 'SAFE', requestId?: number) =>
    subscribers.get('mesh.alert')!({ orgId: 'orgA', type: 'mesh.alert', id: 1, ts: clock.now, data: { id: 1, nodeId, nodeName: null, kind: 'alert', packetId: 1, time: new Date(clock.now).toISOString(), data: { level, ...(requestId ? { requestId } : {}) }, receptions: [] } });
  const resolved = (nodeId: string, requestId: number) => {
    const at = new Date(clock.now).toISOString();
    subscribers.get('alert.resolved')!({ orgId: 'orgA', type: 'alert.resolved', id: 2, ts: clock.now, data: { id: 9, nodeId, nodeName: nodeId, level: 'SOS', text: 'SOS', position: null, state: 'resolved', raisedAt: at, lastHeardAt: at, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: at, resolvedBy: 'user:admin', requestId, receivedAt: at, acknowledgedNote: null, resolvedNote: null, stages: [] } });
  };
  return { alert, resolved, poll: async () => void (await jobs[0]!()) };
}

test('an SOS heard before a hub restart still needs help in the round a quake opens after it', async () => {
  const f = fakeModule({ orgA: NODES });
  const clock = { now: NOW - 30 * 60_000 };
  const quakes: unknown[] = [];
  const before = await start(f, clock, () => quakes);
  before.alert('n1', 'SOS', 7); // a foreshock: someone asks for help
  before.alert('n2', 'SOS', 3);
  clock.now += 60_000;
  before.resolved('n2', 3); // an admin reached n2's person and resolved the alert
  before.alert('n3', 'SOS', 5);
  clock.now += 60_000;
  before.alert('n3', 'SAFE', 5); // n3's person said they are safe after it (the node names the SOS its "I am safe" ends)

  // The hub restarts (or the module is reloaded for a settings change): nothing of the above in memory.
  clock.now = NOW;
  quakes.push({ id: 'us-main', latitude: 37.3, longitude: 37.1, depthKm: 10, magnitude: 5.9, timeMs: NOW - 60_000, place: 'near the fleet' });
  const after = await start(f, clock, () => quakes);
  // A late copy of n2's resolved SOS, delivered after the restart: still not a new call for help.
  after.alert('n2', 'SOS', 3);
  await after.poll();
  const round = new CheckinRounds(f.m.store.collection('rounds')).list('orgA')[0]!;
  assert.ok(round, 'the quake opened a round');
  assert.deepEqual(Object.fromEntries(round.nodes.map((n) => [n.id, n.status])), { n1: 'needs_help', n2: 'waiting', n3: 'waiting', n4: 'waiting', n5: 'waiting' });
  assert.equal(round.counts.needsHelp, 1);
});

test('the store keeps one document a node heard, and lets a node silent for days go', async () => {
  const f = fakeModule({ orgA: NODES });
  const clock = { now: NOW - 3 * 86_400_000 };
  const hub = await start(f, clock, () => []);
  hub.alert('n4', 'SOS', 1);
  hub.alert('n4', 'SOS', 2);
  hub.alert('n4', 'SAFE');
  const heard = f.m.store.collection('heard');
  assert.deepEqual(heard.list('orgA').map((d) => d.id), ['n4']);
  // Three days later another node is heard: n4's old answers go (no round could count them).
  clock.now = NOW;
  hub.alert('n5', 'SOS', 9);
  assert.deepEqual(heard.list('orgA').map((d) => d.id), ['n5']);
});
