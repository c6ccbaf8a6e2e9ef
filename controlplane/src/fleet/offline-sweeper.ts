// Marks nodes offline after a silence (config offlineAfterS) and says so on the event stream.
// Connected gateways are alive by being connected, so they are touched before each sweep.

export interface OfflineSweeperOptions {
  offlineAfterMs: number;
  now: () => number;
  sweep: (cutoffMs: number) => Array<{ orgId: string; id: string }>;
  touchConnected: (nowMs: number) => void;
  announce: (orgId: string, id: string) => void;
  /** A sweep that failed (storage): reported, and tried again at the next tick. */
  onError: (err: unknown) => void;
}

export class OfflineSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: OfflineSweeperOptions) {}

  start(): void {
    // Often enough that "offline" shows at most a fifth of the limit late; at most every 30 s.
    const every = Math.max(1000, Math.min(30_000, Math.floor(this.o.offlineAfterMs / 5)));
    this.timer = setInterval(() => {
      try {
        this.runOnce();
      } catch (err) {
        this.o.onError(err);
      }
    }, every);
    this.timer.unref();
  }

  runOnce(): number {
    const now = this.o.now();
    this.o.touchConnected(now);
    const gone = this.o.sweep(now - this.o.offlineAfterMs);
    for (const n of gone) this.o.announce(n.orgId, n.id);
    return gone.length;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
