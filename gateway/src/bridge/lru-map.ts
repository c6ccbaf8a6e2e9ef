// A map that keeps only its most recently used entries: the memory of what was already done
// (announced to Home Assistant) that a stream of new names cannot grow without bound. The one
// forgotten is handed to `onEvict`, so whatever was done for it (a retained message) is undone too.

export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict: (key: K, value: V) => void = () => undefined,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LruMap capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Whether `key` is an entry (its place in the order unchanged). */
  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value of `key`, now the most recent entry, or undefined when it is not one. */
  touch(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Sets `key` as the most recent entry; the least recent beyond the capacity is forgotten and handed to `onEvict`. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.capacity) return;
    const [oldestKey, oldestValue] = this.entries.entries().next().value as [K, V];
    this.entries.delete(oldestKey);
    this.onEvict(oldestKey, oldestValue);
  }
}
