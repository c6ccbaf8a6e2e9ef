// Next hops for direct messages, learned from the reverse path of frames we hear (a flood or an ack
// from D that reached us first through neighbour N means N is a way back to D). A route is a hint,
// never a promise: it expires, it is dropped the moment a next hop fails to carry a frame on, and
// only a neighbour heard directly and recently may be one.

/** A route unused by fresh traffic for this long is forgotten: nodes move and die (meshtastic/firmware#6844). */
export const ROUTE_TTL_MS = 10 * 60 * 1000;

export interface Route {
  /** The direct neighbour to hand frames for the destination to. */
  via: number;
  /** Relays between us and the destination on the path we learned (0 = it is our neighbour). */
  hops: number;
  /** SNR of the copy that taught us the route (the last hop towards us). */
  snr: number;
  learnedAt: number;
}

export class RouteTable {
  private readonly routes = new Map<number, Route>();
  /** By neighbour: when a hand-over to it last failed (routes from beacons avoid it until it is heard again). */
  private readonly failed = new Map<number, number>();

  /**
   * `kept(dest)`: a destination whose route is never forgotten to make room (a gateway, a node
   * with an open SOS); when every route is to such a node, a new destination is not learned.
   */
  constructor(
    private readonly capacity = 1024,
    private readonly kept: (dest: number) => boolean = () => false,
  ) {}

  /**
   * A new frame from `dest` reached us first from `via` after `hops` relays. A fresher path replaces
   * an expired one or one at least as long; a longer one waits for the current route to expire.
   */
  learn(dest: number, via: number, hops: number, snr: number, now: number): void {
    const r = this.routes.get(dest);
    if (r !== undefined && now - r.learnedAt < ROUTE_TTL_MS && hops > r.hops && via !== r.via) return;
    if (r !== undefined) {
      r.via = via;
      r.hops = hops;
      r.snr = snr;
      r.learnedAt = now;
      return;
    }
    if (this.routes.size >= this.capacity && !this.evictOldest()) return;
    this.routes.set(dest, { via, hops, snr, learnedAt: now });
  }

  /** The route to `dest`, if one is fresh. */
  get(dest: number, now: number): Route | undefined {
    const r = this.routes.get(dest);
    if (r === undefined) return undefined;
    if (now - r.learnedAt >= ROUTE_TTL_MS) {
      this.routes.delete(dest);
      return undefined;
    }
    return r;
  }

  /** The next hop did not carry a frame on: forget the route until traffic teaches a new one. */
  forget(dest: number): void {
    this.routes.delete(dest);
  }

  /** A hand-over to `via` failed at `now`. */
  viaFailed(via: number, now: number): void {
    this.failed.delete(via);
    if (this.failed.size >= this.capacity) this.failed.delete(this.failed.keys().next().value!);
    this.failed.set(via, now);
  }

  /** When a hand-over to `via` last failed (-Infinity: never, or too long ago to remember). */
  failedAt(via: number): number {
    return this.failed.get(via) ?? -Infinity;
  }

  /** Every route through `via` (a neighbour that stopped answering). */
  forgetVia(via: number): void {
    for (const [dest, r] of this.routes) if (r.via === via) this.routes.delete(dest);
  }

  get size(): number {
    return this.routes.size;
  }

  /** Forgets the oldest route not kept; false if there is none. */
  private evictOldest(): boolean {
    let oldest: number | undefined;
    let at = Infinity;
    for (const [dest, r] of this.routes) if (r.learnedAt < at && !this.kept(dest)) (at = r.learnedAt), (oldest = dest);
    if (oldest === undefined) return false;
    this.routes.delete(oldest);
    return true;
  }
}
