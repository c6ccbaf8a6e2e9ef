// Texts and alerts this node received, kept for the user (`unibos inbox`, the status LED/buzzer).
// An SOS is resent until acknowledged; its copies share a request id and are stored once, but a
// later copy with a newer position (a GPS that found its fix, a person on the move) moves the stored
// one. Only the newest messages are kept, so a busy channel cannot fill the SD card.

import type { Db } from './node-db.ts';

export interface InboxMessage {
  seq: number;
  from: number;
  to: number;
  packetId: number;
  requestId: number;
  /** 'private': end-to-end encrypted to this node; `from` is its writer, not the node that transmitted it. */
  kind: 'text' | 'alert' | 'private';
  level: string | null;
  /** For a private message that could not be opened: "could not decrypt: <reason>". */
  text: string;
  /** Private messages only: the error code when it could not be opened (then `text` says why), else null. */
  decryptError?: string | null;
  rxMs: number;
  hops: number;
  rssi: number | null;
  snr: number | null;
  latitude: number | null;
  longitude: number | null;
}

interface Row {
  seq: number;
  sender: number;
  dest: number;
  packet_id: number;
  request_id: number;
  kind: 'text' | 'alert' | 'private';
  level: string | null;
  text: string;
  decrypt_error: string | null;
  rx_ms: number;
  hops: number;
  rssi: number | null;
  snr: number | null;
  latitude: number | null;
  longitude: number | null;
}

export type NewInboxMessage = Omit<InboxMessage, 'seq'>;

export interface InboxOptions {
  /** Messages kept; older ones are deleted. */
  maxMessages?: number;
  /** Prune after this many inserts: one indexed DELETE per batch instead of one per message. */
  pruneEvery?: number;
}

export const INBOX_MAX_MESSAGES = 10_000;

export class Inbox {
  private readonly insert;
  private readonly sameRequest;
  private readonly stored;
  private readonly setText;
  private readonly bySeq;
  private readonly after;
  private readonly newest;
  private readonly prune;
  private readonly sameRequestRow;
  private readonly setPosition;
  private readonly maxMessages: number;
  private readonly pruneEvery: number;
  private insertsSincePrune = 0;

  constructor(db: Db, options: InboxOptions = {}) {
    this.maxMessages = options.maxMessages ?? INBOX_MAX_MESSAGES;
    this.pruneEvery = options.pruneEvery ?? 100;
    this.insert = db.prepare(`INSERT OR IGNORE INTO inbox (sender, dest, packet_id, request_id, kind, level, text, decrypt_error, rx_ms, hops, rssi, snr, latitude, longitude, position_ms)
      VALUES (@from, @to, @packetId, @requestId, @kind, @level, @text, @decryptError, @rxMs, @hops, @rssi, @snr, @latitude, @longitude, @positionMs)`);
    this.stored = db.prepare('SELECT 1 FROM inbox WHERE sender = ? AND packet_id = ? LIMIT 1');
    this.setText = db.prepare("UPDATE inbox SET text = ?, decrypt_error = NULL WHERE seq = ? AND kind = 'private'");
    this.bySeq = db.prepare('SELECT * FROM inbox WHERE seq = ?');
    this.sameRequest = db.prepare('SELECT 1 FROM inbox WHERE sender = ? AND request_id = ? AND kind = ? AND level IS ? LIMIT 1');
    this.sameRequestRow = db.prepare('SELECT seq, latitude, position_ms FROM inbox WHERE sender = ? AND request_id = ? AND kind = ? AND level IS ? ORDER BY seq LIMIT 1');
    this.setPosition = db.prepare('UPDATE inbox SET latitude = ?, longitude = ?, position_ms = ? WHERE seq = ?');
    this.after = db.prepare('SELECT * FROM inbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.newest = db.prepare('SELECT * FROM (SELECT * FROM inbox ORDER BY seq DESC LIMIT ?) ORDER BY seq');
    // The subquery is NULL while there are no more than `maxMessages`, so nothing is deleted then.
    this.prune = db.prepare('DELETE FROM inbox WHERE seq <= (SELECT seq FROM inbox ORDER BY seq DESC LIMIT 1 OFFSET ?)');
    // A node that restarts with an oversized inbox (an older version, a lowered limit) trims it now.
    this.trim();
  }

  /**
   * Stores a message; null if it is a copy of one already stored. `positionMs`: when its position
   * (if any) was taken, so a later copy can tell whether its own is newer (see `moved`).
   */
  add(m: NewInboxMessage, positionMs?: number): InboxMessage | null {
    if (m.requestId !== 0 && this.sameRequest.get(m.from, m.requestId, m.kind, m.level)) return null;
    const r = this.insert.run({ decryptError: null, ...m, positionMs: m.latitude === null ? null : (positionMs ?? m.rxMs) });
    if (r.changes === 0) return null;
    if (++this.insertsSincePrune >= this.pruneEvery) this.trim();
    return { seq: Number(r.lastInsertRowid), ...m };
  }

  /**
   * A later copy of a stored message with a request id (an SOS resent, or its "I am safe"): if it
   * carries a position taken after the stored one's (`positionMs`), the stored row takes it and
   * is returned; otherwise null. It stays one message: nothing new is stored.
   */
  moved(m: NewInboxMessage, positionMs: number): InboxMessage | null {
    if (m.requestId === 0 || m.latitude === null || m.longitude === null) return null;
    const known = this.sameRequestRow.get(m.from, m.requestId, m.kind, m.level) as { seq: number; latitude: number | null; position_ms: number | null } | undefined;
    if (!known) return null;
    // A copy relayed the long way can arrive after a newer one: only a newer fix moves the SOS.
    if (known.latitude !== null && known.position_ms !== null && positionMs <= known.position_ms) return null;
    this.setPosition.run(m.latitude, m.longitude, positionMs, known.seq);
    const row = this.bySeq.get(known.seq) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** A private message kept unopened (it came early) has now been opened: its row gets the text. */
  opened(seq: number, text: string): InboxMessage | null {
    this.setText.run(text, seq);
    const row = this.bySeq.get(seq) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Whether message `packetId` from `from` is stored: a repeat of a private message must not be opened twice (a replay). */
  has(from: number, packetId: number): boolean {
    return this.stored.get(from, packetId) !== undefined;
  }

  /** Up to `limit` messages after `afterSeq`, oldest first: for paging forward from a number seen before. */
  since(afterSeq = 0, limit = 100): InboxMessage[] {
    return (this.after.all(afterSeq, limit) as Row[]).map(fromRow);
  }

  /** The newest `limit` messages, oldest first (what someone checking the inbox wants to see). */
  latest(limit = 100): InboxMessage[] {
    return (this.newest.all(limit) as Row[]).map(fromRow);
  }

  private trim(): void {
    this.insertsSincePrune = 0;
    this.prune.run(this.maxMessages);
  }
}

function fromRow(r: Row): InboxMessage {
  return {
    seq: r.seq,
    from: r.sender,
    to: r.dest,
    packetId: r.packet_id,
    requestId: r.request_id,
    kind: r.kind,
    level: r.level,
    text: r.text,
    ...(r.kind === 'private' ? { decryptError: r.decrypt_error } : {}),
    rxMs: r.rx_ms,
    hops: r.hops,
    rssi: r.rssi,
    snr: r.snr,
    latitude: r.latitude,
    longitude: r.longitude,
  };
}
