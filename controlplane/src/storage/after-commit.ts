// What a transaction produces for the world outside it (events for live listeners, commands for
// gateways) held until it has returned, and dropped if it throws: nobody hears of a write that was
// rolled back.

export class AfterCommit<T> {
  private held: T[] | null = null;

  constructor(private readonly release: (item: T) => void) {}

  /** Held while a batch runs, released at once otherwise. */
  add(item: T): void {
    if (this.held) this.held.push(item);
    else this.release(item);
  }

  /** Runs `fn`; what it added is released once it has returned, none of it if it throws. Nested batches join the outer one. */
  batch<R>(fn: () => R): R {
    if (this.held) return fn();
    this.held = [];
    let out: R;
    try {
      out = fn();
    } catch (err) {
      this.held = null;
      throw err;
    }
    const held = this.held;
    this.held = null;
    for (const item of held) this.release(item);
    return out;
  }
}
