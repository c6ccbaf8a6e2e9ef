// SOS and other alerts heard from the mesh, with their handling: open -> acknowledged -> resolved.
// A node's repeated SOS (it resends until a gateway answers) stays one open alert. For an SOS the
// store also keeps what the node is told back: its request id and the stages with their times.

import type { AlertStage, AlertState, HubAlert } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export type { AlertStage, AlertState, HubAlert } from '@unibos/mesh-protocol';

interface AlertRow {
  id: number;
  org_id: string;
  node_id: string;
  level: string;
  text: string;
  lat: number | null;
  lon: number | null;
  state: string;
  raised_ms: number;
  last_ms: number;
  ack_ms: number | null;
  ack_by: string | null;
  resolved_ms: number | null;
  resolved_by: string | null;
  request_id: number | null;
  hub_ms: number | null;
  ack_note: string | null;
  ack_name: string | null;
  resolved_name: string | null;
}

/** Columns added after the first release, for databases created before them. */
const ADDED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['request_id', 'INTEGER'],
  ['hub_ms', 'INTEGER'],
  ['ack_note', 'TEXT'],
  ['ack_name', 'TEXT'],
  ['resolved_name', 'TEXT'],
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  level TEXT NOT NULL,
  text TEXT NOT NULL,
  lat REAL, lon REAL,
  state TEXT NOT NULL,
  raised_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  ack_ms INTEGER, ack_by TEXT,
  resolved_ms INTEGER, resolved_by TEXT
);
CREATE INDEX IF NOT EXISTS alerts_org_state ON alerts (org_id, state, id);
CREATE INDEX IF NOT EXISTS alerts_node ON alerts (org_id, node_id, level, state);`;

export class AlertStore {
  private readonly stmt;
  private readonly listQuery: FilteredQuery<AlertRow>;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    const have = new Set((db.prepare('PRAGMA table_info(alerts)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE alerts ADD COLUMN ${name} ${type}`);
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM alerts', 'ORDER BY id DESC');
    this.stmt = {
      openFor: db.prepare<[string, string, string], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND node_id = ? AND level = ? AND state != 'resolved' ORDER BY id DESC LIMIT 1"),
      insert: db.prepare<[string, string, string, string, number | null, number | null, number, number, number | null, number]>(
        "INSERT INTO alerts (org_id, node_id, level, text, lat, lon, state, raised_ms, last_ms, request_id, hub_ms) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
      ),
      // A node that raises a new SOS while its last one is still open: the stages answer the newest request id.
      touch: db.prepare<[number, number | null, number | null, number | null, number]>('UPDATE alerts SET last_ms = MAX(last_ms, ?), lat = COALESCE(?, lat), lon = COALESCE(?, lon), request_id = COALESCE(?, request_id) WHERE id = ?'),
      get: db.prepare<[string, number], AlertRow>('SELECT * FROM alerts WHERE org_id = ? AND id = ?'),
      ack: db.prepare<[number, string, string | null, string | null, string, number]>("UPDATE alerts SET state = 'acknowledged', ack_ms = ?, ack_by = ?, ack_name = ?, ack_note = ? WHERE org_id = ? AND id = ? AND state = 'open'"),
      resolve: db.prepare<[number, string, string | null, string, number]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ?, resolved_name = ? WHERE org_id = ? AND id = ? AND state != 'resolved'"),
      recentSos: db.prepare<[string, number], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND level = 'SOS' AND request_id IS NOT NULL AND (state != 'resolved' OR resolved_ms >= ?) ORDER BY id"),
      resolveNode: db.prepare<[number, string, string, string]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ? WHERE org_id = ? AND node_id = ? AND level = 'SOS' AND state != 'resolved' RETURNING id"),
    };
  }

  /** A heard alert: a new open alert, or the node's still-open one of the same level touched. */
  raise(orgId: string, a: { nodeId: string; level: string; text: string; position: { latitude: number; longitude: number } | null; timeMs: number; requestId?: number | null; hubMs?: number }): { alert: HubAlert; created: boolean } {
    const requestId = a.requestId && a.requestId > 0 ? a.requestId : null;
    const open = this.stmt.openFor.get(orgId, a.nodeId, a.level);
    if (open) {
      this.stmt.touch.run(a.timeMs, a.position?.latitude ?? null, a.position?.longitude ?? null, requestId, open.id);
      return { alert: this.get(orgId, open.id)!, created: false };
    }
    const id = Number(this.stmt.insert.run(orgId, a.nodeId, a.level, a.text, a.position?.latitude ?? null, a.position?.longitude ?? null, a.timeMs, a.timeMs, requestId, a.hubMs ?? a.timeMs).lastInsertRowid);
    return { alert: this.get(orgId, id)!, created: true };
  }

  /** "I am safe" from the node ends its SOS. Returns the ids resolved. */
  resolveSos(orgId: string, nodeId: string, by: string, timeMs: number): number[] {
    return (this.stmt.resolveNode.all(timeMs, by, orgId, nodeId) as Array<{ id: number }>).map((r) => r.id);
  }

  get(orgId: string, id: number): HubAlert | null {
    const row = this.stmt.get.get(orgId, id);
    return row ? toAlert(row) : null;
  }

  /** `by` names the account (user:..., apiKey:...); `name` is what people and the node are shown. */
  acknowledge(orgId: string, id: number, by: string, timeMs: number, extra: { name?: string | null; note?: string | null } = {}): boolean {
    return this.stmt.ack.run(timeMs, by, extra.name ?? null, extra.note ?? null, orgId, id).changes > 0;
  }

  resolve(orgId: string, id: number, by: string, timeMs: number, extra: { name?: string | null } = {}): boolean {
    return this.stmt.resolve.run(timeMs, by, extra.name ?? null, orgId, id).changes > 0;
  }

  /** SOS alerts whose node may still need its stage: open ones, and ones resolved since `resolvedSinceMs`. */
  recentSos(orgId: string, resolvedSinceMs: number): HubAlert[] {
    return this.stmt.recentSos.all(orgId, resolvedSinceMs).map(toAlert);
  }

  list(orgId: string, q: { state?: AlertState; limit: number; before?: number }): HubAlert[] {
    return this.listQuery.all([['org_id = ?', orgId], ['state = ?', q.state], ['id < ?', q.before]], q.limit).map(toAlert);
  }
}

function toAlert(row: AlertRow): HubAlert {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    nodeId: row.node_id,
    level: row.level,
    text: row.text,
    position: row.lat !== null && row.lon !== null ? { latitude: row.lat, longitude: row.lon } : null,
    state: row.state as AlertState,
    raisedAt: iso(row.raised_ms)!,
    lastHeardAt: iso(row.last_ms)!,
    acknowledgedAt: iso(row.ack_ms),
    acknowledgedBy: row.ack_by,
    resolvedAt: iso(row.resolved_ms),
    resolvedBy: row.resolved_by,
    requestId: row.request_id,
    receivedAt: iso(row.hub_ms),
    acknowledgedNote: row.ack_note,
    stages: stagesOf(row),
  };
}

function stagesOf(row: AlertRow): AlertStage[] {
  const stages: AlertStage[] = [{ stage: 'gateway', at: new Date(row.raised_ms).toISOString(), by: null }];
  if (row.hub_ms !== null) stages.push({ stage: 'hub', at: new Date(row.hub_ms).toISOString(), by: null });
  if (row.ack_ms !== null) stages.push({ stage: 'acknowledged', at: new Date(row.ack_ms).toISOString(), by: row.ack_name ?? row.ack_by });
  if (row.resolved_ms !== null) stages.push({ stage: 'resolved', at: new Date(row.resolved_ms).toISOString(), by: row.resolved_name ?? row.resolved_by });
  return stages;
}
