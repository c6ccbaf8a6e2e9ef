// Coverage-aware managed flooding (ours). Cancelling on the first overheard copy saves airtime
// but, on lossy links, strands the neighbours that copy missed. Instead a relay estimates, from
// its neighbours' advertised links, how many of its own neighbours probably still lack the frame
// after every copy it has overheard, and stays silent only when that expected gain is small.

import { CW_MAX, snrWeightedDelay, urgentDelay, type RelayContext, type RelayPolicy } from './relay-policy.ts';

/** Direct neighbours older than this are not counted (they may have moved or died). */
const NEIGHBOR_MAX_AGE_MS = 3 * 60 * 60 * 1000;

export interface CoverageOptions {
  /**
   * Relay only while our copy would newly reach at least this share of our direct neighbours
   * (expected value). Lower = more reach, more airtime; higher = less of both. The benchmark
   * sweeps it. A share, not a count: one stranded neighbour at the end of a line matters as
   * much as three in a dense cluster, where estimates also err more toward "uncovered".
   */
  threshold?: number;
  /** Relay delays are drawn from at most this many slots (while other neighbours may relay too). */
  windowSlots?: number;
}

export const DEFAULT_COVERAGE_THRESHOLD = 0.25;
/**
 * An SOS or alert relays while half the usual share of neighbours may still lack it: its short
 * window leaves less time to overhear others, so coverage estimates err, and reach is what counts.
 */
const URGENT_THRESHOLD_FACTOR = 0.5;
/**
 * A relay that probably alone holds the frame among its neighbours (the flood's frontier, a line,
 * a bridge) draws its delay from this short window: there is nobody to wait for, and each hop it
 * waits adds to every later node's latency (a 256-slot window cost 3.6 s a hop on average on a
 * line). 32 slots, a little more than a text's airtime (about 24 slots on LongFast), keeps two
 * frontier relays that cannot hear each other from always colliding at a shared neighbour
 * (measured: 16 slots cost reach on the line).
 */
export const FRONTIER_WINDOW_SLOTS = 32;
/** The window widens to its full size as the expected number of other holders reaches this. */
const HOLDERS_FOR_FULL_WINDOW = 0.25;

export class CoverageFloodPolicy implements RelayPolicy {
  readonly name: string;
  readonly threshold: number;
  readonly windowSlots: number;

  constructor(options: CoverageOptions = {}) {
    this.threshold = options.threshold ?? DEFAULT_COVERAGE_THRESHOLD;
    this.windowSlots = options.windowSlots ?? 2 ** CW_MAX;
    this.name = `coverage(θ=${this.threshold})`;
  }

  relayDelay(ctx: RelayContext): number | null {
    const gain = expectedGain(ctx);
    if (gain < this.thresholdFor(ctx)) return null;
    if (ctx.urgent) return urgentDelay(ctx.slotMs, ctx.random);
    if (!Number.isFinite(gain)) return snrWeightedDelay(ctx.snr, ctx.slotMs, ctx.random);
    // A uniform draw over the whole window, not the SNR-weighted one: the published scheme gives
    // far receivers a window of only 8 slots, so they relay almost together, without hearing each
    // other. Spread out, each relay hears the earlier ones and can judge what is left to cover.
    // Only while others may relay too, though: a relay that probably alone holds the frame among
    // its neighbours has nobody to wait for, so it skips the fixed wait and draws from a short
    // window (both scale with the number of likely holders).
    const share = holderShare(ctx);
    const fixedSlots = Math.round(share * 2 * CW_MAX);
    return (fixedSlots + ctx.random.int(this.windowFor(share))) * ctx.slotMs;
  }

  /** Slots a text's relay delay is drawn from, after the fixed wait, for a given holder share. */
  windowFor(share: number): number {
    return Math.max(Math.min(FRONTIER_WINDOW_SLOTS, this.windowSlots), Math.round(share * this.windowSlots));
  }

  cancelOnDuplicate(ctx: RelayContext): boolean {
    return expectedGain(ctx) < this.thresholdFor(ctx);
  }

  private thresholdFor(ctx: RelayContext): number {
    return ctx.urgent ? this.threshold * URGENT_THRESHOLD_FACTOR : this.threshold;
  }
}

/** 0 when no other neighbour of ours likely holds the frame, 1 from HOLDERS_FOR_FULL_WINDOW on. */
function holderShare(ctx: RelayContext): number {
  return Math.min(1, expectedHolders(ctx) / HOLDERS_FOR_FULL_WINDOW);
}

/**
 * (1 / our direct neighbour count) · Σ over our direct neighbours n (not themselves transmitters)
 *   of P(our copy reaches n) · Π over overheard transmitters w of (1 − P(w's copy reached n)).
 * A neighbour whose links we do not know counts as uncovered, so ignorance errs toward relaying.
 */
export function expectedGain(ctx: RelayContext): number {
  const { neighbors, transmitters, self } = ctx;
  const direct = neighbors.direct(ctx.now, NEIGHBOR_MAX_AGE_MS);
  // Until some neighbour has told us whom it hears, we cannot judge coverage: relay, as plain
  // flooding would, rather than strand anyone (a node fresh from boot, or beacons switched off).
  if (!direct.some((n) => n.advertised.size > 0)) return Infinity;
  let gain = 0;
  for (const n of direct) {
    if (n.nodeId === ctx.header.from || transmitters.includes(n.nodeId)) continue;
    let missed = 1;
    for (const w of transmitters) missed *= 1 - neighbors.linkQuality(w, n.nodeId);
    const reach = neighbors.linkQuality(self, n.nodeId) || n.quality;
    gain += reach * missed;
  }
  return gain / direct.length;
}

/**
 * How many other nodes that may relay to the same neighbours probably hold the frame already: our
 * direct neighbours, and the nodes our neighbours hear that we do not (hidden from us: we would
 * not hear their relay before ours, and two relays that cannot hear each other collide at the
 * neighbour they share). Each counts 1 − Π over overheard transmitters w of (1 − P(w reached it));
 * for a node hidden from us, P(w reached it) is guessed from w's own list (links are roughly
 * symmetric). A node whose links we do not know counts as not holding it.
 */
export function expectedHolders(ctx: RelayContext): number {
  const { neighbors, transmitters, self } = ctx;
  const from = ctx.header.from;
  const holds = (c: number): number => {
    let missed = 1;
    for (const w of transmitters) missed *= 1 - (neighbors.linkQuality(w, c) || neighbors.linkQuality(c, w));
    return 1 - missed;
  };
  const direct = neighbors.direct(ctx.now, NEIGHBOR_MAX_AGE_MS);
  const counted = new Set<number>([self, from, ...transmitters]);
  let holders = 0;
  for (const c of direct) {
    if (counted.has(c.nodeId)) continue;
    counted.add(c.nodeId);
    holders += holds(c.nodeId);
  }
  for (const n of direct) {
    if (n.nodeId === from || transmitters.includes(n.nodeId)) continue;
    for (const c of n.advertised.keys()) {
      if (counted.has(c)) continue;
      counted.add(c);
      holders += holds(c);
    }
  }
  return holders;
}
