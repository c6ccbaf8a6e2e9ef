// Position straight from an NMEA receiver on a serial port (UART or USB), for images without gpsd:
// one process owns the port, parses sentences and reopens the port when it goes away. serialport
// is loaded when the port is first opened, so a node with another position source never has it.

import type { SerialPort } from 'serialport';
import type { ReadlineParser } from '@serialport/parser-readline';
import type { Logger } from 'pino';
import { RealScheduler, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import { DeviceNodeWatch } from '../device-node-watch.ts';
import { FirmwareError } from '../firmware-error.ts';
import { LinkedFixEmitter } from './fix-emitter.ts';
import { DEFAULT_MAX_FIX_AGE_MS, type GpsSource } from './gps-source.ts';
import { MAX_NMEA_LENGTH, NmeaFixAccumulator, parseNmea } from './nmea.ts';

export interface NmeaSerialGpsOptions {
  /** e.g. /dev/serial0 (Pi UART) or /dev/ttyACM0 (USB receiver). */
  path: string;
  /** Default 9600, what most modules ship with (u-blox NEO-6M/7M/M8N, Quectel L76, ...). */
  baudRate?: number;
  /** Wait before reopen attempt `attempt` (1, 2, ...) after the port went away. Default 500 ms doubling to 10 s. */
  reopenDelayMs?: (attempt: number) => number;
  /**
   * A position with no newer fix for this long counts as lost: a UART receiver that loses power
   * falls silent with its port still open. Default 15 s; 0 turns it off.
   */
  maxFixAgeMs?: number;
  scheduler?: Scheduler;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export function defaultReopenDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
}

export class NmeaSerialGps extends LinkedFixEmitter implements GpsSource {
  private readonly path: string;
  private readonly baudRate: number;
  private readonly reopenDelayMs: (attempt: number) => number;
  private readonly maxFixAgeMs: number;
  private readonly scheduler: Scheduler;
  private readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'> | undefined;
  /**
   * An unplugged USB receiver takes its device node with it, and a hung-up port may never report a
   * read error (reads return 0 bytes, which serialport retries): the node vanishing closes the port.
   */
  private readonly deviceNode: DeviceNodeWatch;

  private readonly epoch = new NmeaFixAccumulator();

  private running = false;
  private port: SerialPort | undefined;
  private parser: ReadlineParser | undefined;
  private opening: Promise<void> | undefined;
  private retryTimer: TimerHandle | undefined;
  private staleTimer: TimerHandle | undefined;
  private attempt = 0;

  constructor(options: NmeaSerialGpsOptions) {
    super();
    if (typeof options.path !== 'string' || options.path === '') {
      throw new FirmwareError('E_CONFIG', 'gps.serialPath must name a serial device');
    }
    this.path = options.path;
    this.baudRate = options.baudRate ?? 9600;
    if (!Number.isInteger(this.baudRate) || this.baudRate <= 0) {
      throw new FirmwareError('E_CONFIG', `gps.baudRate must be a positive integer, got ${this.baudRate}`);
    }
    this.reopenDelayMs = options.reopenDelayMs ?? defaultReopenDelayMs;
    this.maxFixAgeMs = options.maxFixAgeMs ?? DEFAULT_MAX_FIX_AGE_MS;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger;
    this.deviceNode = new DeviceNodeWatch(this.path, (present) => {
      const port = this.port;
      if (present || !port?.isOpen) return;
      this.logger?.warn({ path: this.path }, 'GPS serial device node is gone');
      port.close(() => undefined);
    }, this.logger);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.open();
    } catch (err) {
      this.running = false;
      throw err;
    }
    this.deviceNode.start();
    if (this.running) this.emitLink(true);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.deviceNode.stop();
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.staleTimer?.cancel();
    this.staleTimer = undefined;
    await this.opening?.catch(() => undefined);
    const port = this.port;
    this.detach();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Opens the port and starts reading; stop() waits for an open in flight, including closing what it opened late. */
  private open(): Promise<void> {
    const opening = this.openOnce();
    this.opening = opening;
    const clear = (): void => {
      if (this.opening === opening) this.opening = undefined;
    };
    opening.then(clear, clear);
    return opening;
  }

  private async openOnce(): Promise<void> {
    const [{ SerialPort }, { ReadlineParser }] = await Promise.all([import('serialport'), import('@serialport/parser-readline')]);
    const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) reject(new FirmwareError('E_GPS_UNAVAILABLE', `cannot open GPS serial port ${this.path}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
    if (!this.running) {
      await new Promise<void>((resolve) => port.close(() => resolve()));
      return;
    }
    this.attach(port, new ReadlineParser({ delimiter: '\r\n', encoding: 'latin1' }));
  }

  private attach(port: SerialPort, parser: ReadlineParser): void {
    port.pipe(parser);
    parser.on('data', (line: string) => this.handleLine(line));
    // ReadlineParser buffers until it sees CRLF; noise at the wrong baud rate may never contain one.
    port.on('data', () => {
      if (parser.buffer.length > MAX_NMEA_LENGTH) {
        parser.buffer = Buffer.alloc(0);
        this.counters.dropped++;
      }
    });
    // A read error (EIO once a USB receiver or pty is gone) is the port going away too, whether or not
    // serialport also reports it as a disconnect: close it, and 'close' below reopens.
    port.on('error', (err: Error) => {
      this.logger?.warn({ path: this.path, err: err.message }, 'GPS serial port error');
      if (this.port === port && port.isOpen) port.close(() => undefined);
    });
    port.on('close', () => {
      if (this.port === port) this.linkLost();
    });
    this.port = port;
    this.parser = parser;
  }

  private detach(): void {
    if (this.port && this.parser) this.port.unpipe(this.parser);
    this.parser?.removeAllListeners('data');
    this.port = undefined;
    this.parser = undefined;
    this.epoch.reset();
    this.staleTimer?.cancel();
    this.staleTimer = undefined;
  }

  private handleLine(line: string): void {
    const parsed = parseNmea(line);
    if (!parsed.ok) {
      // GSA, GSV, VTG, TXT... are fine sentences we have no use for; only broken input counts as dropped.
      if (parsed.reason === 'unsupported') this.counters.accepted++;
      else this.counters.dropped++;
      return;
    }
    this.counters.accepted++;
    const fix = this.epoch.push(parsed.sentence);
    if (!fix) return;
    if (fix.mode !== 'none') this.armStaleTimer();
    else this.staleTimer?.cancel();
    this.emitFix(fix);
  }

  private armStaleTimer(): void {
    this.staleTimer?.cancel();
    if (this.maxFixAgeMs <= 0) return;
    this.staleTimer = this.scheduler.schedule(this.maxFixAgeMs, () => {
      this.staleTimer = undefined;
      // An epoch left half-finished is as old as the fix: it must not come back as current later.
      this.epoch.reset();
      if (!this.lastFix || this.lastFix.mode === 'none') return;
      this.logger?.warn({ path: this.path, maxFixAgeMs: this.maxFixAgeMs }, 'no report from the GPS receiver; position lost');
      this.emitFix({ mode: 'none', latitude: Number.NaN, longitude: Number.NaN });
    });
  }

  private linkLost(): void {
    this.detach();
    if (!this.running) return;
    this.logger?.warn({ path: this.path }, 'GPS serial port went away; reopening');
    this.emitLink(false);
    this.attempt = 0;
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    this.attempt++;
    this.retryTimer = this.scheduler.schedule(this.reopenDelayMs(this.attempt), () => {
      this.retryTimer = undefined;
      if (!this.running) return;
      this.open().then(
        () => {
          if (!this.running) return;
          this.counters.reconnects++;
          this.logger?.info({ path: this.path, attempts: this.attempt }, 'GPS serial port reopened');
          this.emitLink(true);
        },
        () => {
          if (this.running) this.scheduleReopen();
        },
      );
    });
  }
}
