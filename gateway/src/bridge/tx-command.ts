// What may be published on `unibos/v1/gw/{gatewayId}/tx` to reach the mesh, parsed strictly:
//   - a JSON command: {"text": "...", "to": "!1a2b3c4d"} (to defaults to everyone), or
//     {"alert": {"level": "EARTHQUAKE", "text": "...", "magnitude": 5.4}, "to": ...};
//   - {"sosStage": {"requestId": 123, "stage": "acknowledged", "time": "2026-...Z", "by": "Ayse"}, "to": "!1a2b3c4d"}:
//     the hub tells a node how far its SOS got (answering the SOS's request id);
//   - {"nodeInfoRequest": true, "to": "!1a2b3c4d"}: ask a node for its name (the hub heard it without one);
//   - {"direct": {"sender": "!5e6f7a8b", "sealed": "<base64url>"}, "to": "!1a2b3c4d"}: a private message a
//     hub user's device sealed end to end for node `to` (sender = that device's mesh address); the
//     gateway only carries it, as its own frame with Data.direct (1..200 sealed bytes);
//   - anything else is read as a protobuf Envelope carrying a frame another gateway heard.
//   - {"switch": {"sensor": "plug001", "state": "ON" | "OFF" | "TOGGLE", "channel": 1}} (or "name": "pump" for
//     a family that names its switches, ESPHome): set a device's
//     switch through its sensor profile (profiles/switch-commander.ts); the report says whether the
//     device confirmed the new state on its state topic;
// A JSON command may carry "ref" (the hub's message id, up to 64 characters): the gateway then
// reports on `unibos/v1/gw/{gatewayId}/txstatus` which packet id the message got, or why not.

import { ALERT_LEVELS, BROADCAST, MESH_DIRECT_MAX_BYTES, SENSOR_NAME_PATTERN, SOS_STAGES, decodeEnvelope, isSosStage, type AlertLevel, type SosStage } from '@unibos/mesh-protocol';

export type TxCommand =
  | { kind: 'text'; to: number; text: string; ref?: string }
  | { kind: 'alert'; to: number; level: AlertLevel; text: string; magnitudeX10: number; ref?: string }
  | { kind: 'sosStage'; to: number; requestId: number; stage: SosStage; timeMs: number; by: string; ref?: string }
  | { kind: 'nodeInfoRequest'; to: number; ref?: string }
  | { kind: 'direct'; to: number; sender: number; sealed: Uint8Array; ref?: string }
  | { kind: 'switch'; sensor: string; state: 'ON' | 'OFF' | 'TOGGLE'; channel: number | null; name: string | null; ref?: string }
  | { kind: 'frame'; frame: Uint8Array };

/** `ref`, when the command had one: the sender's id for it, echoed in the gateway's tx report. */
export type ParsedTx = { ok: true; command: TxCommand } | { ok: false; error: string; ref?: string };

const MAX_TX_BYTES = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** One topic level, in the hub's sensor-name alphabet. */
const SENSOR_NAME = new RegExp(SENSOR_NAME_PATTERN);

export function parseTxCommand(payload: Buffer): ParsedTx {
  if (payload.length === 0 || payload.length > MAX_TX_BYTES) return { ok: false, error: `payload of ${payload.length} bytes (1..${MAX_TX_BYTES})` };
  if (payload[0] === 0x7b /* { */) return parseJson(payload.toString('utf8'));
  try {
    const env = decodeEnvelope(new Uint8Array(payload));
    return { ok: true, command: { kind: 'frame', frame: env.frame } };
  } catch (err) {
    return { ok: false, error: `neither a JSON command nor an Envelope: ${(err as Error).message}` };
  }
}

function parseJson(text: string): ParsedTx {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: 'a JSON command must be an object' };
  const o = v as Record<string, unknown>;
  if (o.ref !== undefined && (typeof o.ref !== 'string' || o.ref.length === 0 || o.ref.length > 64)) return { ok: false, error: '"ref" must be a string of 1..64 characters' };
  const ref = o.ref === undefined ? {} : { ref: o.ref as string };
  const fail = (error: string): ParsedTx => ({ ok: false, error, ...ref });
  if (o.switch !== undefined) {
    const sw = o.switch as Record<string, unknown> | null;
    if (typeof sw !== 'object' || sw === null || Array.isArray(sw) || o.text !== undefined || o.alert !== undefined) return fail('"switch" must be an object, alone');
    if (typeof sw.sensor !== 'string' || !SENSOR_NAME.test(sw.sensor)) return fail('switch.sensor must be the sensor id its readings arrive under');
    const state = typeof sw.state === 'string' ? sw.state.toUpperCase() : '';
    if (state !== 'ON' && state !== 'OFF' && state !== 'TOGGLE') return fail('switch.state must be ON, OFF or TOGGLE');
    const channel = sw.channel === undefined || sw.channel === null ? null : sw.channel;
    if (channel !== null && (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 0 || channel > 64)) return fail('switch.channel must be 0..64');
    const name = sw.name === undefined || sw.name === null ? null : sw.name;
    if (name !== null && (typeof name !== 'string' || !SENSOR_NAME.test(name))) return fail('switch.name must be the switch\'s name as its topics spell it (1-64 of A-Za-z0-9_.:-)');
    if (name !== null && channel !== null) return fail('a switch has a channel or a name, not both');
    return { ok: true, command: { kind: 'switch', sensor: sw.sensor, state, channel, name, ...ref } };
  }
  const to = parseTo(o.to);
  if (to === null) return fail(`"to" must be a node id like "!1a2b3c4d" or "broadcast"`);
  if (o.direct !== undefined) {
    if (o.text !== undefined || o.alert !== undefined || o.sosStage !== undefined || o.nodeInfoRequest !== undefined) return fail('"direct" must be alone');
    const d = o.direct as Record<string, unknown> | null;
    if (typeof d !== 'object' || d === null || Array.isArray(d)) return fail('"direct" must be an object {"sender": "!1a2b3c4d", "sealed": "<base64url>"}');
    const extra = Object.keys(d).filter((k) => k !== 'sender' && k !== 'sealed');
    if (extra.length > 0) return fail(`direct.${extra[0]} is not a field of a direct message (sender, sealed)`);
    if (o.to === undefined || to === BROADCAST) return fail('a private message goes to one node: "to" is required');
    const sender = typeof d.sender === 'string' ? parseTo(d.sender) : null;
    if (sender === null || sender === BROADCAST) return fail('direct.sender must be the sealing device\'s mesh address like "!1a2b3c4d"');
    if (typeof d.sealed !== 'string' || !BASE64URL.test(d.sealed)) return fail('direct.sealed must be base64url (no padding)');
    const sealed = new Uint8Array(Buffer.from(d.sealed, 'base64url'));
    if (sealed.length === 0 || sealed.length > MESH_DIRECT_MAX_BYTES || Buffer.from(sealed).toString('base64url') !== d.sealed) return fail(`direct.sealed must be 1..${MESH_DIRECT_MAX_BYTES} bytes in canonical base64url`);
    return { ok: true, command: { kind: 'direct', to, sender, sealed, ...ref } };
  }
  if (o.nodeInfoRequest !== undefined) {
    if (o.nodeInfoRequest !== true || o.text !== undefined || o.alert !== undefined || o.sosStage !== undefined) return fail('"nodeInfoRequest" must be true, alone');
    if (to === BROADCAST) return fail('a node info request goes to one node: "to" is required');
    return { ok: true, command: { kind: 'nodeInfoRequest', to, ...ref } };
  }
  if (o.sosStage !== undefined) {
    if (o.text !== undefined || o.alert !== undefined) return fail('a JSON command has one of "text", "alert" or "sosStage"');
    const st = o.sosStage as Record<string, unknown> | null;
    if (typeof st !== 'object' || st === null || Array.isArray(st)) return fail('"sosStage" must be an object');
    if (to === BROADCAST) return fail('an SOS stage goes to one node: "to" is required');
    const requestId = st.requestId;
    if (typeof requestId !== 'number' || !Number.isInteger(requestId) || requestId < 1 || requestId > 0xffffffff) return fail('sosStage.requestId must be the SOS request id (1..4294967295)');
    if (!isSosStage(st.stage)) return fail(`sosStage.stage must be one of ${SOS_STAGES.join(', ')}`);
    const timeMs = st.time === undefined || st.time === null ? 0 : typeof st.time === 'string' ? Date.parse(st.time) : NaN;
    if (!Number.isFinite(timeMs) || timeMs < 0) return fail('sosStage.time must be an ISO date');
    if (st.by !== undefined && st.by !== null && (typeof st.by !== 'string' || st.by.length > 320)) return fail('sosStage.by must be a string');
    return { ok: true, command: { kind: 'sosStage', to, requestId, stage: st.stage, timeMs, by: typeof st.by === 'string' ? st.by : '', ...ref } };
  }
  if (typeof o.text === 'string' && o.alert === undefined) {
    if (o.text.length === 0) return fail('"text" must not be empty');
    return { ok: true, command: { kind: 'text', to, text: o.text, ...ref } };
  }
  if (typeof o.alert === 'object' && o.alert !== null && o.text === undefined) {
    const a = o.alert as Record<string, unknown>;
    if (typeof a.level !== 'string' || !(ALERT_LEVELS as readonly string[]).includes(a.level)) return fail(`alert.level must be one of ${ALERT_LEVELS.join(', ')}`);
    if (typeof a.text !== 'string') return fail('alert.text must be a string');
    const magnitude = a.magnitude === undefined || a.magnitude === null ? 0 : a.magnitude;
    if (typeof magnitude !== 'number' || !(magnitude >= 0 && magnitude <= 12)) return fail('alert.magnitude must be a number 0..12');
    return { ok: true, command: { kind: 'alert', to, level: a.level as AlertLevel, text: a.text, magnitudeX10: Math.round(magnitude * 10), ...ref } };
  }
  return fail('a JSON command has either "text" or "alert"');
}

function parseTo(v: unknown): number | null {
  if (v === undefined || v === 'broadcast') return BROADCAST;
  if (typeof v !== 'string' || !/^!?[0-9a-f]{8}$/i.test(v)) return null;
  const id = parseInt(v.replace('!', ''), 16);
  return id > 0 && id < BROADCAST ? id : null;
}
