// A scheduler that can be switched off: the node loop and the router it owns schedule many
// timers (ack retries, relays, beacons, backoffs), and on stop every one of them must be
// cancelled, or a late callback writes to a closed database and keeps the process alive.

import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';

export class StoppableScheduler implements Scheduler {
  private readonly live = new Set<TimerHandle>();
  private stopped = false;

  constructor(private readonly inner: Scheduler) {}

  now(): number {
    return this.inner.now();
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    if (this.stopped) return { cancel: () => undefined };
    const handle = this.inner.schedule(delayMs, () => {
      this.live.delete(handle);
      if (!this.stopped) fn();
    });
    this.live.add(handle);
    return {
      cancel: () => {
        handle.cancel();
        this.live.delete(handle);
      },
    };
  }

  /** Cancels every pending timer; later `schedule` calls do nothing. */
  stop(): void {
    this.stopped = true;
    for (const h of this.live) h.cancel();
    this.live.clear();
  }

  get pending(): number {
    return this.live.size;
  }
}
