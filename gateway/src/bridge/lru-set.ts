// A set that keeps only its most recently used members: the memory of what was already done
// (announced to Home Assistant) that a stream of new names cannot grow without bound.

export class LruSet<T> {
  private readonly members = new Set<T>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LruSet capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.members.size;
  }

  /** Whether `value` was a member; either way it is now the most recent, and the least recent beyond the capacity is forgotten. */
  touch(value: T): boolean {
    const had = this.members.delete(value);
    this.members.add(value);
    if (this.members.size > this.capacity) this.members.delete(this.members.values().next().value as T);
    return had;
  }
}
