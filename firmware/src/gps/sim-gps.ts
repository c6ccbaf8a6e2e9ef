// The simulated twin for devices without a receiver (and for the simulator): a configured position,
// optionally walked around a route on the injected scheduler so movement-triggered beacons can be shown.

import { RealScheduler, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { FixEmitter } from './fix-emitter.ts';
import type { GpsFix, GpsSource } from './gps-source.ts';

export interface LatLon {
  latitude: number;
  longitude: number;
}

export interface SimGpsOptions extends LatLon {
  altitudeM?: number;
  /** Time between fixes. Default 1000 ms, like a 1 Hz receiver. */
  intervalMs?: number;
  /**
   * Walk from (latitude, longitude) through these waypoints and back to the start, round and round,
   * at `speedMps`. Without it the position stays put.
   */
  walk?: { waypoints: LatLon[]; speedMps: number };
  /** Satellites and HDOP to report. Defaults 8 and 0.9: a clear sky. */
  satellites?: number;
  hdop?: number;
  /** UTC ms that scheduler time 0 corresponds to. Default: the wall clock when start() runs. */
  utcAtZeroMs?: number;
  scheduler?: Scheduler;
}

/** Metres per degree of latitude; longitude degrees shrink with cos(latitude). Flat-earth is fine at walking scale. */
const M_PER_DEG = 111_320;

interface Leg {
  from: LatLon;
  to: LatLon;
  lengthM: number;
  courseDeg: number;
}

export class SimGps extends FixEmitter implements GpsSource {
  private readonly origin: LatLon;
  private readonly altitudeM: number | undefined;
  private readonly intervalMs: number;
  private readonly legs: Leg[];
  private readonly loopM: number;
  private readonly speedMps: number;
  private readonly satellites: number;
  private readonly hdop: number;
  private readonly utcAtZeroOption: number | undefined;
  private readonly scheduler: Scheduler;

  private timer: TimerHandle | undefined;
  private running = false;
  private available = true;
  private startedAt = 0;
  private utcAtZeroMs = 0;

  constructor(options: SimGpsOptions) {
    super();
    checkLatLon(options, 'gps.sim');
    this.origin = { latitude: options.latitude, longitude: options.longitude };
    this.altitudeM = options.altitudeM;
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs > 0) || !Number.isFinite(this.intervalMs)) {
      throw new FirmwareError('E_CONFIG', `gps.sim.intervalMs must be a positive number, got ${options.intervalMs}`);
    }
    this.speedMps = options.walk?.speedMps ?? 0;
    if (options.walk && !(this.speedMps >= 0 && Number.isFinite(this.speedMps))) {
      throw new FirmwareError('E_CONFIG', `gps.sim.walk.speedMps must be a non-negative number, got ${options.walk.speedMps}`);
    }
    const waypoints = options.walk?.waypoints ?? [];
    waypoints.forEach((p, i) => checkLatLon(p, `gps.sim.walk.waypoints[${i}]`));
    const points = [this.origin, ...waypoints];
    this.legs = points.length < 2 ? [] : points.map((from, i) => leg(from, points[(i + 1) % points.length]!));
    this.loopM = this.legs.reduce((sum, l) => sum + l.lengthM, 0);
    this.satellites = options.satellites ?? 8;
    this.hdop = options.hdop ?? 0.9;
    this.utcAtZeroOption = options.utcAtZeroMs;
    this.scheduler = options.scheduler ?? new RealScheduler();
  }

  /** Simulates going indoors (false) and back out (true); reported at once, then at every interval. */
  setFixAvailable(available: boolean): void {
    if (available === this.available) return;
    this.available = available;
    if (this.running) this.tick();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.scheduler.now();
    this.utcAtZeroMs = this.utcAtZeroOption ?? Date.now() - this.scheduler.now();
    this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private tick(): void {
    this.timer?.cancel();
    const now = this.scheduler.now();
    this.counters.accepted++;
    this.emitFix(this.fixAt(now));
    this.timer = this.scheduler.schedule(this.intervalMs, () => this.tick());
  }

  private fixAt(now: number): GpsFix {
    const timeMs = this.utcAtZeroMs + now;
    if (!this.available) return { mode: 'none', latitude: Number.NaN, longitude: Number.NaN, timeMs, satellites: 0 };
    const { position, courseDeg } = this.positionAt(((now - this.startedAt) / 1000) * this.speedMps);
    const fix: GpsFix = {
      mode: this.altitudeM === undefined ? '2d' : '3d',
      latitude: position.latitude,
      longitude: position.longitude,
      timeMs,
      satellites: this.satellites,
      hdop: this.hdop,
      speedMps: this.legs.length > 0 ? this.speedMps : 0,
    };
    if (this.altitudeM !== undefined) fix.altitudeM = this.altitudeM;
    if (courseDeg !== undefined) fix.courseDeg = courseDeg;
    return fix;
  }

  private positionAt(distanceM: number): { position: LatLon; courseDeg?: number } {
    if (this.legs.length === 0 || this.loopM === 0) return { position: this.origin };
    let along = distanceM % this.loopM;
    for (const l of this.legs) {
      if (along <= l.lengthM && l.lengthM > 0) {
        const t = along / l.lengthM;
        return {
          position: {
            latitude: l.from.latitude + (l.to.latitude - l.from.latitude) * t,
            longitude: l.from.longitude + (l.to.longitude - l.from.longitude) * t,
          },
          courseDeg: l.courseDeg,
        };
      }
      along -= l.lengthM;
    }
    return { position: this.origin };
  }
}

function leg(from: LatLon, to: LatLon): Leg {
  const north = (to.latitude - from.latitude) * M_PER_DEG;
  const east = (to.longitude - from.longitude) * M_PER_DEG * Math.cos((from.latitude * Math.PI) / 180);
  const courseDeg = ((Math.atan2(east, north) * 180) / Math.PI + 360) % 360;
  return { from, to, lengthM: Math.hypot(north, east), courseDeg };
}

function checkLatLon(p: LatLon, key: string): void {
  if (!(Math.abs(p.latitude) <= 90) || !(Math.abs(p.longitude) <= 180)) {
    throw new FirmwareError('E_CONFIG', `${key} needs latitude in [-90, 90] and longitude in [-180, 180], got ${p.latitude}, ${p.longitude}`);
  }
}
