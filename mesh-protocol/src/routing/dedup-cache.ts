// The "seen it already?" table, keyed by (sender, packet id): bounded in entries and in age,
// O(1) per frame. It remembers per-frame flood state, so a relay knows what it has overheard.

export interface DedupOptions {
  /** Most entries kept; the oldest is forgotten first. */
  capacity?: number;
  /** Entries older than this are forgotten (a replay after that is caught by the replay window). */
  ttlMs?: number;
}

export const DEFAULT_DEDUP_CAPACITY = 4096;
export const DEFAULT_DEDUP_TTL_MS = 60 * 60 * 1000;

interface Slot<V> {
  from: number;
  at: number;
  value: V;
}

export class DedupCache<V> {
  readonly capacity: number;
  readonly ttlMs: number;
  // A Map iterates in insertion order, so its first key is always the oldest entry.
  private readonly map = new Map<number, Slot<V>>();

  constructor(options: DedupOptions = {}) {
    this.capacity = options.capacity ?? DEFAULT_DEDUP_CAPACITY;
    this.ttlMs = options.ttlMs ?? DEFAULT_DEDUP_TTL_MS;
    if (!(this.capacity >= 1) || !(this.ttlMs > 0)) throw new RangeError('dedup capacity must be >= 1 and ttlMs > 0');
  }

  get size(): number {
    return this.map.size;
  }

  /** The state remembered for (from, id), or undefined if never seen or expired. */
  get(from: number, id: number, now: number): V | undefined {
    const slot = this.map.get(key(from, id));
    if (slot === undefined || slot.from !== from >>> 0) return undefined;
    if (now - slot.at > this.ttlMs) return undefined;
    return slot.value;
  }

  /** Remembers (from, id); evicts expired entries and then the oldest beyond capacity. */
  add(from: number, id: number, value: V, now: number): void {
    const k = key(from, id);
    this.map.delete(k);
    this.map.set(k, { from: from >>> 0, at: now, value });
    for (const [oldKey, slot] of this.map) {
      if (this.map.size <= this.capacity && now - slot.at <= this.ttlMs) break;
      this.map.delete(oldKey);
    }
  }
}

/**
 * The id and the low 21 bits of the sender, as one exact integer (a string key cost an allocation
 * and a hash per frame heard). The slot keeps the whole sender: two senders sharing those bits and
 * an id displace each other, which only makes the cache forget early, as if it were full.
 */
function key(from: number, id: number): number {
  return (from & 0x1f_ffff) * 0x1_0000_0000 + (id >>> 0);
}
