// When our coverage-aware policy relays a text: at once-ish where nobody else can carry it on (the
// flood's frontier, a line), spread over the long window where several neighbours hold the same
// copy and can hear each other before deciding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../src/core/random.ts';
import { BROADCAST, type FrameHeader } from '../src/frame/header.ts';
import { CoverageFloodPolicy, FRONTIER_WINDOW_SLOTS } from '../src/routing/coverage-flood-policy.ts';
import { NeighborTable } from '../src/routing/neighbor-table.ts';
import { CW_MAX, type RelayContext } from '../src/routing/relay-policy.ts';

const SELF = 0x100;
const ORIGIN = 0x200;
const SLOT_MS = 28;
const NOW = 1_000_000;

/** Always the last value of any range: the longest delay the policy could pick. */
const longest: Random = { next: () => 0.999999, int: (n) => n - 1, u32: () => 0xffffffff };

const header: FrameHeader = {
  to: BROADCAST,
  from: ORIGIN,
  id: 7,
  hopLimit: 2,
  hopStart: 3,
  wantAck: false,
  viaMqtt: false,
  channelHash: 0,
  nextHop: 0,
  relayNode: ORIGIN & 0xff,
  counter: 1,
};

/** SELF heard ORIGIN; `ahead` neighbours hear SELF only, `beside` ones hear SELF and ORIGIN. */
function context(ahead: number[], beside: number[]): RelayContext {
  const neighbors = new NeighborTable(SELF);
  neighbors.heard(ORIGIN, 0, 0, -90, NOW);
  let seq = 1;
  for (const n of [...ahead, ...beside]) {
    neighbors.heard(n, 0, 0, -90, NOW);
    const links = [{ nodeId: SELF, quality: 0.8, snr: 0 }];
    if (beside.includes(n)) links.push({ nodeId: ORIGIN, quality: 0.8, snr: 0 });
    neighbors.beacon(n, seq++, links, NOW);
  }
  return { self: SELF, header, snr: -5, transmitters: [ORIGIN], copies: 1, slotMs: SLOT_MS, urgent: false, random: longest, neighbors, now: NOW };
}

test('a relay that alone holds the frame among its neighbours (the next node on a line) relays within the short window, without the fixed wait', () => {
  const delay = new CoverageFloodPolicy().relayDelay(context([0x301], []));
  assert.ok(delay !== null, 'it relays');
  assert.ok(delay <= (FRONTIER_WINDOW_SLOTS - 1) * SLOT_MS, `waited ${delay} ms, ${delay / SLOT_MS} slots`);
});

test('a relay among neighbours that heard the same copy waits the fixed wait and the whole window, so it can hear them first', () => {
  const policy = new CoverageFloodPolicy();
  const delay = policy.relayDelay(context([0x301, 0x302], [0x401, 0x402]));
  assert.ok(delay !== null, 'it still has neighbours to cover');
  assert.equal(delay, (2 * CW_MAX + policy.windowSlots - 1) * SLOT_MS);
});

test('a relay whose next neighbour also hears a node it cannot hear, which heard the same copy, spreads over the whole window: the two would collide there', () => {
  // A diamond: ORIGIN reaches SELF and HIDDEN, both reach AHEAD, SELF and HIDDEN cannot hear each other.
  const HIDDEN = 0x500;
  const AHEAD = 0x301;
  const neighbors = new NeighborTable(SELF);
  neighbors.heard(ORIGIN, 0, 0, -90, NOW);
  neighbors.heard(AHEAD, 0, 0, -90, NOW);
  neighbors.beacon(ORIGIN, 1, [{ nodeId: SELF, quality: 0.8, snr: 0 }, { nodeId: HIDDEN, quality: 0.9, snr: 0 }], NOW);
  neighbors.beacon(AHEAD, 1, [{ nodeId: SELF, quality: 0.8, snr: 0 }, { nodeId: HIDDEN, quality: 0.9, snr: 0 }], NOW);
  const policy = new CoverageFloodPolicy();
  const ctx: RelayContext = { self: SELF, header, snr: -5, transmitters: [ORIGIN], copies: 1, slotMs: SLOT_MS, urgent: false, random: longest, neighbors, now: NOW };
  assert.equal(policy.relayDelay(ctx), (2 * CW_MAX + policy.windowSlots - 1) * SLOT_MS);
});
