// Next-hop routing for direct messages (Meshtastic's NextHopRouter, without its failure modes): a
// unicast frame names one neighbour in its next_hop byte when we know a way to the destination;
// only that neighbour relays it, at once and without cancelling. Every hand-over waits for the
// next hop to be overheard relaying (a hand-over to the destination, for its ack); repeated
// silence means the route failed, so the route is forgotten and the same frame is flooded from
// this hop. The neighbours that held back flood it on then.

import { BROADCAST, lastByte, readHeader, relayCopy, type FrameHeader } from '../frame/header.ts';
import type { TimerHandle } from '../core/scheduler.ts';
import { timeOnAirMs } from '../phy/airtime.ts';
import { ackTimeoutMs } from './ack-timeout.ts';
import { FloodingRouter } from './flooding-router.ts';
import { CW_MIN } from './relay-policy.ts';
import type { OwnFrame, RouterOptions } from './router-core.ts';
import type { Data } from '../frame/schema.ts';
import type { DropReason } from './router-stats.ts';
import { FrameSet } from './frame-set.ts';
import type { NodeRecord } from './neighbor-table.ts';
import { ROUTE_TTL_MS, RouteTable } from './route-table.ts';
import type { SeenFrame } from './seen-frame.ts';
import type { TxKind } from './tx-queue.ts';

/** A copy handed to a named next hop, until that hop is overheard relaying it. */
interface HandOver {
  via: number;
  /** The frame's destination: its ack, and no one else's, settles the hand-over. */
  dest: number;
  timer: TimerHandle;
  /** Copies handed to `via` so far. */
  tries: number;
  /** Hops our copy had travelled: a copy heard two or more beyond it went past `via`. */
  hops: number;
}

/** One of our frames sent by a next hop: the frame as the layers above know it, and the route. */
interface RoutedOwn {
  original: OwnFrame;
  via: number;
  kind: TxKind;
}

/**
 * A route as long through a neighbour heard this much better (dB) replaces the current one.
 * Measured over seeds 1-48 (direct messages, airtime against flooding's): grid-25 0.481x -> 0.461x,
 * random-50 0.244x -> 0.239x; 6 and 10 dB changed nothing on grid-25, whose straight and diagonal
 * links differ by less.
 */
const BETTER_LINK_DB = 3;
/**
 * A route from neighbours' beacons needs at least this chance that both of its links carry a frame
 * (0.15 and 0.5 measured alike, within what 48 seeds can tell apart).
 */
const HEARD_ROUTE_MIN_QUALITY = 0.3;
/** At most this many frames held back (or carried by route) are remembered, for a later flood of them to find. */
const DEFERRED_CAPACITY = 512;
/**
 * Copies handed to one next hop before giving up on it. On a lossy link a silence is as likely our
 * missing its relay as its missing our copy (at 20 % loss a try goes unconfirmed about a third of
 * the time, two in a row one time in eight): a few more tries are far cheaper than a flood.
 */
const HAND_OVER_TRIES = 4;
/** Tries of one of our frames by a route before its retries flood. */
const ROUTED_TRIES = 2;
/** Slots of listen-before-talk backoff a next hop may need before its relay goes on air. */
const HAND_OVER_SLACK_SLOTS = 96;
/**
 * How many hand-over windows a hop waits before repeating a frame that wants an ack (not handed to
 * its destination, whose ack is the confirmation). Measured on 4 x 12 seeds: grid-25 airtime 0.459x
 * flooding's (was 0.512x), random-50 0.292x (was 0.299x); 3 windows saved no more.
 */
const ACKED_HAND_OVER_WAIT = 2;

export class NextHopRouter extends FloodingRouter {
  readonly routes = new RouteTable(undefined, (dest) => this.neighbors.kept(dest));
  private readonly routing: boolean;
  /** By origin, then packet id: copies (ours and relayed) waiting for their next hop to relay. */
  private readonly handedOver = new Map<number, Map<number, HandOver>>();
  /** By origin, then packet id: frames we held back (or carried by route) that a later flood of them should find us relaying. */
  private readonly deferred = new FrameSet(DEFERRED_CAPACITY);
  /** Direct messages whose sender's retry we already carried once. */
  /** How many times each of our frames went out by a route. */
  private readonly routedTries = new WeakMap<OwnFrame, number>();
  private readonly routedOwn = new WeakMap<OwnFrame, RoutedOwn>();

  constructor(options: RouterOptions) {
    super(options);
    this.routing = options.nextHopRouting ?? true;
    // The destination's ack passing by proves a frame arrived, whoever relayed it: a hand-over
    // whose next hop's relay we missed must not turn into a flood.
    this.on('heard', ({ header, data }) => {
      if (data.routing === undefined || !data.requestId || header.to === BROADCAST) return;
      this.settleHandOver(header.to, data.requestId, header.from);
      if (this.routing) this.answered(header.to, data.requestId, header.from);
    });
  }

  /** The neighbour a direct message to `dest` would be handed to now (undefined: it floods). */
  nextHopTo(dest: number): number | undefined {
    return this.namedRoute(dest)?.via;
  }

  /** The route a direct message to `dest` would be handed over by now (undefined: it floods). */
  private namedRoute(dest: number): { via: number; hops: number } | undefined {
    if (!this.routing || dest === BROADCAST) return undefined;
    const route = this.routeTo(dest, this.scheduler.now());
    // next_hop 0 means "anyone": a neighbour whose number ends in 0x00 cannot be named.
    return route === undefined || lastByte(route.via) === 0 ? undefined : route;
  }

  /** The next hop did not carry a frame for `dest` on (or a trace through it was never answered). */
  routeFailed(dest: number, via: number): void {
    this.routes.forget(dest);
    this.routes.viaFailed(via, this.scheduler.now());
  }

  /** A way to `dest`: one traffic taught us, else one our neighbours' beacons show. */
  private routeTo(dest: number, now: number): { via: number; hops: number } | undefined {
    return this.routes.get(dest, now) ?? this.heardRoute(dest, now);
  }

  /**
   * With no frame of `dest` heard (every node of a mesh that boots together announces itself in
   * the same minute, and many of those floods are lost), a neighbour whose beacons list `dest` is a
   * way to it: the best by the chance that both links carry the frame, if that is at least
   * HEARD_ROUTE_MIN_QUALITY. Only through a neighbour heard directly within a route's lifetime and
   * since its last failed hand-over (a relay that left is not tried again until it is heard).
   * Measured over seeds 1-192 (direct messages, airtime against flooding's): grid-25 0.468x ->
   * 0.459x, random-50 0.245x -> 0.227x (p50 2.35 -> 2.22 s), delivery 1.000 and 0.999 -> 1.000.
   * Single sets of 12 seeds move either way (grid-25 seeds 1-12 0.397x -> 0.425x).
   */
  private heardRoute(dest: number, now: number): { via: number; hops: number } | undefined {
    const usable = (n: NodeRecord): boolean => now - n.lastDirectMs < ROUTE_TTL_MS && this.routes.failedAt(n.nodeId) < n.lastDirectMs;
    const d = this.neighbors.get(dest);
    if (d !== undefined && usable(d) && d.quality >= HEARD_ROUTE_MIN_QUALITY) return { via: dest, hops: 0 };
    let best: number | undefined;
    let bestQuality = HEARD_ROUTE_MIN_QUALITY;
    for (const n of this.neighbors.direct(now, ROUTE_TTL_MS)) {
      const link = n.advertised.get(dest);
      if (link === undefined || !usable(n)) continue;
      const quality = (this.neighbors.linkQuality(this.nodeId, n.nodeId) || n.quality) * link.quality;
      if (quality >= bestQuality) (bestQuality = quality), (best = n.nodeId);
    }
    return best === undefined ? undefined : { via: best, hops: 1 };
  }

  /** Whether our frame went out by a route first (the reliable layer then grants it one more flooded try). */
  protected wentByRoute(frame: OwnFrame): boolean {
    return this.routedTries.has(frame);
  }

  /**
   * Whether our frame's next transmission would go by a route. A retry may: every hop of a routed
   * try waits to overhear the next, and floods on when it does not, so a missing ack most often
   * means the last hop (to the destination, or the ack's into us) was lost, which the same route
   * repairs at a few transmissions where a flood costs the whole mesh's.
   */
  protected routesNext(frame: OwnFrame): boolean {
    return (this.routedTries.get(frame) ?? 0) < ROUTED_TRIES && this.nextHopTo(frame.to) !== undefined;
  }

  /** Whether our frame `id` is handed to a next hop that we have not yet heard carry it on. */
  protected handingOver(id: number): boolean {
    return this.handedOver.get(this.nodeId)?.has(id) ?? false;
  }

  /** The frame the layers above handed us, for a copy this layer addressed to a next hop. */
  protected unwrapped(frame: OwnFrame): OwnFrame {
    return this.routedOwn.get(frame)?.original ?? frame;
  }

  protected override transmitOwn(frame: OwnFrame, kind: TxKind, polite: boolean): void {
    const via = this.routesNext(frame) ? this.nextHopTo(frame.to) : undefined;
    if (via === undefined) return super.transmitOwn(frame, kind, polite);
    this.routedTries.set(frame, (this.routedTries.get(frame) ?? 0) + 1);
    const routed: OwnFrame = {
      ...frame,
      seal: () => {
        const bytes = frame.seal();
        // next_hop is outside the authenticated data: set after sealing, as a relay would.
        bytes[14] = lastByte(via);
        return bytes;
      },
    };
    this.routedOwn.set(routed, { original: frame, via, kind });
    super.transmitOwn(routed, kind, polite);
  }

  protected override ownFrameSent(frame: OwnFrame): void {
    const routed = this.routedOwn.get(frame);
    if (routed === undefined) return super.ownFrameSent(frame);
    super.ownFrameSent(routed.original);
    if (routed.via !== frame.to) {
      this.handOver(
        this.nodeId,
        frame.id,
        routed.via,
        frame.to,
        frame.length,
        0,
        () => super.transmitOwn(frame, routed.kind, false),
        () => super.transmitOwn(routed.original, routed.kind, false),
        frame.wantAck,
      );
    }
  }

  protected override ownFrameDropped(frame: OwnFrame, reason: DropReason): void {
    this.handOverDropped(frame);
    super.ownFrameDropped(this.unwrapped(frame), reason);
  }

  /**
   * One of our frames never went on air: if it was a repeated hand-over, its wait is over (left in
   * place it would never be settled, and for one of our acks it would stop us acking the sender's
   * retries).
   */
  protected handOverDropped(frame: OwnFrame): void {
    if (this.routedOwn.has(frame)) this.clearHandOver(this.nodeId, frame.id);
  }

  protected override ownFrameHeard(header: FrameHeader, transmitter: number | undefined): void {
    if (header.to !== BROADCAST) this.relayOverheard(header);
    super.ownFrameHeard(header, transmitter);
  }

  // Before the reliable layer answers: its ack takes the way back this frame just taught us.
  protected override messageForUs(header: FrameHeader, data: Data, record: SeenFrame, now: number): void {
    this.learnReversePath(record, header, now);
    super.messageForUs(header, data, record, now);
  }

  protected override newFrameHeard(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    this.learnReversePath(record, header, now);
    if (header.to === BROADCAST || header.to === this.nodeId || header.nextHop === 0) {
      return super.newFrameHeard(record, header, bytes, now);
    }
    if (header.nextHop === lastByte(this.nodeId)) {
      if (header.hopLimit > 0) this.forward(record, header, bytes);
      return;
    }
    // Named for another neighbour: ours to flood only if that hand-over fails.
    this.deferred.add(header.from, header.id);
  }

  protected override duplicateHeard(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    if (this.routing) this.learnShorterPath(record, header, now);
    if (header.to !== BROADCAST) {
      this.relayOverheard(header);
      if (
        header.nextHop !== 0 &&
        header.nextHop === lastByte(this.nodeId) &&
        header.to !== this.nodeId &&
        header.hopLimit > 0 &&
        this.triedAgain(record, header, bytes.length, now) &&
        (record.relayed < this.maxTransmissions || this.retryToCarry(record, bytes.length, now))
      ) {
        // Handed to us after we overheard it on its way elsewhere, or handed again because the
        // sender missed our relay: either way the next step is ours.
        this.deferred.delete(header.from, header.id);
        if (this.onlyConfirm(record, header, bytes.length, now)) this.confirmRelay(record, header, bytes);
        else this.forward(record, header, bytes);
      } else if (header.nextHop === 0 && header.to !== this.nodeId && header.hopLimit > 0 && this.deferred.delete(header.from, header.id)) {
        // A hop upstream gave up on its route and flooded: our turn to help, as in any flood.
        this.considerRelay(record, header, bytes, now);
      } else if (
        header.nextHop === 0 &&
        header.to !== this.nodeId &&
        header.hopLimit > 0 &&
        record.pendingRelay === undefined &&
        (this.nextHopTo(header.to) !== undefined || record.relayed === 0) &&
        this.retryToCarry(record, bytes.length, now)
      ) {
        // A direct message flooded again long after we first heard it: its sender is retrying
        // because no ack came back, so whatever said the destination was covered was wrong. A
        // node with a way to the destination carries it there by that way (measured: only the
        // destination's neighbours doing so delivered less than flooding on grid-25); one that
        // stayed silent the first time takes part in the flood now. (One that relayed it, with
        // no way, carries the origin's own retries as any flood's: FloodingRouter.)
        if (this.nextHopTo(header.to) !== undefined) this.forward(record, header, bytes);
        else this.considerRelay(record, header, bytes, now);
      }
    }
    super.duplicateHeard(record, header, bytes, now);
  }

  /**
   * A flooded direct message is relayed only by nodes it can still take to its destination: our
   * copy allows hopLimit - 1 more relays, and a destination whose frames needed more relays than
   * that to reach us (the fewest we have seen, or our route's) is out of its reach from here.
   * Unknown distance relays, as any flood. Measured on seeds 1-48 against flooding's airtime:
   * random-50 (hop limit 3) 0.292x -> 0.239x, delivery 0.996 -> 0.999; grid-25 (hop limit 5)
   * 0.459x -> 0.481x at the same delivery (fewer copies teach fewer short routes there).
   */
  protected override considerRelay(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    if (this.routing && header.to !== BROADCAST && this.relaysToReach(header.to, now) > header.hopLimit - 1) {
      this.stats.floodRelaysOutOfReach++;
      return;
    }
    super.considerRelay(record, header, bytes, now);
  }

  /** Fewest relays a frame from us needs to reach `dest`, as far as we know; 0 when we do not know. */
  private relaysToReach(dest: number, now: number): number {
    const known = Math.min(this.neighbors.get(dest)?.hopsAway ?? Infinity, this.routeTo(dest, now)?.hops ?? Infinity);
    return Number.isFinite(known) ? known : 0;
  }

  /**
   * The destination acked direct message (origin, id): it arrived, so a flood of it still waiting
   * here has no one left to serve. Nodes near the destination and along the ack's way hear this
   * before their contention windows run out. Only an ack from the message's own destination
   * counts: a broadcast (an SOS) is answered by nobody, and anyone holding the Public key can seal
   * an ack naming any packet id.
   */
  private answered(origin: number, id: number, acker: number): void {
    const record = this.seen.get(origin, id, this.scheduler.now());
    if (record === undefined || record.to !== acker) return;
    this.deferred.delete(origin, id);
    const pending = record.pendingRelay;
    if (pending === undefined) return;
    pending.timer.cancel();
    pending.cancelled = true;
    record.pendingRelay = undefined;
    this.stats.relaysCancelled++;
  }

  /**
   * A later copy that came a shorter way than our route to its sender teaches that way instead:
   * the first copy is the fastest, not the one with fewest relays (relays wait out random
   * windows), and a route longer than a frame's hop limit leaves its last hops to a flood. One as
   * long through a neighbour we hear clearly better does too: texts relay weak copies first, so
   * the first copy often came over a long, weak link, where hand-overs fail more often.
   */
  private learnShorterPath(record: SeenFrame, header: FrameHeader, now: number): void {
    // Runs for every duplicate heard: a map lookup and a scan of a few transmitters, no allocation.
    const route = this.routes.get(header.from, now);
    const hops = header.hopStart - header.hopLimit;
    if ((route !== undefined && hops > route.hops) || header.viaMqtt) return;
    let via: number | undefined;
    if (hops === 0) via = header.from;
    // The core added this copy's transmitter, when it could tell which neighbour sent it.
    else for (const t of record.transmitters) if (lastByte(t) === header.relayNode) via = t;
    if (via === undefined || via === this.nodeId) return;
    // As long as our route: only through a neighbour heard clearly better.
    if (route !== undefined && hops === route.hops && (via === route.via || this.linkSnr(via) < this.linkSnr(route.via) + BETTER_LINK_DB)) return;
    this.routes.learn(header.from, via, hops, route?.snr ?? record.snr, now);
  }

  /** Smoothed SNR of frames heard directly from `neighbor` (-Infinity if never). */
  private linkSnr(neighbor: number): number {
    const snr = this.neighbors.get(neighbor)?.snr;
    return snr === undefined || Number.isNaN(snr) ? -Infinity : snr;
  }

  /** Whoever brought us the first copy of a frame from X is a way back to X. */
  private learnReversePath(record: SeenFrame, header: FrameHeader, now: number): void {
    const transmitter = record.transmitters[0];
    if (transmitter !== undefined && !header.viaMqtt) this.routes.learn(header.from, transmitter, header.hopStart - header.hopLimit, record.snr, now);
  }

  /**
   * Handed a frame again soon after we relayed it, with our own hand-over of it already settled:
   * the sender only missed our relay. Naming our next hop again would make it, and every hop after
   * it, carry the frame once more; a sender's retry (much later) still goes the whole way.
   */
  private onlyConfirm(record: SeenFrame, header: FrameHeader, length: number, now: number): boolean {
    return (
      record.relayed > 0 &&
      this.handedOver.get(header.from)?.get(header.id) === undefined &&
      now - record.firstHeardAt < ackTimeoutMs(this.radio.params, this.slotMs, this.hopLimit, length) / 2
    );
  }

  /** Our relay again, named for ourselves: the sender hears its hand-over worked, no one carries it on. */
  private confirmRelay(record: SeenFrame, header: FrameHeader, bytes: Uint8Array): void {
    const copy = relayCopy(bytes, { hopLimit: header.hopLimit - 1, relayNode: lastByte(this.nodeId), nextHop: lastByte(this.nodeId) });
    this.tx.enqueue({ length: copy.length, kind: 'relay', urgent: record.urgent, prepare: () => (record.relayed++, copy), onSent: () => this.stats.relaysSent++ });
  }

  /** We are the named next hop: relay at once, by our own route or, without one, as a flood. */
  private forward(record: SeenFrame, header: FrameHeader, bytes: Uint8Array): void {
    const route = this.namedRoute(header.to);
    let via = route?.via;
    // Never hand a frame back to the neighbour that gave it to us.
    if (via !== undefined && lastByte(via) === header.relayNode) {
      this.routes.forget(header.to);
      via = undefined;
    }
    // A route needing more relays than the frame has hops left would be handed over in vain (a next
    // hop cannot relay past the hop limit): the remaining hops flood, which may find a shorter way.
    if (via !== undefined && route!.hops > header.hopLimit - 1) via = undefined;
    const copy = relayCopy(bytes, { hopLimit: header.hopLimit - 1, relayNode: lastByte(this.nodeId), nextHop: via === undefined ? 0 : lastByte(via) });
    // If the frame is flooded later (a hop gave up, or the origin retries), we are on the way that
    // worked before: take part in that flood too.
    if (via !== undefined) this.deferred.add(header.from, header.id);
    this.stats.relaysScheduled++;
    // Short and not cancellable: the frame was handed to us, no other neighbour is relaying it
    // (meshtastic/firmware#8274 cancelled exactly such a needed rebroadcast).
    // `header` may be the core's scratch copy, rewritten by the next frame heard: keep what we need.
    const { from, id, to, wantAck } = header;
    this.scheduler.schedule(this.random.int(2 ** CW_MIN) * this.slotMs, () => this.relayTo(via, record, from, id, to, wantAck, copy));
  }

  /**
   * Puts a relayed copy on air; one named for a next hop waits for its relay, or, when the next
   * hop is the destination, for its ack (an ack itself, wanting none, cannot be confirmed).
   */
  private relayTo(via: number | undefined, record: SeenFrame, origin: number, id: number, dest: number, wantAck: boolean, copy: Uint8Array): void {
    this.tx.enqueue({
      length: copy.length,
      kind: 'relay',
      urgent: record.urgent,
      prepare: () => (record.relayed++, copy),
      // A repeated hand-over that never went on air (radio error, duty-cycle budget, full queue)
      // waits for nothing now: left in place it would never be settled.
      onDropped: () => this.clearHandOver(origin, id),
      onSent: () => {
        this.stats.relaysSent++;
        if (via === undefined || (via === dest && !wantAck)) return;
        const sent = readHeader(copy);
        this.handOver(origin, id, via, dest, copy.length, sent.hopStart - sent.hopLimit, () => this.relayTo(via, record, origin, id, dest, wantAck, copy), () => this.floodFromHere(record, copy), wantAck && via !== dest);
      },
    });
  }

  /**
   * Waits for `via` to be overheard relaying frame (origin, id); if it is not, `retry`, then `fallback`.
   * A frame that wants an ack is also settled by that ack passing by on its way back, so its wait is
   * `ACKED_HAND_OVER_WAIT` times as long: a relay we missed (one try in six at 20 % loss) is then
   * most often proven by the ack before we repeat the whole frame.
   */
  private handOver(origin: number, id: number, via: number, dest: number, length: number, hops: number, retry: () => void, fallback: () => void, acked: boolean): void {
    let byId = this.handedOver.get(origin);
    if (byId === undefined) this.handedOver.set(origin, (byId = new Map()));
    const earlier = byId.get(id);
    earlier?.timer.cancel();
    const tries = earlier !== undefined && earlier.via === via ? earlier.tries + 1 : 1;
    const timer = this.scheduler.schedule(this.handOverTimeoutMs(length) * (acked ? ACKED_HAND_OVER_WAIT : 1), () => {
      if (tries < HAND_OVER_TRIES) return retry();
      this.clearHandOver(origin, id);
      this.stats.routesFailed++;
      // Forget the route at once: a stale next hop must not eat the next message too (meshtastic/firmware#6844).
      this.routeFailed(dest, via);
      fallback();
    });
    byId.set(id, { via, dest, timer, tries, hops });
  }

  /**
   * A copy of unicast frame (from, id) went on air: the hand-over worked if our next hop sent it,
   * or if it is already further along (we missed our next hop but hear the one after it).
   */
  private relayOverheard(header: FrameHeader): void {
    const h = this.handedOver.get(header.from)?.get(header.id);
    if (h === undefined || (header.relayNode !== lastByte(h.via) && header.hopStart - header.hopLimit < h.hops + 2)) return;
    this.settleHandOver(header.from, header.id);
  }

  private settleHandOver(origin: number, id: number, acker?: number): void {
    const h = this.handedOver.get(origin)?.get(id);
    if (h === undefined || (acker !== undefined && acker !== h.dest)) return;
    h.timer.cancel();
    this.clearHandOver(origin, id);
  }

  private clearHandOver(origin: number, id: number): void {
    const byId = this.handedOver.get(origin);
    if (byId === undefined) return;
    byId.delete(id);
    if (byId.size === 0) this.handedOver.delete(origin);
  }

  /** Our next hop stayed silent: the copy goes out again with no next hop, for every neighbour to carry. */
  private floodFromHere(record: SeenFrame, copy: Uint8Array): void {
    const flood = copy.slice();
    flood[14] = 0;
    this.tx.enqueue({ length: flood.length, kind: 'relay', urgent: record.urgent, prepare: () => (record.relayed++, flood), onSent: () => this.stats.relaysSent++ });
  }

  /** Time for a next hop to hear our copy, wait its short slot window, find the channel clear and relay. */
  private handOverTimeoutMs(length: number): number {
    return 2 * timeOnAirMs(this.radio.params, Math.min(length, 255)) + (2 ** CW_MIN + HAND_OVER_SLACK_SLOTS) * this.slotMs;
  }
}
