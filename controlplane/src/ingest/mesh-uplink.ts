// A heard frame as a gateway forwards it (unibos/v1/mesh/{nodeId}/{kind}, a JSON document),
// checked at the edge into a typed value every feature's mesh handler reads.

import { HUB_UPLINK_LIMITS, type NodeIdText } from '@unibos/mesh-protocol';

/** Accept a gateway's receive time unless its clock is this far ahead of ours. */
const MAX_CLOCK_AHEAD_MS = HUB_UPLINK_LIMITS.maxClockAheadMs;

export interface MeshReception {
  gatewayId: NodeIdText;
  rssi: number | null;
  snr: number | null;
  hops: number | null;
  timeMs: number;
}

export interface MeshUplink {
  nodeId: NodeIdText;
  /** The topic's kind word (text, position, alert, ack, info, ...). */
  kind: string;
  packetId: number;
  /** When the gateway heard it (the hub's time when the gateway's clock is far ahead). */
  timeMs: number;
  reception: MeshReception;
  /** The document without the reception fields: what a record keeps. */
  data: Record<string, unknown>;
  /** The whole document, for the kind's handler (untrusted: read fields with finiteNumber and typeof). */
  doc: Record<string, unknown>;
}

/** A finite number from untrusted JSON, else null. */
export function finiteNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The document of `nodeId`'s frame of `kind` heard through gateway `gatewayId`, or null when it is not one. */
export function readMeshUplink(nodeId: NodeIdText, kind: string, gatewayId: NodeIdText, body: unknown, nowMs: number): MeshUplink | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const doc = body as Record<string, unknown>;
  const packetId = doc.id;
  if (typeof packetId !== 'number' || !Number.isInteger(packetId) || packetId < 0 || packetId > 0xffffffff || doc.from !== nodeId) return null;
  const rx = typeof doc.rxTime === 'string' ? Date.parse(doc.rxTime) : NaN;
  const timeMs = Number.isFinite(rx) && rx <= nowMs + MAX_CLOCK_AHEAD_MS ? rx : nowMs;
  const reception: MeshReception = { gatewayId, rssi: finiteNumber(doc.rssi), snr: finiteNumber(doc.snr), hops: finiteNumber(doc.hops), timeMs };
  const { gatewayId: _g, rssi: _r, snr: _s, hops: _h, rxTime: _t, ...data } = doc;
  return { nodeId, kind, packetId, timeMs, reception, data, doc };
}
