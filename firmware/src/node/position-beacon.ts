// When to tell the mesh where we are, and how precisely: at least every interval, sooner once we
// moved far enough (but never more often than the smart-beacon floor), with latitude/longitude
// cut to the configured precision so a user can share "roughly where" instead of "exactly where".

import type { Position } from '@unibos/mesh-protocol';
import type { GpsFix } from '../gps/gps-source.ts';
import { distanceM, type LatLon } from '../geo/distance.ts';

export interface PositionBeaconOptions {
  intervalS: number;
  minMoveM: number;
  precisionBits: number;
  /** Movement never triggers beacons closer together than this. */
  minIntervalS?: number;
}

export class PositionBeacon {
  private lastSentMs = -Infinity;
  private lastSentAt: LatLon | undefined;

  constructor(private readonly options: PositionBeaconOptions) {}

  /** Whether a beacon is due for `fix` at `nowMs`. */
  due(fix: GpsFix | undefined, nowMs: number): boolean {
    if (!fix || fix.mode === 'none') return false;
    const since = nowMs - this.lastSentMs;
    if (since >= this.options.intervalS * 1000) return true;
    if (!this.lastSentAt || since < (this.options.minIntervalS ?? 30) * 1000) return false;
    return distanceM(this.lastSentAt, fix) >= this.options.minMoveM;
  }

  /** No beacon has gone out since this node started. */
  get neverSent(): boolean {
    return this.lastSentAt === undefined;
  }

  /** Records that a beacon for `fix` went out at `nowMs`. */
  sent(fix: GpsFix, nowMs: number): void {
    this.lastSentMs = nowMs;
    this.lastSentAt = { latitude: fix.latitude, longitude: fix.longitude };
  }

  toPosition(fix: GpsFix, nowMs: number): Position {
    const bits = this.options.precisionBits;
    return {
      // A cell's centre can lie past 180° (Fiji, Chukotka) or 90°: the hub ignores a position off the globe.
      latitudeI: clamp(reducePrecision(Math.round(fix.latitude * 1e7), bits), 900_000_000),
      longitudeI: clamp(reducePrecision(Math.round(fix.longitude * 1e7), bits), 1_800_000_000),
      altitudeM: Math.round(fix.altitudeM ?? 0),
      time: Math.floor((fix.timeMs ?? nowMs) / 1000),
      precisionBits: bits,
      satsInView: fix.satellites ?? 0,
      fixQuality: fix.mode === '3d' ? 3 : 2,
      // km/h, as the protocol says (data.proto): a walker's 1.4 m/s would round to 1.
      groundSpeed: Math.round((fix.speedMps ?? 0) * 3.6),
      groundTrack: Math.round(fix.courseDeg ?? 0),
    };
  }
}

function clamp(valueI: number, limitI: number): number {
  return Math.max(-limitI, Math.min(limitI, valueI));
}

/**
 * Keeps the top `bits` bits of a 1e-7-degree coordinate and moves it to the middle of the cell it
 * falls in, so the shared point is never off by more than half a cell.
 */
export function reducePrecision(valueI: number, bits: number): number {
  if (bits >= 32) return valueI;
  const drop = 32 - bits;
  const cell = 2 ** drop;
  return Math.floor(valueI / cell) * cell + cell / 2;
}
