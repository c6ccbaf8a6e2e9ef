// A bounded set of frames by (origin, packet id): nested maps of numbers, so asking costs no
// allocation on the duplicate path. When full, the oldest origin's frames are forgotten first.

export class FrameSet {
  private readonly byOrigin = new Map<number, Set<number>>();
  private count = 0;

  constructor(private readonly capacity: number) {}

  /** Adds (origin, id); false if it was already there. */
  add(origin: number, id: number): boolean {
    let ids = this.byOrigin.get(origin);
    if (ids?.has(id)) return false;
    if (this.count >= this.capacity) {
      // Map keeps insertion order: the first origin is the oldest.
      const [oldest, oldIds] = this.byOrigin.entries().next().value!;
      this.count -= oldIds.size;
      this.byOrigin.delete(oldest);
      if (oldest === origin) ids = undefined;
    }
    if (ids === undefined) this.byOrigin.set(origin, (ids = new Set()));
    ids.add(id);
    this.count++;
    return true;
  }

  /** Removes (origin, id); false if it was not there. */
  delete(origin: number, id: number): boolean {
    const ids = this.byOrigin.get(origin);
    if (ids === undefined || !ids.delete(id)) return false;
    this.count--;
    if (ids.size === 0) this.byOrigin.delete(origin);
    return true;
  }
}
