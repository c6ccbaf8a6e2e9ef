// How many /ws event streams the hub holds open: in all (sockets still proving their token
// included), and per user (their API keys included). A stream is a socket and its buffers for as long as the
// client likes, so without a bound one token (a viewer's will do) could open them until the hub's
// file limit stopped every request.

import { HeldCounts } from '../platform/held-counts.ts';

export interface StreamLimitOptions {
  /** Sockets the hub holds at once, authenticated or not. */
  maxStreams: number;
  /** Authenticated streams one user holds at once, their API keys' included: a browser holds one per tab. */
  maxStreamsPerUser: number;
}

export class StreamLimits {
  private open = 0;
  private readonly held = new HeldCounts();

  constructor(private readonly limits: StreamLimitOptions) {}

  /** A new socket: false when the hub already holds its most (the socket is refused). */
  admit(): boolean {
    if (this.open >= this.limits.maxStreams) return false;
    this.open++;
    return true;
  }

  /** A socket admitted before has ended. */
  leave(): void {
    this.open--;
  }

  /** An authenticated stream of `holder`: false when it already holds its most. */
  hold(holder: string): boolean {
    return this.held.take(holder, this.limits.maxStreamsPerUser);
  }

  release(holder: string): void {
    this.held.give(holder);
  }
}
