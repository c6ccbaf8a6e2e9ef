// An unattended node's check-in answerer answers by itself: its frame is flagged automatic
// (Alert.automatic) and the round counts it apart from a person's "I am safe". It says the node is
// on the air, not that anyone there is alive: never "safe", never over an SOS, and a person's answer
// after it stands.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { node, NOW } from './support/fake-module.ts';
import { feedHub } from './support/feed-hub.ts';

const NODES = [node('shelter', 37.3, 37.0), node('school', 37.31, 37.0), node('mosque', 37.32, 37.0), node('clinic', 37.33, 37.0)];

test('an automatic answer is counted as automatic, not safe; it never hides an SOS, and a person\'s answer after it stands', async (t) => {
  const hub = await feedHub(NODES);
  t.after(() => hub.close());
  // Before the quake: "clinic" asked for help (a foreshock) and nobody said they were safe since.
  hub.at(NOW - 20 * 60_000);
  hub.frame('clinic', 'SOS', 41);
  hub.at(NOW);
  hub.feed.push({ id: 'us-auto', latitude: 37.3, longitude: 37.0, depthKm: 10, magnitude: 5.6, timeMs: NOW - 60_000, place: 'near the fleet' });
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.ok(opened, 'the quake opened a round');

  // Every node's answerer answers the question by itself; at "school" a person also pressed "I am safe" first.
  hub.at(NOW + 20_000);
  hub.frame('school', 'SAFE');
  hub.at(NOW + 30_000);
  for (const id of ['shelter', 'school', 'clinic']) hub.frame(id, 'SAFE', undefined, { automatic: true });
  let round = (await hub.call<typeof opened>('GET', `/rounds/${opened.id}`)).body;
  const status = (r: typeof round) => Object.fromEntries(r.nodes.map((n) => [n.id, n.status]));
  assert.deepEqual(status(round), { shelter: 'automatic', school: 'safe', mosque: 'waiting', clinic: 'needs_help' });
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 1, waiting: 1, automatic: 1, resolved: 0 });

  // A person at "shelter" presses "I am safe" after the automatic answer: now it is a person's safe.
  hub.at(NOW + 40_000);
  hub.frame('shelter', 'SAFE');
  // "mosque" answers automatically only after its person asked for help: the SOS stands.
  hub.frame('mosque', 'SOS', 52);
  hub.at(NOW + 50_000);
  hub.frame('mosque', 'SAFE', undefined, { automatic: true });
  round = (await hub.call<typeof opened>('GET', `/rounds/${opened.id}`)).body;
  assert.deepEqual(status(round), { shelter: 'safe', school: 'safe', mosque: 'needs_help', clinic: 'needs_help' });
  assert.deepEqual(round.counts, { safe: 2, needsHelp: 2, waiting: 0, automatic: 0, resolved: 0 });
});

test('a round opened after an automatic answer lists it as automatic, and an admin\'s check-in of a person at that node is what counts', async (t) => {
  const hub = await feedHub(NODES);
  t.after(() => hub.close());
  // The answerer answered as the ground shook, before any feed had the quake.
  hub.at(NOW - 30_000);
  hub.frame('shelter', 'SAFE', undefined, { automatic: true });
  hub.at(NOW);
  hub.feed.push({ id: 'us-auto-early', latitude: 37.3, longitude: 37.0, depthKm: 10, magnitude: 5.6, timeMs: NOW - 60_000, place: 'near the fleet' });
  await hub.poll();
  const [round] = await hub.rounds();
  assert.equal(round!.nodes.find((n) => n.id === 'shelter')!.status, 'automatic');
  assert.equal(round!.counts.safe, 0);
  assert.equal(round!.counts.automatic, 1);
  // A volunteer reached the shelter and found Ayşe there, safe: she counts, the node's automatic answer no more.
  const checked = await hub.call<typeof round>('POST', `/rounds/${round!.id}/checkins`, { nodeId: 'shelter', person: 'Ayşe Yılmaz', status: 'safe' });
  assert.equal(checked.status, 200);
  assert.equal(checked.body!.counts.safe, 1);
  assert.equal(checked.body!.counts.automatic, 0);
});
