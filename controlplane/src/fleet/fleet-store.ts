// The fleet registry and its live state, per org: nodes and gateways (claimed or heard), which
// gateways hear each node, last position, battery and signal. SQLite, written per heard message.
// Each org has its own row for a device: a node heard by an org's gateways is listed there as
// "heard, unclaimed" (claimed = 0), however many orgs hear it; only the org that claimed it with
// the device's own keys (see device-credentials.ts) has it as claimed.

import type { DeviceKind, FleetNode, HeardBy, NodePosition } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';
import { FilteredQuery } from '../storage/filtered-query.ts';

export type { DeviceKind, FleetNode, HeardBy, NodePosition } from '@unibos/mesh-protocol';

export type Capabilities = FleetNode['capabilities'];

interface NodeRow {
  org_id: string;
  id: string;
  kind: string;
  name: string | null;
  claimed: number;
  online: number;
  last_seen_ms: number | null;
  battery: number | null;
  voltage: number | null;
  snr: number | null;
  rssi: number | null;
  lat: number | null;
  lon: number | null;
  alt: number | null;
  pos_ms: number | null;
  capabilities: string | null;
  created_ms: number;
}

interface HeardRow {
  node_id: string;
  gateway_id: string;
  rssi: number | null;
  snr: number | null;
  hops: number | null;
  last_seen_ms: number;
}

/** What one heard message tells about its sender. */
export interface Sighting {
  orgId: string;
  nodeId: string;
  kind?: DeviceKind;
  timeMs: number;
  gatewayId?: string;
  rssi?: number | null;
  snr?: number | null;
  hops?: number | null;
  /** False for a message that waited in a gateway's outbox past the offline limit: it says nothing about now. */
  fresh: boolean;
}

/** A claimed node's HTTP heartbeat. */
export interface Heartbeat {
  orgId: string;
  nodeId: string;
  kind: DeviceKind;
  timeMs: number;
  battery?: number;
  voltage?: number;
  position?: { latitude: number; longitude: number; altitudeM?: number | null };
  capabilities?: Partial<Capabilities>;
}

export interface NodeQuery {
  status?: 'online' | 'offline';
  kind?: DeviceKind;
  /** false: only nodes the org has heard but not claimed. */
  claimed?: boolean;
  limit: number;
  /** The last id of the previous page. */
  after?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_nodes (
  org_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('node', 'gateway')),
  name TEXT,
  claimed INTEGER NOT NULL DEFAULT 0,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER,
  battery REAL, voltage REAL, snr REAL, rssi REAL,
  lat REAL, lon REAL, alt REAL, pos_ms INTEGER,
  capabilities TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX IF NOT EXISTS fleet_nodes_online ON fleet_nodes (online, last_seen_ms);
CREATE TABLE IF NOT EXISTS fleet_heard_by (
  org_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  rssi REAL, snr REAL, hops INTEGER,
  last_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, node_id, gateway_id)
);`;

const DEFAULT_CAPABILITIES: Capabilities = { radio: true, gps: false, camera: false, modules: [] };

/** Heartbeats of nodes already online are written together at most this long after they came. */
const HEARTBEAT_FLUSH_MS = 1000;

export class FleetStore {
  private readonly stmt;
  /**
   * Heartbeats are liveness, not user data: a fleet beating every minute would cost an fsync per
   * beat. A beat from a node the store knows to be online is kept here and written with the others
   * in one transaction (within a second, before any read, and on close); a beat that brings a node
   * online is written at once. A crash loses at most a second of last-seen times.
   */
  private readonly pendingBeats = new Map<string, Heartbeat>();
  private readonly knownOnline = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly listQuery: FilteredQuery<NodeRow>;
  /** Say a node must be kept whatever the bound on heard nodes (one with an alert open). */
  readonly keepers: Array<(orgId: string, nodeId: string) => boolean> = [];
  /** Heard, unclaimed nodes forgotten to keep within the bound. */
  forgotten = 0;
  /** Told of each node forgotten (the fleet raises node.forgotten). */
  onForgotten: (orgId: string, nodeId: string) => void = () => undefined;

  constructor(
    private readonly db: HubDb,
    /** A timed flush that failed (storage); the beats stay held and are tried again. */
    private readonly onFlushError: (err: unknown) => void = () => undefined,
    /** Nodes heard but not claimed, kept per org; the least recently heard beyond it is forgotten. */
    private readonly maxHeard = Number.POSITIVE_INFINITY,
  ) {
    db.exec(SCHEMA);
    this.listQuery = new FilteredQuery(db, 'SELECT * FROM fleet_nodes', 'ORDER BY id');
    this.stmt = {
      get: db.prepare<[string, string], NodeRow>('SELECT * FROM fleet_nodes WHERE org_id = ? AND id = ?'),
      insert: db.prepare<[string, string, string, number]>(`INSERT OR IGNORE INTO fleet_nodes (org_id, id, kind, created_ms) VALUES (?, ?, ?, ?)`),
      seen: db.prepare<{ org: string; id: string; t: number; fresh: number; snr: number | null; rssi: number | null }>(
        `UPDATE fleet_nodes SET online = MAX(online, @fresh), last_seen_ms = MAX(COALESCE(last_seen_ms, 0), @t),
           snr = COALESCE(@snr, snr), rssi = COALESCE(@rssi, rssi) WHERE org_id = @org AND id = @id`,
      ),
      heard: db.prepare<{ org: string; id: string; gw: string; rssi: number | null; snr: number | null; hops: number | null; t: number }>(
        `INSERT INTO fleet_heard_by (org_id, node_id, gateway_id, rssi, snr, hops, last_seen_ms) VALUES (@org, @id, @gw, @rssi, @snr, @hops, @t)
         ON CONFLICT (org_id, node_id, gateway_id) DO UPDATE SET rssi = @rssi, snr = @snr, hops = @hops, last_seen_ms = MAX(last_seen_ms, @t)`,
      ),
      heardByRange: db.prepare<[string, string, string], HeardRow>('SELECT * FROM fleet_heard_by WHERE org_id = ? AND node_id BETWEEN ? AND ? ORDER BY last_seen_ms DESC'),
      heardByOf: db.prepare<[string, string], HeardRow>('SELECT * FROM fleet_heard_by WHERE org_id = ? AND node_id = ? ORDER BY last_seen_ms DESC'),
      gatewaysHearing: db.prepare<[string, string, number], { gateway_id: string }>(
        'SELECT gateway_id FROM fleet_heard_by WHERE org_id = ? AND node_id = ? AND last_seen_ms >= ? ORDER BY last_seen_ms DESC',
      ),
      // A position older than the one kept (a frame that waited in a gateway's outbox) is history, not where the node is.
      position: db.prepare<{ lat: number; lon: number; alt: number | null; t: number; org: string; id: string }>('UPDATE fleet_nodes SET lat = @lat, lon = @lon, alt = @alt, pos_ms = @t WHERE org_id = @org AND id = @id AND (pos_ms IS NULL OR pos_ms <= @t)'),
      power: db.prepare<[number | null, number | null, string, string]>('UPDATE fleet_nodes SET battery = COALESCE(?, battery), voltage = COALESCE(?, voltage) WHERE org_id = ? AND id = ?'),
      rename: db.prepare<[string | null, string, string]>('UPDATE fleet_nodes SET name = ? WHERE org_id = ? AND id = ?'),
      nameIfUnset: db.prepare<[string, string, string]>('UPDATE fleet_nodes SET name = ? WHERE org_id = ? AND id = ? AND (name IS NULL OR claimed = 0)'),
      caps: db.prepare<[string, string, string]>('UPDATE fleet_nodes SET capabilities = ? WHERE org_id = ? AND id = ?'),
      claim: db.prepare<[string, string, string]>('UPDATE fleet_nodes SET claimed = 1, kind = ? WHERE org_id = ? AND id = ?'),
      // Every unclaimed row, whatever kind it says: a heard frame can call itself a gateway.
      heardCount: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM fleet_nodes WHERE org_id = ? AND claimed = 0'),
      leastRecentlyHeard: db.prepare<[string, number], { id: string }>('SELECT id FROM fleet_nodes WHERE org_id = ? AND claimed = 0 ORDER BY COALESCE(last_seen_ms, created_ms), id LIMIT ?'),
      // A claimed device is what its claim proved; only a heard one is what its frames say.
      kind: db.prepare<[string, string, string]>('UPDATE fleet_nodes SET kind = ? WHERE org_id = ? AND id = ? AND claimed = 0'),
      remove: db.prepare<[string, string]>('DELETE FROM fleet_nodes WHERE org_id = ? AND id = ?'),
      removeHeard: db.prepare<[string, string, string]>('DELETE FROM fleet_heard_by WHERE org_id = ? AND (node_id = ? OR gateway_id = ?)'),
      stale: db.prepare<[number], NodeRow>('SELECT * FROM fleet_nodes WHERE online = 1 AND last_seen_ms < ?'),
      offline: db.prepare<[string, string, number]>('UPDATE fleet_nodes SET online = 0 WHERE org_id = ? AND id = ? AND last_seen_ms < ?'),
      setOffline: db.prepare<[string, string]>('UPDATE fleet_nodes SET online = 0 WHERE org_id = ? AND id = ?'),
      counts: db.prepare<[], { online: number; total: number }>('SELECT COALESCE(SUM(online), 0) AS online, COUNT(*) AS total FROM fleet_nodes'),
    };
  }

  get(orgId: string, id: string): FleetNode | null {
    this.flushHeartbeats();
    const row = this.stmt.get.get(orgId, id);
    return row ? this.toNode(row) : null;
  }

  /** Creates the node if the org does not know it yet; returns whether it was new. */
  ensure(orgId: string, id: string, kind: DeviceKind, nowMs: number): boolean {
    const created = this.stmt.insert.run(orgId, id, kind, nowMs).changes > 0;
    if (!created && kind === 'gateway') this.stmt.kind.run(kind, orgId, id);
    return created;
  }

  /**
   * Records that the node was heard (directly by a gateway, or by a heartbeat). Returns whether it
   * came back online with this (it was new or offline before).
   */
  sighting(s: Sighting): { created: boolean; cameOnline: boolean } {
    this.flushHeartbeats();
    const before = this.stmt.get.get(s.orgId, s.nodeId);
    const created = !before && this.ensure(s.orgId, s.nodeId, s.kind ?? 'node', s.timeMs);
    this.stmt.seen.run({ org: s.orgId, id: s.nodeId, t: s.timeMs, fresh: s.fresh ? 1 : 0, snr: s.snr ?? null, rssi: s.rssi ?? null });
    if (s.gatewayId) {
      this.stmt.heard.run({ org: s.orgId, id: s.nodeId, gw: s.gatewayId, rssi: s.rssi ?? null, snr: s.snr ?? null, hops: s.hops ?? null, t: s.timeMs });
    }
    if (s.fresh) this.knownOnline.add(key(s.orgId, s.nodeId));
    if (created) this.keepHeardWithinBound(s.orgId, s.nodeId);
    return { created, cameOnline: s.fresh && (created || before?.online === 0) };
  }

  /** Forgets the least recently heard unclaimed nodes beyond the bound (not `just`, nor any a keeper keeps). */
  private keepHeardWithinBound(orgId: string, just: string): void {
    const excess = (this.stmt.heardCount.get(orgId)?.n ?? 0) - this.maxHeard;
    if (excess <= 0) return;
    let left = excess;
    // A few more candidates than needed, for those a keeper keeps.
    for (const { id } of this.stmt.leastRecentlyHeard.all(orgId, excess + 16)) {
      if (left === 0) break;
      if (id === just || this.keepers.some((keep) => keep(orgId, id))) continue;
      this.remove(orgId, id);
      this.forgotten++;
      this.onForgotten(orgId, id);
      left--;
    }
  }

  /** A heartbeat; returns whether it brought the node online (then it is already written). */
  heartbeat(h: Heartbeat): { cameOnline: boolean } {
    const k = key(h.orgId, h.nodeId);
    if (this.knownOnline.has(k)) {
      const prev = this.pendingBeats.get(k);
      if (prev) absorb(prev, h);
      else this.pendingBeats.set(k, { ...h });
      this.flushTimer ??= setTimeout(() => this.timedFlush(), HEARTBEAT_FLUSH_MS).unref();
      return { cameOnline: false };
    }
    return { cameOnline: this.db.transaction(() => this.applyHeartbeat(h))() };
  }

  /** Writes the heartbeats held in memory, in one transaction; on failure they stay held. */
  flushHeartbeats(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingBeats.size === 0) return;
    // Taken out first: writing a beat reads the store, which would flush again.
    const beats = [...this.pendingBeats.entries()];
    this.pendingBeats.clear();
    try {
      this.db.transaction(() => beats.forEach(([, b]) => this.applyHeartbeat(b)))();
    } catch (err) {
      for (const [k, b] of beats) this.pendingBeats.set(k, b);
      throw err;
    }
  }

  private timedFlush(): void {
    try {
      this.flushHeartbeats();
    } catch (err) {
      this.onFlushError(err);
      this.flushTimer ??= setTimeout(() => this.timedFlush(), HEARTBEAT_FLUSH_MS).unref();
    }
  }

  private applyHeartbeat(h: Heartbeat): boolean {
    const { cameOnline } = this.sighting({ orgId: h.orgId, nodeId: h.nodeId, kind: h.kind, timeMs: h.timeMs, fresh: true });
    if (h.battery !== undefined || h.voltage !== undefined) this.setPower(h.orgId, h.nodeId, h.battery ?? null, h.voltage ?? null);
    if (h.position) this.setPosition(h.orgId, h.nodeId, { latitude: h.position.latitude, longitude: h.position.longitude, altitudeM: h.position.altitudeM ?? null, timeMs: h.timeMs });
    if (h.capabilities) this.setCapabilities(h.orgId, h.nodeId, h.capabilities);
    return cameOnline;
  }

  setPosition(orgId: string, id: string, p: { latitude: number; longitude: number; altitudeM: number | null; timeMs: number }): void {
    this.stmt.position.run({ lat: p.latitude, lon: p.longitude, alt: p.altitudeM, t: p.timeMs, org: orgId, id });
  }

  setPower(orgId: string, id: string, battery: number | null, voltage: number | null): void {
    this.stmt.power.run(battery, voltage, orgId, id);
  }

  /** A name the node announced itself; a name an admin gave a claimed node wins. */
  /** Names a node that has no name yet; true when this named it. */
  announceName(orgId: string, id: string, name: string): boolean {
    return this.stmt.nameIfUnset.run(name, orgId, id).changes > 0;
  }

  rename(orgId: string, id: string, name: string | null): void {
    this.stmt.rename.run(name, orgId, id);
  }

  setCapabilities(orgId: string, id: string, caps: Partial<Capabilities>): void {
    const current = this.get(orgId, id)?.capabilities ?? DEFAULT_CAPABILITIES;
    this.stmt.caps.run(JSON.stringify({ ...current, ...caps }), orgId, id);
  }

  /** The device proved it is `kind` (whatever heard frames called it). */
  markClaimed(orgId: string, id: string, kind: DeviceKind): void {
    this.stmt.claim.run(kind, orgId, id);
  }

  remove(orgId: string, id: string): boolean {
    this.flushHeartbeats();
    this.knownOnline.delete(key(orgId, id));
    const removed = this.stmt.remove.run(orgId, id).changes > 0;
    if (removed) this.stmt.removeHeard.run(orgId, id, id);
    return removed;
  }

  /** Gateways that heard the node since `sinceMs`, most recent first: where a downlink goes. */
  gatewaysHearing(orgId: string, id: string, sinceMs: number): string[] {
    this.flushHeartbeats();
    return this.stmt.gatewaysHearing.all(orgId, id, sinceMs).map((r) => r.gateway_id);
  }

  list(orgId: string, q: NodeQuery): FleetNode[] {
    this.flushHeartbeats();
    const status = q.status === undefined ? undefined : q.status === 'online' ? 1 : 0;
    const claimed = q.claimed === undefined ? undefined : q.claimed ? 1 : 0;
    const rows = this.listQuery.all([['org_id = ?', orgId], ['online = ?', status], ['kind = ?', q.kind], ['claimed = ?', claimed], ['id > ?', q.after]], q.limit);
    if (rows.length === 0) return [];
    // One query for the whole page's receptions, not one per node.
    const heard = new Map<string, HeardRow[]>();
    const first = rows[0]!.id;
    const last = rows[rows.length - 1]!.id;
    for (const h of this.stmt.heardByRange.all(orgId, first, last)) {
      const list = heard.get(h.node_id) ?? [];
      list.push(h);
      heard.set(h.node_id, list);
    }
    return rows.map((r) => this.toNode(r, heard.get(r.id) ?? []));
  }

  /** Marks nodes silent since before `cutoffMs` offline; returns them (org and id). */
  sweepOffline(cutoffMs: number): Array<{ orgId: string; id: string; lastSeenMs: number }> {
    this.flushHeartbeats();
    const gone: Array<{ orgId: string; id: string; lastSeenMs: number }> = [];
    const tx = this.db.transaction(() => {
      for (const row of this.stmt.stale.all(cutoffMs)) {
        if (this.stmt.offline.run(row.org_id, row.id, cutoffMs).changes > 0) gone.push({ orgId: row.org_id, id: row.id, lastSeenMs: row.last_seen_ms ?? 0 });
      }
    });
    tx();
    for (const g of gone) this.knownOnline.delete(key(g.orgId, g.id));
    return gone;
  }

  /** A gateway said it is going away (its last will): offline now, not after the silence. */
  setOffline(orgId: string, id: string): boolean {
    this.flushHeartbeats();
    this.knownOnline.delete(key(orgId, id));
    const row = this.stmt.get.get(orgId, id);
    if (!row || row.online === 0) return false;
    this.stmt.setOffline.run(orgId, id);
    return true;
  }

  counts(): { online: number; total: number } {
    this.flushHeartbeats();
    return this.stmt.counts.get() ?? { online: 0, total: 0 };
  }

  private toNode(row: NodeRow, heard: HeardRow[] = this.stmt.heardByOf.all(row.org_id, row.id)): FleetNode {
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: row.id,
      name: row.name,
      kind: row.kind === 'gateway' ? 'gateway' : 'node',
      online: row.online === 1,
      lastSeen: iso(row.last_seen_ms),
      battery: row.battery,
      voltage: row.voltage,
      snr: row.snr,
      rssi: row.rssi,
      position: row.lat !== null && row.lon !== null ? { latitude: row.lat, longitude: row.lon, altitudeM: row.alt, time: iso(row.pos_ms) ?? '' } : null,
      capabilities: row.capabilities ? { ...DEFAULT_CAPABILITIES, ...(JSON.parse(row.capabilities) as Partial<Capabilities>) } : { ...DEFAULT_CAPABILITIES },
      heardBy: heard.map((h) => ({ gatewayId: h.gateway_id, rssi: h.rssi, snr: h.snr, hops: h.hops, lastSeen: new Date(h.last_seen_ms).toISOString() })),
      claimed: row.claimed === 1,
    };
  }
}

function key(orgId: string, id: string): string {
  return `${orgId}\u0000${id}`;
}

/** A later heartbeat into an earlier one still waiting: what the later one omits, the earlier one keeps. */
function absorb(into: Heartbeat, next: Heartbeat): void {
  into.timeMs = next.timeMs;
  if (next.battery !== undefined) into.battery = next.battery;
  if (next.voltage !== undefined) into.voltage = next.voltage;
  if (next.position !== undefined) into.position = next.position;
  if (next.capabilities !== undefined) into.capabilities = { ...into.capabilities, ...next.capabilities };
}
