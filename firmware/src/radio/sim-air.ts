// The simulated air (`unibos air`): one shared medium on loopback that simulated radios in separate
// `unibos node` processes join. It runs the simulator's medium on wall-clock time, so nodes on one
// machine meet the same path loss, shadowing, loss, half-duplex and collisions as in `unibos sim`.

import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import {
  CryptoRandom,
  DEFAULT_PROPAGATION,
  LORA_MAX_PAYLOAD,
  RealScheduler,
  SimMedium,
  linkBudget,
  linkShadowingDb,
  type LoRaParams,
  type MediumStats,
  type Scheduler,
  type TimerHandle,
} from '@unibos/mesh-protocol';
import { checkLatLon, distanceM, type LatLon } from '../geo/distance.ts';
import { DEFAULT_AIR_PORT, MAX_AIR_LINE, encodeAirMessage, parseClientMessage, type AirParams, type ServerMessage } from './air-protocol.ts';
import { readLines } from '../net/line-reader.ts';

export interface SimAirOptions {
  params: LoRaParams;
  /** Loopback only by default: the air carries no authentication. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Chance that any one otherwise clean reception is lost, 0..1. */
  lossProbability?: number;
  /** Per-link log-normal shadowing sigma, dB (0 = links decided by distance alone). */
  shadowingSigmaDb?: number;
  seed?: number;
  /** How long a new connection may take to say hello before it is closed; default 5000 ms. */
  helloTimeoutMs?: number;
  onEvent?: (event: AirEvent) => void;
}

/**
 * Unsent bytes beyond which a member counts as not reading: what it would hear is dropped rather than
 * queued, and its own lines wait until it catches up.
 */
export const MAX_MEMBER_BUFFER = 256 * 1024;

export type AirEvent =
  | { event: 'joined'; nodeId: number; latitude: number; longitude: number }
  | { event: 'left'; nodeId: number }
  | { event: 'refused'; reason: string }
  | { event: 'bad-line'; nodeId?: number; error: string }
  | { event: 'hello-timeout' }
  | { event: 'slow-member'; nodeId: number; bufferedBytes: number };

export interface AirStats extends MediumStats {
  nodes: number;
  badLines: number;
  /** Connections closed because they did not say hello in time. */
  helloTimeouts: number;
  /** rx and carrier messages not sent to a member that had more than MAX_MEMBER_BUFFER unsent. */
  slowClientDrops: number;
}

interface Member {
  nodeId: number;
  position: LatLon;
  socket: Socket;
  /** Over MAX_MEMBER_BUFFER and not drained since. */
  slow: boolean;
}

export class SimAir {
  private readonly server: Server;
  private readonly members = new Map<number, Member>();
  private readonly medium: SimMedium;
  /** Every connection, joined or not: close() must end them all or server.close() never returns. */
  private readonly sockets = new Set<Socket>();
  /** Transmissions still on air when we close would otherwise keep the process alive until they end. */
  private readonly timers = new Set<TimerHandle>();
  private readonly helloTimeoutMs: number;
  private closed = false;
  private badLines = 0;
  private helloTimeouts = 0;
  private slowClientDrops = 0;

  constructor(private readonly options: SimAirOptions) {
    const sigma = options.shadowingSigmaDb ?? 0;
    const seed = options.seed ?? 1;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5000;
    this.medium = new SimMedium({
      params: options.params,
      scheduler: this.trackedScheduler(new RealScheduler()),
      random: new CryptoRandom(),
      lossProbability: options.lossProbability ?? 0,
      link: (from, to) => {
        const a = this.members.get(from);
        const b = this.members.get(to);
        if (!a || !b) return null;
        const shadow = sigma > 0 ? linkShadowingDb(seed, from, to, sigma) : 0;
        const l = linkBudget(distanceM(a.position, b.position), options.params, shadow, DEFAULT_PROPAGATION);
        return l.audible ? { rssi: round1(l.rssi), snr: round1(l.snr) } : null;
      },
      onCarrier: (receiver, airtimeMs) => this.send(receiver, { type: 'carrier', airtimeMs }),
    });
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    this.server.listen(this.options.port ?? DEFAULT_AIR_PORT, this.options.host ?? '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get stats(): AirStats {
    return { ...this.medium.stats, nodes: this.members.size, badLines: this.badLines, helloTimeouts: this.helloTimeouts, slowClientDrops: this.slowClientDrops };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closing;
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let member: Member | undefined;
    let refused = false;
    const helloTimer = setTimeout(() => {
      // A refused client that keeps its end open is cut off here too, but it did say hello.
      if (!refused) {
        this.helloTimeouts++;
        this.options.onEvent?.({ event: 'hello-timeout' });
      }
      socket.destroy();
    }, this.helloTimeoutMs);
    const refuse = (reason: string): void => {
      refused = true;
      this.options.onEvent?.({ event: 'refused', reason });
      socket.end(encodeAirMessage({ type: 'refused', message: reason }));
    };
    readLines(
      socket,
      MAX_AIR_LINE,
      (line) => {
        if (refused) return;
        const parsed = parseClientMessage(line);
        if (!parsed.ok) {
          this.badLine(parsed.error, member?.nodeId);
          // Silence would leave the client waiting for a welcome that never comes.
          if (!member && parsed.type === 'hello') refuse(parsed.error);
          return;
        }
        const m = parsed.message;
        if (m.type === 'hello') {
          if (member) return this.badLine('hello sent twice', member.nodeId);
          const refusal = this.refusal(m.nodeId, m.params, m);
          if (refusal) return refuse(refusal);
          clearTimeout(helloTimer);
          member = { nodeId: m.nodeId, position: { latitude: m.latitude, longitude: m.longitude }, socket, slow: false };
          this.members.set(m.nodeId, member);
          const joined = member;
          this.medium.radio(m.nodeId).attach({
            onReceive: (p) => this.send(joined.nodeId, { type: 'rx', frame: p.bytes, rssi: p.rssi, snr: p.snr }),
            onTransmitDone: (ok, error) => this.send(joined.nodeId, error === undefined ? { type: 'tx-done', ok } : { type: 'tx-done', ok, error }),
          });
          this.send(m.nodeId, { type: 'welcome' });
          this.options.onEvent?.({ event: 'joined', nodeId: m.nodeId, latitude: m.latitude, longitude: m.longitude });
        } else if (!member) {
          this.badLine(`${m.type} before hello`);
        } else if (m.type === 'move') {
          const bad = checkLatLon(m);
          if (bad) this.badLine(`move: ${bad}`, member.nodeId);
          else member.position = { latitude: m.latitude, longitude: m.longitude };
        } else if (m.frame.length > LORA_MAX_PAYLOAD || m.frame.length === 0) {
          this.send(member.nodeId, { type: 'tx-done', ok: false, error: `frame of ${m.frame.length} bytes is outside 1..${LORA_MAX_PAYLOAD}` });
        } else {
          this.medium.radio(member.nodeId).transmit(m.frame);
        }
      },
      () => this.badLine('overlong line', member?.nodeId),
    );
    const leave = (): void => {
      clearTimeout(helloTimer);
      this.sockets.delete(socket);
      if (member && this.members.get(member.nodeId) === member) {
        this.members.delete(member.nodeId);
        this.medium.detach(member.nodeId);
        this.options.onEvent?.({ event: 'left', nodeId: member.nodeId });
      }
    };
    socket.on('close', leave);
    socket.on('error', () => socket.destroy());
  }

  private refusal(nodeId: number, p: AirParams, at: LatLon): string | null {
    const mine = this.options.params;
    if (this.members.has(nodeId)) return `node ${nodeId.toString(16)} is already on the air`;
    const bad = checkLatLon(at);
    if (bad) return `position out of range: ${bad}`;
    if (p.sf !== mine.sf || p.bandwidthHz !== mine.bandwidthHz || p.codingRate !== mine.codingRate || p.frequencyHz !== mine.frequencyHz) {
      return `this air runs SF${mine.sf}/${mine.bandwidthHz / 1000} kHz/CR4/${4 + mine.codingRate} on ${mine.frequencyHz} Hz; the node asked for SF${p.sf}/${p.bandwidthHz / 1000} kHz/CR4/${4 + p.codingRate} on ${p.frequencyHz} Hz`;
    }
    return null;
  }

  private badLine(error: string, nodeId?: number): void {
    this.badLines++;
    this.options.onEvent?.(nodeId === undefined ? { event: 'bad-line', error } : { event: 'bad-line', nodeId, error });
  }

  private send(nodeId: number, m: ServerMessage): void {
    const member = this.members.get(nodeId);
    if (!member || member.socket.destroyed) return;
    const { socket } = member;
    // A radio that is not listening misses what is on air; queueing it for a client that does not read grows without bound.
    if (socket.writableLength > MAX_MEMBER_BUFFER && (m.type === 'rx' || m.type === 'carrier')) {
      this.slowClientDrops++;
      return;
    }
    socket.write(encodeAirMessage(m));
    if (!member.slow && socket.writableLength > MAX_MEMBER_BUFFER) {
      member.slow = true;
      this.options.onEvent?.({ event: 'slow-member', nodeId, bufferedBytes: socket.writableLength });
      // Every tx it sends earns a tx-done it would not read either: stop taking its lines until it catches up.
      socket.pause();
      socket.once('drain', () => {
        member.slow = false;
        socket.resume();
      });
    }
  }

  /** The medium's scheduler, remembering its timers so close() can cancel them. */
  private trackedScheduler(real: Scheduler): Scheduler {
    return {
      now: () => real.now(),
      schedule: (delayMs, fn) => {
        const handle = real.schedule(delayMs, () => {
          this.timers.delete(handle);
          fn();
        });
        this.timers.add(handle);
        return {
          cancel: () => {
            this.timers.delete(handle);
            handle.cancel();
          },
        };
      },
    };
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
