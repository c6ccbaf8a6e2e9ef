// Tells a module thread that stopped turning its event loop (a synchronous loop, a catastrophic
// regex) from one that is merely busy: the node pings it every second and calls it stuck after
// five pings in a row went unanswered.

/** How often the node pings a module's thread. */
export const MODULE_PING_INTERVAL_MS = 1_000;

/**
 * Unanswered pings in a row that make a thread stuck: about 5 s. A healthy handler answers within
 * milliseconds; the longest pause it may honestly cause is a full garbage collection of its heap
 * (under a second for 64 MB on a Pi Zero 2 W) or a big synchronous step, so 5 s does not end a
 * slow module by mistake, while a stuck one holds a core for no more than that. Counted in ticks of
 * the node's own loop, not wall time: a node that was itself held up (a slow SD card) does not
 * blame the module for the pong still waiting in its queue.
 */
export const MODULE_STUCK_AFTER_PINGS = 5;

export class ModuleWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private waiting = false;
  private missed = 0;

  constructor(
    private readonly ping: () => void,
    private readonly onStuck: (silentMs: number) => void,
    private readonly intervalMs = MODULE_PING_INTERVAL_MS,
    private readonly stuckAfter = MODULE_STUCK_AFTER_PINGS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // A module's watchdog never keeps a node that is otherwise done from exiting.
    this.timer.unref();
    this.tick();
  }

  /** The thread answered. */
  pong(): void {
    this.waiting = false;
    this.missed = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.waiting && ++this.missed >= this.stuckAfter) {
      this.stop();
      this.onStuck(this.missed * this.intervalMs);
      return;
    }
    if (this.waiting) return;
    this.waiting = true;
    this.ping();
  }
}
