// A heard frame as a gateway forwards it (unibos/v1/mesh/{nodeId}/{kind}, a JSON document),
// checked at the edge into a typed value every feature's mesh handler reads.

import { HUB_UPLINK_LIMITS, plausibleTimeMs, takenTimeMs, type NodeIdText } from '@unibos/mesh-protocol';

/** Accept a gateway's receive time unless its clock is this far from ours. */
const MAX_CLOCK_SKEW_MS = HUB_UPLINK_LIMITS.maxClockSkewMs;

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
  /** When the gateway heard it: its clock's time, or the hub's reckoning when that clock is wrong (receiveTimeMs). */
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

/**
 * When the gateway heard a frame, on the hub's clock as near as it can tell. The gateway's own
 * receive time (to the millisecond) while its clock agrees with the hub's reckoning, which is now
 * less how long the gateway says it held the frame (`heldMs`, measured on its monotonic clock);
 * otherwise that reckoning. An off-grid Pi has no battery clock: restored by fake-hwclock it can be
 * days behind, and its times would date an SOS days ago and hide which gateway reaches the node
 * now (stages, answers). That needs the whole time held (`heldExact`); a lower bound (a row queued
 * before the gateway rebooted, or put back from its dead letters) only says when the frame was
 * heard at the latest, so only a clock ahead of that is caught, as without `heldMs` (an older
 * gateway) a clock ahead of the hub's, or before 2000.
 */
export function receiveTimeMs(rxTime: unknown, nowMs: number, heldMs?: number, heldExact = false): number {
  const rx = plausibleTimeMs(typeof rxTime === 'string' ? Date.parse(rxTime) : undefined);
  const latest = takenTimeMs(heldMs, nowMs);
  if (rx === undefined || rx > latest + MAX_CLOCK_SKEW_MS) return latest;
  return heldExact && heldMs !== undefined && rx < latest - MAX_CLOCK_SKEW_MS ? latest : rx;
}

/** The document of `nodeId`'s frame of `kind` heard through gateway `gatewayId`, or null when it is not one. */
export function readMeshUplink(nodeId: NodeIdText, kind: string, gatewayId: NodeIdText, body: unknown, nowMs: number, held?: { heldMs?: number; heldExact?: boolean }): MeshUplink | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const doc = body as Record<string, unknown>;
  const packetId = doc.id;
  if (typeof packetId !== 'number' || !Number.isInteger(packetId) || packetId < 0 || packetId > 0xffffffff || doc.from !== nodeId) return null;
  const timeMs = receiveTimeMs(doc.rxTime, nowMs, held?.heldMs, held?.heldExact);
  const reception: MeshReception = { gatewayId, rssi: finiteNumber(doc.rssi), snr: finiteNumber(doc.snr), hops: finiteNumber(doc.hops), timeMs };
  const { gatewayId: _g, rssi: _r, snr: _s, hops: _h, rxTime: _t, ...data } = doc;
  return { nodeId, kind, packetId, timeMs, reception, data, doc };
}
