// Position from gpsd over its JSON protocol (TCP, newline-delimited objects): the usual source on
// a Pi, where gpsd owns the receiver and several programs can share it. A fix stands only while
// its receiver does: gpsd says a receiver went away (unplugged) with nothing but a DEVICE
// deactivation, and a receiver that stops talking gets no word at all, so both end the fix here.

import { Socket, createConnection } from 'node:net';
import type { Logger } from 'pino';
import { RealScheduler, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { readLines } from '../net/line-reader.ts';
import { LinkedFixEmitter } from './fix-emitter.ts';
import { DEFAULT_MAX_FIX_AGE_MS, type GpsFix, type GpsSource } from './gps-source.ts';

export interface GpsdClientOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2947, gpsd's registered port. */
  port?: number;
  /** Wait before reconnect attempt `attempt` (1, 2, ...) after gpsd went away. Default 250 ms doubling to 10 s. */
  reconnectDelayMs?: (attempt: number) => number;
  /** How long gpsd may take to acknowledge ?WATCH on a fresh connection. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** Longest JSON line accepted; a SKY with every constellation in view is a few KB. Default 64 KiB. */
  maxLineBytes?: number;
  /**
   * A position with no newer TPV for this long counts as lost (a receiver that went silent while
   * gpsd kept it). Default 15 s: receivers report every 1 s, slow ones every 5 s; 0 turns it off.
   */
  maxFixAgeMs?: number;
  scheduler?: Scheduler;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export const DEFAULT_GPSD_PORT = 2947;
export { DEFAULT_MAX_FIX_AGE_MS };

const WATCH_ON = '?WATCH={"enable":true,"json":true};\n';
const WATCH_OFF = '?WATCH={"enable":false};\n';

export function defaultReconnectDelayMs(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, attempt - 1));
}

type Json = Record<string, unknown>;

export class GpsdClient extends LinkedFixEmitter implements GpsSource {
  private readonly host: string;
  private readonly port: number;
  private readonly reconnectDelayMs: (attempt: number) => number;
  private readonly handshakeTimeoutMs: number;
  private readonly maxLineBytes: number;
  private readonly maxFixAgeMs: number;
  private readonly scheduler: Scheduler;
  private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;

  private running = false;
  private socket: Socket | undefined;
  // A connection still in its handshake, so stop() can abandon it.
  private connecting: Socket | undefined;
  private retryTimer: TimerHandle | undefined;
  private attempt = 0;
  // What the latest SKY said; gpsd reports satellites and DOPs there, not in TPV.
  private skySatellites: number | undefined;
  private skyHdop: number | undefined;
  private release: string | undefined;
  /** Receivers gpsd has active (DEVICES, then each DEVICE), by path. */
  private readonly devices = new Set<string>();
  /** The receiver the current position came from, when the TPV named it. */
  private fixDevice: string | undefined;
  private staleTimer: TimerHandle | undefined;

  constructor(options: GpsdClientOptions = {}) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? DEFAULT_GPSD_PORT;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new FirmwareError('E_CONFIG', `gpsd port must be an integer 1-65535, got ${this.port}`);
    }
    this.reconnectDelayMs = options.reconnectDelayMs ?? defaultReconnectDelayMs;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
    this.maxFixAgeMs = options.maxFixAgeMs ?? DEFAULT_MAX_FIX_AGE_MS;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger;
  }

  /** gpsd's release string from its VERSION banner, once connected. */
  get gpsdRelease(): string | undefined {
    return this.release;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let socket: Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      this.running = false;
      throw err;
    }
    if (!this.running) {
      socket.destroy(); // stop() came while gpsd was answering
      return;
    }
    this.socket = socket;
    this.emitLink(true);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.staleTimer?.cancel();
    this.staleTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    const connecting = this.connecting;
    this.connecting = undefined;
    await Promise.all([
      connecting && closed(connecting, () => connecting.destroy()),
      socket &&
        closed(socket, () => {
          // Telling gpsd lets it release the receiver at once instead of at its next write.
          socket.end(WATCH_OFF);
          socket.destroySoon();
        }),
    ]);
  }

  /** One connection: resolves once gpsd acknowledges ?WATCH, rejects if it cannot be reached. */
  private connect(): Promise<Socket> {
    const where = `${this.host}:${this.port}`;
    return new Promise<Socket>((resolve, reject) => {
      const socket = createConnection({ host: this.host, port: this.port });
      this.connecting = socket;
      socket.setNoDelay(true);
      let watching = false;
      let failure: Error | undefined;
      const timer = this.scheduler.schedule(this.handshakeTimeoutMs, () => {
        failure = new FirmwareError('E_GPS_UNAVAILABLE', `no reply to ?WATCH from gpsd at ${where} within ${this.handshakeTimeoutMs} ms`);
        socket.destroy();
      });
      socket.on('connect', () => socket.write(WATCH_ON));
      readLines(
        socket,
        this.maxLineBytes,
        (line) => {
          const cls = this.handleLine(line);
          if (cls === 'WATCH' && !watching) {
            watching = true;
            timer.cancel();
            if (this.connecting === socket) this.connecting = undefined;
            resolve(socket);
          }
        },
        () => this.counters.dropped++,
      );
      socket.on('error', (err: Error) => {
        failure ??= new FirmwareError('E_GPS_UNAVAILABLE', `gpsd not reachable at ${where}: ${err.message}`, { cause: err });
      });
      socket.on('close', () => {
        timer.cancel();
        if (this.connecting === socket) this.connecting = undefined;
        if (!watching) {
          reject(failure ?? new FirmwareError('E_GPS_UNAVAILABLE', `gpsd at ${where} closed the connection before acknowledging ?WATCH`));
          return;
        }
        if (this.socket === socket) this.linkLost(failure?.message ?? 'connection closed');
      });
    });
  }

  private linkLost(why: string): void {
    this.socket = undefined;
    if (!this.running) return;
    this.logger?.warn({ host: this.host, port: this.port, why }, 'gpsd link lost; reconnecting');
    this.staleTimer?.cancel();
    this.devices.clear();
    this.emitLink(false);
    this.attempt = 0;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.attempt++;
    this.retryTimer = this.scheduler.schedule(this.reconnectDelayMs(this.attempt), () => {
      this.retryTimer = undefined;
      if (!this.running) return;
      this.connect().then(
        (socket) => {
          if (!this.running) {
            socket.destroy();
            return;
          }
          this.socket = socket;
          this.counters.reconnects++;
          this.logger?.info({ host: this.host, port: this.port, attempts: this.attempt }, 'gpsd link restored');
          this.emitLink(true);
        },
        () => {
          if (this.running) this.scheduleReconnect();
        },
      );
    });
  }

  /** Handles one JSON line; returns its class when it parsed. */
  private handleLine(line: string): string | undefined {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.counters.dropped++;
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as Json).class !== 'string') {
      this.counters.dropped++;
      return undefined;
    }
    const obj = value as Json;
    const cls = obj.class as string;
    if (cls === 'TPV') {
      const fix = parseTpv(obj);
      if (fix === 'malformed') {
        this.counters.dropped++;
        return undefined;
      }
      this.counters.accepted++;
      if (fix) {
        if (fix.mode !== 'none') {
          if (this.skySatellites !== undefined) fix.satellites = this.skySatellites;
          if (this.skyHdop !== undefined) fix.hdop = this.skyHdop;
          this.fixDevice = typeof obj.device === 'string' ? obj.device : undefined;
          this.armStaleTimer();
        } else {
          this.staleTimer?.cancel();
        }
        this.emitFix(fix);
      }
      return cls;
    }
    if (cls === 'DEVICES') this.takeDevices(obj);
    else if (cls === 'DEVICE') this.takeDevice(obj);
    else if (cls === 'SKY') this.takeSky(obj);
    else if (cls === 'VERSION' && typeof obj.release === 'string') this.release = obj.release;
    else if (cls === 'ERROR') this.logger?.warn({ message: obj.message }, 'gpsd reported an error');
    this.counters.accepted++;
    return cls;
  }

  /** The receivers gpsd has active when the watch starts. */
  private takeDevices(list: Json): void {
    if (!Array.isArray(list.devices)) return;
    this.devices.clear();
    for (const d of list.devices) {
      if (typeof d === 'object' && d !== null && typeof (d as Json).path === 'string' && (d as Json).activated !== 0) this.devices.add((d as Json).path as string);
    }
  }

  /** A receiver activated, or deactivated (`"activated":0`: unplugged, or gpsd gave up on it). */
  private takeDevice(device: Json): void {
    const path = device.path;
    if (typeof path !== 'string' || device.activated === undefined) return;
    if (device.activated !== 0) {
      this.devices.add(path);
      return;
    }
    this.devices.delete(path);
    // The position stood on that receiver, or no receiver is left to stand on.
    if (path === this.fixDevice || this.devices.size === 0) {
      this.fixLost({ device: path }, 'GPS receiver gone from gpsd; position lost');
    }
  }

  private armStaleTimer(): void {
    this.staleTimer?.cancel();
    if (this.maxFixAgeMs <= 0) return;
    this.staleTimer = this.scheduler.schedule(this.maxFixAgeMs, () => {
      this.staleTimer = undefined;
      this.fixLost({ device: this.fixDevice, maxFixAgeMs: this.maxFixAgeMs }, 'no report from the GPS receiver; position lost');
    });
  }

  /** The position is no longer current: say so once, rather than let the last one stand. */
  private fixLost(context: Record<string, unknown>, message: string): void {
    this.staleTimer?.cancel();
    this.staleTimer = undefined;
    if (!this.lastFix || this.lastFix.mode === 'none') return;
    this.logger?.warn(context, message);
    this.emitFix({ mode: 'none', latitude: Number.NaN, longitude: Number.NaN });
  }

  private takeSky(sky: Json): void {
    const hdop = finite(sky.hdop);
    if (hdop !== undefined) this.skyHdop = hdop;
    const uSat = finite(sky.uSat);
    if (uSat !== undefined) {
      this.skySatellites = uSat;
    } else if (Array.isArray(sky.satellites)) {
      // Older gpsd releases send no uSat, only a used flag per satellite.
      this.skySatellites = sky.satellites.filter((s) => typeof s === 'object' && s !== null && (s as Json).used === true).length;
    }
  }
}

/**
 * TPV to GpsFix. undefined = a well-formed report with nothing to act on (gpsd sends TPVs with a mode
 * but no position while it learns a receiver's cycle); 'malformed' = a field has the wrong type or range.
 */
function parseTpv(tpv: Json): GpsFix | undefined | 'malformed' {
  const mode = tpv.mode;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 3) return 'malformed';
  let timeMs: number | undefined;
  if (typeof tpv.time === 'string') {
    timeMs = Date.parse(tpv.time);
    if (Number.isNaN(timeMs)) return 'malformed';
  } else if (tpv.time !== undefined) {
    return 'malformed';
  }
  if (mode < 2) {
    const none: GpsFix = { mode: 'none', latitude: Number.NaN, longitude: Number.NaN };
    if (timeMs !== undefined) none.timeMs = timeMs;
    return none;
  }
  if (tpv.lat === undefined && tpv.lon === undefined) return undefined;
  const lat = finite(tpv.lat);
  const lon = finite(tpv.lon);
  if (lat === undefined || lon === undefined || Math.abs(lat) > 90 || Math.abs(lon) > 180) return 'malformed';
  const fix: GpsFix = { mode: mode === 3 ? '3d' : '2d', latitude: lat, longitude: lon };
  // altMSL since protocol 3.20; alt is the older name for the same thing.
  const alt = finite(tpv.altMSL) ?? finite(tpv.alt);
  if (mode === 3 && alt !== undefined) fix.altitudeM = alt;
  if (timeMs !== undefined) fix.timeMs = timeMs;
  const speed = finite(tpv.speed);
  if (speed !== undefined) fix.speedMps = speed;
  const track = finite(tpv.track);
  if (track !== undefined) fix.courseDeg = track;
  return fix;
}

/** Resolves once `socket` has closed, after `close` asks it to. */
function closed(socket: Socket, close: () => void): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    close();
  });
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
