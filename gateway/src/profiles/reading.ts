// What a sensor profile makes of a device's message: readings named the way the hub stores them
// (sensor id and metric, each 1-64 of A-Za-z0-9_.:-), or the reason it could not (a counted drop).

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

const NAME_PART = /[^A-Za-z0-9_.:-]+/g;

/** A device or metric name squeezed into the hub's alphabet: other characters become '_', at most 64. */
export function hubName(raw: string): string {
  const name = raw.replace(NAME_PART, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return name.length > 0 ? name : '_';
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
