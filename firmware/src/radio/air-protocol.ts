// The line protocol between simulated radios and the simulated air (`unibos air`): one JSON
// object per line over loopback TCP. Every line is parsed into a typed message or rejected.

import type { LoRaParams } from '@unibos/mesh-protocol';

/** Longest line either side accepts; a 255-byte frame in base64 plus JSON is far below it. */
export const MAX_AIR_LINE = 4096;
export const DEFAULT_AIR_PORT = 7300;

export type AirParams = Pick<LoRaParams, 'sf' | 'bandwidthHz' | 'codingRate' | 'frequencyHz'>;

export type ClientMessage =
  | { type: 'hello'; nodeId: number; latitude: number; longitude: number; params: AirParams }
  | { type: 'move'; latitude: number; longitude: number }
  | { type: 'tx'; frame: Uint8Array };

export type ServerMessage =
  | { type: 'welcome' }
  | { type: 'refused'; message: string }
  | { type: 'rx'; frame: Uint8Array; rssi: number; snr: number }
  | { type: 'tx-done'; ok: boolean; error?: string }
  | { type: 'carrier'; airtimeMs: number };

export function encodeAirMessage(m: ClientMessage | ServerMessage): string {
  const wire = 'frame' in m ? { ...m, frame: Buffer.from(m.frame).toString('base64') } : m;
  return `${JSON.stringify(wire)}\n`;
}

/** A rejected line keeps the type it claimed, so the air can answer a bad hello instead of leaving the client waiting. */
type Parsed<T> = { ok: true; message: T } | { ok: false; error: string; type?: string };

export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const o = parseObject(line);
  if (typeof o === 'string') return { ok: false, error: o };
  const parsed = clientMessage(o);
  return !parsed.ok && typeof o.type === 'string' ? { ...parsed, type: o.type } : parsed;
}

function clientMessage(o: Record<string, unknown>): Parsed<ClientMessage> {
  switch (o.type) {
    case 'hello': {
      const p = o.params;
      if (!isUint32(o.nodeId) || !isNum(o.latitude) || !isNum(o.longitude) || !isObject(p)) return bad('hello needs nodeId, latitude, longitude, params');
      if (!isNum(p.sf) || !isNum(p.bandwidthHz) || !isNum(p.codingRate) || !isNum(p.frequencyHz)) return bad('hello params need sf, bandwidthHz, codingRate, frequencyHz');
      const params: AirParams = { sf: p.sf, bandwidthHz: p.bandwidthHz, codingRate: p.codingRate, frequencyHz: p.frequencyHz };
      return { ok: true, message: { type: 'hello', nodeId: o.nodeId, latitude: o.latitude, longitude: o.longitude, params } };
    }
    case 'move':
      if (!isNum(o.latitude) || !isNum(o.longitude)) return bad('move needs latitude and longitude');
      return { ok: true, message: { type: 'move', latitude: o.latitude, longitude: o.longitude } };
    case 'tx': {
      const frame = base64(o.frame);
      if (!frame) return bad('tx needs a base64 frame');
      return { ok: true, message: { type: 'tx', frame } };
    }
    default:
      return bad(`unknown message type ${JSON.stringify(o.type)}`);
  }
}

export function parseServerMessage(line: string): Parsed<ServerMessage> {
  const o = parseObject(line);
  if (typeof o === 'string') return { ok: false, error: o };
  switch (o.type) {
    case 'welcome':
      return { ok: true, message: { type: 'welcome' } };
    case 'refused':
      return { ok: true, message: { type: 'refused', message: typeof o.message === 'string' ? o.message : 'refused' } };
    case 'rx': {
      const frame = base64(o.frame);
      if (!frame || !isNum(o.rssi) || !isNum(o.snr)) return bad('rx needs frame, rssi, snr');
      return { ok: true, message: { type: 'rx', frame, rssi: o.rssi, snr: o.snr } };
    }
    case 'tx-done':
      if (typeof o.ok !== 'boolean') return bad('tx-done needs ok');
      return { ok: true, message: typeof o.error === 'string' ? { type: 'tx-done', ok: o.ok, error: o.error } : { type: 'tx-done', ok: o.ok } };
    case 'carrier':
      if (!isNum(o.airtimeMs) || o.airtimeMs < 0) return bad('carrier needs airtimeMs');
      return { ok: true, message: { type: 'carrier', airtimeMs: o.airtimeMs } };
    default:
      return bad(`unknown message type ${JSON.stringify(o.type)}`);
  }
}

function parseObject(line: string): Record<string, unknown> | string {
  if (line.length > MAX_AIR_LINE) return `line of ${line.length} characters exceeds ${MAX_AIR_LINE}`;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  return isObject(v) ? v : 'not a JSON object';
}

function bad(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isUint32(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0 && (v as number) < 0xffffffff;
}

function base64(v: unknown): Uint8Array | null {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(v, 'base64'));
}
