// What a check-in round says of a node is what actually happened to the person there, as a
// search-and-rescue coordinator reads it: the node's latest word stands (an SOS, then "I am safe":
// safe), an SOS an admin resolved at the hub is shown resolved (not "needs help"), and an SOS still
// open from before the quake keeps its node needing help, marked as a call from before the quake.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

const NODES = [node('harbour', 37.3, 37.0), node('clinic', 37.31, 37.0), node('school', 37.32, 37.0), node('mosque', 37.33, 37.0)];
const QUAKE = { id: 'us-latest', latitude: 37.3, longitude: 37.0, depthKm: 10, magnitude: 5.4, timeMs: NOW - 60_000, place: 'near the fleet' };

const byId = (r: CheckinRound) => Object.fromEntries(r.nodes.map((n) => [n.id, n]));

test('in an open round a node\'s latest word stands: SOS then "I am safe" is safe, an SOS an admin resolved is resolved, a new SOS after that needs help', async (t) => {
  const hub = await feedHub(NODES);
  t.after(() => hub.close());
  hub.feed.push(QUAKE);
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.ok(opened);
  const round = async () => (await hub.call<CheckinRound>('GET', `/rounds/${opened.id}`)).body;

  // Harbour asks for help after the quake, then its person presses "I am safe" (which also resolves the SOS alert, by the node).
  hub.at(NOW + 10_000);
  hub.frame('harbour', 'SOS', 5);
  hub.at(NOW + 40_000);
  hub.frame('harbour', 'SAFE', 5);
  hub.alertResolved('harbour', 5, 'harbour', NOW + 10_000);
  // School asks for help; an admin who reached the person resolves the SOS at the hub.
  hub.at(NOW + 20_000);
  hub.frame('school', 'SOS', 8);
  hub.at(NOW + 90_000);
  hub.alertResolved('school', 8, 'user:coordinator', NOW + 20_000);
  // Mosque says it is safe, then asks for help: help.
  hub.frame('mosque', 'SAFE');
  hub.at(NOW + 100_000);
  hub.frame('mosque', 'SOS', 3);

  let r = await round();
  assert.deepEqual(Object.fromEntries(r.nodes.map((n) => [n.id, n.status])), { harbour: 'safe', clinic: 'waiting', school: 'resolved', mosque: 'needs_help' });
  assert.deepEqual(r.counts, { safe: 1, needsHelp: 1, waiting: 1, automatic: 0, resolved: 1 });
  assert.equal(byId(r).harbour!.answeredAt, NOW + 40_000, 'safe since the "I am safe"');
  assert.equal(byId(r).school!.answeredAt, NOW + 90_000, 'resolved when the admin resolved it');

  // A late copy of School's resolved SOS is no new call; a new SOS from School is.
  hub.at(NOW + 110_000);
  hub.frame('school', 'SOS', 8);
  assert.equal(byId(await round()).school!.status, 'resolved');
  hub.frame('school', 'SOS', 9);
  r = await round();
  assert.equal(byId(r).school!.status, 'needs_help');
  assert.equal(r.counts.needsHelp, 2);

  // An admin's "needs help" check-in is not undone by the node's "I am safe" (the admin knows what the button does not say).
  assert.equal((await hub.call('POST', `/rounds/${opened.id}/checkins`, { nodeId: 'harbour', status: 'needs_help' })).status, 200);
  hub.at(NOW + 120_000);
  hub.frame('harbour', 'SAFE');
  // Clinic's first SOS superseded by its second (the hub names the node as the resolver) is no resolution.
  hub.frame('clinic', 'SOS', 1);
  hub.at(NOW + 130_000);
  hub.frame('clinic', 'SOS', 2);
  hub.alertResolved('clinic', 1, 'clinic', NOW + 120_000);
  r = await round();
  assert.equal(byId(r).harbour!.status, 'needs_help');
  assert.equal(byId(r).clinic!.status, 'needs_help');
});

test('a round opened after the answers lists each node by its latest word, and an SOS still open from before the quake as needing help since before it', async (t) => {
  const hub = await feedHub(NODES);
  t.after(() => hub.close());
  // Clinic called for help a minute before the quake and nobody resolved it.
  hub.at(QUAKE.timeMs - 50_000);
  hub.frame('clinic', 'SOS', 11);
  // As the ground shook (the feed reports the quake a minute later): Harbour SOS then "I am safe"; School SOS an admin resolved.
  hub.at(QUAKE.timeMs + 5_000);
  hub.frame('harbour', 'SOS', 4);
  hub.frame('school', 'SOS', 6);
  hub.at(QUAKE.timeMs + 30_000);
  hub.frame('harbour', 'SAFE', 4);
  hub.alertResolved('school', 6, 'user:coordinator', QUAKE.timeMs + 5_000);
  hub.at(NOW);
  hub.feed.push(QUAKE);
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.ok(opened);
  let n = byId(opened);
  assert.deepEqual(Object.fromEntries(opened.nodes.map((x) => [x.id, x.status])), { harbour: 'safe', clinic: 'needs_help', school: 'resolved', mosque: 'waiting' });
  assert.equal(n.clinic!.sosBeforeRound, QUAKE.timeMs - 50_000, 'the SOS is from before the quake, and says so');
  assert.equal(n.harbour!.sosBeforeRound ?? null, null);
  assert.deepEqual(opened.counts, { safe: 1, needsHelp: 1, waiting: 1, automatic: 0, resolved: 1 });

  // Clinic's person then says they are safe: safe, no longer a call from before the quake.
  hub.at(NOW + 30_000);
  hub.frame('clinic', 'SAFE', 11);
  const r = (await hub.call<CheckinRound>('GET', `/rounds/${opened.id}`)).body;
  n = byId(r);
  assert.equal(n.clinic!.status, 'safe');
  assert.equal(n.clinic!.sosBeforeRound ?? null, null);
  assert.deepEqual(r.counts, { safe: 2, needsHelp: 0, waiting: 1, automatic: 0, resolved: 1 });
});
