// How many of something each holder (a user, an address block) holds now, for a per-holder bound:
// counts go up and down, and a holder at zero is forgotten, so the map stays as small as the holders.

export class HeldCounts {
  private readonly counts = new Map<string, number>();

  /** Takes one for `holder` unless it already holds `max`; whether it did. */
  take(holder: string, max: number): boolean {
    const n = this.counts.get(holder) ?? 0;
    if (n >= max) return false;
    this.counts.set(holder, n + 1);
    return true;
  }

  /** Gives back one `holder` took. */
  give(holder: string): void {
    const n = (this.counts.get(holder) ?? 1) - 1;
    if (n <= 0) this.counts.delete(holder);
    else this.counts.set(holder, n);
  }
}
