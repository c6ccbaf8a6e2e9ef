// SOS and other alerts heard from the mesh, with their handling: open -> acknowledged -> resolved.
// A node's repeated SOS (it resends until a gateway answers) stays one open alert.

import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface HubAlert {
  id: number;
  nodeId: string;
  level: string;
  text: string;
  position: { latitude: number; longitude: number } | null;
  state: AlertState;
  raisedAt: string;
  lastHeardAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

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
}

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
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM alerts', 'ORDER BY id DESC');
    this.stmt = {
      openFor: db.prepare<[string, string, string], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND node_id = ? AND level = ? AND state != 'resolved' ORDER BY id DESC LIMIT 1"),
      insert: db.prepare<[string, string, string, string, number | null, number | null, number, number]>(
        "INSERT INTO alerts (org_id, node_id, level, text, lat, lon, state, raised_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
      ),
      touch: db.prepare<[number, number | null, number | null, number]>('UPDATE alerts SET last_ms = MAX(last_ms, ?), lat = COALESCE(?, lat), lon = COALESCE(?, lon) WHERE id = ?'),
      get: db.prepare<[string, number], AlertRow>('SELECT * FROM alerts WHERE org_id = ? AND id = ?'),
      ack: db.prepare<[number, string, string, number]>("UPDATE alerts SET state = 'acknowledged', ack_ms = ?, ack_by = ? WHERE org_id = ? AND id = ? AND state = 'open'"),
      resolve: db.prepare<[number, string, string, number]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ? WHERE org_id = ? AND id = ? AND state != 'resolved'"),
      resolveNode: db.prepare<[number, string, string, string]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ? WHERE org_id = ? AND node_id = ? AND level = 'SOS' AND state != 'resolved' RETURNING id"),
    };
  }

  /** A heard alert: a new open alert, or the node's still-open one of the same level touched. */
  raise(orgId: string, a: { nodeId: string; level: string; text: string; position: { latitude: number; longitude: number } | null; timeMs: number }): { alert: HubAlert; created: boolean } {
    const open = this.stmt.openFor.get(orgId, a.nodeId, a.level);
    if (open) {
      this.stmt.touch.run(a.timeMs, a.position?.latitude ?? null, a.position?.longitude ?? null, open.id);
      return { alert: this.get(orgId, open.id)!, created: false };
    }
    const id = Number(this.stmt.insert.run(orgId, a.nodeId, a.level, a.text, a.position?.latitude ?? null, a.position?.longitude ?? null, a.timeMs, a.timeMs).lastInsertRowid);
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

  acknowledge(orgId: string, id: number, by: string, timeMs: number): boolean {
    return this.stmt.ack.run(timeMs, by, orgId, id).changes > 0;
  }

  resolve(orgId: string, id: number, by: string, timeMs: number): boolean {
    return this.stmt.resolve.run(timeMs, by, orgId, id).changes > 0;
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
  };
}
