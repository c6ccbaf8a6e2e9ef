// One earthquake as a feed reports it, whatever the source's format: parsers turn untrusted
// bytes into these, or count the entry as rejected.

import { cutChars } from '@unibos/mesh-protocol';
import { ALERT_LANGUAGES, type QuakePlaces } from '../alert-wording.ts';

export const QUAKE_SOURCES = ['usgs', 'emsc', 'afad', 'kandilli'] as const;
export type QuakeSource = (typeof QUAKE_SOURCES)[number];

export interface Quake {
  source: QuakeSource;
  /** The source's own id of the event. */
  sourceId: string;
  /** Origin time, ms since the epoch (UTC). */
  timeMs: number;
  latitude: number;
  longitude: number;
  depthKm: number | null;
  /** Null when the source gives none (Kandilli's `-.-`). */
  magnitude: number | null;
  magnitudeType: string | null;
  place: string;
  /** The place in a language, where the feed gives it so (no public feed does; the demo's fixture feed gives each). */
  places?: QuakePlaces;
}

export interface ParsedFeed {
  quakes: Quake[];
  /** Entries that did not parse into a plausible quake. */
  rejected: number;
}

/** A quake only when every field is within what the Earth allows; otherwise null. */
export function plausibleQuake(q: Quake): Quake | null {
  if (!Number.isFinite(q.timeMs) || q.timeMs < Date.UTC(1900, 0, 1) || q.timeMs > Date.UTC(2200, 0, 1)) return null;
  if (!Number.isFinite(q.latitude) || Math.abs(q.latitude) > 90 || !Number.isFinite(q.longitude) || Math.abs(q.longitude) > 180) return null;
  if (q.depthKm !== null && (!Number.isFinite(q.depthKm) || q.depthKm < -10 || q.depthKm > 800)) return null;
  if (q.magnitude !== null && (!Number.isFinite(q.magnitude) || q.magnitude < -2 || q.magnitude > 10.5)) return null;
  if (!q.sourceId || q.sourceId.length > 100) return null;
  return { ...q, place: cutChars(q.place, 120), magnitudeType: q.magnitudeType ? cutChars(q.magnitudeType, 10) : null };
}

/** A feed's `places` object (a name per language) as far as it is one: each language's non-empty text, at most 120 characters; undefined when none. */
export function quakePlacesOf(v: unknown): QuakePlaces | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const places: QuakePlaces = {};
  for (const l of ALERT_LANGUAGES) {
    const name = text((v as Record<string, unknown>)[l]);
    if (name) places[l] = cutChars(name, 120);
  }
  return Object.keys(places).length ? places : undefined;
}

/**
 * ms since the epoch of a date and time given by their parts (UTC), or NaN when a part is out of
 * range: Date.UTC would turn 30 February into 2 March, hour 25 into the next day and year 50 into 1950.
 */
export function utcFromParts(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): number {
  if (![year, month, day, hour, minute, second, ms].every(Number.isInteger)) return NaN;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return NaN;
  if (hour > 23 || minute > 59 || second > 59 || hour < 0 || minute < 0 || second < 0 || ms < 0 || ms > 999) return NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** A JSON number, or a number written as a string (AFAD writes every number so). */
export function numberish(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

/** A feed's text field, trimmed, with any half of a UTF-16 pair as U+FFFD (it has no UTF-8 form: no frame would carry the alert). */
export function text(v: unknown): string {
  return typeof v === 'string' ? cutChars(v.trim()) : '';
}

export function parseJson(body: Uint8Array | string): unknown {
  const s = typeof body === 'string' ? body : new TextDecoder('utf-8').decode(body);
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
