// SOS and other alerts heard from the mesh, with their handling: open -> acknowledged -> resolved.
// A node's repeated SOS (it resends until a gateway answers) stays one alert: copies carry the same
// request id. A new request id is a new SOS: the node's open one is closed as superseded (by the
// node, with a note saying so). For an SOS the store also keeps what the node is told back: its
// request id and the stages with their times.

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
  resolved_note: string | null;
}

/** Columns added after the first release, for databases created before them. */
const ADDED_COLUMNS: ReadonlyArray<[string, string]> = [
  ['request_id', 'INTEGER'],
  ['hub_ms', 'INTEGER'],
  ['ack_note', 'TEXT'],
  ['ack_name', 'TEXT'],
  ['resolved_name', 'TEXT'],
  ['resolved_note', 'TEXT'],
];

/** Why an SOS was closed without anyone resolving it. */
export const SUPERSEDED_NOTE = 'superseded by a new SOS';
export const ENDED_UNHEARD_NOTE = '"I am safe" heard; the SOS itself never reached the hub';

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

type RaiseInput = { nodeId: string; level: string; text: string; position: { latitude: number; longitude: number } | null; timeMs: number; requestId?: number | null; hubMs?: number };

export class AlertStore {
  private readonly stmt;
  private readonly listQuery: FilteredQuery<AlertRow>;
  private readonly raiseOnce: (orgId: string, a: RaiseInput) => { id: number; created: boolean; supersededIds?: number[] };

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    const have = new Set((db.prepare('PRAGMA table_info(alerts)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE alerts ADD COLUMN ${name} ${type}`);
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM alerts', 'ORDER BY id DESC');
    this.stmt = {
      openFor: db.prepare<[string, string, string], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND node_id = ? AND level = ? AND state != 'resolved' ORDER BY id DESC LIMIT 1"),
      anyOpen: db.prepare<[string, string], { one: number }>("SELECT 1 AS one FROM alerts WHERE org_id = ? AND node_id = ? AND state != 'resolved' LIMIT 1"),
      insert: db.prepare<[string, string, string, string, number | null, number | null, number, number, number | null, number]>(
        "INSERT INTO alerts (org_id, node_id, level, text, lat, lon, state, raised_ms, last_ms, request_id, hub_ms) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
      ),
      // Another copy (or an older row without a request id: the stages answer the newest request id).
      // Copies arrive out of order (one waited in a gateway's outbox): the position is the newest
      // copy's, never a late one's from where the person was before, and the alert was raised when
      // its first copy was heard. (SET reads the row as it was before the update.)
      touch: db.prepare<{ t: number; lat: number | null; lon: number | null; requestId: number | null; id: number }>(
        `UPDATE alerts SET last_ms = MAX(last_ms, @t), raised_ms = MIN(raised_ms, @t),
           lat = CASE WHEN @lat IS NOT NULL AND @lon IS NOT NULL AND (@t >= last_ms OR lat IS NULL) THEN @lat ELSE lat END,
           lon = CASE WHEN @lat IS NOT NULL AND @lon IS NOT NULL AND (@t >= last_ms OR lon IS NULL) THEN @lon ELSE lon END,
           request_id = COALESCE(@requestId, request_id) WHERE id = @id`,
      ),
      get: db.prepare<[string, number], AlertRow>('SELECT * FROM alerts WHERE org_id = ? AND id = ?'),
      ack: db.prepare<[number, string, string | null, string | null, string, number]>("UPDATE alerts SET state = 'acknowledged', ack_ms = ?, ack_by = ?, ack_name = ?, ack_note = ? WHERE org_id = ? AND id = ? AND state = 'open'"),
      resolve: db.prepare<[number, string, string | null, string, number]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ?, resolved_name = ? WHERE org_id = ? AND id = ? AND state != 'resolved'"),
      recentSos: db.prepare<[string, number], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND level = 'SOS' AND request_id IS NOT NULL AND (state != 'resolved' OR resolved_ms >= ?) ORDER BY id"),
      openSos: db.prepare<[string, string], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND node_id = ? AND level = 'SOS' AND request_id IS NOT NULL AND state != 'resolved' ORDER BY id"),
      sosByRequest: db.prepare<[string, string, number], AlertRow>("SELECT * FROM alerts WHERE org_id = ? AND node_id = ? AND level = 'SOS' AND request_id = ? ORDER BY id DESC LIMIT 1"),
      closeWithNote: db.prepare<[number, string, string, number]>("UPDATE alerts SET state = 'resolved', resolved_ms = ?, resolved_by = ?, resolved_note = ? WHERE id = ? AND state != 'resolved'"),
      insertEnded: db.prepare<[string, string, string, number | null, number | null, number, number, number, number, number, string, string]>(
        "INSERT INTO alerts (org_id, node_id, level, text, lat, lon, state, raised_ms, last_ms, request_id, hub_ms, resolved_ms, resolved_by, resolved_note) VALUES (?, ?, 'SOS', ?, ?, ?, 'resolved', ?, ?, ?, ?, ?, ?, ?)",
      ),
      // "I am safe" heard at @t ends only SOS raised by then: a gateway's outbox sends an SOS ahead of
      // the answers queued before it, so one naming no SOS (older firmware) can arrive after a new SOS.
      resolveNode: db.prepare<{ t: number; by: string; orgId: string; nodeId: string }>("UPDATE alerts SET state = 'resolved', resolved_ms = @t, resolved_by = @by WHERE org_id = @orgId AND node_id = @nodeId AND level = 'SOS' AND state != 'resolved' AND raised_ms <= @t RETURNING id"),
      resolveRequest: db.prepare<{ t: number; by: string; orgId: string; nodeId: string; requestId: number }>("UPDATE alerts SET state = 'resolved', resolved_ms = @t, resolved_by = @by WHERE org_id = @orgId AND node_id = @nodeId AND level = 'SOS' AND state != 'resolved' AND (request_id = @requestId OR (request_id IS NULL AND raised_ms <= @t)) RETURNING id"),
    };
    // Closing the superseded SOS and opening the new one land together or not at all.
    this.raiseOnce = db.transaction((orgId: string, a: RaiseInput) => this.raiseRow(orgId, a));
  }

  /** Whether the node has an alert not resolved yet (any level). */
  hasOpen(orgId: string, nodeId: string): boolean {
    return this.stmt.anyOpen.get(orgId, nodeId) !== undefined;
  }

  /**
   * A heard alert: a copy of an SOS already stored (same request id, whatever its state) or the
   * node's still-open alert of the same level is touched; anything else is a new open alert. A new
   * SOS request id closes the node's open SOS first (returned as `superseded`), unless it was heard
   * before one of them: then it opens beside them.
   */
  raise(orgId: string, a: RaiseInput): { alert: HubAlert; created: boolean; superseded: HubAlert[] } {
    const { id, created, supersededIds = [] } = this.raiseOnce(orgId, a);
    const superseded = supersededIds.flatMap((s) => this.get(orgId, s) ?? []);
    return { alert: this.get(orgId, id)!, created, superseded };
  }

  private raiseRow(orgId: string, a: RaiseInput): { id: number; created: boolean; supersededIds?: number[] } {
    const requestId = a.requestId && a.requestId > 0 ? a.requestId : null;
    const lat = a.position?.latitude ?? null;
    const lon = a.position?.longitude ?? null;
    // A late copy of an SOS that was since resolved (or superseded) must not reopen it.
    const same = requestId !== null && a.level === 'SOS' ? this.stmt.sosByRequest.get(orgId, a.nodeId, requestId) : undefined;
    if (same) {
      this.stmt.touch.run({ t: a.timeMs, lat, lon, requestId, id: same.id });
      return { id: same.id, created: false };
    }
    const open = this.stmt.openFor.get(orgId, a.nodeId, a.level);
    const supersededIds: number[] = [];
    if (open) {
      // Without request ids on both sides (older firmware), copies cannot be told from new SOS.
      if (requestId === null || open.request_id === null || a.level !== 'SOS') {
        this.stmt.touch.run({ t: a.timeMs, lat, lon, requestId, id: open.id });
        return { id: open.id, created: false };
      }
      // A new SOS ends the node's older ones. One heard before an SOS still open (it waited in a
      // gateway's outbox, or that gateway's clock is behind) ends nothing: it opens beside it, for
      // people to judge, rather than closing the SOS the node may be in now.
      const older = this.stmt.openSos.all(orgId, a.nodeId);
      if (older.every((o) => o.raised_ms <= a.timeMs)) {
        for (const o of older) {
          this.stmt.closeWithNote.run(a.timeMs, a.nodeId, SUPERSEDED_NOTE, o.id);
          supersededIds.push(o.id);
        }
      }
    }
    const id = Number(this.stmt.insert.run(orgId, a.nodeId, a.level, a.text, lat, lon, a.timeMs, a.timeMs, requestId, a.hubMs ?? a.timeMs).lastInsertRowid);
    return { id, created: true, supersededIds };
  }

  /** The node's SOS with this request id, in any state. */
  sosByRequest(orgId: string, nodeId: string, requestId: number): HubAlert | null {
    const row = this.stmt.sosByRequest.get(orgId, nodeId, requestId);
    return row ? toAlert(row) : null;
  }

  /**
   * "I am safe" for an SOS the hub never stored (its copies were lost): kept as an SOS the node
   * raised and ended, so the admin sees it happened and the node can be told `resolved`.
   */
  endedUnheard(orgId: string, a: { nodeId: string; text: string; position: { latitude: number; longitude: number } | null; timeMs: number; requestId: number; hubMs: number }): HubAlert {
    const id = Number(
      this.stmt.insertEnded.run(orgId, a.nodeId, a.text, a.position?.latitude ?? null, a.position?.longitude ?? null, a.timeMs, a.timeMs, a.requestId, a.hubMs, a.timeMs, a.nodeId, ENDED_UNHEARD_NOTE).lastInsertRowid,
    );
    return this.get(orgId, id)!;
  }

  /**
   * "I am safe" from the node ends its SOS. Returns the ids resolved. Naming a request id, it ends
   * only that SOS (and any stored without a request id): a late copy for an earlier SOS must not end
   * the SOS the node is in now. (An older SOS that arrived late stays for people to close: gateway
   * clocks cannot tell it from a newer one.) Without one (older firmware), every open SOS raised by
   * the time it was heard: an SOS heard after it, which overtook it in a gateway's outbox, stays open.
   */
  resolveSos(orgId: string, nodeId: string, by: string, timeMs: number, requestId: number | null = null): number[] {
    const rows = requestId !== null && requestId > 0 ? this.stmt.resolveRequest.all({ t: timeMs, by, orgId, nodeId, requestId }) : this.stmt.resolveNode.all({ t: timeMs, by, orgId, nodeId });
    return (rows as Array<{ id: number }>).map((r) => r.id);
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
    resolvedNote: row.resolved_note,
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
