// NMEA 0183 at the edge: turns one line from a receiver into a typed GGA or RMC sentence (or a
// reason to drop it), and merges the GGA and RMC of one epoch into a GpsFix. Never throws.

import type { GpsFix } from './gps-source.ts';

export type NmeaRejectReason = 'bad-checksum' | 'malformed' | 'unsupported';

export interface GgaSentence {
  type: 'GGA';
  /** 'GP', 'GN', 'GL', ...: which constellation(s) the receiver used. */
  talker: string;
  /** The time field exactly as sent; identifies the epoch. '' when the receiver has no time yet. */
  timeField: string;
  /** UTC time of day, ms since midnight, when the receiver knows it. */
  timeOfDayMs?: number;
  /** 0 = no fix, 1 = GPS, 2 = DGPS, 4/5 = RTK, 6 = dead reckoning, ... */
  quality: number;
  satellites?: number;
  hdop?: number;
  /** Metres above mean sea level (the geoid). */
  altitudeM?: number;
  latitude?: number;
  longitude?: number;
}

export interface RmcSentence {
  type: 'RMC';
  talker: string;
  timeField: string;
  timeOfDayMs?: number;
  /** Status A (and no 'N' mode indicator): the position is usable. */
  valid: boolean;
  latitude?: number;
  longitude?: number;
  speedKnots?: number;
  courseDeg?: number;
  /** Date and time of the fix, ms since the epoch, when both fields are present. */
  timeMs?: number;
}

export type NmeaSentence = GgaSentence | RmcSentence;

export type NmeaParseResult =
  | { ok: true; sentence: NmeaSentence }
  | { ok: false; reason: NmeaRejectReason; detail: string };

/** Longer than any GGA/RMC a receiver sends (the standard says 82 with CRLF); anything longer is line noise. */
export const MAX_NMEA_LENGTH = 120;

const KNOTS_TO_MPS = 1852 / 3600;

/** XOR of every character between '$' and '*', as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

/** Parses one sentence, with or without its trailing CR/LF. */
export function parseNmea(line: string): NmeaParseResult {
  if (typeof line !== 'string') return reject('malformed', 'not a string');
  const text = line.replace(/\r?\n?$/, '');
  if (text.length > MAX_NMEA_LENGTH) return reject('malformed', `longer than ${MAX_NMEA_LENGTH} characters`);
  if (!text.startsWith('$')) return reject('malformed', 'does not start with $');
  if (!/^[\x20-\x7e]*$/.test(text)) return reject('malformed', 'non-printable character');
  const star = text.lastIndexOf('*');
  if (star < 0) return reject('bad-checksum', 'no checksum');
  const body = text.slice(1, star);
  const given = text.slice(star + 1);
  if (!/^[0-9A-Fa-f]{2}$/.test(given)) return reject('bad-checksum', `checksum field "${given}" is not two hex digits`);
  const expected = nmeaChecksum(body);
  if (given.toUpperCase() !== expected) return reject('bad-checksum', `checksum ${given}, computed ${expected}`);

  const fields = body.split(',');
  const address = fields[0]!;
  // Proprietary sentences ($P...) and queries are valid NMEA we have no use for.
  const m = /^([A-Z]{2})([A-Z]{3})$/.exec(address);
  if (!m || address.startsWith('P')) return reject('unsupported', `sentence ${address}`);
  const talker = m[1]!;
  const kind = m[2]!;
  const rest = fields.slice(1);
  try {
    if (kind === 'GGA') return parseGga(talker, rest);
    if (kind === 'RMC') return parseRmc(talker, rest);
  } catch (err) {
    if (err instanceof FieldError) return reject('malformed', `${address}: ${err.message}`);
    throw err;
  }
  return reject('unsupported', `sentence ${address}`);
}

// Field parsers throw FieldError inside this module only; parseNmea turns it into a rejection.
class FieldError extends Error {}

function reject(reason: NmeaRejectReason, detail: string): NmeaParseResult {
  return { ok: false, reason, detail };
}

function parseGga(talker: string, f: string[]): NmeaParseResult {
  if (f.length < 9) throw new FieldError(`${f.length} fields, need at least 9`);
  const timeField = f[0]!;
  const position = parsePosition(f[1]!, f[2]!, f[3]!, f[4]!);
  // Some receivers leave quality empty before their first fix; empty means "no fix", never a position.
  const quality = f[5] === '' ? 0 : parseUint(f[5]!, 'fix quality');
  if (quality > 9) throw new FieldError(`fix quality ${quality}`);
  if (quality > 0 && !position) throw new FieldError('fix quality > 0 without a position');
  const sentence: GgaSentence = { type: 'GGA', talker, timeField, quality };
  const tod = parseTimeOfDay(timeField);
  if (tod !== undefined) sentence.timeOfDayMs = tod;
  if (f[6] !== '') sentence.satellites = parseUint(f[6]!, 'satellites');
  if (f[7] !== '') sentence.hdop = parseDecimal(f[7]!, 'hdop', false);
  if (f[8] !== '') sentence.altitudeM = parseDecimal(f[8]!, 'altitude', true);
  if (position) {
    sentence.latitude = position.latitude;
    sentence.longitude = position.longitude;
  }
  return { ok: true, sentence };
}

function parseRmc(talker: string, f: string[]): NmeaParseResult {
  if (f.length < 9) throw new FieldError(`${f.length} fields, need at least 9`);
  const timeField = f[0]!;
  const status = f[1]!;
  if (status !== 'A' && status !== 'V') throw new FieldError(`status "${status}"`);
  // NMEA 2.3 adds a mode indicator; 'N' (data not valid) overrides an optimistic status.
  const valid = status === 'A' && f[11] !== 'N';
  const position = parsePosition(f[2]!, f[3]!, f[4]!, f[5]!);
  if (valid && !position) throw new FieldError('status A without a position');
  const sentence: RmcSentence = { type: 'RMC', talker, timeField, valid };
  const tod = parseTimeOfDay(timeField);
  if (tod !== undefined) sentence.timeOfDayMs = tod;
  if (position) {
    sentence.latitude = position.latitude;
    sentence.longitude = position.longitude;
  }
  if (f[6] !== '') sentence.speedKnots = parseDecimal(f[6]!, 'speed', false);
  if (f[7] !== '') {
    const course = parseDecimal(f[7]!, 'course', false);
    if (course > 360) throw new FieldError(`course ${course}`);
    sentence.courseDeg = course;
  }
  const dayMs = parseDate(f[8]!);
  if (dayMs !== undefined && tod !== undefined) sentence.timeMs = dayMs + tod;
  return { ok: true, sentence };
}

/** ddmm.mmmm / dddmm.mmmm plus hemisphere; all four empty means "no position". */
function parsePosition(lat: string, ns: string, lon: string, ew: string): { latitude: number; longitude: number } | undefined {
  if (lat === '' && ns === '' && lon === '' && ew === '') return undefined;
  const latitude = parseAngle(lat, LATITUDE, 90, 'latitude');
  const longitude = parseAngle(lon, LONGITUDE, 180, 'longitude');
  if (ns !== 'N' && ns !== 'S') throw new FieldError(`latitude hemisphere "${ns}"`);
  if (ew !== 'E' && ew !== 'W') throw new FieldError(`longitude hemisphere "${ew}"`);
  return { latitude: ns === 'S' ? -latitude : latitude, longitude: ew === 'W' ? -longitude : longitude };
}

const LATITUDE = /^(\d{2})(\d{2}(?:\.\d+)?)$/;
const LONGITUDE = /^(\d{3})(\d{2}(?:\.\d+)?)$/;

function parseAngle(text: string, pattern: RegExp, max: number, what: string): number {
  const m = pattern.exec(text);
  if (!m) throw new FieldError(`${what} "${text}"`);
  const degrees = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes >= 60) throw new FieldError(`${what} minutes ${minutes}`);
  const value = degrees + minutes / 60;
  if (value > max) throw new FieldError(`${what} ${value}`);
  return value;
}

function parseTimeOfDay(text: string): number | undefined {
  if (text === '') return undefined;
  const m = /^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$/.exec(text);
  if (!m) throw new FieldError(`time "${text}"`);
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  // 60 s allows a leap second.
  if (h > 23 || min > 59 || s >= 61) throw new FieldError(`time "${text}"`);
  return Math.round(((h * 60 + min) * 60 + s) * 1000);
}

/** ddmmyy to ms at UTC midnight. Two-digit years: 80-99 are 1980s/90s (GPS began in 1980), the rest 2000s. */
function parseDate(text: string): number | undefined {
  if (text === '') return undefined;
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) throw new FieldError(`date "${text}"`);
  const day = Number(m[1]);
  const month = Number(m[2]);
  const yy = Number(m[3]);
  const year = yy >= 80 ? 1900 + yy : 2000 + yy;
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (month < 1 || month > 12 || day < 1 || check.getUTCDate() !== day) throw new FieldError(`date "${text}"`);
  return ms;
}

function parseUint(text: string, what: string): number {
  if (!/^\d{1,3}$/.test(text)) throw new FieldError(`${what} "${text}"`);
  return Number(text);
}

function parseDecimal(text: string, what: string, signed: boolean): number {
  const re = signed ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/;
  if (!re.test(text) || text.length > 12) throw new FieldError(`${what} "${text}"`);
  return Number(text);
}

/**
 * Merges the GGA and RMC a receiver sends for one epoch (same time field) into one GpsFix.
 * A fix is returned as soon as both have arrived; an epoch with only one of them is returned when the
 * next epoch starts, so a receiver that sends only RMC or only GGA still works, one epoch late.
 */
export class NmeaFixAccumulator {
  private gga: GgaSentence | undefined;
  private rmc: RmcSentence | undefined;

  /** Adds a sentence; returns a fix when an epoch is complete. */
  push(sentence: NmeaSentence): GpsFix | undefined {
    const pendingTime = (this.gga ?? this.rmc)?.timeField;
    const sameSlotTaken = sentence.type === 'GGA' ? this.gga !== undefined : this.rmc !== undefined;
    let done: GpsFix | undefined;
    if (pendingTime !== undefined && (pendingTime !== sentence.timeField || sameSlotTaken)) done = this.flush();
    if (sentence.type === 'GGA') this.gga = sentence;
    else this.rmc = sentence;
    if (this.gga && this.rmc) return this.flush();
    return done;
  }

  /** Returns the pending, incomplete epoch (if any) as a fix and forgets it. */
  flush(): GpsFix | undefined {
    const { gga, rmc } = this;
    this.gga = undefined;
    this.rmc = undefined;
    if (!gga && !rmc) return undefined;
    return fixFromEpoch(gga, rmc);
  }

  /** Forgets a pending epoch without reporting it (the link dropped mid-epoch). */
  reset(): void {
    this.gga = undefined;
    this.rmc = undefined;
  }
}

function fixFromEpoch(gga: GgaSentence | undefined, rmc: RmcSentence | undefined): GpsFix {
  const noFix = (rmc !== undefined && !rmc.valid) || (gga !== undefined && gga.quality === 0);
  const fix: GpsFix = { mode: 'none', latitude: Number.NaN, longitude: Number.NaN };
  if (!noFix) {
    const source = gga ?? rmc!;
    fix.latitude = source.latitude!;
    fix.longitude = source.longitude!;
    fix.mode = gga?.altitudeM !== undefined ? '3d' : '2d';
    if (gga?.altitudeM !== undefined) fix.altitudeM = gga.altitudeM;
    if (rmc?.speedKnots !== undefined) fix.speedMps = rmc.speedKnots * KNOTS_TO_MPS;
    if (rmc?.courseDeg !== undefined) fix.courseDeg = rmc.courseDeg;
  }
  if (rmc?.timeMs !== undefined) fix.timeMs = rmc.timeMs;
  if (gga?.satellites !== undefined) fix.satellites = gga.satellites;
  if (gga?.hdop !== undefined) fix.hdop = gga.hdop;
  return fix;
}
