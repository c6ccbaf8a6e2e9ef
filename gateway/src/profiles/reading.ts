// What a sensor profile makes of a device's message: readings named the way the hub stores them
// (sensor id and metric, each 1-64 of A-Za-z0-9_.:-), or the reason it could not (a counted drop).

import { createHash } from 'node:crypto';
import { SENSOR_NAME_CHARS, SENSOR_NAME_MAX } from '@unibos/mesh-protocol';

export interface Reading {
  /** The device as the hub will know it: Tasmota's topic, ESPHome's node, a Shelly id, a Zigbee friendly name. */
  readonly sensor: string;
  readonly metric: string;
  readonly value: number;
  readonly unit?: string | undefined;
  /** Home Assistant's device class (temperature, power, energy, humidity, switch, ...). */
  readonly deviceClass?: string | undefined;
  /** When the device says it measured it; absent when it does not say. */
  readonly timeMs?: number | undefined;
}

export type ProfileResult = { readonly ok: true; readonly readings: readonly Reading[] } | { readonly ok: false; readonly reason: string };

export const noReadings: ProfileResult = { ok: true, readings: [] };

export function drop(reason: string): ProfileResult {
  return { ok: false, reason };
}

// A device whose clock is unset or broken (`last_seen: 1e20`) still has a good value: its reading is
// kept without that time, and dated by when the gateway took it. The years a clock may give are
// defined once, with the hub's other limits (HUB_UPLINK_LIMITS in mesh-protocol).
export { plausibleTimeMs } from '@unibos/mesh-protocol';

const OUTSIDE = new RegExp(`[^${SENSOR_NAME_CHARS}]+`, 'g');
/** Printable ASCII: such a name keeps its letters when squeezed (`living room`, `garden/pump`, `lamp #2`). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const HASH_CHARS = 8;
/** A hashed name's letters: with its hash 49 characters, so `{login}:` of up to 15 still fits the hub's 64 (sensor-ownership.ts). */
const HASHED_NAME_CHARS = 40;

/**
 * A device or metric name in the hub's alphabet (sensor ids are what the hub stores, shows and
 * switches by): runs of other characters become '_'. That must never make two names one (their
 * readings would merge and a switch command reach whichever published last: "Göl evi pompa" and
 * "Gül evi pompa", or "Кухня" and "Спальня"), so a name with characters outside ASCII, or longer
 * than 64, ends in 8 hex digits of a hash of the name as it was, after its letters without their
 * accents: `Gol_evi_pompa-4da443d9`. An ASCII name keeps the id it always had (`Living Room
 * (lamp)` is `Living_Room_lamp`), so `a b` and `a_b` are still one.
 */
export function hubName(raw: string): string {
  const squeezed = (text: string): string => text.replace(OUTSIDE, '_').replace(/^_+|_+$/g, '');
  const name = squeezed(raw);
  if (PRINTABLE_ASCII.test(raw) && name.length > 0 && name.length <= SENSOR_NAME_MAX) return name;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, HASH_CHARS);
  const ascii = squeezed(raw.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/ı/g, 'i')).slice(0, HASHED_NAME_CHARS);
  return ascii.length > 0 ? `${ascii}-${hash}` : hash;
}

/** A metric from a path of JSON keys: `ENERGY.Power` -> `energy_power`. */
export function metricName(path: readonly string[]): string {
  return hubName(path.map((p) => p.toLowerCase()).join('_'));
}

/** ON/OFF/true/"on"/1/open/close(d) as 1 or 0; null for anything else. */
export function switchValue(v: unknown): 0 | 1 | null {
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  if (s === 'on' || s === 'true' || s === 'open') return 1;
  // 'close': a Shelly door/window sensor's closed state.
  if (s === 'off' || s === 'false' || s === 'closed' || s === 'close') return 0;
  return null;
}

/** A finite number from a number or numeric text; null otherwise. */
export function numberValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** JSON text to a value, or undefined when it is not JSON. */
export function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
