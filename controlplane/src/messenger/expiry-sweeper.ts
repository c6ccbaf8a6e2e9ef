// Deletes expired messenger ciphertext on a timer. Reads already hide a message once the hub's
// clock passes its expiry; the sweep is what removes it from storage (and its attachments).

export interface ExpirySweeperOptions {
  everyMs: number;
  sweep: () => { messages: number; attachments: number };
  /** A sweep that failed (storage): reported, and tried again at the next tick. */
  onError: (err: unknown) => void;
}

export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ExpirySweeperOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.o.sweep();
      } catch (err) {
        this.o.onError(err);
      }
    }, this.o.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
