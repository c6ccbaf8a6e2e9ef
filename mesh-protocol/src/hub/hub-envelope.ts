// The wire envelope of a message a gateway sends to the hub: its dedup id and source (and, in the
// JSON form, how long the gateway held it) travel inside the payload, because MQTT 3.1.1 (all aedes 1.x
// speaks) has no user properties. The gateway encodes, the hub decodes; format spec and rationale:
// gateway/docs/uplink.md.

import { MeshError } from '../core/mesh-error.ts';

export type HubEnvelopeFormat = 'json' | 'binary';

/** First byte of a binary envelope. 0xFE never occurs in UTF-8, so no text or JSON payload starts with it. */
export const HUB_ENVELOPE_MAGIC = 0xfe;
export const HUB_ENVELOPE_VERSION = 0x01;
/** Ids and sources are length-prefixed with one byte in the binary form. */
export const MAX_HUB_ENVELOPE_FIELD_BYTES = 255;

/** The longest `,"held":<ms>,"heldExact":true` a JSON envelope carries: 16 digits reach 8.64e15 ms, the span a Date can hold. */
export const MAX_HELD_FIELD_BYTES = ',"held":'.length + 16 + ',"heldExact":true'.length;
const MAX_HELD_MS = 8.64e15;

export interface HubEnvelopeInput {
  msgId: string;
  source: string;
  format: HubEnvelopeFormat;
  payload: Uint8Array;
  /**
   * How long the gateway held the message before sending it (ms, on its monotonic clock): the hub dates a
   * reading that carries no time of its own that long before it got it, not at the moment the link
   * came back after an outage. A duration, not the gateway's time of day, so a gateway whose clock
   * is wrong (an off-grid Pi without its time yet) still dates right. JSON form only (the binary
   * form's version 1 has no room, and a new version would be refused by older hubs); left out when
   * not a whole number of ms >= 0.
   */
  heldMs?: number | undefined;
  /**
   * `heldMs` is the whole time (measured on one boot, never a dead letter): the hub may check the
   * gateway's clock against it. Otherwise it is at least that long (`"heldExact"` left out: older
   * gateways, a row queued before a reboot or put back from the dead letters).
   */
  heldExact?: boolean | undefined;
}

export type HubEnvelope =
  | { format: 'json'; id: string; source: string; body: unknown; heldMs?: number; heldExact?: true }
  | { format: 'binary'; id: string; source: string; body: Uint8Array };

// ignoreBOM keeps a leading BOM in the text, so JSON.parse rejects it and such a payload goes
// binary: splicing raw bytes with a BOM into the JSON envelope would produce invalid JSON.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * 'json' when the payload is strict UTF-8 JSON (objects, arrays, strings, plain numbers like a
 * sensor's `21.5`), otherwise 'binary'. Decided once, when the message enters the outbox.
 */
export function detectHubEnvelopeFormat(payload: Uint8Array): HubEnvelopeFormat {
  return isJson(payload) ? 'json' : 'binary';
}

function isJson(payload: Uint8Array): boolean {
  if (payload.length === 0) return false;
  try {
    JSON.parse(strictUtf8.decode(payload));
    return true;
  } catch {
    return false;
  }
}

/** An id of 1..255 bytes and a source of at most 255, in either form (the gateway's outbox refuses others at its door). */
function fieldsFit(idBytes: number, sourceBytes: number): boolean {
  return idBytes > 0 && idBytes <= MAX_HUB_ENVELOPE_FIELD_BYTES && sourceBytes <= MAX_HUB_ENVELOPE_FIELD_BYTES;
}

export function encodeHubEnvelope(m: HubEnvelopeInput): Buffer {
  if (!fieldsFit(Buffer.byteLength(m.msgId, 'utf8'), Buffer.byteLength(m.source, 'utf8'))) {
    throw new MeshError('E_ENVELOPE_INVALID', 'envelope id must be 1..255 bytes and source at most 255 bytes');
  }
  if (m.format === 'json') {
    // The original JSON text is spliced in unchanged rather than re-serialised, so numbers,
    // key order and whitespace reach the hub exactly as the sensor sent them.
    const held = heldField(m.heldMs) !== undefined ? `,"held":${m.heldMs}${m.heldExact === true ? ',"heldExact":true' : ''}` : '';
    const head = Buffer.from(`{"id":${JSON.stringify(m.msgId)},"source":${JSON.stringify(m.source)}${held},"body":`, 'utf8');
    return Buffer.concat([head, m.payload, CLOSE_BRACE]);
  }
  const id = Buffer.from(m.msgId, 'utf8');
  const source = Buffer.from(m.source, 'utf8');
  const out = Buffer.allocUnsafe(4 + id.length + source.length + m.payload.length);
  let at = 0;
  out[at++] = HUB_ENVELOPE_MAGIC;
  out[at++] = HUB_ENVELOPE_VERSION;
  out[at++] = id.length;
  at += id.copy(out, at);
  out[at++] = source.length;
  at += source.copy(out, at);
  out.set(m.payload, at);
  return out;
}

const CLOSE_BRACE = Buffer.from('}', 'utf8');

/** Parses an envelope as the hub receives it; anything malformed is an E_ENVELOPE_INVALID, never a crash. */
export function decodeHubEnvelope(bytes: Uint8Array): HubEnvelope {
  if (bytes.length > 0 && bytes[0] === HUB_ENVELOPE_MAGIC) return decodeBinary(bytes);
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch (err) {
    throw new MeshError('E_ENVELOPE_INVALID', 'envelope is neither binary nor JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MeshError('E_ENVELOPE_INVALID', 'JSON envelope must be an object');
  }
  const { id, source, held, heldExact } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || typeof source !== 'string' || !('body' in value)) {
    throw new MeshError('E_ENVELOPE_INVALID', 'JSON envelope needs string "id", string "source" and "body"');
  }
  // As in the binary form: the hub keeps ids (deduplication), and nothing a gateway sends needs more.
  if (!fieldsFit(Buffer.byteLength(id, 'utf8'), Buffer.byteLength(source, 'utf8'))) {
    throw new MeshError('E_ENVELOPE_INVALID', 'JSON envelope: id must be 1..255 bytes and source at most 255 bytes');
  }
  // Optional, and only informative: a `held` that is no duration is left out, never a refusal
  // (older gateways send none; what the hub makes of it is takenTimeMs in uplink-limits).
  const heldMs = heldField(held);
  return { format: 'json', id, source, body: (value as { body: unknown }).body, ...(heldMs !== undefined ? { heldMs, ...(heldExact === true ? { heldExact: true as const } : {}) } : {}) };
}

function heldField(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_HELD_MS ? v : undefined;
}

function decodeBinary(bytes: Uint8Array): HubEnvelope {
  const fail = (why: string): never => {
    throw new MeshError('E_ENVELOPE_INVALID', `binary envelope: ${why}`);
  };
  if (bytes.length < 4) fail('truncated header');
  if (bytes[1] !== HUB_ENVELOPE_VERSION) fail(`unknown version ${bytes[1]}`);
  const idLen = bytes[2]!;
  if (idLen === 0) fail('empty id');
  const srcAt = 3 + idLen;
  if (bytes.length < srcAt + 1) fail('truncated id');
  const srcLen = bytes[srcAt]!;
  const bodyAt = srcAt + 1 + srcLen;
  if (bytes.length < bodyAt) fail('truncated source');
  let id = '';
  let source = '';
  try {
    id = strictUtf8.decode(bytes.subarray(3, srcAt));
    source = strictUtf8.decode(bytes.subarray(srcAt + 1, bodyAt));
  } catch {
    fail('id or source is not UTF-8');
  }
  return { format: 'binary', id, source, body: bytes.subarray(bodyAt) };
}
