// The node database: every node heard on the mesh, with when, how far (hops), how well (SNR,
// RSSI), where (its last position beacon) and what it said about itself (names, role, battery).

import type { Data } from '@unibos/mesh-protocol';
import type { Db } from './node-db.ts';

/** Nodes remembered; the least recently heard beyond this are forgotten. */
export const MAX_PEERS = 4096;

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
}

export class PeerStore {
  private readonly touch;
  private readonly exists;
  private readonly setInfo;
  private readonly setPosition;
  private readonly setTelemetry;
  private readonly list;
  private readonly prune;
  private added = 0;
  /** One transaction per heard frame: one disk sync instead of one per statement. */
  private readonly update: (nodeId: number, relays: number, snr: number, rssi: number, data: Data, nowMs: number) => 'new' | 'renamed' | null;

  constructor(db: Db) {
    this.touch = db.prepare(`INSERT INTO peers (node_id, last_heard_ms, hops_away, snr, rssi) VALUES (@nodeId, @now, @hops, @snr, @rssi)
      ON CONFLICT(node_id) DO UPDATE SET last_heard_ms = excluded.last_heard_ms, hops_away = excluded.hops_away,
        snr = COALESCE(excluded.snr, peers.snr), rssi = COALESCE(excluded.rssi, peers.rssi)`);
    this.exists = db.prepare('SELECT long_name AS name, role FROM peers WHERE node_id = ?');
    this.setInfo = db.prepare('UPDATE peers SET long_name = ?, short_name = ?, role = ? WHERE node_id = ?');
    this.setPosition = db.prepare('UPDATE peers SET latitude = ?, longitude = ?, altitude_m = ?, position_ms = ? WHERE node_id = ?');
    this.setTelemetry = db.prepare('UPDATE peers SET battery_level = ?, voltage = ? WHERE node_id = ?');
    this.list = db.prepare('SELECT * FROM peers ORDER BY hops_away, last_heard_ms DESC');
    this.prune = db.prepare('DELETE FROM peers WHERE node_id NOT IN (SELECT node_id FROM peers ORDER BY last_heard_ms DESC LIMIT ?)');
    this.update = db.transaction((...args: Parameters<PeerStore['heard']>) => this.updateOnce(...args));
  }

  /**
   * A frame from `nodeId` arrived after `relays` relays. Says whether this node is new to us, or
   * told us a new name or role, so the node loop can log it.
   */
  heard(nodeId: number, relays: number, snr: number, rssi: number, data: Data, nowMs: number): 'new' | 'renamed' | null {
    return this.update(nodeId, relays, snr, rssi, data, nowMs);
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
    const t = data.telemetry;
    if (t) this.setTelemetry.run(t.batteryLevel || null, t.voltage || null, nodeId);
    // Anyone on a public channel can invent node ids: keep the most recently heard, not all.
    if (!before && ++this.added % 64 === 0) this.prune.run(MAX_PEERS);
    if (!before) return 'new';
    return info && (info.longName !== before.name || info.role !== before.role) ? 'renamed' : null;
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
    }));
  }
}
