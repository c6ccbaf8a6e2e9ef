// Answers to a quake's check-in round that reach the hub late: a gateway whose link to the hub was
// down delivers its backlog minutes after the round opened, and a gateway's clock may be hours off
// (a Pi without a clock battery, off the internet). No call for help is dropped; an "I am safe" its
// gateway dates before the quake is not counted (it may be from before); the round says which time
// it went by.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { CheckinRounds, type CheckinRound } from '../src/checkin-rounds.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

test('an SOS or "I am safe" heard after the quake counts however late its gateway delivers it; a wrong gateway clock drops no SOS, and dates no "I am safe" into the round', async () => {
  const f = fakeModule({ orgA: ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map((id, i) => node(id, 37.3 + i * 0.01, 37.1)) });
  const subscribers = new Map<string, (e: unknown) => void>();
  const jobs: Array<() => unknown> = [];
  const quakeAt = NOW - 5 * 60_000; // the feed reports it 5 minutes after the shaking
  let hubNow = quakeAt;
  Object.assign(f.m, {
    now: () => hubNow,
    settings: { ...SETTINGS, usgsUrl: 'http://feed.invalid/usgs' },
    events: { ...f.m.events, subscribe: (type: string, h: (e: unknown) => void) => void subscribers.set(type, h) },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(usgsFeedDocument([{ id: 'us9', latitude: 37.3, longitude: 37.1, depthKm: 10, magnitude: 6.1, timeMs: quakeAt, place: 'near the fleet' }], hubNow), { status: 200 }),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  /** A frame the gateway dated `gatewayMs`, reaching the hub at `hubMs`. */
  const delivered = (nodeId: string, level: 'SOS' | 'SAFE', gatewayMs: number, hubMs: number): void => {
    hubNow = hubMs;
    subscribers.get('mesh.alert')!({ orgId: 'orgA', type: 'mesh.alert', id: 1, ts: hubMs, data: { id: 1, nodeId, nodeName: null, kind: 'alert', packetId: 1, time: new Date(gatewayMs).toISOString(), data: { level }, receptions: [] } });
  };
  delivered('n5', 'SAFE', quakeAt - 3_600_000, quakeAt - 3_600_000); // an hour before the quake, by the hub's own clock: no answer to it
  hubNow = NOW;
  await jobs[0]!(); // the poll that opens the round
  const roundNow = (): CheckinRound => new CheckinRounds(f.m.store.collection('rounds')).list('orgA')[0]!;
  assert.equal(roundNow().openedAt, NOW);
  // The gateway's link to the hub was down; it delivers what it heard 30 and 40 s after the quake 5 minutes after the round opened.
  delivered('n1', 'SOS', quakeAt + 30_000, NOW + 5 * 60_000);
  delivered('n2', 'SAFE', quakeAt + 40_000, NOW + 5 * 60_000);
  // A gateway whose clock is two hours behind (an SOS, and an "I am safe" it dates before the quake), and one a day ahead.
  delivered('n3', 'SOS', NOW + 6 * 60_000 - 2 * 3_600_000, NOW + 6 * 60_000);
  delivered('n6', 'SAFE', NOW + 6 * 60_000 - 2 * 3_600_000, NOW + 6 * 60_000);
  delivered('n4', 'SOS', NOW + 7 * 60_000 + 86_400_000, NOW + 7 * 60_000);
  const round = roundNow();
  const byId = Object.fromEntries(round.nodes.map((n) => [n.id, n]));
  assert.deepEqual(
    Object.fromEntries(round.nodes.map((n) => [n.id, n.status])),
    { n1: 'needs_help', n2: 'safe', n3: 'needs_help', n4: 'needs_help', n5: 'waiting', n6: 'waiting' },
    'every answer heard after the quake is in the round; the one from an hour before is not, nor a "safe" dated before the quake',
  );
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 3, waiting: 2, automatic: 0, resolved: 0 });
  // What the round says it did: answers count from the quake's time; each answer at the time it was heard.
  assert.equal(round.answersSince, quakeAt, 'answers count from the quake, not from when the round opened');
  assert.equal(byId.n1!.answeredAt, quakeAt + 30_000, "the SOS at the gateway's time, 30 s after the quake");
  assert.equal(byId.n1!.datedAt ?? null, null);
  assert.equal(byId.n3!.answeredAt, NOW + 6 * 60_000, "a gateway clock behind: the hub's time, the gateway's kept beside it");
  assert.equal(byId.n3!.datedAt, NOW + 6 * 60_000 - 2 * 3_600_000);
  assert.equal(byId.n4!.answeredAt, NOW + 7 * 60_000, 'a gateway clock ahead: not an answer from tomorrow');
  assert.equal(byId.n4!.datedAt, NOW + 7 * 60_000 + 86_400_000);
});
