// The clock a driver under test gets when its timeouts must not depend on how fast the machine is:
// short pauses (retry delays, reconnect backoff) run on real time, but every wait of `holdFromMs` or
// more (a command's timeout, TX done, a restart) passes only when the test advances this clock.

import { RealScheduler, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';

interface HeldTimer {
  due: number;
  fn: () => void;
  real: TimerHandle | undefined;
}

export class HeldTimeoutScheduler implements Scheduler {
  private readonly real = new RealScheduler();
  private readonly held = new Set<HeldTimer>();
  private heldNow = 0;
  private released = false;

  /** Waits of `holdFromMs` or longer are held; shorter ones run on real time. */
  constructor(private readonly holdFromMs: number) {}

  /** The held clock: it moves only by advance(). */
  now(): number {
    return this.heldNow;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    if (this.released || delayMs < this.holdFromMs) return this.real.schedule(delayMs, fn);
    const timer: HeldTimer = { due: this.heldNow + delayMs, fn, real: undefined };
    this.held.add(timer);
    return {
      cancel: () => {
        this.held.delete(timer);
        timer.real?.cancel();
      },
    };
  }

  /** Held waits not yet passed or cancelled. */
  get pending(): number {
    return this.held.size;
  }

  /** Lets `ms` pass for the held waits: every one due by then runs, earliest first. */
  advance(ms: number): void {
    this.heldNow += ms;
    for (;;) {
      let next: HeldTimer | undefined;
      for (const t of this.held) if (t.due <= this.heldNow && (!next || t.due < next.due)) next = t;
      if (!next) return;
      this.held.delete(next);
      next.fn();
    }
  }

  /**
   * From now on every wait runs on real time, held ones for what they had left: for tearing down, so a
   * driver closing against a device that no longer answers gives up instead of hanging the test.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.held) {
      t.real = this.real.schedule(t.due - this.heldNow, () => {
        this.held.delete(t);
        t.fn();
      });
    }
  }
}
