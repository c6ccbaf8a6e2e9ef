// The node loop: one field device's router, radio, GPS and button/LED/buzzer, tied together.
// It announces the node, beacons position, telemetry and neighbours, keeps the node database and
// inbox, sends the user's texts and SOS through the durable outbox, and acknowledges SOS when
// it is a gateway. Hardware arrives already built (device-parts.ts), so tests inject twins.

import { EventEmitter } from 'node:events';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import {
  BROADCAST,
  ChannelSet,
  CryptoRandom,
  MAX_DATA_BYTES,
  MeshRouter,
  RealScheduler,
  deriveChannelKey,
  encodeData,
  loraParams,
  type Data,
  type Delivery,
  type LoRaParams,
  type Random,
  type Scheduler,
  type TimerHandle,
} from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { DevicePanel } from '../gpio/device-panel.ts';
import type { GpsFix, GpsSource } from '../gps/gps-source.ts';
import type { NodeIdentity } from './identity.ts';
import { formatNodeId } from './identity.ts';
import { Inbox, type InboxMessage } from './inbox.ts';
import type { NodeConfig } from './node-config.ts';
import type { Db } from './node-db.ts';
import { Outbox, type OutboxEntry } from './outbox.ts';
import { PeerStore, type Peer } from './peer-store.ts';
import { PersistentFrameCounter } from './persistent-frame-counter.ts';
import { PositionBeacon } from './position-beacon.ts';
import { SosTracker, type SosStatus } from './sos.ts';
import { readDeviceHealth, type DeviceHealth } from './telemetry-reader.ts';
import type { ManagedRadio } from './managed-radio.ts';

export interface DeviceOptions {
  config: NodeConfig;
  identity: NodeIdentity;
  db: Db;
  radio: ManagedRadio;
  gps?: GpsSource | undefined;
  panel?: DevicePanel | undefined;
  logger: Logger;
  scheduler?: Scheduler;
  random?: Random;
  /** Wall-clock time for stored timestamps. */
  clock?: () => number;
  health?: () => DeviceHealth;
}

export interface DeviceEvents {
  message: [InboxMessage];
  sos: [SosStatus];
}

export interface NodeStatus {
  nodeId: string;
  name: string;
  role: string;
  uptimeS: number;
  radio: { type: string; state: string; error: string | null; preset: string; frequencyHz: number; region: string };
  gps: { type: string; fix: GpsFix | null };
  mesh: {
    channel: string;
    hopLimit: number;
    channelUtilizationPercent: number;
    txBacklog: number;
    framesSent: number;
    framesReceived: number;
    delivered: number;
    relayed: number;
    drops: Record<string, number>;
  };
  outbox: { queued: number; oldestAgeS: number | null; inFlight: number; expired: number };
  sos: SosStatus;
  peers: number;
}

/** Own messages handed to the router at once (one keeps them in order); the rest wait durably in the outbox. */
const MAX_IN_FLIGHT = 1;
/** A broadcast nobody relayed still reached whoever heard it: neighbours heard this recently count. */
const NEIGHBOUR_FRESH_MS = 30 * 60_000;
/** A message nobody acknowledged for this long is given up (and counted). */
const OUTBOX_MAX_AGE_MS = 24 * 3600_000;
const RADIO_RETRY_MIN_MS = 2_000;
const RADIO_RETRY_MAX_MS = 60_000;
/** Answer another node's request for our NodeInfo at most this often per requester. */
const NODEINFO_REPLY_INTERVAL_MS = 10 * 60_000;

export class Device extends EventEmitter<DeviceEvents> {
  readonly nodeId: number;
  readonly router: MeshRouter;
  readonly name: string;
  private readonly config: NodeConfig;
  private readonly radio: ManagedRadio;
  private readonly gps: GpsSource | undefined;
  private readonly panel: DevicePanel | undefined;
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly clock: () => number;
  private readonly health: () => DeviceHealth;
  private readonly identity: NodeIdentity;
  readonly outbox: Outbox;
  readonly peers: PeerStore;
  readonly inbox: Inbox;
  private readonly sos: SosTracker;
  private readonly position: PositionBeacon;
  private readonly inFlight = new Map<number, OutboxEntry>();
  private readonly timers: TimerHandle[] = [];
  private readonly nodeInfoReplies = new Map<number, number>();
  private pumpTimer: TimerHandle | undefined;
  private pumpAtMs = Infinity;
  private expired = 0;
  private radioError: string | undefined;
  private radioRetry: TimerHandle | undefined;
  private radioRetryMs = RADIO_RETRY_MIN_MS;
  private startedMs = 0;
  private stopped = false;

  constructor(options: DeviceOptions) {
    super();
    const { config, identity } = options;
    this.config = config;
    this.identity = identity;
    this.nodeId = identity.nodeId;
    this.name = config.name ?? `UNIBOS ${formatNodeId(identity.nodeId).slice(-4)}`;
    this.radio = options.radio;
    this.gps = options.gps;
    this.panel = options.panel;
    this.log = options.logger;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.random = options.random ?? new CryptoRandom();
    this.clock = options.clock ?? Date.now;
    this.health = options.health ?? (() => readDeviceHealth());
    const channel = deriveChannelKey(config.channel.name, config.channel.psk);
    this.router = new MeshRouter({
      nodeId: identity.nodeId,
      radio: this.radio,
      scheduler: this.scheduler,
      random: this.random,
      channels: new ChannelSet([channel]),
      sendChannel: channel,
      hopLimit: config.hopLimit,
      region: config.region,
      counter: new PersistentFrameCounter(options.db),
    });
    this.outbox = new Outbox(options.db);
    this.peers = new PeerStore(options.db);
    this.inbox = new Inbox(options.db);
    this.position = new PositionBeacon({
      intervalS: config.beacons.positionIntervalS,
      minMoveM: config.beacons.positionMinMoveM,
      precisionBits: config.beacons.positionPrecisionBits,
    });
    this.sos = new SosTracker(options.db, this.scheduler, {
      retryIntervalS: config.sos.retryIntervalS,
      maxRetryIntervalS: config.sos.maxRetryIntervalS,
      clock: this.clock,
      sendCopy: (requestId) => this.enqueue(BROADCAST, { alert: this.alert('SOS', 'SOS'), requestId, wantResponse: true }, true, `sos:${requestId}`),
      onChange: (s) => {
        // Once acknowledged or cancelled, copies still queued have nothing left to say.
        if (s.phase !== 'pending') this.outbox.withdraw(`sos:${s.requestId}`);
        this.log.info({ sos: s }, `SOS ${s.phase}`);
        this.updatePanel();
        this.emit('sos', s);
      },
    });
    this.router.on('deliver', (d) => this.onDeliver(d));
    this.router.on('heard', (h) => {
      const hops = h.header.hopStart - h.header.hopLimit + 1;
      const change = this.peers.heard(h.header.from, hops - 1, h.snr, h.rssi, h.data, this.clock());
      if (change) this.log.info({ peer: formatNodeId(h.header.from), hops, name: h.data.nodeInfo?.longName }, change === 'new' ? 'peer heard' : 'peer named');
    });
    this.router.on('sent', ({ id }) => this.onSent(id));
    this.router.on('ack', ({ id, by }) => this.settle(id, `acknowledged by ${formatNodeId(by)}`));
    this.router.on('nak', ({ id, reason }) => this.onNak(id, reason));
    this.router.on('drop', ({ reason, detail }) => this.log.debug({ reason, detail }, 'frame dropped'));
    this.radio.onStateChange((state) => {
      this.log.info({ radio: state }, `radio ${state}`);
      if (state === 'ready') this.pump();
    });
  }

  /** LoRa settings this configuration asks for. */
  static radioParams(config: NodeConfig): LoRaParams {
    return loraParams(config.preset, { frequencyHz: config.frequencyHz, txPowerDbm: config.txPowerDbm });
  }

  async start(): Promise<void> {
    this.startedMs = this.clock();
    await this.openRadio();
    if (this.gps) {
      this.gps.onFix((fix) => this.onFix(fix));
      await this.gps.start();
    }
    if (this.panel) {
      this.panel.onButton((press) => {
        this.log.info({ press }, `button: ${press} press`);
        if (press === 'long') this.raiseSos();
        else this.imSafe();
      });
      await this.panel.start();
      this.updatePanel();
    }
    const b = this.config.beacons;
    this.sendNodeInfo(BROADCAST, true);
    this.every(b.nodeInfoIntervalS, () => this.sendNodeInfo(BROADCAST, false));
    this.every(b.neighborInfoIntervalS, () => this.router.sendNeighborInfo(b.neighborInfoIntervalS), 0.1);
    this.every(b.telemetryIntervalS, () => this.sendTelemetry(), 0.1);
    this.every(b.positionIntervalS, () => this.maybeSendPosition());
    this.sos.resume();
    this.pump();
    this.log.info({ nodeId: formatNodeId(this.nodeId), name: this.name, queued: this.outbox.size }, 'node started');
  }

  /**
   * A radio missing at boot (modem unplugged, air not started) does not stop the node: it keeps
   * its control API, button and outbox, says why in the log and status, and keeps trying.
   */
  private async openRadio(): Promise<void> {
    try {
      await this.radio.open();
      this.radioError = undefined;
      this.radioRetryMs = RADIO_RETRY_MIN_MS;
    } catch (err) {
      if (this.stopped) return;
      this.radioError = (err as Error).message;
      this.log.error({ code: (err as { code?: string }).code, retryInS: this.radioRetryMs / 1000 }, `radio unavailable: ${this.radioError}`);
      this.radioRetry = this.scheduler.schedule(this.radioRetryMs, () => void this.openRadio());
      this.radioRetryMs = Math.min(this.radioRetryMs * 2, RADIO_RETRY_MAX_MS);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.radioRetry?.cancel();
    for (const t of this.timers) t.cancel();
    this.pumpTimer?.cancel();
    this.sos.stop();
    await this.panel?.stop();
    await this.gps?.stop();
    await this.radio.close();
    // Whatever is still in flight stays in the outbox and goes again after the restart.
    this.log.info({ queued: this.outbox.size }, 'node stopped');
  }

  // ---- what the user (CLI, button) asks for ----

  /** Queues a text for `to` (a node or everyone); returns its packet id once it is on disk. */
  sendText(text: string, to: number = BROADCAST): { packetId: number; queued: number } {
    if (typeof text !== 'string' || text.length === 0) throw new FirmwareError('E_BAD_REQUEST', 'text must not be empty');
    const data: Data = { text };
    const size = encodeData(data).length;
    if (size > MAX_DATA_BYTES) {
      throw new FirmwareError('E_BAD_REQUEST', `text is ${size} bytes encoded; one frame carries at most ${MAX_DATA_BYTES}`);
    }
    if (to === this.nodeId) throw new FirmwareError('E_BAD_REQUEST', 'that is this node');
    const packetId = this.enqueue(to, data, true);
    return { packetId, queued: this.outbox.size };
  }

  raiseSos(): SosStatus {
    return this.sos.raise();
  }

  /** "I am safe": ends a pending SOS and tells the mesh. */
  imSafe(): { packetId: number; cancelledSos: boolean } {
    const cancelled = this.sos.cancel();
    const packetId = this.enqueue(BROADCAST, { alert: this.alert('SAFE', 'I am safe'), requestId: cancelled ?? 0 }, true);
    return { packetId, cancelledSos: cancelled !== undefined };
  }

  status(): NodeStatus {
    const s = this.router.stats;
    const oldest = this.outbox.oldestMs;
    const drops: Record<string, number> = {};
    for (const [reason, n] of Object.entries(s.drops)) if (n > 0) drops[reason] = n;
    return {
      nodeId: formatNodeId(this.nodeId),
      name: this.name,
      role: this.config.role,
      uptimeS: Math.round((this.clock() - this.startedMs) / 1000),
      radio: { type: this.config.radio.type, state: this.radio.state, error: this.radioError ?? null, preset: this.config.preset, frequencyHz: this.config.frequencyHz, region: this.config.region },
      gps: { type: this.config.gps.type, fix: this.gps?.lastFix ?? null },
      mesh: {
        channel: this.config.channel.name,
        hopLimit: this.config.hopLimit,
        channelUtilizationPercent: Math.round(this.router.utilization.percent() * 10) / 10,
        txBacklog: this.router.txBacklog,
        framesSent: s.txFrames,
        framesReceived: s.rxFrames,
        delivered: s.delivered,
        relayed: s.relaysSent,
        drops,
      },
      outbox: { queued: this.outbox.size, oldestAgeS: oldest === undefined ? null : Math.round((this.clock() - oldest) / 1000), inFlight: this.inFlight.size, expired: this.expired },
      sos: this.sos.status,
      peers: this.peers.all().length,
    };
  }

  // ---- the outbox ----

  private enqueue(to: number, data: Data, wantAck: boolean, supersedes?: string): number {
    const packetId = randomInt(1, 0xffffffff);
    this.outbox.add(supersedes === undefined ? { packetId, to, data, wantAck, createdMs: this.clock() } : { packetId, to, data, wantAck, supersedes, createdMs: this.clock() });
    this.pump();
    return packetId;
  }

  /** Hands due messages to the router while the radio is up, a few at a time. */
  private pump(): void {
    if (this.stopped || this.radio.state !== 'ready') return;
    const now = this.clock();
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free > 0) {
      const due = this.outbox.dueAt(now, MAX_IN_FLIGHT + free).filter((e) => !this.inFlight.has(e.packetId));
      for (const e of due.slice(0, free)) {
        this.inFlight.set(e.packetId, e);
        const opts = e.hopLimit === undefined ? { id: e.packetId, wantAck: e.wantAck } : { id: e.packetId, wantAck: e.wantAck, hopLimit: e.hopLimit };
        try {
          this.router.send(e.to, e.data, opts);
        } catch (err) {
          // Cannot be sent as stored (it passed the size check when queued, so this is unexpected).
          this.log.error({ err, packetId: e.packetId }, 'dropping an outbox message the router refused');
          this.inFlight.delete(e.packetId);
          this.outbox.done(e.packetId);
        }
      }
    }
    const next = this.outbox.nextDueAfter(now);
    if (next !== undefined && next < this.pumpAtMs) {
      this.pumpTimer?.cancel();
      this.pumpAtMs = next;
      this.pumpTimer = this.scheduler.schedule(next - now, () => {
        this.pumpAtMs = Infinity;
        this.pumpTimer = undefined;
        this.pump();
      });
    }
  }

  private onSent(id: number): void {
    this.panel?.flashActivity();
    const e = this.inFlight.get(id);
    // A message that wants an ack stays until the ack (or the nak) comes.
    if (e && !e.wantAck) this.settle(id, 'sent');
  }

  private settle(id: number, how: string): void {
    if (!this.inFlight.delete(id)) return;
    this.outbox.done(id);
    this.log.debug({ packetId: id }, `outbox message ${how}`);
    this.pump();
  }

  private onNak(id: number, reason: string): void {
    const e = this.inFlight.get(id);
    if (!e) return;
    this.inFlight.delete(id);
    const now = this.clock();
    // Nobody relayed our broadcast, but direct neighbours were around to hear it: at the edge of
    // the mesh there is no one further to relay to, so this is as delivered as a broadcast gets.
    if (e.to === BROADCAST && reason === 'MAX_RETRANSMIT' && this.router.neighbors.direct(this.scheduler.now(), NEIGHBOUR_FRESH_MS).length > 0) {
      this.outbox.done(id);
      this.pump();
      return;
    }
    if (now - e.createdMs > OUTBOX_MAX_AGE_MS) {
      this.expired++;
      this.outbox.done(id);
      this.log.warn({ packetId: id, to: formatNodeId(e.to), reason }, 'gave up on a message after 24 h');
    } else {
      // Nobody answered (the destination is away, or no neighbour relayed): wait longer each
      // time. A radio or budget problem is retried sooner.
      const base = reason === 'MAX_RETRANSMIT' ? 30_000 : 5_000;
      const wait = Math.min(base * 2 ** Math.min(e.attempts, 10), 15 * 60_000) * (0.75 + this.random.next() / 2);
      this.outbox.retryAt(id, now + Math.round(wait));
      this.log.info({ packetId: id, reason, retryInS: Math.round(wait / 1000) }, 'message not delivered yet; kept in the outbox');
    }
    this.pump();
  }

  // ---- what the mesh tells us ----

  private onDeliver(d: Delivery): void {
    this.panel?.flashActivity();
    const data = d.data;
    const base = { from: d.from, to: d.to, packetId: d.id, requestId: data.requestId ?? 0, rxMs: this.clock(), hops: d.hops + 1, rssi: d.rssi, snr: d.snr };
    if (data.text !== undefined) {
      this.store({ ...base, kind: 'text', level: null, text: data.text, latitude: null, longitude: null });
    } else if (data.alert) {
      const a = data.alert;
      const at = a.position && (a.position.latitudeI !== 0 || a.position.longitudeI !== 0) ? a.position : undefined;
      const fresh = this.store({ ...base, kind: 'alert', level: a.level, text: a.text, latitude: at ? at.latitudeI / 1e7 : null, longitude: at ? at.longitudeI / 1e7 : null });
      if (fresh) this.panel?.alert(a.level === 'SOS' ? 'sos' : 'alert');
      // Every copy of an SOS is acknowledged, so a sender whose last ack was lost stops too.
      if (a.level === 'SOS' && data.wantResponse && this.config.role === 'GATEWAY') {
        this.router.send(d.from, { routing: { error: 'NONE' }, replyId: data.requestId ?? 0 }, { hopLimit: this.config.hopLimit });
      }
    } else if (data.routing && data.replyId) {
      this.sos.acknowledge(data.replyId, d.from);
    } else if (data.nodeInfo && data.wantResponse && d.from !== this.nodeId) {
      const last = this.nodeInfoReplies.get(d.from) ?? -Infinity;
      if (this.clock() - last >= NODEINFO_REPLY_INTERVAL_MS) {
        this.nodeInfoReplies.set(d.from, this.clock());
        this.sendNodeInfo(d.from, false);
      }
    }
  }

  private store(m: Omit<InboxMessage, 'seq'>): boolean {
    const stored = this.inbox.add(m);
    if (!stored) return false;
    this.log.info({ from: formatNodeId(m.from), kind: m.kind, level: m.level, hops: m.hops }, `${m.kind} received`);
    this.emit('message', stored);
    return true;
  }

  private onFix(fix: GpsFix): void {
    this.radio.moveTo?.(fix);
    this.updatePanel();
    this.maybeSendPosition();
  }

  // ---- beacons ----

  private sendNodeInfo(to: number, askBack: boolean): void {
    const data: Data = {
      nodeInfo: { longName: this.name, shortName: formatNodeId(this.nodeId).slice(-4), hwModel: 'UNIBOS', role: this.config.role, publicKey: this.identity.publicKey },
      wantResponse: askBack,
    };
    // The first announcement asks for an implicit ack (a relay overheard), so a collision at
    // start-up is retried; later ones are polite and may be skipped on a busy channel.
    this.router.send(to, data, askBack ? { wantAck: true } : { polite: true });
  }

  private maybeSendPosition(): void {
    const fix = this.gps?.lastFix;
    const now = this.clock();
    if (!fix || !this.position.due(fix, now)) return;
    this.position.sent(fix, now);
    this.router.send(BROADCAST, { position: this.position.toPosition(fix, now) }, { polite: true });
  }

  private sendTelemetry(): void {
    const h = this.health();
    const uptimeS = Math.round((this.clock() - this.startedMs) / 1000);
    this.router.send(
      BROADCAST,
      {
        telemetry: {
          batteryLevel: h.batteryLevel ?? 0,
          voltage: h.voltage ?? 0,
          cpuTemperature: h.cpuTemperature ?? 0,
          uptimeS,
          channelUtilization: this.router.utilization.percent(),
          airUtilTx: uptimeS > 0 ? (100 * this.router.stats.txAirtimeMs) / (uptimeS * 1000) : 0,
        },
      },
      { polite: true },
    );
  }

  private alert(level: 'SOS' | 'SAFE', text: string) {
    const fix = this.gps?.lastFix;
    const alert = { level, text, magnitudeX10: 0 } as const;
    return fix && fix.mode !== 'none' ? { ...alert, position: this.position.toPosition(fix, this.clock()) } : alert;
  }

  private updatePanel(): void {
    const fix = this.gps?.lastFix;
    const phase = this.sos.status.phase;
    this.panel?.setStatus({ gpsFix: !!fix && fix.mode !== 'none', sos: phase === 'pending' ? 'pending' : phase === 'acknowledged' ? 'acknowledged' : 'none' });
  }

  /** Runs `fn` every `intervalS`, spread by ±`jitter` so nodes started together do not collide. */
  private every(intervalS: number, fn: () => void, jitter = 0.05): void {
    const arm = (): void => {
      const ms = intervalS * 1000 * (1 - jitter + 2 * jitter * this.random.next());
      const t = this.scheduler.schedule(ms, () => {
        if (this.stopped) return;
        fn();
        arm();
      });
      this.timers[index] = t;
    };
    const index = this.timers.length;
    this.timers.push({ cancel: () => undefined });
    arm();
  }
}
