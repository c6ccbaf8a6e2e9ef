// Keeps one MQTT connection to the hub broker and drains the hub outbox over it with QoS 1:
// a bounded window of publishes in flight, the urgent lane before the routine one, within a lane the
// higher rank first (an SOS and its stages before other alerts: HubOutbox) and each rank in seq
// order, each row deleted only on its PUBACK. Every new connection (after a drop or a process
// restart) starts again from the oldest row still in the outbox, so nothing unacknowledged is
// skipped and order per source and lane holds; the hub drops the repeats by the id in each envelope.
// A row the hub will not take (it ends the connection: MQTT 3.1.1 has no negative PUBACK) must not
// block the queue: rows caught in flight by a drop get a strike, a struck row is then sent alone, and
// a row that fails alone again goes to the dead-letter table (see gateway/docs/uplink.md). An urgent
// dead letter (SOS, alert) comes back by itself after a growing delay (UrgentLetterRetry).

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { RealScheduler, URGENCY_ORDER, encodeHubEnvelope, hubWouldRefuse, topics, type Scheduler, type Urgency } from '@unibos/mesh-protocol';
import { LANES, type DeadLetter, type HubMessage, type HubOutbox, type Lane } from './hub-outbox.ts';
import { ReconnectBackoff } from './reconnect-backoff.ts';
import { UplinkError } from './uplink-error.ts';
import { UrgentLetterRetry } from './urgent-letter-retry.ts';

export type UplinkState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'stopping' | 'stopped';

/** Resolve once the downlink is safely handed on (queued durably), not once it is on air: the hub gets its PUBACK then. */
export type DownlinkHandler = (topic: string, payload: Buffer) => void | Promise<void>;

export interface HubUplinkOptions {
  url: string;
  username?: string;
  password?: string;
  /** Also the MQTT client id, so the hub keeps one session per gateway. */
  gatewayId: string;
  outbox: HubOutbox;
  logger: Logger;
  /** Publishes awaiting PUBACK at once. Default 64. */
  windowSize?: number;
  /** Connections a row may see end while it is in flight before it is dead-lettered (the later ones alone). Default 3. */
  maxAttempts?: number;
  /**
   * A hang-up counts as a strike against a message only this long after its last one. A hub that
   * restarts or crash-loops ends every connection within a second, whatever is in flight: only a
   * refusal that lasts says something about the message. Default 10 s.
   */
  strikeSpacingMs?: number;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  /** The first reconnect comes after reconnectMinMs to twice that (jittered); the range doubles per failed attempt up to reconnectMaxMs. Defaults 1 s and 30 s. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** While an urgent message (an SOS) waits, reconnect attempts come at least this often. Default 5 s. */
  urgentReconnectMaxMs?: number;
  /**
   * How often the outbox is checked for rows another process queued or put back (`unibos gateway
   * outbox --requeue`): its listeners fire in that process only. Default 2 s.
   */
  outsidePollMs?: number;
  /** How long stop() keeps draining before it ends the connection. Default 5 s. */
  stopTimeoutMs?: number;
  /** A downlink handler that has not settled by then is logged and the downlink acknowledged anyway. Default 5 s. */
  downlinkTimeoutMs?: number;
  /**
   * An urgent dead letter goes back in the queue by itself after delays[n] (n = the automatic
   * retries it has had; the last repeats). Default 1, 5, 15 min, then hourly. Routine letters wait for a requeue.
   */
  urgentRetryDelaysMs?: readonly number[];
  /** Monotonic time and timers for the urgent retries (a SimScheduler in tests). Default: real time. */
  scheduler?: Scheduler;
  /** TLS material for mqtts:// hubs. */
  tls?: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
  now?: () => number;
  random?: () => number;
}

export interface HubUplinkStats {
  state: UplinkState;
  connected: boolean;
  connects: number;
  reconnects: number;
  /** Outbox messages published, resends included. */
  sent: number;
  /** PUBACKs received for outbox messages. */
  acked: number;
  /** Messages this process published again on a later connection (a restart's first sends are not counted). */
  resent: number;
  /** Rows this process moved to the dead-letter table because the hub would not take them. */
  deadLettered: number;
  /** Urgent dead letters this process put back in the queue by itself. */
  deadLetterRetries: number;
  /** Urgent dead letters waiting for their automatic retry. */
  urgentDeadLetters: number;
  /** How long until the next automatic retry of an urgent dead letter, if one waits. */
  nextDeadLetterRetryMs: number | undefined;
  /** While disconnected: how long the pending reconnect attempt was set to wait. */
  reconnectDelayMs: number | undefined;
  inFlight: number;
  outboxDepth: number;
  downlinks: number;
  downlinkErrors: number;
  lastError: string | undefined;
}

/** One MQTT connection's worth of state; a reconnect is a new Link with a new client. */
interface Link {
  readonly client: MqttClient;
  ready: boolean;
  closed: boolean;
  /**
   * The hub acknowledged our status on this link, so it was storing when we began: a drop after
   * that, with rows in flight, counts against those rows. Nothing is sent before it.
   */
  healthy: boolean;
  /**
   * Per lane and rank (`${lane}/${rank}`), the highest seq published on this link: everything of that
   * rank at or below it is acked, in flight, or gone. A row queued later has a higher seq, whatever its rank.
   */
  readonly afterSeq: Map<string, number>;
  /** seq -> msgId of each publish awaiting its PUBACK. */
  readonly inFlight: Map<number, string>;
  /** A struck row sent alone, with its strikes so far: if this link ends before its PUBACK, it is the culprit. */
  probe: { seq: number; attempts: number; retries: number; lane: Lane } | undefined;
  /** Our keepalive ran out: the hub (or the network) stopped answering. */
  silent: boolean;
}

const MAX_WINDOW = 1024;
/** What mqtt.js emits when the hub did not answer a ping in time (it has no error code). */
const KEEPALIVE_TIMEOUT = 'Keepalive timeout';
const HUB_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

export class HubUplink {
  readonly gatewayId: string;
  readonly statusTopic: string;
  readonly downlinkTopic: string;

  private readonly options: HubUplinkOptions;
  private readonly outbox: HubOutbox;
  private readonly log: Logger;
  private readonly windowSize: number;
  private readonly maxAttempts: number;
  private readonly strikeSpacingMs: number;
  /** msgId -> when (performance.now) its last counted strike was; dropped at its PUBACK or once older than strikeSpacingMs. */
  private readonly lastStrike = new Map<string, number>();
  private readonly backoff: ReconnectBackoff;
  private readonly now: () => number;

  private currentState: UplinkState = 'idle';
  private link: Link | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay: { ms: number; dueAt: number } | undefined;
  private readonly urgentReconnectMaxMs: number;
  private readonly random: () => number;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private unsubscribeAdded: (() => void) | undefined;
  private outsidePoll: NodeJS.Timeout | undefined;
  private tickPending = false;
  private pendingAcks: number[] = [];
  /** Per lane and rank, the highest seq this process published: a row at or below it again is a resend (each rank goes in seq order). */
  private readonly highestSent = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly downlinkHandlers = new Set<DownlinkHandler>();
  private readonly stateHandlers = new Set<(state: UplinkState) => void>();
  private readonly counters = {
    connects: 0,
    reconnects: 0,
    sent: 0,
    acked: 0,
    resent: 0,
    deadLettered: 0,
    downlinks: 0,
    downlinkErrors: 0,
    lastError: undefined as string | undefined,
  };
  private unsubscribeDeadLetter: (() => void) | undefined;
  private readonly letterRetry: UrgentLetterRetry;
  /**
   * The last letter this process made, named in every status even once it left the table (retried
   * or requeued): the hub raises one event per new letter by seq, and naming an older letter again
   * would raise a second event for it.
   */
  private lastLetter: DeadLetter | undefined;
  /** Letters made because the row breaks a limit the door enforces: no retry can change that, so none is made. */
  private readonly refusedAtDoor = new Set<number>();

  constructor(options: HubUplinkOptions) {
    if (!/^[^/+#\u0000]+$/.test(options.gatewayId ?? '')) {
      throw new UplinkError('E_UPLINK_CONFIG', `gatewayId ${JSON.stringify(options.gatewayId)} must be one MQTT topic level`);
    }
    let protocol = '';
    try {
      protocol = new URL(options.url).protocol;
    } catch {
      // reported below
    }
    if (!HUB_PROTOCOLS.has(protocol)) {
      throw new UplinkError('E_UPLINK_CONFIG', `hub url ${JSON.stringify(options.url)} must be mqtt://, mqtts://, ws:// or wss://`);
    }
    const windowSize = options.windowSize ?? 64;
    if (!Number.isInteger(windowSize) || windowSize < 1 || windowSize > MAX_WINDOW) {
      throw new UplinkError('E_UPLINK_CONFIG', `windowSize must be 1..${MAX_WINDOW}, got ${windowSize}`);
    }
    this.options = options;
    this.gatewayId = options.gatewayId;
    this.statusTopic = topics.gateway(options.gatewayId, 'status');
    this.downlinkTopic = topics.gateway(options.gatewayId, 'tx');
    this.outbox = options.outbox;
    this.log = options.logger.child({ component: 'hub-uplink', gatewayId: options.gatewayId });
    this.windowSize = windowSize;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.urgentReconnectMaxMs = options.urgentReconnectMaxMs ?? 5000;
    this.strikeSpacingMs = options.strikeSpacingMs ?? 10_000;
    if (!(this.strikeSpacingMs >= 0)) throw new UplinkError('E_UPLINK_CONFIG', `strikeSpacingMs must be >= 0, got ${options.strikeSpacingMs}`);
    this.random = options.random ?? Math.random;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 2) {
      throw new UplinkError('E_UPLINK_CONFIG', `maxAttempts must be an integer >= 2, got ${options.maxAttempts}`);
    }
    this.now = options.now ?? Date.now;
    this.backoff = new ReconnectBackoff({
      minMs: options.reconnectMinMs ?? 1000,
      maxMs: options.reconnectMaxMs ?? 30_000,
      ...(options.random ? { random: options.random } : {}),
    });
    this.letterRetry = new UrgentLetterRetry({
      outbox: this.outbox,
      scheduler: options.scheduler ?? new RealScheduler(),
      ...(options.urgentRetryDelaysMs ? { delaysMs: options.urgentRetryDelaysMs } : {}),
      logger: this.log,
      // The letter left the table: the hub's view of our dead letters changes too.
      onRetried: () => {
        if (this.link?.ready) this.publishStatus(this.link, 'online');
      },
    });
  }

  /** Connects (and keeps reconnecting) and drains the outbox. Idempotent. */
  start(): void {
    if (this.currentState !== 'idle' && this.currentState !== 'stopped') return;
    this.stopping = false;
    const added = (): void => {
      this.schedule();
      this.hurryForUrgent();
    };
    this.unsubscribeAdded = this.outbox.onAdded(added);
    this.outbox.changedElsewhere();
    this.outsidePoll = setInterval(() => {
      try {
        if (this.outbox.changedElsewhere()) added();
      } catch (err) {
        this.log.error({ err }, 'cannot read the hub outbox');
      }
    }, this.options.outsidePollMs ?? 2000);
    this.outsidePoll.unref();
    // The hub hears of every dead letter at once through our retained status (and so does every later connection).
    this.unsubscribeDeadLetter = this.outbox.onDeadLetter((letter) => {
      this.lastLetter = letter;
      if (letter.lane === 'urgent' && !this.refusedAtDoor.delete(letter.seq)) this.letterRetry.track(letter.seq, letter.retries);
      if (this.link?.ready) this.publishStatus(this.link, 'online', undefined, letter);
    });
    this.letterRetry.start();
    this.open();
  }

  /**
   * Keeps draining for up to `timeoutMs` (the outbox keeps accepting meanwhile), publishes a
   * retained `offline` status, then ends the connection. What is left stays in the outbox for
   * the next start.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    if (this.currentState === 'idle' || this.currentState === 'stopped') return Promise.resolve();
    this.stopPromise = this.shutdown(options.timeoutMs ?? this.options.stopTimeoutMs ?? 5000).finally(() => {
      this.stopPromise = undefined;
    });
    return this.stopPromise;
  }

  /** Downlinks arrive here in order; the hub gets the PUBACK once every handler has settled. */
  onDownlink(fn: DownlinkHandler): () => void {
    this.downlinkHandlers.add(fn);
    return () => this.downlinkHandlers.delete(fn);
  }

  onState(fn: (state: UplinkState) => void): () => void {
    this.stateHandlers.add(fn);
    return () => this.stateHandlers.delete(fn);
  }

  get state(): UplinkState {
    return this.currentState;
  }

  get connected(): boolean {
    return this.link?.ready === true;
  }

  get stats(): HubUplinkStats {
    return {
      ...this.counters,
      deadLetterRetries: this.outbox.stats.deadLetterRetries,
      urgentDeadLetters: this.urgentDeadLetterCount(),
      nextDeadLetterRetryMs: this.letterRetry.nextInMs,
      state: this.currentState,
      connected: this.connected,
      inFlight: this.link?.inFlight.size ?? 0,
      reconnectDelayMs: this.reconnectDelay?.ms,
      outboxDepth: this.outbox.size,
    };
  }

  private open(): void {
    this.setState('connecting');
    const o = this.options;
    // mqtt.js (~18 MB resident) is required at the first connection: a gateway without a hub never loads it.
    const { connect } = createRequire(import.meta.url)('mqtt') as typeof import('mqtt');
    const client = connect(o.url, {
      protocolVersion: 4,
      clientId: this.gatewayId,
      // The hub keeps our subscription and queues downlinks while we are away.
      clean: false,
      keepalive: o.keepaliveS ?? 30,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      // Reconnects are ours (a fresh client per connection, with backoff): mqtt.js's own would
      // replay its in-memory copies, while the outbox is the one source of truth.
      reconnectPeriod: 0,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      will: {
        topic: this.statusTopic,
        payload: Buffer.from(JSON.stringify({ status: 'offline', gatewayId: this.gatewayId, reason: 'connection-lost' })),
        qos: 1,
        retain: true,
      },
      ...o.tls,
    });
    const link: Link = { client, ready: false, closed: false, healthy: false, afterSeq: new Map(), inFlight: new Map(), probe: undefined, silent: false };
    this.link = link;
    client.handleMessage = (packet, done) => {
      void this.deliver(link, packet).finally(() => done());
    };
    client.on('connect', (connack) => this.onConnect(link, connack.sessionPresent));
    client.on('close', () => this.onClose(link));
    client.on('error', (err) => this.onError(link, err));
  }

  private onConnect(link: Link, sessionPresent: boolean): void {
    if (link.closed || link !== this.link) return;
    link.ready = true;
    this.counters.connects++;
    if (this.counters.connects > 1) this.counters.reconnects++;
    this.log.info({ sessionPresent, outboxDepth: this.outbox.size }, 'connected to hub');
    // Subscribing on every connect is cheap and covers a hub that lost our session.
    link.client.subscribe(this.downlinkTopic, { qos: 1 }, (err) => {
      if (err) this.log.warn({ err }, 'downlink subscription failed');
    });
    this.setState('connected');
    this.flushAcks();
    // Our status is the canary: once the hub has stored it, it is taking messages, and a drop
    // from then on says something about the rows in flight.
    this.publishStatus(link, 'online', (ok) => {
      if (!ok || link.closed || link !== this.link) return;
      link.healthy = true;
      // The hub stores again: an SOS it hung up on before waits no longer (UrgentLetterRetry).
      this.letterRetry.hubIsTaking();
      // Success is a hub that stores what we send, not a CONNACK: one that ends every connection
      // at once (its storage failing) would otherwise be retried at the shortest delay forever.
      this.backoff.reset();
      this.pump();
    });
  }

  private onClose(link: Link): void {
    if (link.closed) return;
    const wasReady = link.ready;
    link.closed = true;
    link.ready = false;
    // A connection that went silent (our keepalive ran out) is the network, not the hub refusing
    // what was in flight: a hub refuses by ending the connection. No strike, or an SOS caught in
    // flight on a flaky link three times would be dead-lettered.
    if (link.healthy && !this.stopping && !link.silent) this.strike(link);
    // Its unacked publishes are still rows in the outbox; the next link sends them again.
    link.client.end(true);
    if (this.link === link) this.link = undefined;
    if (wasReady) this.log.warn({ inFlight: link.inFlight.size }, 'hub connection lost');
    this.wake();
    if (this.stopping) return;
    let delayMs = this.backoff.next();
    // An SOS waiting for the hub does not sit out a long backoff: the hub may be back already.
    if (delayMs > this.urgentReconnectMaxMs && this.urgentWaiting()) delayMs = this.urgentDelay();
    this.reconnectIn(delayMs);
    this.setState('disconnected');
  }

  private reconnectIn(delayMs: number): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectDelay = { ms: delayMs, dueAt: performance.now() + delayMs };
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.reconnectDelay = undefined;
      if (!this.stopping) this.open();
    }, delayMs);
  }

  /** An urgent row arrived while we wait out a long backoff: try again within the urgent bound. */
  private hurryForUrgent(): void {
    const pending = this.reconnectDelay;
    if (!pending || this.stopping || pending.dueAt - performance.now() <= this.urgentReconnectMaxMs || !this.urgentWaiting()) return;
    this.reconnectIn(this.urgentDelay());
  }

  private urgentDeadLetterCount(): number {
    try {
      return this.outbox.urgentDeadLetterCount;
    } catch {
      return 0;
    }
  }

  private urgentWaiting(): boolean {
    try {
      return this.outbox.hasUrgent();
    } catch {
      return false;
    }
  }

  /** Somewhere in the upper half of the urgent bound, so gateways that lost the hub together do not return in step. */
  private urgentDelay(): number {
    return Math.round(this.urgentReconnectMaxMs * (0.5 + this.random() / 2));
  }

  private onError(link: Link, err: Error): void {
    this.counters.lastError = err.message;
    if (err.message === KEEPALIVE_TIMEOUT) link.silent = true;
    // A hub that stays down fails every attempt: say so once per outage, then quietly.
    const level = this.backoff.attempts <= 1 || link.ready ? 'warn' : 'debug';
    this.log[level]({ err: err.message, attempt: this.backoff.attempts }, 'hub connection error');
  }

  /**
   * A working connection ended with rows in flight: each gets a strike, unless it had one less than
   * strikeSpacingMs ago (a hub restarting hangs up again and again within a second). A row that was alone in
   * flight is the one the hub refuses; at maxAttempts it leaves the queue for the dead-letter table,
   * and so does an urgent letter's automatic retry at its first such hang-up (its delay then grows).
   */
  private strike(link: Link): void {
    if (link.inFlight.size === 0) return;
    // Keyed by msgId, not seq: an urgent letter put back (a new seq) keeps the time of the strike that made it.
    const at = performance.now();
    for (const [id, when] of this.lastStrike) if (at - when >= this.strikeSpacingMs) this.lastStrike.delete(id);
    const seqs: number[] = [];
    for (const [seq, msgId] of link.inFlight) {
      if (this.lastStrike.has(msgId)) continue;
      this.lastStrike.set(msgId, at);
      seqs.push(seq);
    }
    try {
      this.outbox.recordAttempts(seqs);
      const probe = link.probe;
      if (probe && link.inFlight.size === 1 && seqs[0] === probe.seq) {
        if (probe.retries > 0) {
          this.deadLetter(probe, `the hub ended the connection again on automatic retry ${probe.retries}`);
        } else if (probe.attempts + 1 >= this.maxAttempts) {
          this.deadLetter(probe, `the hub ended the connection each time it was sent (${probe.attempts + 1} times, the last ${probe.attempts} alone)`);
        }
      }
    } catch (err) {
      this.log.error({ err, seqs: seqs.length }, 'cannot record failed attempts in the hub outbox');
    }
  }

  private deadLetter(row: { seq: number; lane: Lane; retries: number }, reason: string): void {
    // Said in the reason, so `unibos gateway outbox` and the hub's event show it too.
    if (row.lane === 'urgent' && !this.refusedAtDoor.has(row.seq)) {
      const within = minutes(this.letterRetry.delayFor(row.retries));
      reason += row.retries === 0 ? `; urgent: retried automatically as soon as the hub stores anything, at the latest in ${within}` : `; urgent: retried automatically in ${within}`;
    }
    if (this.outbox.deadLetter(row.seq, reason)) this.counters.deadLettered++;
  }

  /**
   * Fills the window from the outbox, urgent lane first, within a lane the highest rank first and
   * each rank oldest first, after this link's last published seq in each. A row with a strike goes
   * alone: nothing else is in flight while it is, so if the hub ends the connection again, it is the one.
   */
  private pump(): void {
    const link = this.link;
    if (!link?.ready || link.closed || !link.healthy || link.probe) return;
    try {
      for (const lane of LANES) for (const rank of URGENCY_ORDER) if (!this.fill(link, lane, rank)) return;
    } catch (err) {
      this.log.error({ err }, 'cannot read the hub outbox');
    }
  }

  /** Fills the window from one rank of one lane; false when nothing more may go now (a struck row waits, or went alone). */
  private fill(link: Link, lane: Lane, rank: Urgency): boolean {
    const place = `${lane}/${rank}`;
    let room = this.windowSize - link.inFlight.size;
    while (room > 0) {
      const rows = this.outbox.peek(room, link.afterSeq.get(place) ?? 0, { lane, rank });
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.attempts === 0) {
          this.send(link, row);
          continue;
        }
        // Rows queued by an older gateway may break limits the door now enforces: say which, at once.
        const refusal = hubWouldRefuse(row);
        if (refusal) {
          link.afterSeq.set(place, row.seq);
          this.refusedAtDoor.add(row.seq);
          this.deadLetter(row, `${refusal.reason}: ${refusal.detail}`);
          this.refusedAtDoor.delete(row.seq);
          continue;
        }
        if (link.inFlight.size > 0) return false;
        link.probe = { seq: row.seq, attempts: row.attempts, retries: row.retries, lane: row.lane };
        this.send(link, row);
        return false;
      }
      room = this.windowSize - link.inFlight.size;
    }
    return true;
  }

  private send(link: Link, row: HubMessage): void {
    const place = `${row.lane}/${row.rank}`;
    link.afterSeq.set(place, row.seq);
    link.inFlight.set(row.seq, row.msgId);
    this.counters.sent++;
    if (row.seq <= (this.highestSent.get(place) ?? 0)) this.counters.resent++;
    else this.highestSent.set(place, row.seq);
    // QoS 1 whatever the origin's QoS: the outbox gives at-least-once, the envelope id makes it
    // exactly-once at the hub, so QoS 2's extra round trip would buy nothing.
    // With how long we held it: the hub dates a reading without a time of its own that long before
    // it got it, not at the moment the link came back after an outage. Measured on the outbox's
    // monotonic clock, so a wall clock stepped meanwhile (a Pi finding the time) changes nothing; a
    // row from before a restart has no known hold and goes without one (dated at its arrival).
    link.client.publish(row.topic, encodeHubEnvelope({ ...row, heldMs: this.outbox.heldMs(row), heldExact: this.outbox.heldIsExact(row) }), { qos: 1, retain: row.retain }, (err) => {
      link.inFlight.delete(row.seq);
      // An error means the client is being torn down; the row stays queued for the next link.
      if (err) return;
      if (link.probe?.seq === row.seq) link.probe = undefined;
      this.lastStrike.delete(row.msgId);
      this.counters.acked++;
      this.letterRetry.hubIsTaking();
      this.pendingAcks.push(row.seq);
      this.schedule();
    });
  }

  /** Coalesces acks and refills into one pass per event-loop turn, so a burst costs one transaction. */
  private schedule(): void {
    if (this.tickPending) return;
    this.tickPending = true;
    setImmediate(() => {
      this.tickPending = false;
      this.flushAcks();
      this.pump();
      this.wake();
    });
  }

  private flushAcks(): void {
    if (this.pendingAcks.length === 0) return;
    const seqs = this.pendingAcks;
    this.pendingAcks = [];
    try {
      this.outbox.ackMany(seqs);
    } catch (err) {
      // The hub has them: kept for the next pass (the next PUBACK, add, connect or stop), so they
      // leave once the database takes writes again (another writer's lock, a full disk) rather
      // than lingering until a reconnect sends them again.
      this.pendingAcks = seqs.concat(this.pendingAcks);
      this.log.error({ err, count: seqs.length }, 'cannot delete acknowledged rows from the hub outbox');
    }
  }

  private async deliver(link: Link, packet: IPublishPacket): Promise<void> {
    if (packet.topic !== this.downlinkTopic) {
      this.log.warn({ topic: packet.topic }, 'ignoring a message on a topic this gateway did not ask for');
      return;
    }
    this.counters.downlinks++;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload;
    const timeoutMs = this.options.downlinkTimeoutMs ?? 5000;
    for (const fn of this.downlinkHandlers) {
      let timer: NodeJS.Timeout | undefined;
      try {
        // Incoming packets (PUBACKs included) are processed one at a time, so a stuck handler
        // would stall the uplink too: bound it.
        await Promise.race([
          Promise.resolve().then(() => fn(packet.topic, payload)),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`downlink handler still busy after ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } catch (err) {
        this.counters.downlinkErrors++;
        this.log.error({ err, topic: packet.topic, bytes: payload.length, closed: link.closed }, 'downlink handler failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private publishStatus(link: Link, status: 'online' | 'offline', onAck?: (ok: boolean) => void, letter?: DeadLetter): void {
    let deadLetters = 0;
    let urgentDeadLetters = 0;
    try {
      deadLetters = this.outbox.deadLetterCount;
      urgentDeadLetters = this.outbox.urgentDeadLetterCount;
      letter ??= this.lastLetter ?? this.outbox.deadLetters(1)[0];
    } catch (err) {
      this.log.error({ err }, 'cannot count the dead letters');
    }
    const last = letter && {
      seq: letter.seq,
      topic: letter.topic,
      source: letter.source,
      msgId: letter.msgId,
      lane: letter.lane,
      retries: letter.retries,
      reason: letter.reason,
      failedMs: letter.failedMs,
    };
    const body = {
      status,
      gatewayId: this.gatewayId,
      ts: this.now(),
      deadLetters,
      urgentDeadLetters,
      ...(last ? { lastDeadLetter: last } : {}),
      ...(status === 'offline' ? { reason: 'shutdown' } : {}),
    };
    link.client.publish(this.statusTopic, JSON.stringify(body), { qos: 1, retain: true }, (err) => {
      if (err) this.log.debug({ err: err.message, status }, 'status publish not acknowledged');
      onAck?.(!err);
    });
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.setState('stopping');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.reconnectDelay = undefined;
    const deadline = performance.now() + timeoutMs;
    const remaining = (): number => Math.max(0, deadline - performance.now());
    // Keep a slice of the budget for saying goodbye, so `offline` goes out even if draining took it all.
    const goodbyeMs = Math.min(1000, timeoutMs / 4);
    const link = this.link;
    if (link?.ready) {
      await this.waitUntil(() => link.closed || (link.inFlight.size === 0 && this.outbox.size === 0), remaining() - goodbyeMs);
      let said = false;
      if (!link.closed) {
        said = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), remaining());
          this.publishStatus(link, 'offline', (ok) => {
            clearTimeout(timer);
            resolve(ok);
          });
        });
      }
      // A clean DISCONNECT only when nothing is pending (mqtt.js would wait for it); otherwise
      // cut the socket, and the hub publishes our will, which says offline too.
      await this.end(link, !(said && link.inFlight.size === 0), remaining());
    } else if (link) {
      await this.end(link, true, remaining());
    }
    this.link = undefined;
    this.flushAcks();
    this.unsubscribeAdded?.();
    this.unsubscribeAdded = undefined;
    clearInterval(this.outsidePoll);
    this.outsidePoll = undefined;
    this.unsubscribeDeadLetter?.();
    this.unsubscribeDeadLetter = undefined;
    this.letterRetry.stop();
    this.log.info({ outboxDepth: this.outbox.size, sent: this.counters.sent, acked: this.counters.acked }, 'hub uplink stopped');
    this.setState('stopped');
  }

  private end(link: Link, force: boolean, timeoutMs: number): Promise<void> {
    link.closed = true;
    link.ready = false;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        link.client.stream?.destroy();
        resolve();
      }, Math.max(timeoutMs, 50));
      link.client.end(force, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(ok);
      };
      const check = (): void => {
        if (ready()) finish(true);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const check of [...this.waiters]) check();
  }

  private setState(state: UplinkState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const fn of this.stateHandlers) {
      try {
        fn(state);
      } catch (err) {
        this.log.error({ err, state }, 'state listener threw');
      }
    }
  }
}

function minutes(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
