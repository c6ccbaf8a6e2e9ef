// Store-and-forward for the node's own messages: every message is written here (durably) before
// the node says it accepted it, handed to the router a few at a time, and removed only once it
// has gone on air (or been acknowledged, when it asked for an ack). A restart resends what was
// left with the same packet ids, so nodes that already have a message drop the copy.

import { decodeData, encodeData, type Data } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

/** Alerts (SOS, "I am safe") never wait behind texts. */
export type OutboxPriority = 'alert' | 'text';
const RANK: Record<OutboxPriority, number> = { alert: 0, text: 1 };

export interface OutboxEntry {
  seq: number;
  packetId: number;
  to: number;
  data: Data;
  wantAck: boolean;
  hopLimit: number | undefined;
  priority: OutboxPriority;
  createdMs: number;
  attempts: number;
  nextAttemptMs: number;
}

export interface NewOutboxEntry {
  packetId: number;
  to: number;
  data: Data;
  wantAck: boolean;
  priority: OutboxPriority;
  createdMs: number;
  hopLimit?: number;
  /** Replaces a queued message with the same key, in its place in the queue (a newer SOS copy). */
  supersedes?: string;
}

interface Row {
  seq: number;
  packet_id: number;
  dest: number;
  payload: Buffer;
  want_ack: number;
  hop_limit: number | null;
  priority: number;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
}

export class Outbox {
  private readonly insert: (row: Record<string, unknown>) => void;
  private readonly dropKey;
  private readonly remove;
  private readonly due;
  private readonly count;
  private readonly defer;
  private readonly oldest;
  private readonly nextDue;

  constructor(db: Db) {
    const insert = db.prepare(
      `INSERT INTO outbox (seq, packet_id, dest, payload, want_ack, hop_limit, supersedes, priority, created_ms)
       VALUES (@seq, @packetId, @to, @payload, @wantAck, @hopLimit, @supersedes, @priority, @createdMs)`,
    );
    const keyed = db.prepare('SELECT seq FROM outbox WHERE supersedes = ? ORDER BY seq LIMIT 1');
    this.dropKey = db.prepare('DELETE FROM outbox WHERE supersedes = ?');
    this.insert = db.transaction((row: Record<string, unknown>) => {
      let seq: number | null = null;
      if (row.supersedes !== null) {
        seq = (keyed.get(row.supersedes) as { seq: number } | undefined)?.seq ?? null;
        this.dropKey.run(row.supersedes);
      }
      insert.run({ ...row, seq });
    });
    this.remove = db.prepare('DELETE FROM outbox WHERE packet_id = ?');
    this.due = db.prepare('SELECT * FROM outbox WHERE priority = ? AND next_attempt_ms <= ? ORDER BY seq LIMIT ?');
    this.count = db.prepare('SELECT COUNT(*) AS n FROM outbox');
    this.defer = db.prepare('UPDATE outbox SET attempts = attempts + ?, next_attempt_ms = ? WHERE packet_id = ?');
    this.oldest = db.prepare('SELECT MIN(created_ms) AS t FROM outbox');
    this.nextDue = db.prepare('SELECT MIN(next_attempt_ms) AS t FROM outbox WHERE next_attempt_ms > ?');
  }

  /** Durably queues a message; returns once it is on disk. */
  add(entry: NewOutboxEntry): void {
    this.insert({
      packetId: entry.packetId,
      to: entry.to,
      payload: Buffer.from(encodeData(entry.data)),
      wantAck: entry.wantAck ? 1 : 0,
      hopLimit: entry.hopLimit ?? null,
      supersedes: entry.supersedes ?? null,
      priority: RANK[entry.priority],
      createdMs: entry.createdMs,
    });
  }

  /** Messages of one priority whose next attempt is due, oldest first, at most `limit`. */
  dueAt(nowMs: number, priority: OutboxPriority, limit: number): OutboxEntry[] {
    return (this.due.all(RANK[priority], nowMs, limit) as Row[]).flatMap((r) => {
      let data: Data;
      try {
        data = decodeData(new Uint8Array(r.payload));
      } catch {
        // A row that no longer decodes (written by a different schema) cannot be sent; drop it
        // rather than block the queue behind it.
        this.remove.run(r.packet_id);
        return [];
      }
      return [
        {
          seq: r.seq,
          packetId: r.packet_id,
          to: r.dest,
          data,
          wantAck: r.want_ack === 1,
          hopLimit: r.hop_limit ?? undefined,
          priority,
          createdMs: r.created_ms,
          attempts: r.attempts,
          nextAttemptMs: r.next_attempt_ms,
        },
      ];
    });
  }

  /** Sent (or acknowledged): it leaves the outbox. */
  done(packetId: number): boolean {
    return this.remove.run(packetId).changes > 0;
  }

  /** Drops every queued message with this `supersedes` key. */
  withdraw(key: string): number {
    return this.dropKey.run(key).changes;
  }

  /** Not delivered this time: try again at `atMs`; `attempted` = it really went on air. */
  retryAt(packetId: number, atMs: number, attempted: boolean): void {
    this.defer.run(attempted ? 1 : 0, atMs, packetId);
  }

  /** When the earliest deferred message after `nowMs` becomes due, if any. */
  nextDueAfter(nowMs: number): number | undefined {
    return (this.nextDue.get(nowMs) as { t: number | null }).t ?? undefined;
  }

  get size(): number {
    return (this.count.get() as { n: number }).n;
  }

  get oldestMs(): number | undefined {
    return (this.oldest.get() as { t: number | null }).t ?? undefined;
  }
}
