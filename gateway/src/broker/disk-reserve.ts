// Free space kept on the filesystem under the broker's database for what must always be written
// there: the hub outbox (the SOS path), its journal, and the database's own compactions. The caps
// per login bound how many messages one login can make the broker keep, not how large they are: a
// thousand retained camera snapshots of 256 KiB, or an away session's queue of them, are gigabytes,
// and a few logins at their caps filled an SD card. Below the reserve the broker stores nothing more
// that a sensor asks it to keep for later (retained messages of device logins, messages queued for
// persistent sessions that are away); it still delivers them live.

import { statfs } from 'node:fs/promises';

/** Bytes a stored message is charged beyond its topic and payload: its key and the store's framing. */
const ENTRY_OVERHEAD_BYTES = 128;

export function byteLength(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
}

/** The bytes an unprivileged process may still write on the filesystem holding `path` (statfs: bavail x bsize). */
export async function availableBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/**
 * Whether a message may still be stored. Measured (`measure`, statfs by default) at start and every
 * check, and between two checks estimated down by what was stored since, so a burst of large
 * messages cannot run the disk past the reserve before the next check. Until the first measurement,
 * or when it fails, nothing is refused (a filesystem without statfs must not stop the broker).
 */
export class DiskReserve {
  private measured: number | null = null;
  private storedSince = 0;
  /** A message was refused since the last measurement. */
  private refused = false;

  constructor(readonly minFreeBytes: number, private readonly measure: () => Promise<number>) {}

  /** Free bytes as last measured, less what was stored since; null before the first measurement. */
  get freeBytes(): number | null {
    return this.measured === null ? null : this.measured - this.storedSince;
  }

  /** At the reserve: measured below it, or a message refused since the last measurement (until the next one). */
  get low(): boolean {
    const free = this.freeBytes;
    return this.refused || (this.minFreeBytes > 0 && free !== null && free < this.minFreeBytes);
  }

  /** Whether a message of `topic` and `payload` may be stored; if so, charged to the estimate. */
  take(topic: string, payload: Buffer | string): boolean {
    if (this.minFreeBytes <= 0 || this.measured === null) return true;
    // LevelDB writes an entry twice before a compaction: to its log, then into a table.
    const bytes = 2 * (topic.length + byteLength(payload) + ENTRY_OVERHEAD_BYTES);
    if (this.measured - this.storedSince - bytes < this.minFreeBytes) {
      this.refused = true;
      return false;
    }
    this.storedSince += bytes;
    return true;
  }

  /** Measures again; the estimate starts over from it. Throws what the measurement threw, and refuses nothing until one succeeds. */
  async check(): Promise<number> {
    let free: number;
    try {
      free = await this.measure();
    } catch (err) {
      this.measured = null;
      throw err;
    }
    this.measured = free;
    this.storedSince = 0;
    this.refused = false;
    return free;
  }
}
