// Anti-replay per sender over the authenticated frame counter (a sliding bitmap as in IPsec,
// RFC 4303): a frame replayed after the dedup cache forgot it is still refused.

export const REPLAY_WINDOW = 64;
export const DEFAULT_REPLAY_SENDERS = 4096;

interface SenderWindow {
  /** When it was last put at the back of the eviction order (a count of such moves). */
  stamp: number;
  /** Highest counter accepted from this sender. */
  top: number;
  /** Bit i set = counter (top - i) was accepted; two 32-bit halves cover 64 counters. */
  low: number;
  high: number;
}

export class ReplayWindow {
  private readonly senders = new Map<number, SenderWindow>();
  private stamps = 0;

  constructor(private readonly maxSenders = DEFAULT_REPLAY_SENDERS) {}

  /** True if (from, counter) was not accepted before and is not too old to judge. */
  isFresh(from: number, counter: number): boolean {
    const w = this.senders.get(from);
    if (w === undefined || counter > w.top) return true;
    const age = w.top - counter;
    if (age >= REPLAY_WINDOW) return false;
    return !testBit(w, age);
  }

  /** Records an authenticated, fresh counter. */
  accept(from: number, counter: number): void {
    let w = this.senders.get(from);
    if (w === undefined) {
      w = { stamp: this.stamps++, top: counter, low: 1, high: 0 };
      this.senders.set(from, w);
      if (this.senders.size > this.maxSenders) {
        const oldest = this.senders.keys().next().value;
        if (oldest !== undefined) this.senders.delete(oldest);
      }
      return;
    }
    if (counter > w.top) {
      shift(w, counter - w.top);
      w.top = counter;
      w.low |= 1;
    } else {
      setBit(w, w.top - counter);
    }
    // The Map's order is the eviction order (least recently heard first). Moving a sender to the
    // back on every frame cost a delete and an insert per frame; moving it only once it has
    // drifted into the older half keeps every sender heard since then safe from eviction.
    if (this.stamps - w.stamp > this.maxSenders / 2) {
      this.senders.delete(from);
      w.stamp = this.stamps++;
      this.senders.set(from, w);
    }
  }

  /**
   * Takes a sender's highest accepted counter from a saved snapshot. Every counter at or below it
   * is then refused, including ones inside the old window that were never heard: the bitmap is not
   * saved (it would double the snapshot, and after a crash it is stale anyway), and refusing a
   * frame overtaken on a longer path across a reboot costs less than taking a recording of it.
   */
  restore(from: number, top: number): void {
    const known = this.senders.get(from);
    if (known !== undefined && known.top >= top) return;
    if (known !== undefined) this.senders.delete(from);
    this.senders.set(from, { stamp: this.stamps++, top, low: 0xffffffff, high: 0xffffffff });
    if (this.senders.size > this.maxSenders) {
      const oldest = this.senders.keys().next().value;
      if (oldest !== undefined) this.senders.delete(oldest);
    }
  }

  /** Each sender with its highest accepted counter, least recently heard first (the eviction order). */
  *tops(): IterableIterator<[from: number, top: number]> {
    for (const [from, w] of this.senders) yield [from, w.top];
  }

  get size(): number {
    return this.senders.size;
  }
}

function testBit(w: SenderWindow, i: number): boolean {
  return i < 32 ? ((w.low >>> i) & 1) === 1 : ((w.high >>> (i - 32)) & 1) === 1;
}

function setBit(w: SenderWindow, i: number): void {
  if (i < 32) w.low = (w.low | (1 << i)) >>> 0;
  else w.high = (w.high | (1 << (i - 32))) >>> 0;
}

function shift(w: SenderWindow, by: number): void {
  if (by >= 64) {
    w.low = 0;
    w.high = 0;
  } else if (by >= 32) {
    w.high = by === 32 ? w.low : (w.low << (by - 32)) >>> 0;
    w.low = 0;
  } else {
    w.high = ((w.high << by) | (w.low >>> (32 - by))) >>> 0;
    w.low = (w.low << by) >>> 0;
  }
}
