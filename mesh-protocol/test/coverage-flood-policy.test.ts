// When our coverage-aware policy relays a text: relays that would add coverage take turns in an
// order every node works out alike, so the first goes at once, and two relays that cannot hear
// each other but share a neighbour never start together.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../src/core/random.ts';
import { BROADCAST, type FrameHeader } from '../src/frame/header.ts';
import { CoverageFloodPolicy, TURN_JITTER_SLOTS, TURN_SLOTS, turnOrder } from '../src/routing/coverage-flood-policy.ts';
import { NeighborTable, type NeighborLink } from '../src/routing/neighbor-table.ts';
import type { RelayContext } from '../src/routing/relay-policy.ts';

const ORIGIN = 0x200;
const SLOT_MS = 28;
const NOW = 1_000_000;
const AIRTIME_SLOTS = 24;

/** Always the last value of any range: the longest delay the policy could pick. */
const longest: Random = { next: () => 0.999999, int: (n) => n - 1, u32: () => 0xffffffff };
/** Always the first value: the shortest. */
const shortest: Random = { next: () => 0, int: () => 0, u32: () => 0 };

const header = (id = 7): FrameHeader => ({
  to: BROADCAST,
  from: ORIGIN,
  id,
  hopLimit: 2,
  hopStart: 3,
  wantAck: false,
  viaMqtt: false,
  channelHash: 0,
  nextHop: 0,
  relayNode: ORIGIN & 0xff,
  counter: 1,
});

const link = (nodeId: number): NeighborLink => ({ nodeId, quality: 0.9, snr: 0 });

/** `self` heard ORIGIN's copy; `lists` says whom each of its direct neighbours advertises hearing. */
function context(self: number, lists: Record<number, number[]>, random: Random, id = 7): RelayContext {
  const neighbors = new NeighborTable(self);
  let seq = 1;
  for (const [node, hears] of Object.entries(lists)) {
    neighbors.heard(Number(node), 0, 0, -90, NOW);
    neighbors.beacon(Number(node), seq++, hears.map(link), NOW);
  }
  return { self, header: header(id), snr: -5, transmitters: [ORIGIN], copies: 1, slotMs: SLOT_MS, airtimeSlots: AIRTIME_SLOTS, urgent: false, random, neighbors, now: NOW };
}

test('the next node on a line, which nobody else can beat to it, relays at once', () => {
  const [self, ahead] = [0x100, 0x301];
  const delay = new CoverageFloodPolicy().relayDelay(context(self, { [ORIGIN]: [self], [ahead]: [self, 0x302] }, longest));
  assert.ok(delay !== null, 'it relays');
  assert.ok(delay < TURN_JITTER_SLOTS * SLOT_MS, `waited ${delay} ms, ${delay / SLOT_MS} slots`);
});

test('two relays that cannot hear each other but share a neighbour take different turns, a whole airtime apart', () => {
  // A diamond: ORIGIN reaches B and C, both reach D, B and C cannot hear each other.
  const [B, C, D] = [0x100, 0x500, 0x301];
  const policy = new CoverageFloodPolicy();
  for (let id = 1; id <= 20; id++) {
    for (const [bRandom, cRandom] of [[longest, shortest], [shortest, longest]] as const) {
      const b = policy.relayDelay(context(B, { [ORIGIN]: [B, C], [D]: [B, C] }, bRandom, id));
      const c = policy.relayDelay(context(C, { [ORIGIN]: [B, C], [D]: [B, C] }, cRandom, id));
      assert.ok(b !== null && c !== null, 'both have D to cover');
      const [first, second] = [Math.min(b, c), Math.max(b, c)];
      assert.ok(first < TURN_JITTER_SLOTS * SLOT_MS, `frame ${id}: the first goes at once, waited ${first} ms`);
      assert.ok(second - first > AIRTIME_SLOTS * SLOT_MS, `frame ${id}: ${first} and ${second} ms overlap on air`);
    }
  }
});

test('for a long copy (a long text, a slow preset) the turns are as long as it is on air: hidden relays still never overlap', () => {
  const [B, C, D] = [0x100, 0x500, 0x301];
  const policy = new CoverageFloodPolicy();
  for (const airtimeSlots of [43, 62, 151]) {
    for (let id = 1; id <= 20; id++) {
      const b = policy.relayDelay({ ...context(B, { [ORIGIN]: [B, C], [D]: [B, C] }, longest, id), airtimeSlots });
      const c = policy.relayDelay({ ...context(C, { [ORIGIN]: [B, C], [D]: [B, C] }, shortest, id), airtimeSlots });
      assert.ok(b !== null && c !== null, 'both have D to cover');
      const [first, second] = [Math.min(b, c), Math.max(b, c)];
      assert.ok(first < TURN_JITTER_SLOTS * SLOT_MS, `frame ${id}: the first goes at once`);
      assert.ok(second - first > airtimeSlots * SLOT_MS, `${airtimeSlots} slots on air, frame ${id}: ${first / SLOT_MS} and ${second / SLOT_MS} slots overlap`);
    }
  }
});

test('a neighbour that holds the frame but would cover nothing new does not make us wait', () => {
  // `beside` heard the origin too and hears only nodes that have it: it will stay silent.
  const [self, beside, ahead] = [0x100, 0x401, 0x301];
  const delay = new CoverageFloodPolicy().relayDelay(context(self, { [ORIGIN]: [self, beside], [beside]: [ORIGIN, self], [ahead]: [self] }, longest));
  assert.ok(delay !== null && delay < TURN_JITTER_SLOTS * SLOT_MS, `waited ${delay} ms`);
});

test('the turn order is the same on every node and changes from frame to frame, so no node is always last', () => {
  const nodes = [0x100, 0x500, 0x301, 0x777];
  const first = new Map(nodes.map((n) => [n, 0]));
  for (let id = 1; id <= 400; id++) {
    const order = [...nodes].sort((a, b) => turnOrder(a, header(id)) - turnOrder(b, header(id)));
    first.set(order[0]!, first.get(order[0]!)! + 1);
  }
  for (const [node, times] of first) assert.ok(times > 40, `node ${node.toString(16)} went first ${times} times of 400`);
  assert.equal(TURN_SLOTS > AIRTIME_SLOTS, true, 'a turn is longer than a text on air');
});

test('an SOS relay that heard the copy weakly (farther from its sender) goes before one that heard it strongly, both within 16 slots', () => {
  // Both have a neighbour to cover; the weak one draws its longest random slot, the strong one its shortest.
  const sos = (snr: number, random: Random): number | null => new CoverageFloodPolicy().relayDelay({ ...context(0x100, { [ORIGIN]: [0x100], [0x301]: [0x100] }, random), urgent: true, snr });
  for (const [weak, strong] of [[-15, 5], [-8, 8], [-20, 10]]) {
    const far = sos(weak!, longest);
    const near = sos(strong!, shortest);
    assert.ok(far !== null && near !== null, 'both relay');
    assert.ok(far < near, `SNR ${weak} dB waited ${far / SLOT_MS} slots, SNR ${strong} dB ${near / SLOT_MS}`);
  }
  for (const snr of [-30, -5, 20]) {
    const slowest = sos(snr, longest);
    assert.ok(slowest !== null && slowest < 16 * SLOT_MS, `an SOS heard at ${snr} dB waited ${slowest! / SLOT_MS} slots`);
  }
});

test('a text relay that heard the copy weakly takes its turn before one that heard it strongly, whatever the hash order', () => {
  // The diamond again; B hears ORIGIN at -15 dB (far), C at +5 dB (near), and both lists say so.
  const [B, C, D] = [0x100, 0x500, 0x301];
  const snrAt = { [B]: -15, [C]: 5 };
  const at = (self: number, id: number, random: Random): RelayContext => {
    const neighbors = new NeighborTable(self);
    neighbors.heard(ORIGIN, 0, snrAt[self]!, -100, NOW);
    neighbors.beacon(ORIGIN, 1, [B, C].map((n) => ({ nodeId: n, quality: 0.9, snr: snrAt[n]! })), NOW);
    neighbors.heard(D, 0, 0, -90, NOW);
    neighbors.beacon(D, 2, [B, C].map(link), NOW);
    return { self, header: header(id), snr: snrAt[self]!, transmitters: [ORIGIN], copies: 1, slotMs: SLOT_MS, airtimeSlots: AIRTIME_SLOTS, urgent: false, random, neighbors, now: NOW };
  };
  const policy = new CoverageFloodPolicy();
  let hashWouldPutCFirst = 0;
  for (let id = 1; id <= 20; id++) {
    if (turnOrder(C, header(id)) < turnOrder(B, header(id))) hashWouldPutCFirst++;
    const far = policy.relayDelay(at(B, id, longest));
    const near = policy.relayDelay(at(C, id, shortest));
    assert.ok(far !== null && near !== null, 'both have D to cover');
    assert.ok(far < TURN_JITTER_SLOTS * SLOT_MS, `frame ${id}: the far relay goes at once, waited ${far / SLOT_MS} slots`);
    assert.ok(near - far > AIRTIME_SLOTS * SLOT_MS, `frame ${id}: the near relay waits its turn (${near / SLOT_MS} slots)`);
  }
  assert.ok(hashWouldPutCFirst > 0, 'some frames would have gone the other way by hash alone');
});
