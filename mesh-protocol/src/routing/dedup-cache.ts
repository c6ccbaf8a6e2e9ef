// The "seen it already?" table, keyed by (sender, packet id): bounded in entries and in age,
// O(1) per frame. It remembers per-frame flood state, so a relay knows what it has overheard.
//
// Every frame heard passes through here, so it is typed arrays, not a Map: the entries sit in a
// ring in the order they were added (the oldest is forgotten first), and an open-addressing
// index (linear probing, deletion by backward shift) finds one by its exact (sender, id). A
// Map cost a hash of a 53-bit key and a few allocations per frame, more than AES did.

export interface DedupOptions {
  /** Most entries kept; the oldest is forgotten first. */
  capacity?: number;
  /** Entries older than this are forgotten (a replay after that is caught by the replay window). */
  ttlMs?: number;
}

export const DEFAULT_DEDUP_CAPACITY = 4096;
export const DEFAULT_DEDUP_TTL_MS = 60 * 60 * 1000;

const EMPTY = -1;

export class DedupCache<V> {
  readonly capacity: number;
  readonly ttlMs: number;
  // The ring has room for twice the capacity: an entry added again leaves a dead slot behind,
  // and dead slots must not push live entries out early.
  private readonly from: Uint32Array;
  private readonly id: Uint32Array;
  private readonly at: Float64Array;
  private readonly live: Uint8Array;
  private readonly values: Array<V | undefined>;
  /** Ring slot of each index position, or EMPTY. */
  private readonly index: Int32Array;
  /** Index position of each ring slot (so a slot can be removed from the index). */
  private readonly positionOf: Int32Array;
  private readonly mask: number;
  private head = 0;
  private used = 0;
  private liveCount = 0;

  constructor(options: DedupOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_DEDUP_CAPACITY;
    this.ttlMs = options.ttlMs ?? DEFAULT_DEDUP_TTL_MS;
    if (!(this.capacity >= 1) || !(this.ttlMs > 0)) throw new RangeError('dedup capacity must be >= 1 and ttlMs > 0');
    const ring = 2 * Math.ceil(this.capacity);
    this.from = new Uint32Array(ring);
    this.id = new Uint32Array(ring);
    this.at = new Float64Array(ring);
    this.live = new Uint8Array(ring);
    this.values = new Array<V | undefined>(ring).fill(undefined);
    this.positionOf = new Int32Array(ring);
    // At most half full (live entries <= capacity <= ring / 2 of 2 x ring positions): short probes.
    let size = 4;
    while (size < 2 * ring) size *= 2;
    this.index = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.liveCount;
  }

  /** The state remembered for (from, id), or undefined if never seen or expired. */
  get(from: number, id: number, now: number): V | undefined {
    const slot = this.find(from >>> 0, id >>> 0);
    if (slot === EMPTY || now - this.at[slot]! > this.ttlMs) return undefined;
    return this.values[slot];
  }

  /** Remembers (from, id); evicts expired entries and then the oldest beyond capacity. */
  add(from: number, id: number, value: V, now: number): void {
    const f = from >>> 0;
    const i = id >>> 0;
    const old = this.find(f, i);
    if (old !== EMPTY) this.kill(old);
    if (this.used === this.from.length) this.dropHead();
    const slot = (this.head + this.used) % this.from.length;
    this.used++;
    this.from[slot] = f;
    this.id[slot] = i;
    this.at[slot] = now;
    this.values[slot] = value;
    this.live[slot] = 1;
    this.liveCount++;
    let p = hash(f, i) & this.mask;
    while (this.index[p] !== EMPTY) p = (p + 1) & this.mask;
    this.index[p] = slot;
    this.positionOf[slot] = p;
    // The oldest goes first: dead slots, expired entries, and live ones beyond capacity.
    while (this.used > 0 && (this.live[this.head] === 0 || this.liveCount > this.capacity || now - this.at[this.head]! > this.ttlMs)) {
      this.dropHead();
    }
  }

  private find(f: number, i: number): number {
    let p = hash(f, i) & this.mask;
    for (;;) {
      const slot = this.index[p]!;
      if (slot === EMPTY) return EMPTY;
      if (this.from[slot] === f && this.id[slot] === i && this.live[slot] === 1) return slot;
      p = (p + 1) & this.mask;
    }
  }

  private dropHead(): void {
    const slot = this.head;
    if (this.live[slot] === 1) this.kill(slot);
    this.head = (this.head + 1) % this.from.length;
    this.used--;
  }

  /** Takes a slot out of the index; its ring place stays until the head passes it. */
  private kill(slot: number): void {
    this.live[slot] = 0;
    this.values[slot] = undefined;
    this.liveCount--;
    // Backward-shift deletion: pull later entries of the same probe run into the gap, so a
    // lookup never stops early at a hole.
    const index = this.index;
    const mask = this.mask;
    let gap = this.positionOf[slot]!;
    index[gap] = EMPTY;
    let p = gap;
    for (;;) {
      p = (p + 1) & mask;
      const s = index[p]!;
      if (s === EMPTY) return;
      const home = hash(this.from[s]!, this.id[s]!) & mask;
      // Move s into the gap unless its home lies cyclically in (gap, p].
      const inRun = gap <= p ? home > gap && home <= p : home > gap || home <= p;
      if (!inRun) {
        index[gap] = s;
        this.positionOf[s] = gap;
        index[p] = EMPTY;
        gap = p;
      }
    }
  }
}

function hash(from: number, id: number): number {
  let h = Math.imul(from ^ Math.imul(id, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
