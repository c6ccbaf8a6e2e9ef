// The node loop: builds one field device's layers and wires them with typed calls. The router's
// events go to the outbox pump (sent, ack, nak), the inbox and peers (deliver, heard); the panel's
// presses go to the SOS tracker; the tracker's copies and the gateway's SOS answers go through the
// outbox pump. Each job lives in its own file (outbox-pump, beacons, sos, sos-responder,
// panel-state, part-keeper, node-status); hardware arrives already built (device-parts.ts), so
// tests inject twins. The device itself never claims more than it did.

import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  BROADCAST,
  ChannelSet,
  CryptoRandom,
  MAX_DATA_BYTES,
  MESH_ALERT_TEXT_MAX_BYTES,
  MESH_TEXT_MAX_BYTES,
  MeshRouter,
  RealScheduler,
  deriveChannelKey,
  encodeData,
  formatNodeId,
  loraParams,
  sosStageOf,
  type AlertLevel,
  type Data,
  type Delivery,
  type DirectMessage,
  type LoRaParams,
  type Random,
  type Scheduler,
  type SosStageReport,
} from '@unibos/mesh-protocol';
import { MESH_DIRECT_MAX_BYTES, MESH_DIRECT_MAX_TEXT_BYTES } from '@unibos/messenger-crypto';
import { TraceService } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { ButtonPress, DevicePanel } from '../gpio/device-panel.ts';
import type { GpsFix, GpsSource } from '../gps/gps-source.ts';
import { Beacons } from './beacons.ts';
import type { NodeIdentity } from './identity.ts';
import { Inbox, type InboxMessage } from './inbox.ts';
import type { ModuleStatus } from './module-status.ts';
import type { ManagedRadio } from './managed-radio.ts';
import type { NodeConfig } from './node-config.ts';
import type { Db } from './node-db.ts';
import { nodeStatus, type NodeStatus } from './node-status.ts';
import { Outbox, type OutboxDrop } from './outbox.ts';
import { OutboxPump } from './outbox-pump.ts';
import { PanelState } from './panel-state.ts';
import { PartKeeper } from './part-keeper.ts';
import { PeerStore } from './peer-store.ts';
import { PersistentFrameCounter } from './persistent-frame-counter.ts';
import { PrivateMessages } from './private-messages.ts';
import { ReplayStateStore } from './replay-state-store.ts';
import { AirtimeStore, type BootClock } from './airtime-store.ts';
import { SosResponder, type SosAnswer } from './sos-responder.ts';
import { SosTracker, sosOpen, type SosStatus } from './sos.ts';
import { StoppableScheduler } from './stoppable-scheduler.ts';
import { readDeviceHealth, type DeviceHealth } from './telemetry-reader.ts';

/** Private messages we sent whose NOT_OPENED answer we would still act on (packet id -> addressee). */
const PRIVATE_SENT_KEPT = 64;

/** The words of an automatic answer (Alert.automatic), for whoever reads the alert's text: a node's inbox, an older hub. */
export const AUTOMATIC_SAFE_TEXT = 'Answered automatically: no person confirmed';
/** The outbox key of a module's automatic answer: apart from a person's "I am safe" (`safe:0`). */
const AUTOMATIC_SAFE_KEY = 'auto-safe:0';

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
  /** This boot's id and uptime, which age saved airtime across a restart (airtime-store.ts); Linux's own by default. */
  boot?: () => BootClock | undefined;
  health?: () => DeviceHealth;
}

export interface DeviceEvents {
  message: [InboxMessage];
  sos: [SosStatus];
  /** A button press, after the node acted on it (modules with `hardware: ["button"]` hear it). */
  press: [ButtonPress];
  /**
   * One of our messages left the outbox without being sent: pushed out of a full outbox, given up
   * after too many attempts, refused by the router, or unreadable (a gateway's bridge can tell the
   * hub its downlink `packetId` failed instead of leaving it shown as sent).
   */
  dropped: [OutboxDrop];
  /**
   * A message this node put on its outbox (its own, a module's, or one asked for through a
   * gateway), told just after the call that queued it has returned, radio up or not: a gateway's
   * bridge forwards its own node's SOS and texts to the hub, which no radio of its own hears.
   */
  queued: [{ to: number; data: Data; packetId: number }];
}

export class Device extends EventEmitter<DeviceEvents> {
  readonly nodeId: number;
  /** This node's X25519 identity key (its id is the key's hash), as its NodeInfo says it. */
  readonly publicKey: Uint8Array;
  readonly router: MeshRouter;
  readonly name: string;
  readonly outbox: Outbox;
  readonly peers: PeerStore;
  readonly inbox: Inbox;
  /** End-to-end encrypted private messages (Data.direct) to and from this node. */
  readonly privateMessages: PrivateMessages;
  /** `unibos trace`: traces this node starts, and its part in others' traces. */
  readonly traces: TraceService;
  private readonly config: NodeConfig;
  private readonly radio: ManagedRadio;
  private readonly gps: GpsSource | undefined;
  private readonly log: Logger;
  private readonly scheduler: StoppableScheduler;
  private readonly clock: () => number;
  private readonly pump: OutboxPump;
  private readonly beacons: Beacons;
  private readonly sos: SosTracker;
  private readonly sosResponder: SosResponder;
  private readonly panel: PanelState;
  private readonly parts: PartKeeper;
  private readonly replayState: ReplayStateStore;
  private readonly airtime: AirtimeStore;
  private storageErrors = 0;
  private lastSafePacketId = 0;
  /** Packet ids of SOS and "I am safe" copies queued, until they go on air (only then are they sent). */
  private readonly sosCopies = new Map<number, { requestId: number; kind: 'sos' | 'safe' }>();
  /** Our latest private messages' packet ids and their addressees, for a NOT_OPENED answer. */
  private readonly privateSent = new Map<number, number>();
  /** The SOS the outbox's copies belong to (kept across restarts by the tracker), and whether its copies and "I am safe" were still going out. */
  private sosRequestId = 0;
  private sosResending = false;
  /** Our SOS is at a gateway, not yet at the hub: slow copies go (sos.ts armHubWait). */
  private sosAtGatewayOnly = false;
  private safeWaiting = false;
  private startedMs = 0;
  private stopped = false;
  /** The configured modules' state for status(), once run-node has loaded them. */
  modules: { status(): ModuleStatus[]; stop(): Promise<void> } | undefined;

  constructor(options: DeviceOptions) {
    super();
    const { config, identity } = options;
    this.config = config;
    this.nodeId = identity.nodeId;
    this.publicKey = identity.publicKey;
    this.name = config.name ?? `UNIBOS ${formatNodeId(identity.nodeId).slice(-4)}`;
    this.radio = options.radio;
    this.gps = options.gps;
    this.log = options.logger;
    this.scheduler = new StoppableScheduler(options.scheduler ?? new RealScheduler());
    const random = options.random ?? new CryptoRandom();
    this.clock = options.clock ?? Date.now;
    const channel = deriveChannelKey(config.channel.name, config.channel.psk);
    // What the router accepted before a restart: recordings of those frames are refused, not delivered and relayed again.
    this.replayState = new ReplayStateStore(options.db, { scheduler: this.scheduler, log: this.log, onError: (err) => this.storageFailed('replay state', err) });
    // What the duty cycle counted before a restart: a restart is not a new hour's budget.
    this.airtime = new AirtimeStore(options.db, { scheduler: this.scheduler, clock: this.clock, region: config.region, ...(options.boot ? { boot: options.boot } : {}), log: this.log, onError: (err) => this.storageFailed('airtime', err) });
    this.router = new MeshRouter({
      nodeId: identity.nodeId,
      radio: this.radio,
      scheduler: this.scheduler,
      random,
      channels: new ChannelSet([channel]),
      sendChannel: channel,
      hopLimit: config.hopLimit,
      region: config.region,
      counter: new PersistentFrameCounter(options.db, { mirrorPath: join(config.dataDir, 'frame-counter'), onError: (err) => this.storageFailed('frame counter', err) }),
      replayState: this.replayState.load(identity.nodeId),
      airtimeSpent: this.airtime.load(),
    });
    this.replayState.attach(() => this.router.replaySnapshot());
    this.airtime.attach({ totalMs: () => this.router.stats.txAirtimeMs, spent: () => this.router.airtimeSpent() });
    // Every frame the router accepted, from the air or over MQTT, is heard once.
    this.router.on('heard', () => this.replayState.accepted());
    this.outbox = new Outbox(options.db, {
      maxMessages: config.outbox.maxMessages,
      onWriteError: (err) => this.storageFailed('outbox', err),
      onDrop: (d) => this.outboxDropped(d),
    });
    this.peers = new PeerStore(options.db);
    this.inbox = new Inbox(options.db);
    this.privateMessages = new PrivateMessages(options.db, identity);
    const canSend = (): boolean => !this.stopped && this.radio.state === 'ready';
    const stopped = (): boolean => this.stopped;
    this.parts = new PartKeeper(this.scheduler, this.log, stopped);
    this.pump = new OutboxPump({
      outbox: this.outbox,
      router: this.router,
      scheduler: this.scheduler,
      random,
      clock: this.clock,
      canSend,
      isHubDevice: (id) => this.privateMessages.isHubDevice(id),
      onQueued: (q) => this.tellQueued(q),
      log: this.log,
    });
    this.beacons = new Beacons({
      nodeId: identity.nodeId,
      name: this.name,
      publicKey: identity.publicKey,
      config,
      router: this.router,
      scheduler: this.scheduler,
      random,
      clock: this.clock,
      gps: this.gps,
      health: options.health ?? (() => readDeviceHealth()),
      uptimeS: () => Math.round((this.clock() - this.startedMs) / 1000),
      canSend,
      stopped,
      log: this.log,
      // A gateway reports its own health to the hub as it reports a heard node's (the bridge listens to 'queued').
      onTelemetry: (q) => this.tellQueued(q),
    });
    this.sosResponder = new SosResponder(identity.nodeId, this.pump.enqueue, this.log);
    this.traces = new TraceService({ router: this.router, scheduler: this.scheduler, random });
    this.sos = new SosTracker(options.db, this.scheduler, {
      retryIntervalS: config.sos.retryIntervalS,
      maxRetryIntervalS: config.sos.maxRetryIntervalS,
      clock: this.clock,
      // A copy the disk refuses (a full SD card) goes on air from memory all the same.
      sendCopy: (requestId) => this.copyQueued(this.pump.enqueue(BROADCAST, { alert: this.alert('SOS', 'SOS'), requestId, wantResponse: true }, 'sos', `sos:${requestId}`, 'hold'), requestId, 'sos'),
      sendSafe: (requestId) => {
        this.lastSafePacketId = this.pump.enqueue(BROADCAST, { alert: this.alert('SAFE', 'I am safe'), requestId }, 'sos', `safe:${requestId}`, 'hold');
        this.copyQueued(this.lastSafePacketId, requestId, 'safe');
      },
      onChange: (s) => this.onSosChange(s),
      onError: (what, err) => this.storageFailed(what, err),
    });
    this.sosRequestId = this.sos.status.requestId;
    this.sosResending = this.sos.status.resending;
    this.sosAtGatewayOnly = this.sos.status.stage === 'gateway' && !this.sos.status.cancelled;
    this.safeWaiting = this.sos.status.safe === 'waiting';
    this.panel = new PanelState(options.panel, { gpsFix: () => hasFix(this.gps?.lastFix), sos: () => this.sos.status });

    this.router.on('deliver', (d) => this.onDeliver(d));
    this.router.on('heard', (h) =>
      this.safely('peer store', () => {
        const hops = h.header.hopStart - h.header.hopLimit + 1;
        const change = this.peers.heard(h.header.from, hops - 1, h.snr, h.rssi, h.data, this.clock());
        if (change) this.log.info({ peer: formatNodeId(h.header.from), hops, peerName: h.data.nodeInfo?.longName }, change === 'new' ? 'peer heard' : 'peer named');
      }),
    );
    this.router.on('heard', (h) => {
      const key = h.data.nodeInfo?.publicKey;
      if (key && key.length > 0) this.safely('peer keys', () => this.privateMessages.keyHeard(h.header.from, key, this.clock()));
    });
    // A gateway announcing itself has just started or come back: an SOS (or "I am safe") still
    // waiting for one should not sit out the rest of its backoff.
    this.router.on('heard', (h) => {
      if (h.data.nodeInfo?.role !== 'GATEWAY' || h.header.from === this.nodeId) return;
      if (this.sos.gatewayHeard(h.header.from)) this.log.info({ gateway: formatNodeId(h.header.from) }, 'gateway heard: SOS sent again now');
    });
    this.router.on('sent', ({ id }) => {
      this.panel.activity();
      const copy = this.sosCopies.get(id);
      if (copy) {
        this.sosCopies.delete(id);
        this.sos.copyOnAir(copy.requestId, copy.kind);
      }
      this.pump.sent(id);
    });
    this.router.on('ack', ({ id, by }) => this.pump.acknowledged(id, by));
    this.router.on('nak', ({ id, reason }) => this.pump.notDelivered(id, reason));
    this.router.on('drop', ({ reason, detail }) => this.log.debug({ reason, detail }, 'frame dropped'));
    this.radio.onStateChange((state) => {
      this.log.info({ radio: state }, `radio ${state}`);
      if (state !== 'ready') return;
      this.beacons.announce();
      this.beacons.schedulePositionCheck();
      this.pump.pump();
    });
  }

  /** LoRa settings this configuration asks for. */
  static radioParams(config: NodeConfig): LoRaParams {
    return loraParams(config.preset, { frequencyHz: config.frequencyHz, txPowerDbm: config.txPowerDbm });
  }

  async start(): Promise<void> {
    this.startedMs = this.clock();
    const gps = this.gps;
    if (gps) gps.onFix((fix) => this.onFix(fix));
    this.panel.onPress((press) => {
      this.log.info({ press }, `button: ${press} press`);
      try {
        if (press === 'long') this.raiseSos();
        else this.imSafe();
      } catch (err) {
        if (!(err instanceof FirmwareError && err.code === 'E_NO_RADIO')) throw err;
        this.log.warn({ press }, `button: ${press === 'long' ? 'no SOS raised' : 'no "I am safe" sent'}: no radio is set up on this node`);
      }
      this.emit('press', press);
    });
    // A part missing at boot (modem unplugged, air not started, gpsd not up yet) does not stop
    // the node: it keeps its control API, button and outbox, says why, and keeps trying.
    await Promise.all([
      this.parts.keepTrying('radio', () => this.radio.open()),
      gps && this.parts.keepTrying('gps', () => gps.start()),
      this.panel.present && this.parts.keepTrying('gpio', () => this.panel.start()),
    ]);
    this.beacons.start();
    this.sos.resume();
    this.beacons.announce();
    this.pump.pump();
    this.log.info({ nodeId: formatNodeId(this.nodeId), nodeName: this.name, queued: this.outbox.size }, 'node started');
  }

  /** Tells 'queued' after the caller's turn: a listener may act on this node (a gateway taking its own SOS), never in the middle of queuing. */
  private tellQueued(q: { to: number; data: Data; packetId: number }): void {
    if (this.listenerCount('queued') > 0) this.scheduler.schedule(0, () => this.emit('queued', q));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A trace waiting for its answer is told now: its timer is about to stop with the others.
    this.traces.close();
    // Every timer of ours and of the router (retries, relays, backoffs) ends here.
    this.scheduler.stop();
    await this.panel.stop();
    await this.gps?.stop();
    await this.radio.close();
    // The radio hears nothing more: what it accepted is all there is to save.
    this.replayState.flush();
    this.airtime.flush();
    // Whatever is still in flight stays in the outbox and goes again after the restart.
    this.log.info({ queued: this.outbox.size }, 'node stopped');
  }

  // ---- what the user (CLI, button) and the gateway's bridge ask for ----

  /** Queues a text for `to` (a node or everyone); returns its packet id once it is on disk. */
  sendText(text: string, to: number = BROADCAST): { packetId: number; queued: number } {
    this.requireRadio();
    if (typeof text !== 'string' || text.length === 0) throw new FirmwareError('E_BAD_REQUEST', 'text must not be empty');
    // The hub, the Send screen and every hop count the same limit: a text the hub would refuse does not go out from here either.
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MESH_TEXT_MAX_BYTES) throw new FirmwareError('E_BAD_REQUEST', `text is ${bytes} bytes of UTF-8; a text may have at most ${MESH_TEXT_MAX_BYTES} bytes`);
    const data: Data = { text };
    const size = encodeData(data).length;
    if (size > MAX_DATA_BYTES) {
      throw new FirmwareError('E_BAD_REQUEST', `text is ${size} bytes encoded; one frame carries at most ${MAX_DATA_BYTES}`);
    }
    if (to === this.nodeId) throw new FirmwareError('E_BAD_REQUEST', 'that is this node');
    // A hub user's messenger device has a mesh address but no radio: the hub files only private
    // (end-to-end) messages to it, so a plain text would go on air and reach nobody.
    if (this.privateMessages.isHubDevice(to)) throw new FirmwareError('E_BAD_REQUEST', `${formatNodeId(to)} is a hub user's messenger: a plain text never reaches them; send it private (--private)`);
    const packetId = this.pump.enqueue(to, data, 'text');
    return { packetId, queued: this.outbox.size };
  }

  /**
   * Queues a private message for node `to`, encrypted end to end (private-messages.ts). Too long a
   * text is refused (E_TEXT_TOO_LONG) before anything is sent; without the peer's key yet, a
   * node-info request goes to it and the message is refused (E_NO_KEY).
   */
  sendPrivate(text: string, to: number): { packetId: number; queued: number } {
    this.requireRadio();
    if (typeof text !== 'string' || text.length === 0) throw new FirmwareError('E_BAD_REQUEST', 'text must not be empty');
    if (to === this.nodeId) throw new FirmwareError('E_BAD_REQUEST', 'that is this node');
    if (to === BROADCAST) throw new FirmwareError('E_BAD_REQUEST', 'a private message goes to one node: give --to');
    // Checked here, not left to the crypto, so a text too long is refused before any node-info request goes out.
    if (Buffer.byteLength(text, 'utf8') > MESH_DIRECT_MAX_TEXT_BYTES) {
      throw new FirmwareError('E_TEXT_TOO_LONG', `a private message holds at most ${MESH_DIRECT_MAX_TEXT_BYTES} bytes of text; this one has ${Buffer.byteLength(text, 'utf8')}`);
    }
    if (!this.privateMessages.keyFor(to)) {
      this.requestNodeInfo(to);
      throw new FirmwareError('E_NO_KEY', `no key for ${formatNodeId(to)} yet: asked it for its node info; send again once it has answered (see unibos peers)`);
    }
    // Refused before sealing: a sealed message that cannot be queued would spend a message key for nothing.
    this.outbox.checkRoomForText();
    const direct = this.privateMessages.seal(to, text);
    const packetId = this.pump.enqueue(to, { direct }, 'text');
    this.privateSent.set(packetId, to);
    if (this.privateSent.size > PRIVATE_SENT_KEPT) this.privateSent.delete(this.privateSent.keys().next().value!);
    return { packetId, queued: this.outbox.size };
  }

  /**
   * Queues a private message sealed elsewhere (a hub user's device, through a gateway's `direct`
   * command) for node `to`: this node only carries it, acknowledged and retried like a text.
   */
  sendSealed(to: number, direct: DirectMessage): { packetId: number; queued: number; here?: { opened: boolean } } {
    if (to === BROADCAST) throw new FirmwareError('E_BAD_REQUEST', 'a private message goes to one other node');
    if (!(direct.sealed instanceof Uint8Array) || direct.sealed.length === 0 || direct.sealed.length > MESH_DIRECT_MAX_BYTES) {
      throw new FirmwareError('E_BAD_REQUEST', `a sealed private message is 1..${MESH_DIRECT_MAX_BYTES} bytes`);
    }
    if (to === this.nodeId) {
      // For this node itself (a hub user writing to a gateway's own node): received here, as if
      // heard; `here` says whether it opened, for the gateway to answer as this node's radio would.
      const packetId = randomInt(1, 0xffffffff);
      const rxMs = this.clock();
      const d: Delivery = { from: this.nodeId, to, id: packetId, kind: 'direct', data: { direct }, hops: 0, rssi: NaN, snr: NaN, rxTimeMs: rxMs, viaMqtt: false, channel: '' };
      const opened = this.receivePrivate(d, direct, { rxMs, hops: 0, rssi: NaN, snr: NaN, packetId, requestId: 0 });
      return { packetId, queued: this.outbox.size, here: { opened } };
    }
    this.requireRadio();
    const packetId = this.pump.enqueue(to, { direct: { sender: direct.sender, sealed: direct.sealed } }, 'text');
    return { packetId, queued: this.outbox.size };
  }

  /** An alert from outside the mesh (the hub, a module) for `to` or everyone, ahead of texts. */
  sendAlert(level: AlertLevel, text: string, to: number = BROADCAST, magnitudeX10 = 0): { packetId: number } {
    this.requireRadio();
    if (typeof text !== 'string') throw new FirmwareError('E_BAD_REQUEST', 'alert text must be a string');
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MESH_ALERT_TEXT_MAX_BYTES) throw new FirmwareError('E_BAD_REQUEST', `alert text is ${bytes} bytes of UTF-8; an alert's text may have at most ${MESH_ALERT_TEXT_MAX_BYTES} bytes`);
    const data: Data = { alert: { level, text, magnitudeX10 } };
    const size = encodeData(data).length;
    if (size > MAX_DATA_BYTES) throw new FirmwareError('E_BAD_REQUEST', `alert is ${size} bytes encoded; one frame carries at most ${MAX_DATA_BYTES}`);
    return { packetId: this.pump.enqueue(to, data, 'alert') };
  }

  /** Asks one node who it is (the hub heard it without a name): it answers with its NodeInfo. */
  requestNodeInfo(to: number): { packetId: number } {
    if (to === this.nodeId || to === BROADCAST) throw new FirmwareError('E_BAD_REQUEST', 'a node info request goes to one other node');
    return { packetId: this.beacons.requestNodeInfo(to) };
  }

  /** The user asks for help: the SOS tracker (sos.ts) puts copies on the outbox until a gateway has it. */
  raiseSos(): SosStatus {
    this.requireRadio();
    return this.sos.raise();
  }

  /**
   * With no radio set up (a flashed card no one has set up yet) nothing is queued: it would go out
   * when a radio is set up, days later and maybe elsewhere, an SOS pressed on the bench among it.
   */
  private requireRadio(): void {
    if (this.config.radio.type === 'none') throw new FirmwareError('E_NO_RADIO', 'no radio is set up on this node, so nothing can be sent (on a flashed card, put a unibos.json naming the board and region on its boot partition and reboot)');
  }

  /**
   * Tells node `to` how far its SOS `requestId` has got (sos-responder.ts). A gateway calls this
   * only once it has done what the stage says (e.g. `gateway` after the SOS is committed to its hub
   * outbox). A lower stage than one already answered is raised to that one. A gateway's own node
   * (`to` is this node: no radio of its own hears its SOS, its bridge takes it) moves its own SOS
   * on at once, with nothing sent.
   */
  answerSos(to: number, requestId: number, report: SosStageReport): SosAnswer {
    if (to === this.nodeId) {
      this.sos.advance(requestId, this.nodeId, report);
      return { packetId: 0, stage: report.stage };
    }
    return this.sosResponder.answer(to, requestId, report);
  }

  /**
   * "I am safe": ends a pending SOS and tells the mesh. For an open SOS the tracker resends it
   * until the hub answers `resolved` (sos.ts); with nothing open it goes once.
   */
  imSafe(): { packetId: number; cancelledSos: boolean } {
    this.requireRadio();
    this.lastSafePacketId = 0; // stays 0 if the copy could not be queued (it is retried on schedule)
    const cancelled = this.sos.cancel();
    if (cancelled !== undefined) return { packetId: this.lastSafePacketId, cancelledSos: true };
    // Keyed, so a new SOS withdraws it if it is still queued then.
    const packetId = this.pump.enqueue(BROADCAST, { alert: this.alert('SAFE', 'I am safe'), requestId: 0 }, 'sos', 'safe:0', 'hold');
    return { packetId, cancelledSos: false };
  }

  /**
   * A module's answer to a check-in question, sent with nobody pressing anything (an unattended
   * node's answerer): a SAFE flagged `automatic`, with words saying so for receivers that predate
   * the flag. It says the node is on the air, never that a person is safe, so it ends no SOS: with
   * one open it is refused (only the person ends it, with the button or `unibos sos --safe`).
   */
  answeredAutomatically(): { packetId: number } {
    if (sosOpen(this.sos.status)) throw new FirmwareError('E_BAD_REQUEST', 'this node has an open SOS: only the person ends it (the button or `unibos sos --safe`), never a module');
    const alert = { ...this.alert('SAFE', AUTOMATIC_SAFE_TEXT), automatic: true };
    // A key of its own: a person's "I am safe" still queued must go out too, not be replaced by the
    // module's (the hub ranks the person's above it). A new SOS withdraws it as it does theirs.
    return { packetId: this.pump.enqueue(BROADCAST, { alert, requestId: 0 }, 'sos', AUTOMATIC_SAFE_KEY, 'hold') };
  }

  /** A module's buzzer or LED signal (its permission is checked by the module host); false without a panel. */
  moduleSignal(part: 'buzzer' | 'led', kind: 'alert' | 'sos'): boolean {
    if (!this.panel.present) return false;
    if (part === 'led') this.panel.activity();
    else this.panel.alertHeard(kind === 'sos' ? 'SOS' : 'WARNING');
    return true;
  }

  /** Our SOS as status() has it, without building the rest (peers from the database, modules): for checks and gauges. */
  get sosStatus(): SosStatus {
    return this.sos.status;
  }

  status(): NodeStatus {
    return nodeStatus({
      nodeId: this.nodeId,
      name: this.name,
      config: this.config,
      nowMs: this.clock(),
      startedMs: this.startedMs,
      router: this.router,
      radioState: this.radio.state,
      radioWarning: this.radio.warning,
      partError: (part) => this.parts.error(part),
      gpsFix: this.gps?.lastFix ?? null,
      outbox: {
        queued: this.outbox.size,
        maxMessages: this.outbox.maxMessages,
        oldestMs: this.outbox.oldestMs,
        inFlight: this.pump.inFlightCount,
        expired: this.pump.expired,
        dropped: this.outbox.dropped,
        refusedFull: this.outbox.refusedFull,
      },
      sos: this.sosStatus,
      peers: this.peers.all().length,
      storageErrors: this.storageErrors,
      modules: this.modules?.status() ?? [],
    });
  }

  // ---- what the layers tell us ----

  /** One of our messages left the outbox unsent (counted there). The pump logs the drops it decides (gave-up, router-refused). */
  private outboxDropped(d: OutboxDrop): void {
    const about = { packetId: d.packetId, to: formatNodeId(d.to), priority: d.priority, reason: d.reason };
    if (d.reason === 'evicted') this.log.warn(about, `outbox full: the oldest ${d.priority} was pushed out by a more urgent message`);
    else if (d.reason === 'undecodable') this.log.warn(about, 'dropped an outbox message that no longer decodes');
    // A listener's failure (a gateway's bridge) must not fail the send that made room.
    try {
      this.emit('dropped', d);
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'a listener of dropped outbox messages failed');
    }
  }

  private copyQueued(packetId: number, requestId: number, kind: 'sos' | 'safe'): void {
    this.sosCopies.set(packetId, { requestId, kind });
    // A copy superseded while the radio was down never goes on air: remember only the latest few.
    if (this.sosCopies.size > 16) this.sosCopies.delete(this.sosCopies.keys().next().value!);
  }

  private onSosChange(s: SosStatus): void {
    const sameSos = s.requestId === this.sosRequestId;
    if (!sameSos) {
      // A new SOS: an "I am safe" still queued (for the SOS before, or said with none open) must
      // not reach anyone after it, telling the mesh a person asking for help is safe.
      for (const key of [`sos:${this.sosRequestId}`, `safe:${this.sosRequestId}`, 'safe:0', AUTOMATIC_SAFE_KEY]) this.outbox.withdraw(key);
      this.sosRequestId = s.requestId;
    }
    // Once a gateway has it (or the user is safe), copies still queued have nothing left to say. A
    // copy the person asks for after that (pressing again) is theirs: it is not withdrawn.
    // Likewise once the hub has it, or the person is safe: a slow copy still queued for a gateway
    // that might not reach the hub.
    const atGatewayOnly = s.stage === 'gateway' && !s.cancelled;
    if ((this.sosResending && !s.resending) || (sameSos && this.sosAtGatewayOnly && !atGatewayOnly)) this.outbox.withdraw(`sos:${s.requestId}`);
    if (this.safeWaiting && s.safe !== 'waiting') this.outbox.withdraw(`safe:${s.requestId}`);
    this.sosResending = s.resending;
    this.sosAtGatewayOnly = atGatewayOnly;
    this.safeWaiting = s.safe === 'waiting';
    if (s.safe === 'gave-up') this.log.warn({ sos: s, reason: s.safeGaveUpReason }, `"I am safe" given up: ${s.safeGaveUpReason}`);
    else this.log.info({ sos: s }, `SOS ${s.cancelled ? `cancelled, safe ${s.safe}` : s.stage}`);
    this.panel.refresh();
    this.emit('sos', s);
  }

  private onDeliver(d: Delivery): void {
    this.panel.activity();
    const data = d.data;
    const base = { from: d.from, to: d.to, packetId: d.id, requestId: data.requestId ?? 0, rxMs: this.clock(), hops: d.hops + 1, rssi: d.rssi, snr: d.snr };
    if (data.text !== undefined) {
      this.store({ ...base, kind: 'text', level: null, text: data.text, latitude: null, longitude: null });
    } else if (data.alert) {
      const a = data.alert;
      const at = a.position && (a.position.latitudeI !== 0 || a.position.longitudeI !== 0) ? a.position : undefined;
      const m = { ...base, kind: 'alert' as const, level: a.level, text: a.text, latitude: at ? at.latitudeI / 1e7 : null, longitude: at ? at.longitudeI / 1e7 : null };
      // When the position was taken (the fix's time), so a copy relayed late cannot move it back.
      const positionMs = at && at.time > 0 ? at.time * 1000 : base.rxMs;
      const fresh = this.store(m, positionMs);
      if (fresh) this.panel.alertHeard(a.level);
      // A later copy of the same SOS (a GPS that found its fix, a person on the move) moves the one
      // stored; it is the same call for help, so nobody is alerted again.
      else if (at && m.requestId !== 0) {
        const moved = this.safely('inbox', () => this.inbox.moved(m, positionMs));
        if (moved) this.log.info({ from: formatNodeId(m.from), level: m.level, requestId: m.requestId, latitude: moved.latitude, longitude: moved.longitude }, `${m.level} position updated`);
      }
      // Hearing an SOS is not answering it: a gateway answers through answerSos() once the SOS is
      // durably on its way to the hub, never merely because the radio heard it.
    } else if (data.routing?.error === 'NOT_OPENED' && data.requestId) {
      this.privateNotOpened(d.from, data.requestId);
    } else if (data.routing && data.replyId) {
      // A bare ack (from a gateway built before stages) says only "heard": the SOS keeps going.
      const report = sosStageOf(data.routing);
      if (report) this.sos.advance(data.replyId, d.from, report);
    } else if (data.direct) {
      this.receivePrivate(d, data.direct, base);
    } else if (data.nodeInfo && data.wantResponse) {
      this.beacons.answerNodeInfoRequest(d.from, d.hops, d.to === this.nodeId);
    }
  }

  /**
   * A private message for this node is stored opened, or as "could not decrypt: <reason>"; never
   * dropped silently. False when it cannot be read here (not early, not a repeat): the sender is
   * told NOT_OPENED (by radio, or by the caller for one that did not come by radio).
   */
  private receivePrivate(d: Delivery, direct: NonNullable<Data['direct']>, base: { rxMs: number; hops: number; rssi: number; snr: number; packetId: number; requestId: number }): boolean {
    if (d.to !== this.nodeId) {
      this.log.warn({ from: formatNodeId(d.from), to: formatNodeId(d.to) }, 'private message not addressed to this node: dropped (E_NOT_FOR_US)');
      this.privateMessages.failures.set('E_NOT_FOR_US', (this.privateMessages.failures.get('E_NOT_FOR_US') ?? 0) + 1);
      return true;
    }
    // A copy of one already stored would only fail as a replay.
    if (this.inbox.has(direct.sender, d.id)) return true;
    const opened = this.privateMessages.open(direct);
    const text = opened.ok ? opened.text : `could not decrypt: ${opened.reason}`;
    if (!opened.ok) this.log.warn({ sender: formatNodeId(direct.sender), via: formatNodeId(d.from), code: opened.code }, 'private message could not be decrypted');
    const stored = this.safely('inbox', () => this.inbox.add({ ...base, from: direct.sender, to: d.to, kind: 'private', level: null, text, decryptError: opened.ok ? null : opened.code, latitude: null, longitude: null }));
    if (!stored) return true;
    // Opened, so really from `sender`; carried by another node: a hub user's device, with no radio.
    if (opened.ok && direct.sender !== d.from) this.safely('hub devices', () => this.privateMessages.heardFromHubDevice(direct.sender, this.clock()));
    this.log.info({ from: formatNodeId(stored.from), kind: stored.kind, hops: stored.hops }, 'private received');
    this.emit('message', stored);
    if (!opened.ok && opened.code === 'E_EARLY_MESSAGE') this.safely('held private messages', () => this.privateMessages.hold(direct.sender, d.id, direct.sealed, stored.seq));
    // The sender's ack said "arrived"; this says it cannot be read here, so the sender (a node, or the
    // hub through the gateway that carried it) neither shows it as delivered nor goes on in a session
    // this node does not have. Not for one that may open later (early), nor a replay of one opened.
    if (!opened.ok && opened.code !== 'E_EARLY_MESSAGE' && opened.code !== 'E_REPLAY') {
      if (d.from !== this.nodeId) this.router.send(d.from, { routing: { error: 'NOT_OPENED' }, requestId: d.id }, { wantAck: false });
      return false;
    }
    if (!opened.ok) return true;
    // This one may start the chain that messages which came early were waiting for.
    for (const later of this.safely('held private messages', () => this.privateMessages.reopenHeld(direct.sender)) ?? []) {
      const row = this.inbox.opened(later.seq, later.text);
      if (row) this.emit('message', row);
    }
    return true;
  }

  /** `from` answered our private message `packetId` with NOT_OPENED: say so, and start afresh with it. */
  private privateNotOpened(from: number, packetId: number): void {
    if (this.privateSent.get(packetId) !== from) return; // not ours to it: another node's, or made up
    this.privateSent.delete(packetId);
    const restarted = this.safely('private-message sessions', () => this.privateMessages.restartSession(from));
    this.log.warn({ to: formatNodeId(from), packetId, restarted }, 'private message arrived but could not be opened there (its data lost or reflashed?): the next one starts a new session');
  }

  private store(m: Omit<InboxMessage, 'seq'>, positionMs?: number): boolean {
    const stored = this.safely('inbox', () => this.inbox.add(m, positionMs));
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
      this.storageFailed(what, err);
      return undefined;
    }
  }

  private storageFailed(what: string, err: unknown): void {
    this.storageErrors++;
    this.log.error({ err: err instanceof Error ? err.message : String(err) }, `could not write to the ${what}`);
  }

  private onFix(fix: GpsFix): void {
    if (fix.mode !== 'none' && Number.isFinite(fix.latitude) && Number.isFinite(fix.longitude)) this.radio.moveTo?.(fix);
    this.panel.refresh();
    this.beacons.schedulePositionCheck();
  }

  /** An SOS or "I am safe" alert, with where we are when we know it. */
  private alert(level: 'SOS' | 'SAFE', text: string) {
    const alert = { level, text, magnitudeX10: 0 } as const;
    const position = this.beacons.here();
    return position ? { ...alert, position } : alert;
  }
}

function hasFix(fix: GpsFix | undefined): boolean {
  return !!fix && fix.mode !== 'none';
}
