// Forged neighbour-info beacons against coverage-aware relaying: anyone holding the published
// Public key can claim to be any number of made-up nodes that each hear everyone perfectly. Such
// phantoms always count as covered; as a share of a relay's neighbours they once diluted what its
// real neighbours needed until it stopped relaying texts (12 phantoms) and SOS alerts (more).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { encodeFrame } from '../src/frame/frame-codec.ts';
import { BROADCAST } from '../src/frame/header.ts';
import type { Data } from '../src/frame/schema.ts';
import { CoverageFloodPolicy } from '../src/routing/coverage-flood-policy.ts';
import type { MeshRouter } from '../src/routing/router.ts';
import { EVE, network } from './support/eve-network.ts';

// A and B on one side, both next to R; R is the only way to C, and C the only way to D.
const A = 0x0a0a;
const B = 0x0b0b;
const R = 0x2222;
const C = 0x0c0c;
const D = 0x0d0d;
const REAL = [A, B, R, C, D];

const SOS: Data = { alert: { level: 'SOS', text: 'trapped at the mill', magnitudeX10: 0 } };

/** A beacon sealed with the published Public key, as anyone holding it can: zero hops, from its claimed sender. */
function forgedBeacon(from: number, seq: number, hears: number[]): Uint8Array {
  const neighbors = hears.map((nodeId) => ({ nodeId, snrX4: 40, quality: 255 }));
  const data: Data = { neighborInfo: { nodeId: from, beaconSeq: seq, intervalS: 60, neighbors } };
  return encodeFrame({ to: BROADCAST, from, id: (from ^ (seq << 20)) >>> 0, hopLimit: 0, hopStart: 0, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: from & 0xff, counter: seq }, data, DEFAULT_CHANNEL);
}

interface Outcome {
  /** What reached each node: 'text' and 'alert' deliveries. */
  got: Map<number, string[]>;
  /** Seconds from A sending the text to D receiving it (Infinity if it never did). */
  textToD: number;
  /** Relays each real node put on air for the text and the SOS. */
  relays: Map<number, number>;
  /** R's direct neighbours when A sent. */
  rNeighbors: number;
}

/** What each phantom claims to hear: every real node and ten other phantoms. */
const everyone = (ids: number[], i: number): number[] => [...REAL, ...Array.from({ length: Math.min(10, ids.length - 1) }, (_, k) => ids[(i + 1 + k) % ids.length]!)];

/**
 * The mesh beacons three rounds; Eve, heard by B, R and C, then claims to be `phantoms` made-up
 * nodes, each beaconing twice that it hears `claims` with certainty; the real nodes beacon once
 * more (now listing the phantoms they hear); A sends a text, then an SOS.
 */
function attack(phantoms: number, claims = everyone): Outcome {
  const net = network([
    [A, B],
    [A, R],
    [B, R],
    [R, C],
    [C, D],
    [B, EVE],
    [R, EVE],
    [C, EVE],
  ]);
  const routers = new Map<number, MeshRouter>(REAL.map((id) => [id, net.add(id, { policy: new CoverageFloodPolicy() })]));
  const beaconRound = () => {
    for (const r of routers.values()) {
      r.sendNeighborInfo(60);
      net.scheduler.runUntil(net.scheduler.now() + 10_000);
    }
  };
  for (let round = 0; round < 3; round++) beaconRound();
  const ids = Array.from({ length: phantoms }, (_, i) => 0x7000_0000 + i);
  for (const seq of [1, 2]) {
    for (const [i, id] of ids.entries()) {
      net.inject(forgedBeacon(id, seq, claims(ids, i)));
      net.scheduler.runUntilIdle();
    }
  }
  beaconRound();
  net.scheduler.runUntilIdle();
  const rNeighbors = routers.get(R)!.neighbors.direct(net.scheduler.now()).length;
  const before = new Map([...routers].map(([id, r]) => [id, r.stats.relaysSent]));
  const sentAt = net.scheduler.now();
  routers.get(A)!.send(BROADCAST, { text: 'the ford is flooded' });
  net.scheduler.runUntilIdle();
  const atD = (net.deliveries.get(D) ?? []).find((d) => d.kind === 'text');
  const textToD = atD === undefined ? Infinity : (atD.rxTimeMs - sentAt) / 1000;
  routers.get(A)!.send(BROADCAST, SOS);
  net.scheduler.runUntilIdle();
  const got = new Map(REAL.map((id) => [id, (net.deliveries.get(id) ?? []).filter((d) => d.kind === 'text' || d.kind === 'alert').map((d) => d.kind)]));
  const relays = new Map([...routers].map(([id, r]) => [id, r.stats.relaysSent - before.get(id)!]));
  return { got, textToD, relays, rNeighbors };
}

test('without forged beacons the text and the SOS cross R and C to the far side, and B, whose neighbours all heard A, stays silent', () => {
  const { got, relays } = attack(0);
  assert.deepEqual(got.get(C), ['text', 'alert']);
  assert.deepEqual(got.get(D), ['text', 'alert']);
  assert.equal(relays.get(B), 0);
});

for (const phantoms of [12, 100]) {
  test(`${phantoms} made-up neighbours beaconing perfect links do not stop R and C relaying a text or an SOS the far side needs`, () => {
    const { got, rNeighbors } = attack(phantoms);
    assert.ok(rNeighbors >= phantoms + 3, `R took the phantoms for neighbours (${rNeighbors} direct)`);
    assert.deepEqual(got.get(C), ['text', 'alert'], 'R relayed both to C');
    assert.deepEqual(got.get(D), ['text', 'alert'], 'C relayed both to D');
  });

  test(`${phantoms} made-up neighbours do not make anyone relay more than without them`, () => {
    const clean = attack(0).relays;
    const { relays } = attack(phantoms);
    for (const id of REAL) assert.ok(relays.get(id)! <= clean.get(id)!, `${id.toString(16)} relayed ${relays.get(id)} times, ${clean.get(id)} without phantoms`);
  });
}

test('100 made-up neighbours that look like relays due before R (each claims to hold the text and to hear C, D and nodes nobody has) hold R back a bounded while, not one turn each', () => {
  const madeUp = (i: number) => Array.from({ length: 12 }, (_, k) => 0x7100_0000 + i * 12 + k);
  const { got, textToD } = attack(100, (_, i) => [A, C, D, ...madeUp(i)]);
  assert.deepEqual(got.get(D), ['text', 'alert']);
  // One turn each would be 100 turns of about 0.8 s; a clean mesh takes about 2 s.
  assert.ok(textToD < 20, `the text reached D after ${textToD.toFixed(1)} s`);
});
