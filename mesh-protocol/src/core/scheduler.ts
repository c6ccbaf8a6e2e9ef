// Time and timers, injected so the same router runs on wall-clock time on a device and on
// simulated time in the simulator.

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds on this scheduler's clock (monotonic). */
  now(): number;
  /** Runs `fn` once after `delayMs`; the handle cancels it. */
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

/** Wall-clock scheduler for real devices. */
export class RealScheduler implements Scheduler {
  private readonly origin = performance.now();
  now(): number {
    return performance.now() - this.origin;
  }
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  }
}
