// Coverage-aware managed flooding (ours). Cancelling on the first overheard copy saves airtime
// but, on lossy links, strands the neighbours that copy missed. Instead a relay estimates, from
// its neighbours' advertised links, how many of its own neighbours probably still lack the frame
// after every copy it has overheard, and stays silent only when that expected gain is small.
// Relays that would add coverage take turns in an order every node can work out alike, so the
// first goes at once and the others hear it before deciding. A node below the share still relays,
// last, for a neighbour nobody else can have served (made-up beaconing neighbours dilute shares).

import { BEACON_MAX_NEIGHBORS } from './neighbor-table.ts';
import { snrWeightedDelay, type RelayContext, type RelayPolicy } from './relay-policy.ts';

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
}

/**
 * 0.2, not the 0.25 a random window needed: relays taking turns decide earlier, with fewer copies
 * overheard, and 0.25 left random-50 at 0.983-0.988 of naive's reach (0.2: 0.993-0.996, at
 * 0.65-0.66x naive's airtime instead of 0.58-0.60x).
 */
export const DEFAULT_COVERAGE_THRESHOLD = 0.2;
/**
 * An SOS or alert relays while fewer of its neighbours may still lack it (0.125 of them by
 * default): its short window leaves less time to overhear others, so coverage estimates err, and
 * reach is what counts.
 */
const URGENT_THRESHOLD_FACTOR = 0.625;
/**
 * Slots between turns: a short text's airtime on LongFast is about 23 slots, so the next relay in
 * turn has heard the one before (if it can) when its turn comes. Measured: 28-32 slots, a few slots
 * of jitter; 36 cost latency and gained no reach.
 */
export const TURN_SLOTS = 28;
/**
 * A longer copy (a long text, a slow preset: a 52-byte text is 43 slots on LongSlow) gets turns of
 * its airtime and this margin, so the turns still keep relays that cannot hear each other apart.
 * Measured on 48 seeds, 160-character texts on LongFast (about 59 slots): reach of naive
 * 0.980 -> 1.000 on grid-25 and 0.992 -> 1.005 on random-50 at 0.588x -> 0.535x and 0.799x ->
 * 0.698x naive's airtime, p99 1.15x -> 1.38x and 1.34x -> 1.56x the baseline's; bench texts on
 * LongSlow: reach 0.993 -> 0.999 and 1.002 -> 1.007, 0.752x -> 0.730x and 0.938x -> 0.923x
 * airtime, p99 1.07x -> 1.09x and 1.23x either way.
 */
export const TURN_MARGIN_SLOTS = 5;

/** Slots between turns for a copy `airtimeSlots` long. */
export function turnSlots(airtimeSlots: number): number {
  return Math.max(TURN_SLOTS, Math.ceil(airtimeSlots) + TURN_MARGIN_SLOTS);
}
/** A random slot within the turn: relays whose estimates of the order differ rarely start together. */
export const TURN_JITTER_SLOTS = 4;
/**
 * An SOS or alert relays within 16 slots, weak copies first: the weaker our copy, the farther we
 * are from its sender and the more new nodes our relay reaches, and nearer relays hear ours before
 * their slot and may stand down. Measured on five sets of 12 seeds against a random slot of 16:
 * SOS p99 6.3-6.6 s instead of 6.6-6.8 s on random-50 (one set above the baseline's 6.8) and
 * 5.8-6.0 s instead of 6.2-6.5 s on grid-25, reach 0.98-0.99 of naive instead of 0.97-0.99;
 * turns of 8-12 slots, as texts take, were slower (7.5-8.4 s on random-50).
 */
export const URGENT_SNR_SLOTS = 12;
/** A random slot on top: relays that heard the copy equally well rarely start together. */
export const URGENT_JITTER_SLOTS = 4;
/** The SNR range the published scheme scales its window over (weak end -20 dB, strong end 10 dB). */
const SNR_WEAK = -20;
const SNR_STRONG = 10;

export function urgentRelayDelay(snr: number, slotMs: number, random: RelayContext['random']): number {
  const strength = (Math.min(Math.max(snr, SNR_WEAK), SNR_STRONG) - SNR_WEAK) / (SNR_STRONG - SNR_WEAK);
  return (Math.round(strength * URGENT_SNR_SLOTS) + random.int(URGENT_JITTER_SLOTS)) * slotMs;
}

export class CoverageFloodPolicy implements RelayPolicy {
  readonly name: string;
  readonly threshold: number;

  constructor(options: CoverageOptions = {}) {
    this.threshold = options.threshold ?? DEFAULT_COVERAGE_THRESHOLD;
    this.name = `coverage(θ=${this.threshold})`;
  }

  relayDelay(ctx: RelayContext): number | null {
    const gain = expectedGain(ctx);
    if (gain < this.thresholdFor(ctx)) return null;
    if (ctx.urgent) return urgentRelayDelay(ctx.snr, ctx.slotMs, ctx.random);
    if (!Number.isFinite(gain)) return snrWeightedDelay(ctx.snr, ctx.slotMs, ctx.random);
    // Turns, not a random draw: a uniform window over 256 slots (the published scheme's longest)
    // let relays hear each other before deciding, but cost 2-4x the baseline's latency, and a
    // short random window made relays that cannot hear each other collide at the neighbour they
    // share. Every node orders the same candidates the same way (weak copies first, then a hash
    // of node and frame, so no node is always last), so two relays hidden from each other that
    // know of each other through a shared neighbour never pick the same turn, and the first relay
    // goes at once.
    return (Math.round(relaysAhead(ctx, this.threshold)) * turnSlots(ctx.airtimeSlots) + ctx.random.int(TURN_JITTER_SLOTS)) * ctx.slotMs;
  }

  /**
   * Below the share, a neighbour only we can still serve may lack the frame: anyone holding the
   * Public key can beacon as any number of made-up neighbours, each claiming to hear everyone, and
   * these always count as covered, diluting the share until a bridge stops relaying texts (12 of
   * them) and SOS alerts (more). No count tells them from real neighbours, but they never relay:
   * after the relays whose turns come before ours (an SOS: after its whole window) we relay,
   * unless the copies overheard by then covered those neighbours, as their own lists say.
   */
  lastResortDelay(ctx: RelayContext): number | null {
    if (strandedNeighbors(ctx) < STRANDED_MIN) return null;
    const ahead = ctx.urgent
      ? URGENT_SNR_SLOTS + URGENT_JITTER_SLOTS
      : Math.min(Math.round(usefulRelays(ctx, this.threshold)), LAST_RESORT_MAX_TURNS) * turnSlots(ctx.airtimeSlots);
    return (ahead + turnSlots(ctx.airtimeSlots) + ctx.random.int(TURN_JITTER_SLOTS)) * ctx.slotMs;
  }

  cancelOnDuplicate(ctx: RelayContext): boolean {
    if (ctx.lastResort) return strandedNeighbors(ctx) < STRANDED_MIN;
    return expectedGain(ctx) < this.thresholdFor(ctx);
  }

  private thresholdFor(ctx: RelayContext): number {
    return ctx.urgent ? this.threshold * URGENT_THRESHOLD_FACTOR : this.threshold;
  }
}

/**
 * Chance that a copy from one of our neighbours reached another one whose list does not say
 * (see expectedGain): two points uniform in our range's disc are within range of each other 59 %
 * of the time, and a link in range delivers about 0.7 of frames. The region's airtime barely
 * moves between 0.4 and 0.9 (0.79-0.76x naive while only missing and full lists counted).
 */
const UNLISTED_LINK_QUALITY = 0.4;
/** Copies overheard (from distinct transmitters) before an unlisted link counts at all. */
const UNLISTED_MIN_COPIES = 3;

/** Where `node` stands in the turns for this frame: the same on every node. */
export function turnOrder(node: number, header: RelayContext['header']): number {
  return (Math.imul((node ^ header.id) >>> 0, 0x9e3779b1) ^ Math.imul(header.from, 0x85ebca6b)) >>> 0;
}

/**
 * Turns go weak copies first, in classes this wide (dB), hash order within a class: a relay that
 * heard the transmitter weakly is far from it and reaches the most new nodes, and the nearer ones
 * hear it before their turn (the same reason an SOS relays weak copies first). Every node places a
 * candidate by the SNR of its link to the transmitter as either of them advertised it, and itself
 * by what it advertises, so the order is the same everywhere as far as the lists agree. Measured on
 * random-50 against hash order alone: latency ours/managed p50 0.94 -> 0.77, p99 1.29 -> 1.20
 * (seeds 1-12; 13-48: p50 0.95 -> 0.81, p99 1.34 -> 1.27), reach unchanged, airtime 0.651x ->
 * 0.647x (0.664x -> 0.675x). 3-6 dB classes split a grid's straight and diagonal links and
 * cost it reach (0.988 -> 0.971); 10 dB leaves grid-25 unchanged.
 */
export const TURN_SNR_CLASS_DB = 10;

/** The SNR class of the link from `w` to `node` for the turn order; NaN if no list says. */
function snrClass(ctx: RelayContext, w: number, node: number): number {
  const { neighbors } = ctx;
  const snr = node === ctx.self ? (neighbors.get(w)?.snr ?? NaN) : (neighbors.get(node)?.advertised.get(w)?.snr ?? neighbors.get(w)?.advertised.get(node)?.snr ?? NaN);
  return Math.floor(snr / TURN_SNR_CLASS_DB);
}

/** Expected number of useful relays (see usefulRelays) whose turn comes before ours. */
export function relaysAhead(ctx: RelayContext, threshold: number): number {
  const mine = turnOrder(ctx.self, ctx.header);
  const w = ctx.transmitters[0];
  const myClass = w === undefined ? NaN : snrClass(ctx, w, ctx.self);
  return usefulRelays(ctx, threshold, (c) => {
    const theirs = w === undefined ? NaN : snrClass(ctx, w, c);
    // A class unknown on either side falls back to the hash order alone.
    if (theirs === myClass || Number.isNaN(theirs) || Number.isNaN(myClass)) return turnOrder(c, ctx.header) < mine;
    return theirs < myClass;
  });
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
  // Where we hear more nodes than a beacon lists, our neighbours' lists are often missing (their
  // beacons collide), slices of longer ones, or older than their last few neighbours: once several
  // copies were overheard (as managed flooding counts them), a transmitter a neighbour does not
  // list may well have reached it. Counting it as certainly missed made nearly every node of a
  // dense town relay (0.94x naive's airtime on the 500-node region; 0.50x with this). From the
  // first copy on it gave 0.44x, but random-50's busier nodes lost reach (0.991 of naive on 48
  // seeds instead of 0.994). Not for an SOS or alert: there reach is what counts.
  const unlisted = !ctx.urgent && direct.length > BEACON_MAX_NEIGHBORS && transmitters.length >= UNLISTED_MIN_COPIES ? UNLISTED_LINK_QUALITY : 0;
  let gain = 0;
  for (const n of direct) {
    if (n.nodeId === ctx.header.from || transmitters.includes(n.nodeId)) continue;
    let missed = 1;
    for (const w of transmitters) missed *= 1 - (neighbors.linkQuality(w, n.nodeId) || unlisted);
    const reach = neighbors.linkQuality(self, n.nodeId) || n.quality;
    gain += reach * missed;
  }
  return gain / direct.length;
}

/**
 * A last resort relays for at least this many stranded neighbours (see strandedNeighbors): one
 * reached as reliably as a link not yet measured (0.7). Measured on 48 seeds at θ 0.2: random-50
 * airtime 0.659x -> 0.661x naive's, p99 1.28x -> 1.29x the baseline's, grid-25, the region and
 * every SOS figure within 1 % (one more random draw per decision moves them as much); 0.5 cost
 * grid-25 2 % more airtime and random-50 3 % on p99. At a higher θ more relays fall back on it
 * (θ 0.4: 0.38x -> 0.46x naive's airtime, reach 0.935 -> 0.964).
 */
const STRANDED_MIN = 0.7;

/**
 * A last resort waits for at most this many relays' turns (about 12 s for a short text on
 * LongFast): made-up nodes beaconing lists that make them look like useful relays would otherwise
 * hold it back one turn each.
 */
const LAST_RESORT_MAX_TURNS = 16;

/**
 * Chance that no copy overheard reached `x`, by either end's list (links are roughly symmetric);
 * 0 for the nodes known to hold the frame: ourselves, the origin, the transmitters.
 */
function missedBy(ctx: RelayContext, x: number): number {
  const { neighbors, transmitters } = ctx;
  if (x === ctx.self || x === ctx.header.from || transmitters.includes(x)) return 0;
  let m = 1;
  for (const w of transmitters) m *= 1 - (neighbors.linkQuality(w, x) || neighbors.linkQuality(x, w));
  return m;
}

/**
 * Expected number of our direct neighbours that our copy would reach, that lack the frame, and
 * that nobody else can have served unheard by us: Σ over direct neighbours n of
 * P(our copy reaches n) · Π over overheard transmitters w of (1 − P(w's copy reached n), by n's
 * list) · Π over the nodes x that n lists and we do not hear of (1 − P(x holds it) · P(x reaches n)).
 * A node n lists that we hear ourselves would have been heard relaying, so it serves n only as a
 * transmitter: made-up nodes beaconed by one radio we hear are all such nodes, and no number of
 * them lowers this. Only listed links count (never the 0.4 guessed for unlisted ones in
 * expectedGain): replayed copies under made-up relay bytes must not cover anyone.
 */
export function strandedNeighbors(ctx: RelayContext): number {
  const { neighbors, transmitters, self } = ctx;
  const direct = neighbors.direct(ctx.now, NEIGHBOR_MAX_AGE_MS);
  const heard = new Set(direct.map((n) => n.nodeId));
  let stranded = 0;
  for (const n of direct) {
    if (n.nodeId === ctx.header.from || transmitters.includes(n.nodeId)) continue;
    let lacks = 1;
    for (const w of transmitters) lacks *= 1 - neighbors.linkQuality(w, n.nodeId);
    for (const [x, link] of n.advertised) {
      if (lacks === 0) break;
      if (x !== self && !heard.has(x)) lacks *= 1 - (1 - missedBy(ctx, x)) * link.quality;
    }
    stranded += (neighbors.linkQuality(self, n.nodeId) || n.quality) * lacks;
  }
  return stranded;
}

/**
 * How many other nodes (among those `among` accepts) probably hold the frame and would relay it
 * because their copy would reach at least θ of their neighbours that still lack it: the relays
 * ours takes turns with.
 * Candidates are our direct neighbours and the nodes our neighbours hear that we do not (hidden
 * from us: we would not hear their relay before ours, and two relays that cannot hear each other
 * collide at the neighbour they share). A candidate holds it with probability
 * 1 − Π over overheard transmitters w of (1 − P(w reached it)), that probability guessed from w's
 * own list when the candidate's is unknown (links are roughly symmetric). A hidden candidate,
 * whose neighbours we do not know, is assumed useful; its neighbours' lack counts nodes we know to
 * hold the frame (ourselves, the origin, the transmitters) as covered.
 */
export function usefulRelays(ctx: RelayContext, threshold: number, among: (node: number) => boolean = () => true): number {
  const { neighbors, transmitters, self } = ctx;
  const from = ctx.header.from;
  const counted = new Set<number>([self, from, ...transmitters]);
  let useful = 0;
  const consider = (c: number): void => {
    if (counted.has(c)) return;
    counted.add(c);
    if (!among(c)) return;
    const holds = 1 - missedBy(ctx, c);
    if (holds === 0) return;
    const advertised = neighbors.get(c)?.advertised;
    if (advertised === undefined || advertised.size === 0) {
      useful += holds;
      return;
    }
    let gain = 0;
    for (const [x, link] of advertised) gain += link.quality * missedBy(ctx, x);
    if (gain / advertised.size >= threshold) useful += holds;
  };
  const direct = neighbors.direct(ctx.now, NEIGHBOR_MAX_AGE_MS);
  for (const c of direct) consider(c.nodeId);
  for (const n of direct) {
    if (n.nodeId === from || transmitters.includes(n.nodeId)) continue;
    for (const c of n.advertised.keys()) consider(c);
  }
  return useful;
}
