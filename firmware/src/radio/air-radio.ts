// A simulated LoRa radio for `unibos node` on a machine without one: it joins the simulated air
// (`unibos air`) over loopback and behaves like the serial modem towards the router.

import { connect, type Socket } from 'node:net';
import { LORA_MAX_PAYLOAD, type LoRaParams, type Radio, type RadioListener } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { LatLon } from '../geo/distance.ts';
import { readLines } from '../net/line-reader.ts';
import { DEFAULT_AIR_PORT, MAX_AIR_LINE, encodeAirMessage, parseServerMessage, type ServerMessage } from './air-protocol.ts';

export interface AirRadioOptions {
  nodeId: number;
  params: LoRaParams;
  position: LatLon;
  host?: string;
  port?: number;
  /** First delay before reconnecting after the air went away; doubles up to 10 s. */
  reconnectMs?: number;
}

export type AirRadioState = 'closed' | 'connecting' | 'ready' | 'recovering';

export interface AirRadioStats {
  framesSent: number;
  framesReceived: number;
  badLines: number;
  reconnects: number;
}

export class AirRadio implements Radio {
  readonly stats: AirRadioStats = { framesSent: 0, framesReceived: 0, badLines: 0, reconnects: 0 };
  private listener: RadioListener | undefined;
  private socket: Socket | undefined;
  private stateValue: AirRadioState = 'closed';
  private transmitting = false;
  private carrierUntil = 0;
  private position: LatLon;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs: number;
  private stateListeners: Array<(s: AirRadioState) => void> = [];

  constructor(private readonly options: AirRadioOptions) {
    this.position = options.position;
    this.retryMs = options.reconnectMs ?? 250;
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

  /** Joins the air; rejects with E_AIR_UNAVAILABLE if nothing listens or the air refuses us. */
  async open(): Promise<void> {
    this.setState('connecting');
    try {
      await this.connectOnce();
    } catch (err) {
      this.setState('closed');
      throw err;
    }
  }

  async close(): Promise<void> {
    this.setState('closed');
    clearTimeout(this.retryTimer);
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        s.destroySoon?.();
      });
    }
    this.failPending('radio closed');
  }

  /** The node moved (simulated GPS): path loss to others changes from now on. */
  moveTo(position: LatLon): void {
    this.position = position;
    this.write({ type: 'move', ...position });
  }

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  transmit(frame: Uint8Array): void {
    let refusal: string | undefined;
    if (this.transmitting) refusal = 'already transmitting';
    else if (frame.length > LORA_MAX_PAYLOAD) refusal = `frame of ${frame.length} bytes exceeds the ${LORA_MAX_PAYLOAD}-byte LoRa limit`;
    else if (this.stateValue !== 'ready') refusal = `not on the simulated air (${this.stateValue})`;
    if (refusal) {
      const reason = refusal;
      // Reported on a later tick, as a radio would, so the caller is never re-entered.
      setImmediate(() => this.listener?.onTransmitDone(false, reason));
      return;
    }
    this.transmitting = true;
    this.write({ type: 'tx', frame });
  }

  isChannelBusy(): boolean {
    return this.transmitting || performance.now() < this.carrierUntil;
  }

  private connectOnce(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host ?? '127.0.0.1', port: this.options.port ?? DEFAULT_AIR_PORT });
      socket.setNoDelay(true);
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (err) {
          socket.destroy();
          reject(err);
        } else resolve();
      };
      socket.once('connect', () => {
        const { sf, bandwidthHz, codingRate, frequencyHz } = this.options.params;
        socket.write(encodeAirMessage({ type: 'hello', nodeId: this.options.nodeId, ...this.position, params: { sf, bandwidthHz, codingRate, frequencyHz } }));
      });
      readLines(
        socket,
        MAX_AIR_LINE,
        (line) => {
          const parsed = parseServerMessage(line);
          if (!parsed.ok) {
            this.stats.badLines++;
            return;
          }
          const m = parsed.message;
          if (m.type === 'welcome') {
            this.socket = socket;
            this.retryMs = this.options.reconnectMs ?? 250;
            this.setState('ready');
            settle();
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
        this.listener?.onReceive({ bytes: m.frame, rssi: m.rssi, snr: m.snr });
        break;
      case 'tx-done':
        this.transmitting = false;
        if (m.ok) this.stats.framesSent++;
        this.listener?.onTransmitDone(m.ok, m.error);
        break;
      case 'carrier':
        this.carrierUntil = Math.max(this.carrierUntil, performance.now() + m.airtimeMs);
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
      this.retryTimer = setTimeout(() => {
        if (this.stateValue === 'closed') return;
        this.connectOnce().then(
          () => this.stats.reconnects++,
          () => {
            this.retryMs = Math.min(this.retryMs * 2, 10_000);
            retry();
          },
        );
      }, this.retryMs);
    };
    retry();
  }

  private failPending(reason: string): void {
    if (!this.transmitting) return;
    this.transmitting = false;
    this.listener?.onTransmitDone(false, reason);
  }

  private write(m: Parameters<typeof encodeAirMessage>[0]): void {
    if (this.socket && !this.socket.destroyed) this.socket.write(encodeAirMessage(m));
  }

  private setState(s: AirRadioState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    for (const fn of this.stateListeners) fn(s);
  }
}
