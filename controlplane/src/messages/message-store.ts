// Downlink messages (hub -> mesh) and their delivery state:
//   queued (stored, no gateway has taken it yet) -> sent (a gateway queued it for the radio)
//   -> delivered (the node acknowledged it; for a broadcast: the mesh relayed it) | failed.

import type { DownlinkMessage, MessageStatus } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export type { DownlinkMessage, MessageStatus } from '@unibos/mesh-protocol';

interface MessageRow {
  id: string;
  org_id: string;
  to_node: string;
  kind: string;
  text: string;
  level: string | null;
  magnitude: number | null;
  status: string;
  gateways: string;
  packet_id: number | null;
  created_ms: number;
  updated_ms: number;
  created_by: string;
  error: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS downlink_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  to_node TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  level TEXT, magnitude REAL,
  status TEXT NOT NULL,
  gateways TEXT NOT NULL,
  packet_id INTEGER,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS downlink_org ON downlink_messages (org_id, seq);
CREATE INDEX IF NOT EXISTS downlink_packet ON downlink_messages (org_id, packet_id);
CREATE INDEX IF NOT EXISTS downlink_pending ON downlink_messages (status);`;

export class MessageStore {
  private readonly stmt;
  private readonly listQuery: FilteredQuery<MessageRow>;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM downlink_messages', 'ORDER BY seq DESC');
    this.stmt = {
      insert: db.prepare<{ id: string; org: string; to: string; kind: string; text: string; level: string | null; magnitude: number | null; gateways: string; t: number; by: string }>(
        `INSERT INTO downlink_messages (id, org_id, to_node, kind, text, level, magnitude, status, gateways, created_ms, updated_ms, created_by)
         VALUES (@id, @org, @to, @kind, @text, @level, @magnitude, 'queued', @gateways, @t, @t, @by)`,
      ),
      get: db.prepare<[string, string], MessageRow>('SELECT * FROM downlink_messages WHERE org_id = ? AND id = ?'),
      getById: db.prepare<[string], MessageRow>('SELECT * FROM downlink_messages WHERE id = ?'),
      byPacket: db.prepare<[string, number], MessageRow>("SELECT * FROM downlink_messages WHERE org_id = ? AND packet_id = ? AND status IN ('queued', 'sent') ORDER BY seq DESC LIMIT 1"),
      queuedFor: db.prepare<[string], MessageRow>("SELECT * FROM downlink_messages WHERE status = 'queued' AND org_id = ? ORDER BY seq"),
      queuedBroadcastsBefore: db.prepare<[number], MessageRow>("SELECT * FROM downlink_messages WHERE status = 'queued' AND to_node = 'broadcast' AND created_ms < ? ORDER BY seq"),
      update: db.prepare<[string, number | null, string | null, number, string]>('UPDATE downlink_messages SET status = ?, packet_id = COALESCE(?, packet_id), error = ?, updated_ms = ? WHERE id = ?'),
    };
  }

  add(orgId: string, m: { id: string; to: string; kind: 'text' | 'alert'; text: string; level: string | null; magnitude: number | null; gateways: string[]; createdBy: string; timeMs: number }): DownlinkMessage {
    this.stmt.insert.run({ id: m.id, org: orgId, to: m.to, kind: m.kind, text: m.text, level: m.level, magnitude: m.magnitude, gateways: JSON.stringify(m.gateways), t: m.timeMs, by: m.createdBy });
    return this.get(orgId, m.id)!;
  }

  get(orgId: string, id: string): DownlinkMessage | null {
    const row = this.stmt.get.get(orgId, id);
    return row ? toMessage(row) : null;
  }

  /** The org a message belongs to (a gateway's report names only the message). */
  orgOf(id: string): string | null {
    return this.stmt.getById.get(id)?.org_id ?? null;
  }

  byPacketId(orgId: string, packetId: number): DownlinkMessage | null {
    const row = this.stmt.byPacket.get(orgId, packetId);
    return row ? toMessage(row) : null;
  }

  /** Messages no gateway has taken yet (their gateways were offline), oldest first. */
  queued(orgId: string): Array<DownlinkMessage & { orgId: string }> {
    return this.stmt.queuedFor.all(orgId).map((r) => ({ ...toMessage(r), orgId: r.org_id }));
  }

  /** Broadcasts no gateway has taken yet, made before `ms`. */
  queuedBroadcastsBefore(ms: number): Array<DownlinkMessage & { orgId: string }> {
    return this.stmt.queuedBroadcastsBefore.all(ms).map((r) => ({ ...toMessage(r), orgId: r.org_id }));
  }

  setStatus(id: string, status: MessageStatus, timeMs: number, extra: { packetId?: number; error?: string } = {}): void {
    this.stmt.update.run(status, extra.packetId ?? null, extra.error ?? null, timeMs, id);
  }

  list(orgId: string, q: { to?: string; limit: number; before?: string }): DownlinkMessage[] {
    const filters = [['org_id = ?', orgId], ['to_node = ?', q.to || undefined], ['seq < (SELECT seq FROM downlink_messages WHERE id = ?)', q.before || undefined]] as const;
    return this.listQuery.all(filters, q.limit).map(toMessage);
  }
}

function toMessage(row: MessageRow): DownlinkMessage {
  return {
    id: row.id,
    to: row.to_node,
    kind: row.kind === 'alert' ? 'alert' : 'text',
    text: row.text,
    level: row.level,
    magnitude: row.magnitude,
    status: row.status as MessageStatus,
    gateways: JSON.parse(row.gateways) as string[],
    packetId: row.packet_id,
    createdAt: new Date(row.created_ms).toISOString(),
    updatedAt: new Date(row.updated_ms).toISOString(),
    createdBy: row.created_by,
    error: row.error,
  };
}
