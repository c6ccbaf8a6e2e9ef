// Ids of messages gateways already delivered. A gateway resends everything unacknowledged after
// a reconnect (gateway/docs/uplink.md), so the hub keeps each id for as long as a message can
// wait in a gateway's outbox and handles a repeat as already done.

import type { HubDb } from '../storage/hub-db.ts';

const DEFAULT_KEEP_MS = 30 * 86_400_000;
/** Ids remembered in memory only (see firstTime): the newest this many. */
export const MEMORY_IDS = 100_000;

export class UplinkDedup {
  private readonly stmt;
  private addsSincePrune = 0;
  /** Ids seen but not written (oldest first), and so forgotten at a restart or past MEMORY_IDS. */
  private readonly inMemory = new Set<string>();
  /** The id the last firstTime put in memory (forgetLast), null when it put none there. */
  private lastInMemory: string | null = null;

  constructor(db: HubDb, private readonly keepMs = DEFAULT_KEEP_MS, private readonly memoryIds = MEMORY_IDS) {
    db.exec('CREATE TABLE IF NOT EXISTS uplink_seen (id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL) WITHOUT ROWID; CREATE INDEX IF NOT EXISTS uplink_seen_ms ON uplink_seen (seen_ms);');
    this.stmt = {
      add: db.prepare<[string, number]>('INSERT OR IGNORE INTO uplink_seen (id, seen_ms) VALUES (?, ?)'),
      has: db.prepare<[string], number>('SELECT 1 FROM uplink_seen WHERE id = ?').pluck(),
      prune: db.prepare<[number]>('DELETE FROM uplink_seen WHERE seen_ms < ?'),
    };
  }

  /**
   * True the first time an id is seen (then it is remembered), false for a repeat. `written`
   * false (a message the hub keeps nothing of on disk: sensor data at the data disk's reserve)
   * remembers it in memory only, the newest MEMORY_IDS of them: its row would outweigh what is kept.
   * A gateway resends right after a reconnect, which memory covers; a repeat after a hub restart
   * is taken again.
   */
  firstTime(id: string, nowMs: number, written = true): boolean {
    this.lastInMemory = null;
    if (this.inMemory.has(id)) return false;
    if (!written) {
      if (this.stmt.has.get(id) !== undefined) return false;
      this.inMemory.add(id);
      this.lastInMemory = id;
      if (this.inMemory.size > this.memoryIds) this.inMemory.delete(this.inMemory.values().next().value!);
      return true;
    }
    if (++this.addsSincePrune >= 10_000) {
      this.addsSincePrune = 0;
      this.stmt.prune.run(nowMs - this.keepMs);
    }
    return this.stmt.add.run(id, nowMs).changes > 0;
  }

  /**
   * The message whose id firstTime just took was not kept after all (its transaction rolled back,
   * so it is not acknowledged and its gateway sends it again): that id is not remembered. A written
   * id goes with the transaction.
   */
  forgetLast(): void {
    if (this.lastInMemory !== null) this.inMemory.delete(this.lastInMemory);
    this.lastInMemory = null;
  }
}
