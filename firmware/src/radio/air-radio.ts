// A simulated LoRa radio for `unibos node` on a machine without one: it joins the simulated air
// (`unibos air`) over loopback and behaves like the serial modem towards the router.

import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { RealScheduler, type LoRaParams, type Radio, type RadioListener, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { checkLatLon, type LatLon } from '../geo/distance.ts';
import { readLines } from '../net/line-reader.ts';
import { DEFAULT_AIR_PORT, MAX_AIR_LINE, encodeAirMessage, parseServerMessage, type ServerMessage } from './air-protocol.ts';
import { transmitRefusal } from './transmit-refusal.ts';

export interface AirRadioOptions {
  nodeId: number;
  params: LoRaParams;
  /** Must be a real place: the constructor throws E_CONFIG otherwise. */
  position: LatLon;
  host?: string;
  port?: number;
  /** First delay before reconnecting after the air went away; doubles up to 10 s. */
  reconnectMs?: number;
  /** How long one attempt to join (connect, hello, welcome) may take before it fails; default 5000 ms. */
  helloTimeoutMs?: number;
  /** The clock of the hello timeout, the rejoin delay and the carrier; a test's, so a busy machine's pause cannot time a join out. */
  scheduler?: Scheduler;
  logger?: pino.Logger;
}

export type AirRadioState = 'closed' | 'connecting' | 'ready' | 'recovering';

export interface AirRadioStats {
  framesSent: number;
  framesReceived: number;
  badLines: number;
  reconnects: number;
  /** Exceptions thrown by the router or a state listener; caught so the radio keeps running. */
  listenerErrors: number;
  /** Positions passed to moveTo() that were not a place (a GPS without a fix reports NaN). */
  ignoredPositions: number;
}

/** A join in progress: close() must be able to stop it, or its socket outlives the radio. */
interface JoinAttempt {
  socket: Socket;
  abort(err: Error): void;
}

export class AirRadio implements Radio {
  readonly stats: AirRadioStats = { framesSent: 0, framesReceived: 0, badLines: 0, reconnects: 0, listenerErrors: 0, ignoredPositions: 0 };
  private listener: RadioListener | undefined;
  private socket: Socket | undefined;
  private attempt: JoinAttempt | undefined;
  private stateValue: AirRadioState = 'closed';
  private transmitting = false;
  private carrierUntil = 0;
  private position: LatLon;
  private retryTimer: TimerHandle | undefined;
  private retryMs: number;
  private readonly helloTimeoutMs: number;
  private readonly scheduler: Scheduler;
  private readonly log: pino.Logger;
  private stateListeners: Array<(s: AirRadioState) => void> = [];

  /** Throws E_CONFIG if the position is not a place on Earth. */
  constructor(private readonly options: AirRadioOptions) {
    const bad = checkLatLon(options.position);
    if (bad) throw new FirmwareError('E_CONFIG', `a simulated radio needs a place on the simulated air (gps.latitude, gps.longitude): ${bad}`);
    this.position = { latitude: options.position.latitude, longitude: options.position.longitude };
    this.retryMs = options.reconnectMs ?? 250;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5000;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'air-radio', nodeId: options.nodeId.toString(16) });
  }

  get params(): LoRaParams {
    return this.options.params;
  }

  get state(): AirRadioState {
    return this.stateValue;
  }

  onStateChange(fn: (s: AirRadioState) => void): void {
    this.stateListeners.push(fn);
  }

  private get endpoint(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.options.port ?? DEFAULT_AIR_PORT}`;
  }

  /** Joins the air; rejects with E_AIR_UNAVAILABLE if nothing listens, the air refuses us or does not answer. */
  async open(): Promise<void> {
    this.setState('connecting');
    try {
      await this.connectOnce();
    } catch (err) {
      this.setState('closed');
      throw err;
    }
  }

  /** Leaves the air; afterwards no socket or timer of this radio is left to keep the process alive. */
  async close(): Promise<void> {
    this.setState('closed');
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const sockets = [this.attempt?.socket, this.socket].filter((s): s is Socket => s !== undefined && !s.closed);
    this.attempt?.abort(new FirmwareError('E_AIR_UNAVAILABLE', `the simulated radio was closed while joining the air at ${this.endpoint}`));
    const s = this.socket;
    this.socket = undefined;
    s?.destroy();
    await Promise.all(sockets.map((x) => (x.closed ? undefined : once(x, 'close'))));
    this.failPending('radio closed');
  }

  /** The node moved (simulated GPS): path loss to others changes from now on. */
  moveTo(position: LatLon): void {
    // A fix-less GPS reports NaN; keeping it would make every later hello unparseable to the air.
    if (checkLatLon(position)) {
      this.stats.ignoredPositions++;
      return;
    }
    this.position = { latitude: position.latitude, longitude: position.longitude };
    this.write({ type: 'move', ...this.position });
  }

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  transmit(frame: Uint8Array): void {
    const refusal = transmitRefusal(frame, { transmitting: this.transmitting, ready: this.stateValue === 'ready', notReady: `not on the simulated air (${this.stateValue})` });
    if (refusal) {
      const reason = refusal;
      // Reported on a later tick, as a radio would, so the caller is never re-entered.
      setImmediate(() => this.notify('onTransmitDone', (l) => l.onTransmitDone(false, reason)));
      return;
    }
    this.transmitting = true;
    this.write({ type: 'tx', frame });
  }

  isChannelBusy(): boolean {
    return this.transmitting || this.scheduler.now() < this.carrierUntil;
  }

  private connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? DEFAULT_AIR_PORT });
      socket.setNoDelay(true);
      let settled = false;
      let helloTimer: TimerHandle | undefined;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        helloTimer?.cancel();
        if (this.attempt?.socket === socket) this.attempt = undefined;
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      };
      this.attempt = { socket, abort: settle };
      // An air that accepts but never welcomes (a hung process, something else on the port) must not park us for ever.
      helloTimer = this.scheduler.schedule(this.helloTimeoutMs, () =>
        settle(new FirmwareError('E_AIR_UNAVAILABLE', `the simulated air at ${this.endpoint} did not answer hello within ${this.helloTimeoutMs} ms`)),
      );
      socket.once('connect', () => {
        const { sf, bandwidthHz, codingRate, frequencyHz } = this.options.params;
        socket.write(encodeAirMessage({ type: 'hello', nodeId: this.options.nodeId, ...this.position, params: { sf, bandwidthHz, codingRate, frequencyHz } }));
      });
      readLines(
        socket,
        MAX_AIR_LINE,
        (line) => {
          // Lines still queued in a chunk after close() or a failed join belong to nobody.
          if (socket.destroyed) return;
          const parsed = parseServerMessage(line);
          if (!parsed.ok) {
            this.stats.badLines++;
            return;
          }
          const m = parsed.message;
          if (m.type === 'welcome') {
            if (this.stateValue === 'closed') {
              settle(new FirmwareError('E_AIR_UNAVAILABLE', `the simulated radio was closed while joining the air at ${this.endpoint}`));
              return;
            }
            this.socket = socket;
            this.retryMs = this.options.reconnectMs ?? 250;
            settle();
            this.setState('ready');
          } else if (m.type === 'refused') {
            settle(new FirmwareError('E_AIR_UNAVAILABLE', `the simulated air at ${this.endpoint} refused node ${this.options.nodeId.toString(16)}: ${m.message}`));
          } else {
            this.handle(m);
          }
        },
        () => this.stats.badLines++,
      );
      socket.on('error', (err: NodeJS.ErrnoException) => {
        settle(
          new FirmwareError(
            'E_AIR_UNAVAILABLE',
            err.code === 'ECONNREFUSED' ? `no simulated air at ${this.endpoint}: start one with \`unibos air\`` : `simulated air at ${this.endpoint}: ${err.message}`,
            { cause: err },
          ),
        );
      });
      socket.on('close', () => {
        settle(new FirmwareError('E_AIR_UNAVAILABLE', `the simulated air at ${this.endpoint} closed the connection`));
        if (this.socket === socket) this.lost();
      });
    });
  }

  private handle(m: ServerMessage): void {
    switch (m.type) {
      case 'rx':
        this.stats.framesReceived++;
        this.notify('onReceive', (l) => l.onReceive({ bytes: m.frame, rssi: m.rssi, snr: m.snr }));
        break;
      case 'tx-done':
        this.transmitting = false;
        if (m.ok) this.stats.framesSent++;
        this.notify('onTransmitDone', (l) => l.onTransmitDone(m.ok, m.error));
        break;
      case 'carrier':
        this.carrierUntil = Math.max(this.carrierUntil, this.scheduler.now() + m.airtimeMs);
        break;
      default:
        this.stats.badLines++;
    }
  }

  /** The air went away: fail what was in flight and keep trying to rejoin. */
  private lost(): void {
    this.socket = undefined;
    this.failPending('lost the simulated air');
    if (this.stateValue === 'closed') return;
    this.setState('recovering');
    const retry = (): void => {
      if (this.stateValue === 'closed') return;
      this.retryTimer = this.scheduler.schedule(this.retryMs, () => {
        this.retryTimer = undefined;
        if (this.stateValue === 'closed') return;
        this.connectOnce().then(
          () => this.stats.reconnects++,
          (err: Error) => {
            this.log.debug({ err }, 'rejoining the simulated air failed');
            this.retryMs = Math.min(this.retryMs * 2, 10_000);
            retry();
          },
        );
      });
    };
    retry();
  }

  private failPending(reason: string): void {
    if (!this.transmitting) return;
    this.transmitting = false;
    this.notify('onTransmitDone', (l) => l.onTransmitDone(false, reason));
  }

  /** The router runs inside our socket callbacks; its exception must not unwind them and take the process down. */
  private notify(what: 'onReceive' | 'onTransmitDone', call: (l: RadioListener) => void): void {
    const l = this.listener;
    if (!l) return;
    try {
      call(l);
    } catch (err) {
      this.stats.listenerErrors++;
      this.log.error({ err }, `radio listener threw in ${what}`);
    }
  }

  private write(m: Parameters<typeof encodeAirMessage>[0]): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(encodeAirMessage(m));
  }

  private setState(s: AirRadioState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    for (const fn of this.stateListeners) {
      try {
        fn(s);
      } catch (err) {
        this.stats.listenerErrors++;
        this.log.error({ err }, 'state listener threw');
      }
    }
  }
}
