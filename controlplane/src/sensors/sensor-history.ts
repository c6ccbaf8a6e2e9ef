// Where a sensor reading goes, the hub's data disk at its reserve (sensorMinFreeBytes) or not.
// Above it, a reading adds to its metric's history and its event to the event log. At the reserve
// (a measurement below it: readings are the bulk of what the hub stores, and share the disk with
// accounts, the messenger and alerts), readings first fill the database file's free room (found free
// when the reserve was reached, or freed by retention since), then each takes the place of its
// metric's oldest, so the file stays about its size and every chart goes on; their events go to live
// streams only. Refused by the reserve's estimate alone (at most one check's interval: the disk has
// not said it is full), a reading is added, live only: history is not deleted on a guess.

import type { DiskReserve } from '@unibos/mesh-protocol';
import type { NewReading, SensorStore } from './sensor-store.ts';

export class SensorHistory {
  /** At the reserve: bytes of the file's free pages new readings may still take (free when it was reached, or left by retention since). */
  private credit = 0;
  /** Readings deleted at the reserve for new readings of their metric to take their place. */
  replaced = 0;
  /** Readings whose latest value was stored but that were not kept: at the reserve, with no room in the file nor older readings of their metric to take the place of. */
  notKept = 0;

  constructor(
    private readonly store: Pick<SensorStore, 'add' | 'bytesOf' | 'freeBytes'>,
    readonly reserve: DiskReserve,
  ) {}

  /** Whether readings add to the history (false at the reserve: they take the place of older ones). */
  get adding(): boolean {
    return !this.reserve.reached;
  }

  /** The reserve was reached (`low`) or there is room again (the reserve's `changed`); returns the file's free room taken up. */
  reserveChanged(low: boolean): number {
    this.credit = low ? this.store.freeBytes() : 0;
    return this.credit;
  }

  /**
   * Runs `prune` (a retention batch, synchronous); at the reserve, the room it leaves in the file is
   * taken by new readings before any older one goes. Only that room: pages other deletions freed
   * (readings replaced) are already spoken for.
   */
  pruned<T>(prune: () => T): T {
    const before = this.store.freeBytes();
    const result = prune();
    if (this.reserve.reached) this.credit += Math.max(0, this.store.freeBytes() - before);
    return result;
  }

  /** Stores a reading (SensorStore.add); `logged`: whether its event goes to the event log. */
  add(orgId: string, r: NewReading): ReturnType<SensorStore['add']> & { logged: boolean } {
    const bytes = this.store.bytesOf(orgId, r);
    // Written twice: SQLite's WAL, then the database.
    const logged = this.reserve.take(2 * bytes);
    let history: 'add' | 'replace' = 'add';
    if (!logged && this.reserve.reached) {
      if (this.credit >= bytes) this.credit -= bytes;
      else history = 'replace';
    }
    const stored = this.store.add(orgId, r, { history });
    this.replaced += stored.replaced;
    if (stored.id === null) this.notKept++;
    return { ...stored, logged };
  }
}
