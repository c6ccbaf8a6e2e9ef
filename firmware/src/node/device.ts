// The node loop: one field device's router, radio, GPS and button/LED/buzzer, tied together.
// It announces the node, beacons position, telemetry and neighbours, keeps the node database and
// inbox, sends the user's texts and SOS through the durable outbox, follows its SOS through its
// stages, and (as a gateway) answers other nodes' SOS with a stage when told to: the device itself
// never claims more than it did. Hardware arrives already built (device-parts.ts), so tests inject twins.

import { EventEmitter } from 'node:events';
import { join } from 'node:path';
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
  type AlertLevel,
  type Data,
  type Delivery,
  type LoRaParams,
  type Random,
  type Scheduler,
  type SosStageReport,
  type TimerHandle,
  laterSosStage,
  sosStageOf,
  sosStageRank,
  sosStageRouting,
} from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { DevicePanel, SosState } from '../gpio/device-panel.ts';
import type { GpsFix, GpsSource } from '../gps/gps-source.ts';
import type { NodeIdentity } from './identity.ts';
import { formatNodeId } from '@unibos/mesh-protocol';
import { Inbox, type InboxMessage } from './inbox.ts';
import type { NodeConfig } from './node-config.ts';
import type { Db } from './node-db.ts';
import { Outbox, type OutboxEntry, type OutboxPriority } from './outbox.ts';
import { PeerStore, type Peer } from './peer-store.ts';
import { PersistentFrameCounter } from './persistent-frame-counter.ts';
import { PositionBeacon } from './position-beacon.ts';
import { SosTracker, type SosStatus } from './sos.ts';
import { StoppableScheduler } from './stoppable-scheduler.ts';
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

/** A piece of hardware and why it is not working, if it is not. */
export interface PartStatus {
  type: string;
  error: string | null;
}

export interface NodeStatus {
  nodeId: string;
  name: string;
  role: string;
  uptimeS: number;
  radio: PartStatus & { state: string; preset: string; frequencyHz: number; region: string };
  gps: PartStatus & { fix: GpsFix | null };
  gpio: PartStatus;
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
  /** Stored events (peer updates, received messages) that could not be written. */
  storageErrors: number;
}

type Part = 'radio' | 'gps' | 'gpio';

/** A broadcast nobody relayed still reached whoever heard it: neighbours heard this recently count. */
const NEIGHBOUR_FRESH_MS = 30 * 60_000;
/**
 * Real attempts (each up to the router's three transmissions) before a message is given up: with
 * the backoff capped at 15 min, about a day of trying. Counted in attempts, not wall-clock age,
 * because a Pi without a real-time clock can jump days when it first gets the time.
 */
const MAX_ATTEMPTS = 100;
/** Timers are re-armed at least this often, so a wall-clock jump cannot leave the outbox asleep. */
const MAX_PUMP_SLEEP_MS = 60_000;
const PART_RETRY_MIN_MS = 2_000;
const PART_RETRY_MAX_MS = 60_000;
/** Answer another node's request for our NodeInfo at most this often per requester. */
const NODEINFO_REPLY_INTERVAL_MS = 10 * 60_000;
/** The announcement goes out at a random moment within this long after the radio is ready. */
const ANNOUNCE_SPREAD_MS = 10_000;
/** SOS answers remembered (node and request id -> highest stage answered): far more than one gateway serves at once. */
const MAX_SOS_ANSWERS = 1024;
/** Announce ourselves again when the radio comes back, at most this often. */
const ANNOUNCE_MIN_INTERVAL_MS = 10 * 60_000;

export class Device extends EventEmitter<DeviceEvents> {
  readonly nodeId: number;
  readonly router: MeshRouter;
  readonly name: string;
  readonly outbox: Outbox;
  readonly peers: PeerStore;
  readonly inbox: Inbox;
  private readonly config: NodeConfig;
  private readonly radio: ManagedRadio;
  private readonly gps: GpsSource | undefined;
  private readonly panel: DevicePanel | undefined;
  private readonly log: Logger;
  private readonly scheduler: StoppableScheduler;
  private readonly random: Random;
  private readonly clock: () => number;
  private readonly health: () => DeviceHealth;
  private readonly identity: NodeIdentity;
  private readonly sos: SosTracker;
  private readonly position: PositionBeacon;
  /** Own messages handed to the router, at most one per priority: in order, alerts never stuck behind texts. */
  private readonly inFlight = new Map<number, OutboxEntry>();
  private readonly nodeInfoReplies = new Map<number, number>();
  private readonly sosAnswers = new Map<string, SosStageReport>();
  private readonly partErrors = new Map<Part, string>();
  private pumpTimer: TimerHandle | undefined;
  private pumpAtMs = Infinity;
  private lastAnnounceMs = -Infinity;
  private positionCheckPending = false;
  private expired = 0;
  private storageErrors = 0;
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
    this.scheduler = new StoppableScheduler(options.scheduler ?? new RealScheduler());
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
      counter: new PersistentFrameCounter(options.db, { mirrorPath: join(config.dataDir, 'frame-counter') }),
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
      sendCopy: (requestId) => this.enqueue(BROADCAST, { alert: this.alert('SOS', 'SOS'), requestId, wantResponse: true }, 'alert', `sos:${requestId}`),
      onChange: (s) => {
        // Once a gateway has it (or the user is safe), copies still queued have nothing left to say.
        if (!s.resending) this.outbox.withdraw(`sos:${s.requestId}`);
        this.log.info({ sos: s }, `SOS ${s.cancelled ? 'cancelled' : s.stage}`);
        this.updatePanel();
        this.emit('sos', s);
      },
    });
    this.router.on('deliver', (d) => this.onDeliver(d));
    this.router.on('heard', (h) =>
      this.safely('peer store', () => {
        const hops = h.header.hopStart - h.header.hopLimit + 1;
        const change = this.peers.heard(h.header.from, hops - 1, h.snr, h.rssi, h.data, this.clock());
        if (change) this.log.info({ peer: formatNodeId(h.header.from), hops, peerName: h.data.nodeInfo?.longName }, change === 'new' ? 'peer heard' : 'peer named');
      }),
    );
    this.router.on('sent', ({ id }) => this.onSent(id));
    this.router.on('ack', ({ id, by }) => this.settle(id, `acknowledged by ${formatNodeId(by)}`));
    this.router.on('nak', ({ id, reason }) => this.onNak(id, reason));
    this.router.on('drop', ({ reason, detail }) => this.log.debug({ reason, detail }, 'frame dropped'));
    this.radio.onStateChange((state) => {
      this.log.info({ radio: state }, `radio ${state}`);
      if (state !== 'ready') return;
      this.announce();
      this.schedulePositionCheck();
      this.pump();
    });
  }

  /** LoRa settings this configuration asks for. */
  static radioParams(config: NodeConfig): LoRaParams {
    return loraParams(config.preset, { frequencyHz: config.frequencyHz, txPowerDbm: config.txPowerDbm });
  }

  async start(): Promise<void> {
    this.startedMs = this.clock();
    const gps = this.gps;
    const panel = this.panel;
    if (gps) gps.onFix((fix) => this.onFix(fix));
    if (panel) {
      panel.onButton((press) => {
        this.log.info({ press }, `button: ${press} press`);
        if (press === 'long') this.raiseSos();
        else this.imSafe();
      });
    }
    // A part missing at boot (modem unplugged, air not started, gpsd not up yet) does not stop
    // the node: it keeps its control API, button and outbox, says why, and keeps trying.
    await Promise.all([
      this.keepTrying('radio', () => this.radio.open()),
      gps && this.keepTrying('gps', () => gps.start()),
      panel && this.keepTrying('gpio', async () => (await panel.start(), this.updatePanel())),
    ]);
    const b = this.config.beacons;
    this.every(b.nodeInfoIntervalS, () => this.sendNodeInfo(BROADCAST, false));
    this.every(b.neighborInfoIntervalS, () => this.router.sendNeighborInfo(b.neighborInfoIntervalS), 0.1);
    this.every(b.telemetryIntervalS, () => this.sendTelemetry(), 0.1);
    this.every(b.positionIntervalS, () => this.maybeSendPosition());
    this.sos.resume();
    this.announce();
    this.pump();
    this.log.info({ nodeId: formatNodeId(this.nodeId), nodeName: this.name, queued: this.outbox.size }, 'node started');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Every timer of ours and of the router (retries, relays, backoffs) ends here.
    this.scheduler.stop();
    await this.panel?.stop();
    await this.gps?.stop();
    await this.radio.close();
    // Whatever is still in flight stays in the outbox and goes again after the restart.
    this.log.info({ queued: this.outbox.size }, 'node stopped');
  }

  private async keepTrying(part: Part, open: () => Promise<void>, waitMs = PART_RETRY_MIN_MS): Promise<void> {
    try {
      await open();
      if (this.partErrors.delete(part)) this.log.info(`${part} available`);
    } catch (err) {
      if (this.stopped) return;
      const message = (err as Error).message;
      this.partErrors.set(part, message);
      this.log.error({ code: (err as { code?: string }).code, retryInS: waitMs / 1000 }, `${part} unavailable: ${message}`);
      this.scheduler.schedule(waitMs, () => void this.keepTrying(part, open, Math.min(waitMs * 2, PART_RETRY_MAX_MS)));
    }
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
    const packetId = this.enqueue(to, data, 'text');
    return { packetId, queued: this.outbox.size };
  }

  /** An alert from outside the mesh (the hub, a module) for `to` or everyone, ahead of texts. */
  sendAlert(level: AlertLevel, text: string, to: number = BROADCAST, magnitudeX10 = 0): { packetId: number } {
    const data: Data = { alert: { level, text, magnitudeX10 } };
    const size = encodeData(data).length;
    if (size > MAX_DATA_BYTES) throw new FirmwareError('E_BAD_REQUEST', `alert is ${size} bytes encoded; one frame carries at most ${MAX_DATA_BYTES}`);
    return { packetId: this.enqueue(to, data, 'alert') };
  }

  raiseSos(): SosStatus {
    return this.sos.raise();
  }

  /**
   * Tells node `to` how far its SOS `requestId` has got. A gateway calls this only once it has
   * done what the stage says (e.g. `gateway` after the SOS is committed to its hub outbox). A
   * lower stage than one already answered is raised to that one: the node asking again missed it.
   * Queued ahead of texts and retried until the node acknowledges.
   */
  answerSos(to: number, requestId: number, report: SosStageReport): { packetId: number; stage: SosStageReport['stage'] } {
    if (!Number.isInteger(requestId) || requestId <= 0 || requestId > 0xffffffff) throw new FirmwareError('E_BAD_REQUEST', 'requestId must be a packet id (1..2^32-1)');
    if (to === this.nodeId || to === BROADCAST) throw new FirmwareError('E_BAD_REQUEST', 'an SOS answer goes to the node that sent it');
    const key = `${to}:${requestId}`;
    const before = this.sosAnswers.get(key);
    const answer = before && laterSosStage(report.stage, before.stage) !== report.stage ? before : report;
    this.sosAnswers.delete(key);
    this.sosAnswers.set(key, answer);
    if (this.sosAnswers.size > MAX_SOS_ANSWERS) this.sosAnswers.delete(this.sosAnswers.keys().next().value!);
    const packetId = this.enqueue(to, { routing: sosStageRouting(answer), replyId: requestId }, 'alert', `sos-answer:${key}`);
    this.log.info({ to: formatNodeId(to), requestId, stage: answer.stage }, `SOS answered: ${answer.stage}`);
    return { packetId, stage: answer.stage };
  }

  /** "I am safe": ends a pending SOS and tells the mesh. */
  imSafe(): { packetId: number; cancelledSos: boolean } {
    const cancelled = this.sos.cancel();
    const packetId = this.enqueue(BROADCAST, { alert: this.alert('SAFE', 'I am safe'), requestId: cancelled ?? 0 }, 'alert');
    return { packetId, cancelledSos: cancelled !== undefined };
  }

  status(): NodeStatus {
    const s = this.router.stats;
    const oldest = this.outbox.oldestMs;
    const drops: Record<string, number> = {};
    for (const [reason, n] of Object.entries(s.drops)) if (n > 0) drops[reason] = n;
    const c = this.config;
    const error = (part: Part) => this.partErrors.get(part) ?? null;
    return {
      nodeId: formatNodeId(this.nodeId),
      name: this.name,
      role: c.role,
      uptimeS: Math.round((this.clock() - this.startedMs) / 1000),
      radio: { type: c.radio.type, state: this.radio.state, error: error('radio'), preset: c.preset, frequencyHz: c.frequencyHz, region: c.region },
      gps: { type: c.gps.type, error: error('gps'), fix: this.gps?.lastFix ?? null },
      gpio: { type: c.gpio.type, error: error('gpio') },
      mesh: {
        channel: c.channel.name,
        hopLimit: c.hopLimit,
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
      storageErrors: this.storageErrors,
    };
  }

  // ---- the outbox ----

  private enqueue(to: number, data: Data, priority: OutboxPriority, supersedes?: string): number {
    const packetId = randomInt(1, 0xffffffff);
    const entry = { packetId, to, data, wantAck: true, priority, createdMs: this.clock() };
    this.outbox.add(supersedes === undefined ? entry : { ...entry, supersedes });
    this.pump();
    return packetId;
  }

  /** Hands due messages to the router while the radio is up: one alert and one text at a time. */
  private pump(): void {
    if (this.stopped || this.radio.state !== 'ready') return;
    const now = this.clock();
    for (const priority of ['alert', 'text'] as const) {
      if ([...this.inFlight.values()].some((e) => e.priority === priority)) continue;
      const [e] = this.outbox.dueAt(now, priority, 1 + this.inFlight.size).filter((x) => !this.inFlight.has(x.packetId));
      if (!e) continue;
      this.inFlight.set(e.packetId, e);
      const opts = e.hopLimit === undefined ? { id: e.packetId, wantAck: e.wantAck } : { id: e.packetId, wantAck: e.wantAck, hopLimit: e.hopLimit };
      try {
        this.router.send(e.to, e.data, opts);
      } catch (err) {
        // It passed the size check when queued, so this is unexpected: drop it rather than retry forever.
        this.log.error({ err, packetId: e.packetId }, 'dropping an outbox message the router refused');
        this.inFlight.delete(e.packetId);
        this.outbox.done(e.packetId);
      }
    }
    const next = this.outbox.nextDueAfter(now);
    if (next !== undefined && next < this.pumpAtMs) {
      this.pumpTimer?.cancel();
      this.pumpAtMs = next;
      this.pumpTimer = this.scheduler.schedule(Math.min(next - now, MAX_PUMP_SLEEP_MS), () => {
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
    // MAX_RETRANSMIT: it went on air every time, unanswered. Anything else: the radio, the queue
    // or the budget kept it off the air, which is no attempt at all.
    const attempted = reason === 'MAX_RETRANSMIT';
    // Nobody relayed our broadcast, but direct neighbours were around to hear it: at the edge of
    // the mesh there is no one further to relay to, so this is as delivered as a broadcast gets.
    if (attempted && e.to === BROADCAST && this.router.neighbors.direct(this.scheduler.now(), NEIGHBOUR_FRESH_MS).length > 0) {
      this.outbox.done(id);
      this.pump();
      return;
    }
    if (attempted && e.attempts + 1 >= MAX_ATTEMPTS) {
      this.expired++;
      this.outbox.done(id);
      this.log.warn({ packetId: id, to: formatNodeId(e.to), attempts: e.attempts + 1 }, 'gave up on a message nobody acknowledged');
    } else {
      // Nobody answered (the destination is away): wait longer each time. A radio or budget
      // problem is retried sooner.
      const base = attempted ? 30_000 : 5_000;
      const wait = Math.min(base * 2 ** Math.min(e.attempts, 10), 15 * 60_000) * (0.75 + this.random.next() / 2);
      this.outbox.retryAt(id, this.clock() + Math.round(wait), attempted);
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
      // Hearing an SOS is not answering it: a gateway answers through answerSos() once the SOS is
      // durably on its way to the hub, never merely because the radio heard it.
    } else if (data.routing && data.replyId) {
      // A bare ack (from a gateway built before stages) says only "heard": the SOS keeps going.
      const report = sosStageOf(data.routing);
      if (report) this.sos.advance(data.replyId, d.from, report);
    } else if (data.nodeInfo && data.wantResponse) {
      this.answerNodeInfo(d);
    }
  }

  /** A node that just started asks who is around: answer it, as far away as it is, not further. */
  private answerNodeInfo(d: Delivery): void {
    const now = this.clock();
    if (now - (this.nodeInfoReplies.get(d.from) ?? -Infinity) < NODEINFO_REPLY_INTERVAL_MS) return;
    if (this.nodeInfoReplies.size >= 1024) {
      for (const [id, at] of this.nodeInfoReplies) if (now - at >= NODEINFO_REPLY_INTERVAL_MS) this.nodeInfoReplies.delete(id);
    }
    this.nodeInfoReplies.set(d.from, now);
    this.sendNodeInfo(d.from, false, d.hops);
  }

  private store(m: Omit<InboxMessage, 'seq'>): boolean {
    const stored = this.safely('inbox', () => this.inbox.add(m));
    if (!stored) return false;
    this.log.info({ from: formatNodeId(m.from), kind: m.kind, level: m.level, hops: m.hops }, `${m.kind} received`);
    this.emit('message', stored);
    return true;
  }

  /** A failed write of a received event (a full SD card) is logged and counted; routing goes on. */
  private safely<T>(what: string, write: () => T): T | undefined {
    try {
      return write();
    } catch (err) {
      this.storageErrors++;
      this.log.error({ err: (err as Error).message }, `could not write to the ${what}`);
      return undefined;
    }
  }

  private onFix(fix: GpsFix): void {
    if (fix.mode !== 'none' && Number.isFinite(fix.latitude) && Number.isFinite(fix.longitude)) this.radio.moveTo?.(fix);
    this.updatePanel();
    this.schedulePositionCheck();
  }

  // ---- beacons ----

  /** Tells the mesh who we are and asks who is around: at start, and when the radio returns. */
  private announce(): void {
    const now = this.clock();
    if (this.stopped || this.radio.state !== 'ready' || now - this.lastAnnounceMs < ANNOUNCE_MIN_INTERVAL_MS) return;
    this.lastAnnounceMs = now;
    // Nodes often start together (power back after an outage). Announcing at once, they would
    // collide at every neighbour that hears two of them, then retry only an ack timeout later.
    this.scheduler.schedule(this.random.next() * ANNOUNCE_SPREAD_MS, () => this.sendNodeInfo(BROADCAST, true));
  }

  /**
   * Position beacons are decided at a random moment within the start-up spread after a new fix or
   * the radio coming up: nodes that boot (and get their fix) together would otherwise all beacon
   * at once and collide, and a fix that arrived while the radio was down would wait an interval.
   */
  private schedulePositionCheck(): void {
    if (this.positionCheckPending || this.stopped) return;
    this.positionCheckPending = true;
    this.scheduler.schedule(this.random.next() * ANNOUNCE_SPREAD_MS, () => {
      this.positionCheckPending = false;
      this.maybeSendPosition();
    });
  }

  private sendNodeInfo(to: number, askBack: boolean, hopLimit?: number): void {
    const data: Data = {
      nodeInfo: { longName: this.name, shortName: formatNodeId(this.nodeId).slice(-4), hwModel: 'UNIBOS', role: this.config.role, publicKey: this.identity.publicKey },
      wantResponse: askBack,
    };
    // The announcement asks for an implicit ack (a relay overheard), so a collision at start-up
    // is retried; the periodic ones are polite and may be skipped on a busy channel.
    const options = askBack ? { wantAck: true } : { polite: true };
    this.router.send(to, data, hopLimit === undefined ? options : { ...options, hopLimit });
  }

  private maybeSendPosition(): void {
    const fix = this.gps?.lastFix;
    const now = this.clock();
    // Not while the radio is down: the beacon would count as sent, and the next one is an interval away.
    if (!fix || this.stopped || this.radio.state !== 'ready' || !this.position.due(fix, now)) return;
    // The first beacon meets every other node's start-up traffic (a mesh powering up together):
    // like the announcement it asks for an implicit ack and is retried, or the node would stay off
    // the map for a whole interval. Later ones are polite and may be skipped on a busy channel.
    const options = this.position.neverSent ? { wantAck: true } : { polite: true };
    this.position.sent(fix, now);
    this.router.send(BROADCAST, { position: this.position.toPosition(fix, now) }, options);
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
    this.panel?.setStatus({ gpsFix: !!fix && fix.mode !== 'none', sos: panelSos(this.sos.status) });
  }

  /** Runs `fn` every `intervalS`, spread by ±`jitter` so nodes started together do not collide. */
  private every(intervalS: number, fn: () => void, jitter = 0.05): void {
    const arm = (): void => {
      this.scheduler.schedule(intervalS * 1000 * (1 - jitter + 2 * jitter * this.random.next()), () => {
        fn();
        arm();
      });
    };
    arm();
  }
}

/** The LED's view of an SOS: see firmware/README.md for the patterns. */
export function panelSos(s: SosStatus): SosState {
  if (s.stage === 'none' || s.stage === 'resolved' || s.cancelled) return 'none';
  if (s.resending || s.stage === 'sent') return 'pending';
  return sosStageRank(s.stage) >= sosStageRank('acknowledged') ? 'acknowledged' : 'taken';
}
