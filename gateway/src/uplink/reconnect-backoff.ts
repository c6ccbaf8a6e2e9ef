// Delay before the next connection attempt: exponential with jitter, so a fleet of gateways that
// lost the hub together does not reconnect in lockstep when it returns.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random?: () => number;
}

export class ReconnectBackoff {
  private attempt = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.minMs > 0) || !(options.maxMs >= options.minMs)) {
      throw new RangeError(`backoff needs 0 < minMs <= maxMs, got ${options.minMs}..${options.maxMs}`);
    }
    this.random = options.random ?? Math.random;
  }

  /**
   * The delay for the next attempt: the first in [minMs, 2 x minMs], each call without reset()
   * doubling the range, up to [maxMs / 2, maxMs].
   */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.minMs * 2 ** Math.min(this.attempt + 1, 31));
    this.attempt++;
    // "Equal jitter": never below half the ceiling, so a hub that is down is not hammered; the first
    // attempt is jittered too (a ceiling of minMs would floor every draw to minMs: the whole fleet at once).
    return Math.max(this.options.minMs, Math.round(ceiling / 2 + (this.random() * ceiling) / 2));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
