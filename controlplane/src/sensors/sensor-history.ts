// Where a sensor reading goes, the hub's data disk at its reserve (sensorMinFreeBytes) or not.
// Above it, a reading adds to its metric's history and its event to the event log. At the reserve
// (a measurement below it: readings are the bulk of what the hub stores, and share the disk with
// accounts, the messenger and alerts), readings first take the room the database file has (its free
// pages when the reserve was reached, what retention deletes since, what replaced readings leave
// over: a byte ledger), then each takes the place of its metric's oldest, so the file's growth is
// bounded and every chart goes on; a metric first reported then is not stored; their events go to
// live streams only. Refused by the reserve's estimate alone (at most one check's interval: the disk
// has not said it is full), a reading is added, live only: history is not deleted on a guess.

import type { DiskReserve } from '@unibos/mesh-protocol';
import type { NewReading, SensorStore } from './sensor-store.ts';

export class SensorHistory {
  /**
   * At the reserve: about the bytes new readings may still take in the file without growing it: its
   * free pages when the reserve was reached, the room of the readings retention deleted since, and
   * what replaced readings left over beyond the new ones' room.
   */
  private credit = 0;
  /** Readings deleted at the reserve for new readings of their metric to take their place. */
  replaced = 0;
  /** Readings not kept in the history: at the reserve, with no room left in the file nor older readings of their metric to take the place of (their latest value is, when newer than their metric's). */
  notKept = 0;

  constructor(
    private readonly store: Pick<SensorStore, 'add' | 'bytesOf' | 'freeBytes' | 'pruneReadings' | 'setAvailability'>,
    readonly reserve: DiskReserve,
  ) {}

  /** Whether readings add to the history: false at the reserve, as measured (not while measuring fails). */
  get adding(): boolean {
    return !(this.reserve.reached && this.reserve.low);
  }

  /** The reserve was reached (`low`) or there is room again (the reserve's `changed`); returns the file's free room, taken first. */
  reserveChanged(low: boolean): number {
    this.credit = low ? this.store.freeBytes() : 0;
    return this.credit;
  }

  /**
   * Retention's batch (SensorStore.pruneReadings): at the reserve, as measured, the room the deleted
   * readings leave is taken before any older reading goes (not while measuring fails: readings are
   * added then as if there were room, and take it).
   */
  prune(cutoffMs: number, limit: number): number {
    const { deleted, bytes } = this.store.pruneReadings(cutoffMs, limit);
    if (!this.adding) this.credit += bytes;
    return deleted;
  }

  /**
   * Stores a reading (SensorStore.add); `logged`: whether its event goes to the event log. Ledger
   * changes are made before the ingest transaction commits; one rolled back only leaves the credit short.
   */
  add(orgId: string, r: NewReading): ReturnType<SensorStore['add']> & { logged: boolean } {
    const bytes = this.store.bytesOf(orgId, r);
    // Written twice: SQLite's WAL, then the database.
    const logged = this.reserve.take(2 * bytes);
    const atReserve = !logged && this.reserve.reached;
    const stored = this.store.add(orgId, r, { history: atReserve && this.credit < bytes ? 'replace' : 'add', newMetrics: !atReserve });
    this.replaced += stored.replaced;
    if (stored.replaced > 0) this.credit += stored.freed - bytes;
    // Added while the reserve is reached (in its room, or while measuring fails): that room is taken.
    else if (stored.id !== null && this.reserve.reached) this.credit = Math.max(0, this.credit - bytes);
    if (stored.id === null) this.notKept++;
    return { ...stored, logged };
  }

  /** A sensor's availability (SensorStore.setAvailability): one first heard at the reserve is raised live only. */
  setAvailability(orgId: string, sensorId: string, state: 'online' | 'offline', dated: number): ReturnType<SensorStore['setAvailability']> {
    return this.store.setAvailability(orgId, sensorId, state, dated, { newSensors: this.adding });
  }
}
