// Ids of messages gateways already delivered. A gateway resends everything unacknowledged after
// a reconnect (gateway/docs/uplink.md), so the hub keeps each id for as long as a message can
// wait in a gateway's outbox and handles a repeat as already done.

import type { HubDb } from '../storage/hub-db.ts';

const DEFAULT_KEEP_MS = 30 * 86_400_000;

export class UplinkDedup {
  private readonly stmt;
  private addsSincePrune = 0;

  constructor(db: HubDb, private readonly keepMs = DEFAULT_KEEP_MS) {
    db.exec('CREATE TABLE IF NOT EXISTS uplink_seen (id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL) WITHOUT ROWID; CREATE INDEX IF NOT EXISTS uplink_seen_ms ON uplink_seen (seen_ms);');
    this.stmt = {
      add: db.prepare<[string, number]>('INSERT OR IGNORE INTO uplink_seen (id, seen_ms) VALUES (?, ?)'),
      prune: db.prepare<[number]>('DELETE FROM uplink_seen WHERE seen_ms < ?'),
    };
  }

  /** True the first time an id is seen (then it is remembered), false for a repeat. */
  firstTime(id: string, nowMs: number): boolean {
    if (++this.addsSincePrune >= 10_000) {
      this.addsSincePrune = 0;
      this.stmt.prune.run(nowMs - this.keepMs);
    }
    return this.stmt.add.run(id, nowMs).changes > 0;
  }
}
