// What the mesh said, one record per frame however many gateways heard it: a record keyed by
// (org, sender, packet id) with one reception row per gateway (RSSI, SNR, hops), as a LoRaWAN
// network server keeps one uplink with its gateways' metadata.

import type { MeshRecord, Reception } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export type { MeshRecord, Reception } from '@unibos/mesh-protocol';

export interface RecordQuery {
  nodeId?: string;
  kind?: string;
  fromMs?: number;
  toMs?: number;
  limit: number;
  /** Records with an id below this (the previous page's last id): newest first. */
  before?: number;
}

interface RecordRow {
  id: number;
  node_id: string;
  kind: string;
  packet_id: number;
  time_ms: number;
  data: string;
  node_name: string | null;
}

interface ReceptionRow {
  record_id: number;
  gateway_id: string;
  rssi: number | null;
  snr: number | null;
  hops: number | null;
  time_ms: number;
}

/** Packet ids repeat after a while (32-bit, random): copies further apart than this are new frames. */
const SAME_FRAME_WITHIN_MS = 60 * 60_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mesh_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  packet_id INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  data TEXT NOT NULL,
  node_name TEXT
);
CREATE INDEX IF NOT EXISTS mesh_records_frame ON mesh_records (org_id, node_id, packet_id, time_ms);
CREATE INDEX IF NOT EXISTS mesh_records_org ON mesh_records (org_id, id);
CREATE INDEX IF NOT EXISTS mesh_records_kind ON mesh_records (org_id, kind, id);
CREATE INDEX IF NOT EXISTS mesh_records_node ON mesh_records (org_id, node_id, id);
CREATE TABLE IF NOT EXISTS mesh_receptions (
  record_id INTEGER NOT NULL REFERENCES mesh_records (id) ON DELETE CASCADE,
  gateway_id TEXT NOT NULL,
  rssi REAL, snr REAL, hops INTEGER,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (record_id, gateway_id)
);`;

export class RecordStore {
  private readonly stmt;
  private readonly listQuery: FilteredQuery<RecordRow>;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    // Hubs from before records kept their sender's name: the column is added, old rows stay null.
    if (!(db.prepare('PRAGMA table_info(mesh_records)').all() as Array<{ name: string }>).some((c) => c.name === 'node_name')) db.exec('ALTER TABLE mesh_records ADD COLUMN node_name TEXT');
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM mesh_records', 'ORDER BY id DESC');
    this.stmt = {
      find: db.prepare<[string, string, number, number], { id: number }>('SELECT id FROM mesh_records WHERE org_id = ? AND node_id = ? AND packet_id = ? AND time_ms >= ? ORDER BY id DESC LIMIT 1'),
      insert: db.prepare<[string, string, string, number, number, string, string | null]>('INSERT INTO mesh_records (org_id, node_id, kind, packet_id, time_ms, data, node_name) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      reception: db.prepare<[number, string, number | null, number | null, number | null, number]>(
        'INSERT OR IGNORE INTO mesh_receptions (record_id, gateway_id, rssi, snr, hops, time_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare<[string, number], RecordRow>('SELECT * FROM mesh_records WHERE org_id = ? AND id = ?'),
      receptions: db.prepare<[number], ReceptionRow>('SELECT * FROM mesh_receptions WHERE record_id = ? ORDER BY time_ms, gateway_id'),
    };
  }

  /**
   * Stores one gateway's copy of a frame. The first copy creates the record; later copies (other
   * gateways, or the same gateway again) add or keep a reception. Returns the record id and
   * whether this copy created it. `nodeName` is what the sender was called when the frame came in.
   */
  add(orgId: string, r: { nodeId: string; nodeName?: string | null; kind: string; packetId: number; timeMs: number; data: Record<string, unknown>; reception: Omit<Reception, 'time'> & { timeMs: number } }): { id: number; created: boolean } {
    const existing = this.stmt.find.get(orgId, r.nodeId, r.packetId, r.timeMs - SAME_FRAME_WITHIN_MS);
    const id = existing?.id ?? Number(this.stmt.insert.run(orgId, r.nodeId, r.kind, r.packetId, r.timeMs, JSON.stringify(r.data), r.nodeName ?? null).lastInsertRowid);
    const rc = r.reception;
    this.stmt.reception.run(id, rc.gatewayId, rc.rssi, rc.snr, rc.hops, rc.timeMs);
    return { id, created: !existing };
  }

  get(orgId: string, id: number): MeshRecord | null {
    const row = this.stmt.get.get(orgId, id);
    return row ? this.toRecord(row) : null;
  }

  query(orgId: string, q: RecordQuery): MeshRecord[] {
    const filters = [['org_id = ?', orgId], ['node_id = ?', q.nodeId], ['kind = ?', q.kind], ['time_ms >= ?', q.fromMs], ['time_ms < ?', q.toMs], ['id < ?', q.before]] as const;
    return this.listQuery.all(filters, q.limit).map((r) => this.toRecord(r));
  }

  private toRecord(row: RecordRow): MeshRecord {
    return {
      id: row.id,
      nodeId: row.node_id,
      nodeName: row.node_name ?? null,
      kind: row.kind,
      packetId: row.packet_id,
      time: new Date(row.time_ms).toISOString(),
      data: JSON.parse(row.data) as Record<string, unknown>,
      receptions: this.stmt.receptions.all(row.id).map((x) => ({ gatewayId: x.gateway_id, rssi: x.rssi, snr: x.snr, hops: x.hops, time: new Date(x.time_ms).toISOString() })),
    };
  }
}
