// People checked in by name: one entry a person however the name is typed, and a check-in naming
// both a node and a person counted once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import { memoryCollection, NOW } from './support/fake-module.ts';

const open = (r: CheckinRounds) => r.open({ orgId: 'o', id: 'r1', title: 't', quakeId: null, epicentre: null, radiusKm: 0, nowMs: NOW, durationMs: 3_600_000, nodes: [{ id: 'n1', name: 'n1', position: null }, { id: 'n2', name: 'n2', position: null }] });

test('"İSMAİL" needing help stops needing help once "İsmail" or "Ismail" is checked in safe; the name stays as first written', () => {
  const r = new CheckinRounds(memoryCollection());
  let round = open(r);
  round = r.adminCheckIn(round, { person: 'İSMAİL', status: 'needs_help', by: 'u', atMs: NOW });
  round = r.adminCheckIn(round, { person: ' İsmail', status: 'safe', by: 'u', atMs: NOW + 1 });
  assert.deepEqual(round.people.map((p) => [p.name, p.status]), [['İSMAİL', 'safe']]);
  assert.equal(round.counts.needsHelp, 0);
  round = r.adminCheckIn(round, { person: 'ismail', status: 'needs_help', by: 'u', atMs: NOW + 2 });
  round = r.adminCheckIn(round, { person: 'Ismail', status: 'safe', by: 'u', atMs: NOW + 3 });
  assert.deepEqual(round.people.map((p) => [p.name, p.status]), [['İSMAİL', 'safe']]);

  round = r.adminCheckIn(round, { person: 'Ayşe Yılmaz ', status: 'needs_help', by: 'u', atMs: NOW });
  round = r.adminCheckIn(round, { person: 'AYŞE YILMAZ', status: 'safe', by: 'u', atMs: NOW });
  // Decomposed letters (a phone's keyboard) and a keyboard without Turkish letters.
  round = r.adminCheckIn(round, { person: 'Ayse  Yilmaz'.normalize('NFD'), status: 'safe', by: 'u', atMs: NOW });
  round = r.adminCheckIn(round, { person: 'Aysx Yilmaz', status: 'safe', by: 'u', atMs: NOW });
  assert.deepEqual(round.people.map((p) => p.name), ['İSMAİL', 'Ayşe Yılmaz', 'Aysx Yilmaz']);
  assert.deepEqual(round.counts, { safe: 3, needsHelp: 0, waiting: 2, automatic: 0, resolved: 0 });
});

test('a check-in naming a node and the person at it counts one person safe, not two', () => {
  const r = new CheckinRounds(memoryCollection());
  let round = open(r);
  round = r.adminCheckIn(round, { nodeId: 'n1', person: 'Ayşe Yılmaz', status: 'safe', by: 'u', atMs: NOW });
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 0, waiting: 1, automatic: 0, resolved: 0 });
  // A second person at the same node is one more.
  round = r.adminCheckIn(round, { nodeId: 'n1', person: 'Mehmet', status: 'safe', by: 'u', atMs: NOW });
  assert.deepEqual(round.counts, { safe: 2, needsHelp: 0, waiting: 1, automatic: 0, resolved: 0 });
  // The node's own SOS afterwards is someone else there needing help: it counts.
  r.heard('o', 'n1', 'needs_help', NOW + 1000, NOW + 1000);
  assert.deepEqual(r.get('o', 'r1')!.counts, { safe: 2, needsHelp: 1, waiting: 1, automatic: 0, resolved: 0 });
});
