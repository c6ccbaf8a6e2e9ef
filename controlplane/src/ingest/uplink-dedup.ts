// Ids of messages gateways already delivered. A gateway resends everything unacknowledged after
// a reconnect (gateway/docs/uplink.md), so the hub keeps each id for as long as a message can
// wait in a gateway's outbox and handles a repeat as already done.

import type { HubDb } from '../storage/hub-db.ts';

const DEFAULT_KEEP_MS = 30 * 86_400_000;
/** Ids remembered in memory only (see firstTime): the newest half of this many at least, this many at most. */
export const MEMORY_IDS = 50_000;

export class UplinkDedup {
  private readonly stmt;
  private addsSincePrune = 0;
  /**
   * Ids seen but not written, forgotten at a restart: two generations of memoryIds/2, the older
   * dropped whole when the newer fills (a Set used as a queue costs more per delete as it goes).
   */
  private recent = new Set<string>();
  private older = new Set<string>();
  /** The id this message's firstTime put in memory (forgetLast), null when it put none there. */
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
   * remembers it in memory only (MEMORY_IDS): its row would outweigh what is kept.
   * A gateway resends right after a reconnect, which memory covers; a repeat after a hub restart
   * is taken again.
   */
  firstTime(id: string, nowMs: number, written = true): boolean {
    if (this.recent.has(id) || this.older.has(id)) return false;
    if (!written) {
      if (this.stmt.has.get(id) !== undefined) return false;
      if (this.recent.size >= this.memoryIds / 2) {
        this.older = this.recent;
        this.recent = new Set();
      }
      this.recent.add(id);
      this.lastInMemory = id;
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
    if (this.lastInMemory !== null) this.recent.delete(this.lastInMemory);
    this.lastInMemory = null;
  }

  /** A new message: forgetLast then concerns its id only (a message that fails before firstTime forgets none). */
  begin(): void {
    this.lastInMemory = null;
  }
}
