// Waiting in a test for a condition that only an event can make true: re-checked on every wake(),
// never polled or slept on, and given up at a deadline with a message saying what was awaited.

export class EventWaiter {
  private waiters: Array<() => void> = [];

  /** Call from the event handler: every pending until() re-checks its condition. */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `cond` holds; `what` may be a function so the message can describe the state at the deadline. */
  async until(cond: () => boolean, what: string | (() => string), timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
