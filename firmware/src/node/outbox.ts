// Store-and-forward for the node's own messages: every message is written here (durably) before
// the node says it accepted it, handed to the router a few at a time, and removed only once it
// has gone on air (or been acknowledged, when it asked for an ack). A restart resends what was
// left with the same packet ids, so nodes that already have a message drop the copy.

import { decodeData, encodeData, type Data } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

export interface OutboxEntry {
  seq: number;
  packetId: number;
  to: number;
  data: Data;
  wantAck: boolean;
  hopLimit: number | undefined;
  createdMs: number;
  attempts: number;
  nextAttemptMs: number;
}

interface Row {
  seq: number;
  packet_id: number;
  dest: number;
  payload: Buffer;
  want_ack: number;
  hop_limit: number | null;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
}

export class Outbox {
  private readonly insert;
  private readonly dropKey;
  private readonly remove;
  private readonly due;
  private readonly count;
  private readonly defer;
  private readonly oldest;
  private readonly nextDue;

  constructor(db: Db) {
    const insert = db.prepare(
      'INSERT INTO outbox (packet_id, dest, payload, want_ack, hop_limit, supersedes, created_ms) VALUES (@packetId, @to, @payload, @wantAck, @hopLimit, @supersedes, @createdMs)',
    );
    this.dropKey = db.prepare('DELETE FROM outbox WHERE supersedes = ?');
    this.insert = db.transaction((row: Record<string, unknown>) => {
      if (row.supersedes !== null) this.dropKey.run(row.supersedes);
      insert.run(row);
    });
    this.remove = db.prepare('DELETE FROM outbox WHERE packet_id = ?');
    this.due = db.prepare('SELECT * FROM outbox WHERE next_attempt_ms <= ? ORDER BY seq LIMIT ?');
    this.count = db.prepare('SELECT COUNT(*) AS n FROM outbox');
    this.defer = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ? WHERE packet_id = ?');
    this.oldest = db.prepare('SELECT MIN(created_ms) AS t FROM outbox');
    this.nextDue = db.prepare('SELECT MIN(next_attempt_ms) AS t FROM outbox WHERE next_attempt_ms > ?');
  }

  /**
   * Durably queues a message; returns once it is on disk. A message with a `supersedes` key
   * replaces any queued one with the same key (a newer copy of the same SOS makes older ones moot).
   */
  add(entry: { packetId: number; to: number; data: Data; wantAck: boolean; hopLimit?: number; supersedes?: string; createdMs: number }): void {
    this.insert({
      packetId: entry.packetId,
      to: entry.to,
      payload: Buffer.from(encodeData(entry.data)),
      wantAck: entry.wantAck ? 1 : 0,
      hopLimit: entry.hopLimit ?? null,
      supersedes: entry.supersedes ?? null,
      createdMs: entry.createdMs,
    });
  }

  /** Messages whose next attempt is due, oldest first, at most `limit`. */
  dueAt(nowMs: number, limit: number): OutboxEntry[] {
    return (this.due.all(nowMs, limit) as Row[]).flatMap((r) => {
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

  /** Drops every queued message with this `supersedes` key; returns their packet ids' count. */
  withdraw(key: string): number {
    return this.dropKey.run(key).changes;
  }

  /** Not delivered this time: try again at `atMs`. */
  retryAt(packetId: number, atMs: number): void {
    this.defer.run(atMs, packetId);
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
