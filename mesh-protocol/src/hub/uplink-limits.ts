// What the hub accepts from a gateway, defined once: the hub broker and ingest enforce it, and the
// gateway refuses at its own door (acknowledged and dropped, counted, with the reason) anything
// that would break it, so a message the hub could never take is never queued and resent forever.

import { MAX_HELD_FIELD_BYTES, type HubEnvelopeFormat } from './hub-envelope.ts';
import { parseSensorTopic, parseTopic, topics } from '../mqtt/topics.ts';
import { hasLoneSurrogate } from '../frame/text-limits.ts';

export const HUB_UPLINK_LIMITS = {
  /** Topic levels the hub broker accepts; deeper topics are refused and the connection dropped. */
  maxTopicLevels: 8,
  /** Bytes of one PUBLISH payload (the whole envelope) the hub broker accepts. */
  maxPublishBytes: 256 * 1024,
  /** A sensor reading that is not a number is kept as JSON up to this many characters (JSON-encoded). */
  maxSensorRawChars: 8192,
  /** A sensor reading sent as plain text that is not a number is kept up to this many characters (after trimming); longer is refused. */
  maxSensorTextChars: 1024,
  /** Nesting of a JSON sensor payload: deeper documents cannot be stored or streamed back out. */
  maxSensorJsonDepth: 32,
  /** Characters of a reading's unit (`°C`, `kWh`, `µg/m³`). */
  maxSensorUnitChars: 16,
  /**
   * A gateway's time of day (a mesh frame's receive time) this far from the hub's (ahead, or behind
   * where the gateway says how long it held the frame) is its clock being wrong, not clock skew: the
   * hub dates the frame itself.
   */
  maxClockSkewMs: 5 * 60_000,
  /** Clocks before this are unset (a Pi without its time yet, a Shelly counting seconds since boot) or broken. */
  earliestTimeMs: Date.UTC(2000, 0, 1),
  /** Device clocks at or after this are broken (`last_seen: 1e20`). */
  latestTimeMs: Date.UTC(2100, 0, 1),
} as const;

/**
 * A time a device's or gateway's clock could have given, else undefined: inside the years
 * HUB_UPLINK_LIMITS allows. Fixed years rather than a window around the reader's own clock, which
 * off-grid may be the wrong one.
 */
export function plausibleTimeMs(timeMs: number | undefined): number | undefined {
  return timeMs !== undefined && Number.isFinite(timeMs) && timeMs >= HUB_UPLINK_LIMITS.earliestTimeMs && timeMs < HUB_UPLINK_LIMITS.latestTimeMs ? timeMs : undefined;
}

/**
 * When a gateway took a message, on the hub's clock: `heldMs` (how long the gateway held it, the
 * envelope's `held`) before `receivedMs`, when the hub got it; `receivedMs` itself when the
 * gateway did not say, or says it held it since before any plausible time.
 */
export function takenTimeMs(heldMs: number | undefined, receivedMs: number): number {
  return heldMs !== undefined && plausibleTimeMs(receivedMs - heldMs) !== undefined ? receivedMs - heldMs : receivedMs;
}

/** Home Assistant's device class names: lower case, digits and '_'. */
const DEVICE_CLASS = /^[a-z][a-z0-9_]{0,31}$/;

/** A unit the hub keeps: short text without control characters. */
export function isSensorUnit(unit: unknown): unit is string {
  return typeof unit === 'string' && unit.length > 0 && unit.length <= HUB_UPLINK_LIMITS.maxSensorUnitChars && !/[\u0000-\u001f]/.test(unit);
}

/** A device class the hub keeps: Home Assistant's spelling. */
export function isDeviceClass(deviceClass: unknown): deviceClass is string {
  return typeof deviceClass === 'string' && DEVICE_CLASS.test(deviceClass);
}

export type UplinkRefusalReason = 'topic_depth' | 'topic_shape' | 'too_large' | 'bad_payload';

export interface UplinkRefusal {
  reason: UplinkRefusalReason;
  detail: string;
}

/**
 * Length in bytes of encodeHubEnvelope's output for these parts, without building it. A JSON
 * envelope is counted with the longest `held` the uplink may add (the door does not know when
 * the uplink will send it), so what passes here always fits at the hub.
 */
export function hubEnvelopeBytes(m: { msgId: string; source: string; format: HubEnvelopeFormat; payloadBytes: number }): number {
  const id = Buffer.byteLength(m.msgId, 'utf8');
  const source = Buffer.byteLength(m.source, 'utf8');
  if (m.format === 'binary') return 4 + id + source + m.payloadBytes;
  // {"id":<json string>,"source":<json string>,"held":<ms>,"body":<payload>}
  return 25 + MAX_HELD_FIELD_BYTES + Buffer.byteLength(JSON.stringify(m.msgId), 'utf8') + Buffer.byteLength(JSON.stringify(m.source), 'utf8') + m.payloadBytes;
}

/** Levels of an MQTT topic name. */
export function topicLevels(topic: string): number {
  let n = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 0x2f) n++;
  return n;
}

/** What a number reading may say about itself (a gateway's sensor profiles send all three). */
export interface SensorDescriptors {
  unit?: string;
  /** Home Assistant's device class: temperature, power, humidity, switch, ... */
  deviceClass?: string;
  /** When the device says it measured it (ms), as opposed to when the hub got it. */
  measuredMs?: number;
}

export type SensorReading = ({ ok: true; value: number | null; raw?: unknown } & SensorDescriptors) | { ok: false; detail: string };

const NUMBER_TEXT = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * A sensor payload as the hub stores it: a number (plain text, a JSON number, or `{"value": n}`),
 * or else text/JSON kept raw. Refused: non-finite numbers, JSON nested deeper than the limit, and
 * raw JSON or text longer than its limit (refused, not cut: the gateway's door refuses what the hub
 * would not keep, so it is never queued, and every hop holds the same limit). `body` is the parsed
 * JSON when the envelope was JSON, else the bytes.
 */
export function readSensorPayload(body: { json: unknown } | { bytes: Uint8Array }): SensorReading {
  if ('json' in body) {
    const b = body.json;
    if (jsonDepth(b, HUB_UPLINK_LIMITS.maxSensorJsonDepth) > HUB_UPLINK_LIMITS.maxSensorJsonDepth) {
      return { ok: false, detail: `JSON nested deeper than ${HUB_UPLINK_LIMITS.maxSensorJsonDepth} levels` };
    }
    const v = typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as { value?: unknown }).value : b;
    // 1e999 parses to Infinity, which JSON cannot carry back out: a broken sensor, refused.
    if (typeof v === 'number' && !Number.isFinite(v)) return { ok: false, detail: 'value beyond a double' };
    if (typeof v === 'number') return v === b ? { ok: true, value: v } : withDescriptors(v, b as Record<string, unknown>);
    return rawReading(b);
  }
  const text = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString('utf8').trim();
  const n = NUMBER_TEXT.test(text) ? Number(text) : NaN;
  if (Number.isFinite(n)) return { ok: true, value: n };
  // Text that is not a number is kept as it is, up to its limit.
  if (text.length > HUB_UPLINK_LIMITS.maxSensorTextChars) {
    return { ok: false, detail: `text of ${text.length} characters exceeds ${HUB_UPLINK_LIMITS.maxSensorTextChars}` };
  }
  return { ok: true, value: null, raw: text };
}

function withDescriptors(value: number, doc: Record<string, unknown>): SensorReading {
  const out: { ok: true; value: number } & SensorDescriptors = { ok: true, value };
  const { unit, deviceClass, time } = doc;
  // An empty unit is how many home-made sensors say "none" (a dimensionless count, a state).
  if (unit !== undefined && unit !== '') {
    if (!isSensorUnit(unit)) return { ok: false, detail: `"unit" must be text of 1-${HUB_UPLINK_LIMITS.maxSensorUnitChars} characters` };
    out.unit = unit;
  }
  if (deviceClass !== undefined) {
    if (!isDeviceClass(deviceClass)) return { ok: false, detail: '"deviceClass" must be a Home Assistant device class (a-z, 0-9, _)' };
    out.deviceClass = deviceClass;
  }
  if (time !== undefined) {
    const ms = typeof time === 'string' ? Date.parse(time) : typeof time === 'number' ? epochMs(time) : NaN;
    if (!Number.isFinite(ms)) return { ok: false, detail: '"time" must be an ISO 8601 date or a Unix time in seconds or milliseconds' };
    out.measuredMs = ms;
  }
  return out;
}

/**
 * A numeric `time` as devices send it (`time()` on a board with NTP, `Date.now()`): Unix seconds
 * below 1e11 (year 5138), else milliseconds. Whole milliseconds, as the hub stores them; NaN for
 * a negative time or one a Date cannot hold.
 */
export function epochMs(time: number): number {
  if (!Number.isFinite(time) || time < 0) return NaN;
  const ms = Math.round(time < 1e11 ? time * 1000 : time);
  return ms <= MAX_DATE_MS ? ms : NaN;
}

/** The last instant a JavaScript Date can hold (so `new Date(ms).toISOString()` cannot throw). */
const MAX_DATE_MS = 8.64e15;

function rawReading(raw: unknown): SensorReading {
  const chars = JSON.stringify(raw)?.length ?? 0;
  if (chars > HUB_UPLINK_LIMITS.maxSensorRawChars) {
    return { ok: false, detail: `raw value of ${chars} characters exceeds ${HUB_UPLINK_LIMITS.maxSensorRawChars}` };
  }
  return { ok: true, value: null, raw };
}

/** How deep a JSON request body may nest, at the hub's API and a node's control API. */
export const JSON_BODY_MAX_DEPTH = 64;

/** Whether any string or key in a parsed JSON value holds half of a UTF-16 pair (`hasLoneSurrogate`): such a body is refused at the door (hub and node APIs). */
export function holdsLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return hasLoneSurrogate(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(holdsLoneSurrogate);
  return Object.entries(v).some(([k, child]) => hasLoneSurrogate(k) || holdsLoneSurrogate(child));
}

/** Depth of a parsed JSON value, counting stops once it passes `stopAt` (so a hostile document costs little). */
export function jsonDepth(v: unknown, stopAt: number, depth = 0): number {
  if (typeof v !== 'object' || v === null) return depth;
  if (depth >= stopAt) return depth + 1;
  let max = depth + 1;
  for (const child of Array.isArray(v) ? v : Object.values(v)) {
    max = Math.max(max, jsonDepth(child, stopAt, depth + 1));
    if (max > stopAt) break;
  }
  return max;
}

/**
 * Would the hub refuse this message? Checked by the gateway at its door, before it acknowledges a
 * client, and again by the outbox; null when the hub will take it.
 */
export function hubWouldRefuse(m: { topic: string; payload: Uint8Array; msgId: string; source: string; format: HubEnvelopeFormat }): UplinkRefusal | null {
  const levels = topicLevels(m.topic);
  if (levels > HUB_UPLINK_LIMITS.maxTopicLevels) {
    return { reason: 'topic_depth', detail: `topic has ${levels} levels; the hub accepts at most ${HUB_UPLINK_LIMITS.maxTopicLevels}` };
  }
  const bytes = hubEnvelopeBytes({ msgId: m.msgId, source: m.source, format: m.format, payloadBytes: m.payload.length });
  if (bytes > HUB_UPLINK_LIMITS.maxPublishBytes) {
    return { reason: 'too_large', detail: `${bytes} bytes once wrapped for the hub; it accepts at most ${HUB_UPLINK_LIMITS.maxPublishBytes}` };
  }
  if (m.topic.startsWith(topics.sensorRoot)) {
    if (parseTopic(m.topic)?.kind === 'sensorAvailability') {
      const body = m.format === 'json' ? jsonBody(m.payload) : { bytes: m.payload };
      const state = 'detail' in body ? body : readSensorAvailability(body);
      return state.ok ? null : { reason: 'bad_payload', detail: state.detail };
    }
    if (!parseSensorTopic(m.topic)) {
      return { reason: 'topic_shape', detail: 'sensor topics are unibos/v1/sensor/{sensorId}/{metric}, each 1-64 of A-Z a-z 0-9 _ . : -' };
    }
    const body = m.format === 'json' ? jsonBody(m.payload) : { bytes: m.payload };
    const reading = 'detail' in body ? body : readSensorPayload(body);
    if (!reading.ok) return { reason: 'bad_payload', detail: reading.detail };
  }
  return null;
}

function jsonBody(payload: Uint8Array): { json: unknown } | { ok: false; detail: string } {
  try {
    return { json: JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

export type SensorAvailabilityState = 'online' | 'offline';

export type SensorAvailability = { ok: true; state: SensorAvailabilityState } | { ok: false; detail: string };

/**
 * A sensor's availability message (topics.sensorAvailability) as the hub stores it: `online` or
 * `offline` as text (what a device sets as its MQTT last will), a JSON string, or `{"state": ...}`
 * (what the gateway sends for a device family's own availability topic). Anything else is refused.
 */
export function readSensorAvailability(body: { json: unknown } | { bytes: Uint8Array }): SensorAvailability {
  let v: unknown;
  if ('json' in body) v = typeof body.json === 'object' && body.json !== null && !Array.isArray(body.json) ? (body.json as { state?: unknown }).state : body.json;
  else v = Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength).toString('utf8');
  const state = typeof v === 'string' ? v.trim().toLowerCase() : '';
  if (state === 'online' || state === 'offline') return { ok: true, state };
  return { ok: false, detail: 'availability is "online" or "offline" (as text, or {"state": ...})' };
}
