// The node database: every node heard on the mesh, with when, how far (hops), how well (SNR,
// RSSI), where (its last position beacon) and what it said about itself (names, role, battery).
// It holds at most `capacity` peers: beyond that the least recently heard is forgotten, except a
// gateway (the way out to the hub) and a peer with an open SOS (someone may be coming for them).

import type { Data } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

/** Nodes remembered; the least recently heard beyond this are forgotten (festival and city meshes reach this). */
export const MAX_PEERS = 2000;

export interface Peer {
  nodeId: number;
  longName: string | null;
  shortName: string | null;
  role: string | null;
  lastHeardMs: number;
  /** 1 = heard directly, 2 = through one relay, ... */
  hops: number;
  snr: number | null;
  rssi: number | null;
  latitude: number | null;
  longitude: number | null;
  altitudeM: number | null;
  positionMs: number | null;
  batteryLevel: number | null;
  voltage: number | null;
  /** It raised an SOS and has not said it is safe since. */
  sosOpen: boolean;
}

interface Row {
  node_id: number;
  long_name: string | null;
  short_name: string | null;
  role: string | null;
  last_heard_ms: number;
  hops_away: number;
  snr: number | null;
  rssi: number | null;
  latitude: number | null;
  longitude: number | null;
  altitude_m: number | null;
  position_ms: number | null;
  battery_level: number | null;
  voltage: number | null;
  sos_open: number;
}

export interface PeerStoreOptions {
  /** Most peers kept (default MAX_PEERS). */
  capacity?: number;
}

export class PeerStore {
  readonly capacity: number;
  /** New peers not stored because every peer held was a gateway or had an open SOS. */
  refused = 0;
  private readonly touch;
  private readonly exists;
  private readonly setInfo;
  private readonly setPosition;
  private readonly setNewerPosition;
  private readonly setTelemetry;
  private readonly list;
  private readonly setSos;
  private readonly countAll;
  private readonly evict;
  private readonly forget;
  private count: number;
  /** One transaction per heard frame: one disk sync instead of one per statement. */
  private readonly update: (nodeId: number, relays: number, snr: number, rssi: number, data: Data, nowMs: number) => 'new' | 'renamed' | null;

  constructor(db: Db, options: PeerStoreOptions = {}) {
    this.capacity = options.capacity ?? MAX_PEERS;
    if (!(Number.isInteger(this.capacity) && this.capacity >= 1)) throw new RangeError(`peer capacity must be a whole number >= 1, got ${this.capacity}`);
    this.touch = db.prepare(`INSERT INTO peers (node_id, last_heard_ms, hops_away, snr, rssi) VALUES (@nodeId, @now, @hops, @snr, @rssi)
      ON CONFLICT(node_id) DO UPDATE SET last_heard_ms = excluded.last_heard_ms, hops_away = excluded.hops_away,
        snr = COALESCE(excluded.snr, peers.snr), rssi = COALESCE(excluded.rssi, peers.rssi)`);
    this.exists = db.prepare('SELECT long_name AS name, role FROM peers WHERE node_id = ?');
    this.setInfo = db.prepare('UPDATE peers SET long_name = ?, short_name = ?, role = ? WHERE node_id = ?');
    this.setPosition = db.prepare('UPDATE peers SET latitude = ?, longitude = ?, altitude_m = ?, position_ms = ? WHERE node_id = ?');
    this.setNewerPosition = db.prepare('UPDATE peers SET latitude = ?, longitude = ?, altitude_m = ?, position_ms = ? WHERE node_id = ? AND (position_ms IS NULL OR latitude IS NULL OR position_ms < ?)');
    this.setTelemetry = db.prepare('UPDATE peers SET battery_level = ?, voltage = ? WHERE node_id = ?');
    this.list = db.prepare('SELECT * FROM peers ORDER BY hops_away, last_heard_ms DESC');
    this.setSos = db.prepare('UPDATE peers SET sos_open = ? WHERE node_id = ?');
    this.countAll = db.prepare('SELECT COUNT(*) AS n FROM peers');
    this.evict = db.prepare(`DELETE FROM peers WHERE node_id IN (SELECT node_id FROM peers
      WHERE sos_open = 0 AND (role IS NULL OR role <> 'GATEWAY') AND node_id <> ? ORDER BY last_heard_ms, node_id LIMIT ?)`);
    this.forget = db.prepare('DELETE FROM peers WHERE node_id = ?');
    this.count = (this.countAll.get() as { n: number }).n;
    this.update = db.transaction((...args: Parameters<PeerStore['heard']>) => this.updateOnce(...args));
  }

  /**
   * A frame from `nodeId` arrived after `relays` relays. Says whether this node is new to us, or
   * told us a new name or role, so the node loop can log it.
   */
  heard(nodeId: number, relays: number, snr: number, rssi: number, data: Data, nowMs: number): 'new' | 'renamed' | null {
    const { count, refused } = this;
    try {
      return this.update(nodeId, relays, snr, rssi, data, nowMs);
    } catch (err) {
      // The transaction was rolled back (a full disk): so are the counts, or every later eviction would forget peers for nothing.
      this.count = count;
      this.refused = refused;
      throw err;
    }
  }

  private updateOnce(nodeId: number, relays: number, snr: number, rssi: number, data: Data, nowMs: number): 'new' | 'renamed' | null {
    const before = this.exists.get(nodeId) as { name: string | null; role: string | null } | undefined;
    // SNR and RSSI describe the link to us: a relayed copy says nothing about it.
    this.touch.run({ nodeId, now: nowMs, hops: relays + 1, snr: relays === 0 ? snr : null, rssi: relays === 0 ? rssi : null });
    const info = data.nodeInfo;
    if (info) this.setInfo.run(info.longName, info.shortName, info.role, nodeId);
    const p = data.position;
    if (p && (p.latitudeI !== 0 || p.longitudeI !== 0)) {
      this.setPosition.run(p.latitudeI / 1e7, p.longitudeI / 1e7, p.altitudeM, p.time > 0 ? p.time * 1000 : nowMs, nodeId);
    }
    // An SOS (or "I am safe") carries where its sender is: the peer is shown there, unless a
    // position beacon already said something newer (a late copy must not move them back).
    const ap = data.alert?.position;
    if (!p && ap && (ap.latitudeI !== 0 || ap.longitudeI !== 0)) {
      const at = ap.time > 0 ? ap.time * 1000 : nowMs;
      this.setNewerPosition.run(ap.latitudeI / 1e7, ap.longitudeI / 1e7, ap.altitudeM, at, nodeId, at);
    }
    const t = data.telemetry;
    if (t) this.setTelemetry.run(t.batteryLevel || null, t.voltage || null, nodeId);
    // An SOS stays open until the same node says it is safe. Only a node's own SOS opens one: it
    // asks for an answer under a request id (sos.ts); an SOS-level alert a hub or gateway broadcasts
    // to everyone (sendAlert) carries neither, and says nothing about its sender needing help.
    const level = data.alert?.level;
    if (level === 'SOS' && data.wantResponse && data.requestId) this.setSos.run(1, nodeId);
    else if (level === 'SAFE') this.setSos.run(0, nodeId);
    if (!before) {
      // Anyone on a public channel can invent node ids: keep the most recently heard, not all.
      this.count++;
      if (this.count > this.capacity) this.count -= this.evict.run(nodeId, this.count - this.capacity).changes;
      if (this.count > this.capacity) {
        // Every peer held is protected: the newcomer is the one not remembered.
        this.forget.run(nodeId);
        this.count--;
        this.refused++;
        return null;
      }
      return 'new';
    }
    return info && (info.longName !== before.name || info.role !== before.role) ? 'renamed' : null;
  }

  /** Whether `nodeId` was ever heard on the air (and is still remembered). */
  has(nodeId: number): boolean {
    return this.exists.get(nodeId) !== undefined;
  }

  all(): Peer[] {
    return (this.list.all() as Row[]).map((r) => ({
      nodeId: r.node_id,
      longName: r.long_name,
      shortName: r.short_name,
      role: r.role,
      lastHeardMs: r.last_heard_ms,
      hops: r.hops_away,
      snr: r.snr,
      rssi: r.rssi,
      latitude: r.latitude,
      longitude: r.longitude,
      altitudeM: r.altitude_m,
      positionMs: r.position_ms,
      batteryLevel: r.battery_level,
      voltage: r.voltage,
      sosOpen: r.sos_open === 1,
    }));
  }
}
