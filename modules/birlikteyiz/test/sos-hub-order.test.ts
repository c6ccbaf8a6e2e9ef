// A node's answers are ordered by when the HUB heard them, not by the gateways' clocks: a gateway a
// minute slow, or two gateways a minute apart, must never leave a round saying "safe" (or "SOS
// resolved by the hub") for someone who called for help again. An SOS's request id tells a new call
// from a late copy, and an "I am safe" ends only the SOS it names.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

const NODES = [node('harbour', 37.3, 37.0), node('clinic', 37.31, 37.0), node('school', 37.32, 37.0)];
const QUAKE = { id: 'us-order', latitude: 37.3, longitude: 37.0, depthKm: 10, magnitude: 5.4, timeMs: NOW - 60_000, place: 'near the fleet' };
const statuses = (r: CheckinRound) => Object.fromEntries(r.nodes.map((n) => [n.id, n.status]));

async function openRound() {
  const hub = await feedHub(NODES);
  hub.feed.push(QUAKE);
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.ok(opened);
  const round = async () => (await hub.call<CheckinRound>('GET', `/rounds/${opened.id}`)).body;
  return { hub, opened, round };
}

test('a new SOS after an admin checked the node in as safe needs help, though its gateway\'s clock is 70 s slow', async (t) => {
  const { hub, opened, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 60_000);
  assert.equal((await hub.call('POST', `/rounds/${opened.id}/checkins`, { nodeId: 'harbour', status: 'safe' })).status, 200);
  hub.at(NOW + 120_000);
  hub.frame('harbour', 'SOS', 7, { datedAt: NOW + 50_000 });
  const r = await round();
  assert.equal(statuses(r).harbour, 'needs_help');
  assert.equal(r.counts.needsHelp, 1);
  assert.equal(r.counts.safe, 0);
});

test('a new SOS after an admin resolved the node\'s last one needs help, though its gateway\'s clock is 70 s slow', async (t) => {
  const { hub, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 20_000);
  hub.frame('school', 'SOS', 8, { datedAt: NOW - 50_000 });
  hub.at(NOW + 90_000);
  hub.alertResolved('school', 8, 'user:coordinator', NOW + 20_000);
  assert.equal(statuses(await round()).school, 'resolved');
  hub.at(NOW + 150_000);
  hub.frame('school', 'SOS', 9, { datedAt: NOW + 80_000 });
  const r = await round();
  assert.equal(statuses(r).school, 'needs_help');
  assert.equal(r.counts.needsHelp, 1);
  assert.equal(r.counts.resolved, 0);
});

test('an SOS heard after an "I am safe" needs help, though the safe\'s gateway dates it 50 s ahead of the SOS\'s', async (t) => {
  const { hub, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 10_000);
  hub.frame('clinic', 'SAFE', undefined, { datedAt: NOW + 60_000 }); // gateway B, its clock 50 s ahead
  hub.at(NOW + 30_000);
  hub.frame('clinic', 'SOS', 3); // gateway A, its clock right
  const r = await round();
  assert.equal(statuses(r).clinic, 'needs_help');
  assert.deepEqual({ safe: r.counts.safe, needsHelp: r.counts.needsHelp }, { safe: 0, needsHelp: 1 });
});

test('an "I am safe" pressed before the SOS and delivered late by another gateway (its clock 5 min ahead) does not end the SOS; one naming the SOS does', async (t) => {
  const { hub, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 30_000);
  hub.frame('clinic', 'SOS', 3);
  // Pressed at NOW+10 s, before the SOS (it names no SOS: none was open on the node), in gateway B's backlog.
  hub.at(NOW + 600_000);
  hub.frame('clinic', 'SAFE', undefined, { datedAt: NOW + 310_000 });
  assert.equal(statuses(await round()).clinic, 'needs_help');
  // The person's "I am safe" for this SOS (the node names it).
  hub.at(NOW + 620_000);
  hub.frame('clinic', 'SAFE', 3);
  assert.equal(statuses(await round()).clinic, 'safe');
});

test('a late copy of an SOS an admin has since checked the node in as safe for does not make it need help again; a new SOS does', async (t) => {
  const { hub, opened, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 10_000);
  hub.frame('harbour', 'SOS', 5);
  hub.at(NOW + 60_000);
  assert.equal((await hub.call('POST', `/rounds/${opened.id}/checkins`, { nodeId: 'harbour', status: 'safe' })).status, 200);
  // A second gateway's backlog delivers the same SOS again, dated by a clock running ahead.
  hub.at(NOW + 300_000);
  hub.frame('harbour', 'SOS', 5, { datedAt: NOW + 320_000 });
  assert.equal(statuses(await round()).harbour, 'safe');
  hub.frame('harbour', 'SOS', 6);
  assert.equal(statuses(await round()).harbour, 'needs_help');
});

test('an admin resolving an SOS alert leaves a node an admin checked in as needing help needing help', async (t) => {
  const { hub, opened, round } = await openRound();
  t.after(() => hub.close());
  hub.at(NOW + 10_000);
  hub.frame('harbour', 'SOS', 5);
  hub.at(NOW + 60_000);
  assert.equal((await hub.call('POST', `/rounds/${opened.id}/checkins`, { nodeId: 'harbour', status: 'needs_help' })).status, 200);
  hub.at(NOW + 90_000);
  hub.alertResolved('harbour', 5, 'user:other', NOW + 10_000);
  const r = await round();
  assert.equal(statuses(r).harbour, 'needs_help');
  assert.equal(r.counts.needsHelp, 1);
  assert.equal(r.counts.resolved, 0);
});

test('a new SOS after the quake from a node needing help since before it is the node\'s call now, no longer "before the quake"', async (t) => {
  const hub = await feedHub(NODES);
  t.after(() => hub.close());
  hub.at(QUAKE.timeMs - 50_000);
  hub.frame('clinic', 'SOS', 11);
  hub.at(NOW);
  hub.feed.push(QUAKE);
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.ok(opened);
  const before = opened.nodes.find((n) => n.id === 'clinic')!;
  assert.equal(before.status, 'needs_help');
  assert.equal(before.sosBeforeRound, QUAKE.timeMs - 50_000);
  hub.at(NOW + 30_000);
  hub.frame('clinic', 'SOS', 12);
  const after = (await hub.call<CheckinRound>('GET', `/rounds/${opened.id}`)).body.nodes.find((n) => n.id === 'clinic')!;
  assert.equal(after.status, 'needs_help');
  assert.equal(after.sosBeforeRound ?? null, null);
  assert.equal(after.answeredAt, NOW + 30_000);
});
