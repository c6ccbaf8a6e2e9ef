// Texts and alerts this node received, kept for the user (`unibos inbox`, the status LED/buzzer).
// An SOS is resent until acknowledged; its copies share a request id and are stored once.

import type { Db } from './node-db.ts';

export interface InboxMessage {
  seq: number;
  from: number;
  to: number;
  packetId: number;
  requestId: number;
  kind: 'text' | 'alert';
  level: string | null;
  text: string;
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
  kind: 'text' | 'alert';
  level: string | null;
  text: string;
  rx_ms: number;
  hops: number;
  rssi: number | null;
  snr: number | null;
  latitude: number | null;
  longitude: number | null;
}

export type NewInboxMessage = Omit<InboxMessage, 'seq'>;

export class Inbox {
  private readonly insert;
  private readonly sameRequest;
  private readonly recent;

  constructor(db: Db) {
    this.insert = db.prepare(`INSERT OR IGNORE INTO inbox (sender, dest, packet_id, request_id, kind, level, text, rx_ms, hops, rssi, snr, latitude, longitude)
      VALUES (@from, @to, @packetId, @requestId, @kind, @level, @text, @rxMs, @hops, @rssi, @snr, @latitude, @longitude)`);
    this.sameRequest = db.prepare('SELECT 1 FROM inbox WHERE sender = ? AND request_id = ? AND kind = ? AND level IS ? LIMIT 1');
    this.recent = db.prepare('SELECT * FROM inbox WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  /** Stores a message; null if it is a copy of one already stored. */
  add(m: NewInboxMessage): InboxMessage | null {
    if (m.requestId !== 0 && this.sameRequest.get(m.from, m.requestId, m.kind, m.level)) return null;
    const r = this.insert.run(m);
    return r.changes > 0 ? { seq: Number(r.lastInsertRowid), ...m } : null;
  }

  /** Messages after `afterSeq`, oldest first. */
  since(afterSeq = 0, limit = 100): InboxMessage[] {
    return (this.recent.all(afterSeq, limit) as Row[]).map((r) => ({
      seq: r.seq,
      from: r.sender,
      to: r.dest,
      packetId: r.packet_id,
      requestId: r.request_id,
      kind: r.kind,
      level: r.level,
      text: r.text,
      rxMs: r.rx_ms,
      hops: r.hops,
      rssi: r.rssi,
      snr: r.snr,
      latitude: r.latitude,
      longitude: r.longitude,
    }));
  }
}
