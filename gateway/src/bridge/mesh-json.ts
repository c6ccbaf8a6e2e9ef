// Mesh payloads as JSON for humans and third-party tools on `unibos/v1/mesh/{nodeId}/{kind}`:
// degrees instead of 1e-7 integers, node ids as `!1a2b3c4d`, bytes as base64.

import { formatNodeAddress, type Data } from '@unibos/mesh-protocol';

export interface HeardMeta {
  from: number;
  to: number;
  id: number;
  hops: number;
  rssi: number;
  snr: number;
  rxTimeMs: number;
  gatewayId: string;
}

/** The JSON document published for one heard frame. */
export function meshJson(data: Data, meta: HeardMeta): Record<string, unknown> {
  const common: Record<string, unknown> = {
    from: formatNodeAddress(meta.from),
    to: formatNodeAddress(meta.to),
    id: meta.id,
    hops: meta.hops,
    rssi: Number.isFinite(meta.rssi) ? meta.rssi : null,
    snr: Number.isFinite(meta.snr) ? meta.snr : null,
    rxTime: new Date(meta.rxTimeMs).toISOString(),
    gatewayId: meta.gatewayId,
  };
  if (data.requestId) common.requestId = data.requestId;
  if (data.replyId) common.replyId = data.replyId;
  if (data.text !== undefined) return { ...common, text: data.text };
  if (data.position) return { ...common, ...position(data.position) };
  if (data.telemetry) return { ...common, ...data.telemetry };
  if (data.alert) {
    const a = data.alert;
    // `automatic` only when the node flagged it (no person answered: an unattended node's module), so the hub counts it apart.
    return { ...common, level: a.level, text: a.text, magnitude: a.magnitudeX10 ? a.magnitudeX10 / 10 : null, ...(a.automatic === true ? { automatic: true } : {}), ...(a.position ? { position: position(a.position) } : {}) };
  }
  if (data.routing) return { ...common, error: data.routing.error };
  if (data.nodeInfo) {
    const n = data.nodeInfo;
    return { ...common, longName: n.longName, shortName: n.shortName, hwModel: n.hwModel, role: n.role, publicKey: Buffer.from(n.publicKey).toString('base64') };
  }
  if (data.neighborInfo) {
    const n = data.neighborInfo;
    return { ...common, intervalS: n.intervalS, neighbors: n.neighbors.map((x) => ({ nodeId: formatNodeAddress(x.nodeId), snr: x.snrX4 / 4, quality: x.quality / 255 })) };
  }
  // Sealed end to end: the hub's messenger opens it (sender = who wrote it; `from` only transmitted it).
  if (data.direct) return { ...common, direct: { sender: formatNodeAddress(data.direct.sender), sealed: Buffer.from(data.direct.sealed).toString('base64url') } };
  if (data.traceroute) return { ...common, route: data.traceroute.route.map((id) => formatNodeAddress(id)), routeBack: data.traceroute.routeBack.map((id) => formatNodeAddress(id)) };
  return common;
}

function position(p: NonNullable<Data['position']>): Record<string, unknown> {
  return {
    latitude: p.latitudeI / 1e7,
    longitude: p.longitudeI / 1e7,
    altitudeM: p.altitudeM,
    time: p.time ? new Date(p.time * 1000).toISOString() : null,
    precisionBits: p.precisionBits,
    satellites: p.satsInView,
    groundSpeed: p.groundSpeed,
    groundTrack: p.groundTrack,
  };
}
