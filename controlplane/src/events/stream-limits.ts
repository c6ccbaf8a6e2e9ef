// How many /ws event streams the hub holds open: in all (sockets still proving their token
// included), and per user or API key. A stream is a socket and its buffers for as long as the
// client likes, so without a bound one token (a viewer's will do) could open them until the hub's
// file limit stopped every request.

export interface StreamLimitOptions {
  /** Sockets the hub holds at once, authenticated or not. */
  maxStreams: number;
  /** Authenticated streams one user holds at once, their API keys' included: a browser holds one per tab. */
  maxStreamsPerUser: number;
}

export class StreamLimits {
  private open = 0;
  private readonly held = new Map<string, number>();

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
    const n = this.held.get(holder) ?? 0;
    if (n >= this.limits.maxStreamsPerUser) return false;
    this.held.set(holder, n + 1);
    return true;
  }

  release(holder: string): void {
    const n = (this.held.get(holder) ?? 1) - 1;
    if (n <= 0) this.held.delete(holder);
    else this.held.set(holder, n);
  }
}
