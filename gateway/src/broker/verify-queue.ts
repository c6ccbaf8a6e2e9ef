// At most `concurrency` password verifications at once, the rest waiting in arrival order. scrypt
// runs on libuv's thread pool (4 threads by default), which the broker's LevelDB store shares: a
// burst of CONNECTs from many addresses (each within its own failure limit) must not take every
// thread. Nothing is refused here, so a correct password always gets its turn; what waits is bounded
// by the broker's cap on connections not yet authenticated, and a connection that went away while
// waiting is skipped without running its verification.

export class VerifyQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly concurrency = 2) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`verify concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Verifications waiting for a turn now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `verify` in its turn; `undefined`, without running it, if `wanted()` says false by then. */
  async run<T>(verify: () => Promise<T>, wanted: () => boolean): Promise<T | undefined> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return wanted() ? await verify() : undefined;
    } finally {
      // The slot passes straight to the next in line, so `running` never drops below what runs.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
