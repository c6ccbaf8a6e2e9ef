// Free space kept on a filesystem for what must always be written there. A gateway's broker stops
// storing what sensors ask it to keep for later below it (the hub outbox, the SOS path, shares the
// card); the hub's sensor readings stop adding to its database and take the place of older ones
// (accounts, the messenger and alerts share it). One definition for both: measured with statfs,
// and estimated in between.

import { statfs } from 'node:fs/promises';

/** The bytes an unprivileged process may still write on the filesystem holding `path` (statfs: bavail x bsize). */
export async function availableBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/**
 * Whether more may be written above the reserve. Measured (`measure`: availableBytes of the store's
 * folder) at each check (start() runs one now and then every `everyMs`), and between two checks
 * estimated down by what was written since, so a burst of large writes cannot run the disk past the
 * reserve before the next check: a write that would take the estimate below the line is refused,
 * a smaller one that fits is not, until the next measurement starts the estimate over. A
 * measurement below the reserve reaches it: every write that can wait is refused until a
 * measurement shows an eighth of the reserve more than the line, so a disk hovering at the line
 * does not store every other message (the estimate, which charges more than a store keeps, never
 * holds it: only the disk says it is full). `changed` hears each time the reserve is reached and
 * each time there is room again. Until the first measurement, or while measuring fails, nothing is
 * refused (a filesystem that cannot be measured is not taken for a full one).
 */
export class DiskReserve {
  private measured: number | null = null;
  /** Bytes charged since the last measurement began. */
  private written = 0;
  private latched = false;
  private checking: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly minFreeBytes: number,
    private readonly measure: () => Promise<number>,
    private readonly changed: (low: boolean, freeBytes: number | null) => void = () => undefined,
  ) {}

  /** Free bytes as last measured, less what was written since; null before the first measurement. */
  get freeBytes(): number | null {
    return this.measured === null ? null : this.measured - this.written;
  }

  /** At the reserve now: reached, or estimated below it. */
  get low(): boolean {
    const free = this.freeBytes;
    return free !== null && this.minFreeBytes > 0 && (this.latched || free < this.minFreeBytes);
  }

  /** Reached: a measurement was below the reserve, and none since has shown room again (the estimate aside). */
  get reached(): boolean {
    return this.latched;
  }

  /**
   * Whether `bytes` more may be written (what the store will really use: both LevelDB and SQLite
   * in WAL mode write an entry twice before it settles, to their log and then in place); if so,
   * charged to the estimate. `floor`: a lower line for writes of what is already on its way (a
   * delivery to a connected client), which are refused only below it, reached or not.
   */
  take(bytes: number, floor = this.minFreeBytes): boolean {
    if (this.minFreeBytes <= 0 || this.measured === null) return true;
    if ((this.latched && floor >= this.minFreeBytes) || this.measured - this.written - bytes < floor) return false;
    this.written += bytes;
    return true;
  }

  /** Charges a write that was made whatever the reserve (one the store makes on its own). */
  charge(bytes: number): void {
    this.written += bytes;
  }

  /**
   * Measures again: the estimate starts over from it (writes charged while it ran are kept). One at
   * a time: a check asked for during another gets that one's answer. Throws what the measurement
   * threw, and refuses nothing until one succeeds.
   */
  check(): Promise<number> {
    this.checking ??= this.measureNow().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  /** Checks now, then every `everyMs` until stop(); a failed check goes to `failed`. Nothing to do with no reserve. */
  async start(everyMs: number, failed: (err: unknown) => void): Promise<void> {
    if (this.minFreeBytes <= 0 || this.timer) return;
    this.timer = setInterval(() => this.check().catch(failed), everyMs);
    this.timer.unref();
    await this.check().catch(failed);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async measureNow(): Promise<number> {
    const before = this.written;
    let free: number;
    try {
      free = await this.measure();
    } catch (err) {
      this.measured = null;
      throw err;
    }
    this.measured = free;
    this.written -= before;
    if (this.minFreeBytes <= 0) return free;
    const reached = this.latched ? free < this.minFreeBytes + this.minFreeBytes / 8 : free < this.minFreeBytes;
    if (reached !== this.latched) {
      this.latched = reached;
      this.changed(reached, free);
    }
    return free;
  }
}
