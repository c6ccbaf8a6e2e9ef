// The mesh router: turns heard bytes into authenticated, de-duplicated deliveries, relays floods
// under a pluggable policy, and sends our own frames with acks and bounded retries.
// Everything it touches (radio, clock, randomness) is injected, so the simulator runs this code.

import { EventEmitter } from 'node:events';
import { MeshError } from '../core/mesh-error.ts';
import type { Random } from '../core/random.ts';
import type { Scheduler, TimerHandle } from '../core/scheduler.ts';
import { DEFAULT_CHANNEL, type ChannelKey, type ChannelSet } from '../crypto/channel-key.ts';
import { checkPayloadSize, sealFrame } from '../crypto/frame-cipher.ts';
import { decodeFrame } from '../frame/frame-codec.ts';
import { BROADCAST, DEFAULT_HOP_LIMIT, FRAME_OVERHEAD, MAX_HOP_LIMIT, lastByte, relayCopy, type FrameHeader } from '../frame/header.ts';
import { PacketIdGenerator } from '../frame/packet-id.ts';
import { dataKind, encodeData, type Data, type DataKind } from '../frame/schema.ts';
import { slotTimeMs, timeOnAirMs } from '../phy/airtime.ts';
import { LORA_MAX_PAYLOAD } from '../phy/lora-params.ts';
import type { Radio, RxPacket } from '../phy/radio.ts';
import { ChannelUtilization } from './channel-utilization.ts';
import { CoverageFloodPolicy } from './coverage-flood-policy.ts';
import { DedupCache, type DedupOptions } from './dedup-cache.ts';
import { DutyCycle, type RegionName, type RegionRules } from './duty-cycle.ts';
import { MemoryFrameCounter, type FrameCounter } from './frame-counter.ts';
import { NeighborTable } from './neighbor-table.ts';
import { CW_MAX, CW_MIN, type RelayContext, type RelayPolicy } from './relay-policy.ts';
import { ReplayWindow } from './replay-window.ts';
import { RouterStats, type DropReason } from './router-stats.ts';
import { TxQueue, type TxKind } from './tx-queue.ts';

export interface RouterOptions {
  nodeId: number;
  radio: Radio;
  scheduler: Scheduler;
  random: Random;
  /** Channels we can read and relay; the first is the one we send on unless told otherwise. */
  channels: ChannelSet;
  sendChannel?: ChannelKey;
  policy?: RelayPolicy;
  hopLimit?: number;
  region?: RegionName | RegionRules;
  dedup?: DedupOptions;
  counter?: FrameCounter;
  /** Transmissions in all (first + retries) of a frame that wants an ack. */
  maxTransmissions?: number;
}

export interface Delivery {
  from: number;
  to: number;
  id: number;
  kind: DataKind;
  data: Data;
  /** Relays between the sender and us (0 = heard directly). */
  hops: number;
  rssi: number;
  snr: number;
  rxTimeMs: number;
  viaMqtt: boolean;
  channel: string;
}

export interface SendOptions {
  wantAck?: boolean;
  hopLimit?: number;
  /** Skipped when the channel is busy (telemetry, beacons). */
  polite?: boolean;
  /**
   * The packet id to use instead of a fresh one: a device that persisted a frame and sends it
   * again after a restart reuses its id, so nodes that already have it drop the copy.
   */
  id?: number;
}

export type NakReason = 'MAX_RETRANSMIT' | string;

export interface RouterEvents {
  deliver: [Delivery];
  /** Our frame `id` was acknowledged: by the destination, or (broadcast) by a relay overheard. */
  ack: [{ id: number; by: number; implicit: boolean }];
  /** Our frame `id` left the antenna (once per transmission, retries included). */
  sent: [{ id: number }];
  /** Our frame `id` was refused (the transmit queue dropped it) or never acknowledged. */
  nak: [{ id: number; reason: NakReason }];
  /** Every authenticated frame heard for the first time, for gateways and loggers. */
  heard: [{ header: FrameHeader; data: Data; bytes: Uint8Array; rssi: number; snr: number }];
  drop: [{ reason: DropReason; detail?: string }];
}

interface FloodState {
  firstHeardAt: number;
  copies: number;
  transmitters: number[];
  snr: number;
  /** Our relay, from the moment it is scheduled until it goes on air (cancellable until then). */
  pendingRelay?: PendingRelay;
  relayed: number;
  lastAckSentAt: number;
  /** It carries an SOS, an alert or an SOS stage: relayed ahead of other traffic. */
  urgent: boolean;
}

interface PendingRelay {
  timer: TimerHandle;
  hopLimit: number;
  cancelled: boolean;
}

interface PendingAck {
  seal: () => Uint8Array;
  length: number;
  to: number;
  left: number;
  urgent: boolean;
  timer?: TimerHandle;
}

/** Re-acknowledge a duplicate of a frame we already acked at most this often. */
const REACK_INTERVAL_MS = 5_000;

export class MeshRouter extends EventEmitter<RouterEvents> {
  readonly nodeId: number;
  readonly stats = new RouterStats();
  readonly neighbors: NeighborTable;
  readonly policy: RelayPolicy;
  private readonly radio: Radio;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly channels: ChannelSet;
  private readonly sendChannel: ChannelKey;
  private readonly hopLimit: number;
  private readonly maxTransmissions: number;
  private readonly seen: DedupCache<FloodState>;
  private readonly replay = new ReplayWindow();
  private readonly ids: PacketIdGenerator;
  private readonly counter: FrameCounter;
  private readonly duty: DutyCycle;
  readonly utilization: ChannelUtilization;
  private readonly tx: TxQueue;
  private readonly slotMs: number;
  private readonly awaitingAck = new Map<number, PendingAck>();
  private beaconSeq = 0;

  constructor(options: RouterOptions) {
    super();
    if (options.nodeId === 0 || options.nodeId >>> 0 === BROADCAST) {
      throw new MeshError('E_BAD_ARGUMENT', 'node id must not be 0 or the broadcast address');
    }
    this.nodeId = options.nodeId >>> 0;
    this.radio = options.radio;
    this.scheduler = options.scheduler;
    this.random = options.random;
    this.channels = options.channels;
    this.sendChannel = options.sendChannel ?? DEFAULT_CHANNEL;
    this.policy = options.policy ?? new CoverageFloodPolicy();
    this.hopLimit = options.hopLimit ?? DEFAULT_HOP_LIMIT;
    if (!(this.hopLimit >= 0 && this.hopLimit <= MAX_HOP_LIMIT)) {
      throw new MeshError('E_BAD_ARGUMENT', `hop limit must be 0..${MAX_HOP_LIMIT}`);
    }
    this.maxTransmissions = options.maxTransmissions ?? 3;
    this.seen = new DedupCache(options.dedup);
    this.ids = new PacketIdGenerator(options.random);
    this.counter = options.counter ?? new MemoryFrameCounter();
    this.neighbors = new NeighborTable(this.nodeId);
    this.slotMs = slotTimeMs(this.radio.params);
    this.duty = new DutyCycle(options.region ?? 'EU868', this.scheduler);
    this.utilization = new ChannelUtilization(this.scheduler);
    this.tx = new TxQueue(this.radio, this.scheduler, this.random, this.slotMs, this.duty, this.utilization, this.stats, (r) => this.dropFrame(r));
    this.radio.attach({
      onReceive: (p) => this.receive(p),
      onTransmitDone: (ok) => this.tx.transmitDone(ok),
    });
  }

  /** Sends `data` to `to` (a node number or BROADCAST); returns the packet id. */
  send(to: number, data: Data, options: SendOptions = {}): number {
    return this.originate(to, data, options, 'origin');
  }

  /** Zero-hop beacon telling neighbours whom we hear and how well (feeds coverage decisions). */
  sendNeighborInfo(intervalS: number, maxNeighbors = 16): number {
    const now = this.scheduler.now();
    const neighbors = this.neighbors
      .direct(now)
      .sort((a, b) => b.quality - a.quality)
      .slice(0, maxNeighbors)
      .map((n) => ({ nodeId: n.nodeId, snrX4: Math.round((Number.isNaN(n.snr) ? 0 : n.snr) * 4), quality: Math.round(n.quality * 255) }));
    const data: Data = { neighborInfo: { nodeId: this.nodeId, beaconSeq: ++this.beaconSeq, intervalS, neighbors } };
    return this.originate(BROADCAST, data, { hopLimit: 0, polite: true }, 'beacon');
  }

  /**
   * A frame another gateway heard, handed to us over MQTT. It is authenticated, deduplicated and
   * delivered like one from the air, then put on air with via_mqtt set (so no gateway uplinks it
   * again), keeping its hop limit: it has not crossed any of our radio hops yet. It teaches the
   * neighbour table nothing, since no radio of ours heard it. Returns whether it was new.
   */
  injectFromMqtt(bytes: Uint8Array): boolean {
    const now = this.scheduler.now();
    let decoded;
    try {
      decoded = decodeFrame(bytes, this.channels);
    } catch (err) {
      const reason = err instanceof MeshError ? (err.code as DropReason) : 'E_BAD_PAYLOAD';
      this.dropFrame(reason, err instanceof Error ? err.message : String(err));
      return false;
    }
    const header = { ...decoded.header, viaMqtt: true };
    const { data, channel } = decoded;
    if (header.from === this.nodeId) return (this.dropFrame('own-frame'), false);
    if (this.seen.get(header.from, header.id, now)) return (this.dropFrame('duplicate'), false);
    if (!this.replay.isFresh(header.from, header.counter)) return (this.dropFrame('E_REPLAY'), false);
    this.replay.accept(header.from, header.counter);
    const state = this.newState(now);
    state.urgent = isUrgent(data);
    this.seen.add(header.from, header.id, state, now);
    this.emit('heard', { header, data, bytes, rssi: NaN, snr: NaN });
    if (header.to === this.nodeId || header.to === BROADCAST) {
      this.stats.delivered++;
      this.emit('deliver', { from: header.from, to: header.to, id: header.id, kind: dataKind(data), data, hops: header.hopStart - header.hopLimit, rssi: NaN, snr: NaN, rxTimeMs: now, viaMqtt: true, channel: channel.name });
    }
    if (header.to !== this.nodeId) {
      const copy = relayCopy(bytes, { hopLimit: header.hopLimit, viaMqtt: true, relayNode: lastByte(this.nodeId) });
      this.tx.enqueue({ length: copy.length, kind: 'relay', urgent: state.urgent, prepare: () => ((state.relayed++, copy)), onSent: () => this.stats.relaysSent++ });
    }
    return true;
  }

  /** Frames waiting for the radio (queue + on air). */
  get txBacklog(): number {
    return this.tx.length;
  }

  private originate(to: number, data: Data, options: SendOptions, kind: TxKind): number {
    const hopLimit = options.hopLimit ?? this.hopLimit;
    const header = this.ownHeader(to, hopLimit, options.wantAck ?? false, options.id);
    const { seal, length } = this.sealer(header, data);
    const id = header.id;
    this.stats.originated++;
    // Our own frame is "seen": copies relayed back to us are not delivered or relayed again.
    this.seen.add(this.nodeId, id, this.newState(0), this.scheduler.now());
    const urgent = isUrgent(data);
    if (header.wantAck) this.awaitingAck.set(id, { seal, length, to: header.to, left: this.maxTransmissions - 1, urgent });
    // First transmission waits a random slot count scaled by how busy the channel is; an SOS or
    // alert takes the shortest window whatever the load (a person waiting for help feels the wait).
    const cw = urgent ? CW_MIN : Math.round(CW_MIN + (Math.min(this.utilization.percent(), 100) / 100) * (CW_MAX - CW_MIN));
    this.scheduler.schedule(this.random.int(2 ** cw) * this.slotMs, () => this.transmitOwn(id, seal, length, kind, options.polite ?? false, urgent));
    return id;
  }

  private ownHeader(to: number, hopLimit: number, wantAck: boolean, id?: number): Omit<FrameHeader, 'channelHash' | 'counter'> {
    if (id !== undefined && !(Number.isInteger(id) && id > 0 && id <= 0xffffffff)) {
      throw new MeshError('E_BAD_ARGUMENT', `packet id must be an integer 1..2^32-1, got ${id}`);
    }
    return {
      to: to >>> 0,
      from: this.nodeId,
      id: id ?? this.ids.next(),
      hopLimit,
      hopStart: hopLimit,
      wantAck,
      viaMqtt: false,
      nextHop: 0,
      relayNode: lastByte(this.nodeId),
    };
  }

  /**
   * Our frame, encoded now (an oversized payload is refused here, before anything is queued) and
   * sealed only when it goes on air, with the next counter: receivers' replay windows then see
   * our counters rise even when frames leave the queue out of order or are sent again.
   */
  private sealer(header: Omit<FrameHeader, 'channelHash' | 'counter'>, data: Data): { seal: () => Uint8Array; length: number } {
    const plaintext = encodeData(data);
    checkPayloadSize(plaintext);
    return {
      seal: () => sealFrame({ ...header, counter: this.counter.next() }, plaintext, this.sendChannel),
      length: plaintext.length + FRAME_OVERHEAD,
    };
  }

  private transmitOwn(id: number, seal: () => Uint8Array, length: number, kind: TxKind, polite: boolean, urgent: boolean): void {
    this.tx.enqueue({
      length,
      prepare: seal,
      kind,
      polite,
      urgent,
      onSent: () => {
        this.emit('sent', { id });
        this.armRetry(id);
      },
      // A frame the queue could not send never went on air: retrying at once would burn every
      // attempt within milliseconds of a radio fault. The sender hears why and decides when to
      // try again (a device's outbox backs off).
      onDropped: (reason) => (this.awaitingAck.has(id) ? this.settle(id, { nak: reason }) : this.emit('nak', { id, reason })),
    });
  }

  private armRetry(id: number): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    pending.timer?.cancel();
    // A random extra wait: two hidden nodes whose first frames collided would otherwise retry in
    // lock-step and collide again every time.
    const jitterMs = this.random.int(2 ** CW_MAX) * this.slotMs;
    pending.timer = this.scheduler.schedule(this.ackTimeoutMs(pending.length) + jitterMs, () => this.retryOrGiveUp(id));
  }

  private retryOrGiveUp(id: number): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    if (pending.left <= 0) return this.settle(id, { nak: 'MAX_RETRANSMIT' });
    pending.left--;
    this.stats.retransmissions++;
    this.transmitOwn(id, pending.seal, pending.length, 'origin', false, pending.urgent);
  }

  /** Ends the wait for an ack of our frame `id`, one way or the other. */
  private settle(id: number, outcome: { ackBy: number; implicit: boolean } | { nak: NakReason }): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    pending.timer?.cancel();
    this.awaitingAck.delete(id);
    if ('nak' in outcome) {
      this.stats.naks++;
      this.emit('nak', { id, reason: outcome.nak });
    } else {
      this.stats.acksReceived++;
      this.emit('ack', { id, by: outcome.ackBy, implicit: outcome.implicit });
    }
  }

  /** Long enough for a flood to cross the hop limit and an ack to come back the same way. */
  private ackTimeoutMs(bytes: number): number {
    const airtime = timeOnAirMs(this.radio.params, bytes);
    const perHop = airtime + (2 * CW_MAX + 2 ** CW_MAX) * this.slotMs;
    return 2 * Math.max(1, this.hopLimit) * perHop + 1_000;
  }

  private receive(packet: RxPacket): void {
    const now = this.scheduler.now();
    this.stats.rxFrames++;
    // The channel was busy whatever arrived; a radio handing up more than a LoRa packet can hold
    // must not make the airtime model throw before decodeFrame refuses the frame (E_FRAME_TOO_LARGE).
    const airtime = timeOnAirMs(this.radio.params, Math.min(packet.bytes.length, LORA_MAX_PAYLOAD));
    this.utilization.record(now - airtime, airtime);
    let decoded;
    try {
      decoded = decodeFrame(packet.bytes, this.channels);
    } catch (err) {
      const reason = err instanceof MeshError ? (err.code as DropReason) : 'E_BAD_PAYLOAD';
      return this.dropFrame(reason, err instanceof Error ? err.message : String(err));
    }
    const { header, data, channel } = decoded;
    const hops = header.hopStart - header.hopLimit;
    const transmitter = this.resolveTransmitter(header);

    if (header.from === this.nodeId) {
      // Someone relayed our frame: for a broadcast that is the implicit ack.
      const pending = this.awaitingAck.get(header.id);
      if (pending && pending.to === BROADCAST) this.settle(header.id, { ackBy: transmitter ?? 0, implicit: true });
      return this.dropFrame('own-frame');
    }

    const state = this.seen.get(header.from, header.id, now);
    if (state) return this.duplicate(state, header, packet, transmitter, now);

    if (!this.replay.isFresh(header.from, header.counter)) return this.dropFrame('E_REPLAY');
    this.replay.accept(header.from, header.counter);
    const fresh = this.newState(now);
    fresh.snr = packet.snr;
    fresh.urgent = isUrgent(data);
    if (transmitter !== undefined) fresh.transmitters.push(transmitter);
    this.seen.add(header.from, header.id, fresh, now);

    this.neighbors.heard(header.from, hops, packet.snr, packet.rssi, now);
    if (hops > 0 && transmitter !== undefined) this.neighbors.heard(transmitter, 0, packet.snr, packet.rssi, now);
    if (data.neighborInfo && hops === 0) {
      const links = data.neighborInfo.neighbors.map((n) => ({ nodeId: n.nodeId, quality: n.quality / 255, snr: n.snrX4 / 4 }));
      this.neighbors.beacon(header.from, data.neighborInfo.beaconSeq, links, now);
    }
    this.emit('heard', { header, data, bytes: packet.bytes, rssi: packet.rssi, snr: packet.snr });

    const forUs = header.to === this.nodeId || header.to === BROADCAST;
    if (forUs) {
      this.stats.delivered++;
      this.emit('deliver', {
        from: header.from,
        to: header.to,
        id: header.id,
        kind: dataKind(data),
        data,
        hops,
        rssi: packet.rssi,
        snr: packet.snr,
        rxTimeMs: now,
        viaMqtt: header.viaMqtt,
        channel: channel.name,
      });
      if (header.to === this.nodeId) this.answer(header, data, fresh, now);
    }
    if (header.to !== this.nodeId && header.hopLimit > 0) this.considerRelay(fresh, header, packet.bytes, now);
  }

  private duplicate(state: FloodState, header: FrameHeader, packet: RxPacket, transmitter: number | undefined, now: number): void {
    state.copies++;
    if (transmitter !== undefined && !state.transmitters.includes(transmitter)) state.transmitters.push(transmitter);
    this.dropFrame('duplicate');
    if (header.to === this.nodeId && header.wantAck && now - state.lastAckSentAt >= REACK_INTERVAL_MS) {
      // The sender retried: our ack was probably lost.
      this.sendAck(header, now, state);
    }
    const pending = state.pendingRelay;
    if (pending) {
      if (header.hopLimit > pending.hopLimit + 1) pending.hopLimit = header.hopLimit - 1;
      if (this.policy.cancelOnDuplicate(this.relayContext(state, header, now))) {
        pending.timer.cancel();
        pending.cancelled = true;
        state.pendingRelay = undefined;
        this.stats.relaysCancelled++;
      }
    } else if (
      header.to !== this.nodeId &&
      header.hopLimit > 0 &&
      header.hopLimit === header.hopStart &&
      state.relayed > 0 &&
      state.relayed < this.maxTransmissions &&
      now - state.firstHeardAt >= this.ackTimeoutMs(packet.bytes.length) / 2
    ) {
      // The origin itself sent this again, long after the first copy: it is retrying because the
      // flood did not get through, so carry the retry once more.
      this.considerRelay(state, header, packet.bytes, now);
    }
  }

  private considerRelay(state: FloodState, header: FrameHeader, bytes: Uint8Array, now: number): void {
    const delay = this.policy.relayDelay(this.relayContext(state, header, now));
    if (delay === null) return;
    this.stats.relaysScheduled++;
    const pending: PendingRelay = {
      hopLimit: header.hopLimit - 1,
      cancelled: false,
      timer: this.scheduler.schedule(delay, () => {
        const copy = relayCopy(bytes, { hopLimit: pending.hopLimit, relayNode: lastByte(this.nodeId) });
        this.tx.enqueue({
          length: copy.length,
          kind: 'relay',
          urgent: state.urgent,
          // Still cancellable while it waits for a clear channel.
          prepare: () => {
            if (pending.cancelled) return null;
            state.pendingRelay = undefined;
            state.relayed++;
            return copy;
          },
          onSent: () => this.stats.relaysSent++,
        });
      }),
    };
    state.pendingRelay = pending;
  }

  private answer(header: FrameHeader, data: Data, state: FloodState, now: number): void {
    if (data.routing && data.requestId) {
      // Only the node we sent to can answer for it.
      if (this.awaitingAck.get(data.requestId)?.to !== header.from) return;
      if (data.routing.error === 'NONE') this.settle(data.requestId, { ackBy: header.from, implicit: false });
      else this.settle(data.requestId, { nak: data.routing.error });
      return;
    }
    if (header.wantAck) this.sendAck(header, now, state);
  }

  private sendAck(header: FrameHeader, now: number, state: FloodState): void {
    state.lastAckSentAt = now;
    // Enough hops to retrace the request's path (even beyond our own default), plus slack for
    // a different way back when that stays within our limit.
    const used = header.hopStart - header.hopLimit;
    const hopLimit = Math.min(MAX_HOP_LIMIT, used >= this.hopLimit ? used : Math.min(used + 2, this.hopLimit));
    const ackHeader = this.ownHeader(header.from, Math.max(hopLimit, 1), false);
    const { seal, length } = this.sealer(ackHeader, { routing: { error: 'NONE' }, requestId: header.id });
    this.seen.add(this.nodeId, ackHeader.id, this.newState(now), now);
    this.tx.enqueue({ length, prepare: seal, kind: 'ack' });
  }

  private relayContext(state: FloodState, header: FrameHeader, now: number): RelayContext {
    return {
      self: this.nodeId,
      header,
      snr: state.snr,
      transmitters: state.transmitters,
      copies: state.copies,
      slotMs: this.slotMs,
      random: this.random,
      neighbors: this.neighbors,
      now,
    };
  }

  /** The node that sent this copy, from the one-byte relay field, if we can tell unambiguously. */
  private resolveTransmitter(header: FrameHeader): number | undefined {
    if (header.hopLimit === header.hopStart && lastByte(header.from) === header.relayNode) return header.from;
    const candidates = this.neighbors.byLastByte(header.relayNode);
    return candidates.length === 1 ? candidates[0]!.nodeId : undefined;
  }

  private newState(now: number): FloodState {
    return { firstHeardAt: now, copies: 1, transmitters: [], snr: 0, relayed: 0, lastAckSentAt: -Infinity, urgent: false };
  }

  private dropFrame(reason: DropReason, detail?: string): void {
    this.stats.drop(reason);
    if (this.listenerCount('drop') > 0) this.emit('drop', detail === undefined ? { reason } : { reason, detail });
  }
}


/** SOS, alerts and the stages travelling back to an SOS sender go ahead of everything else on air. */
function isUrgent(data: Data): boolean {
  return data.alert !== undefined || data.routing?.sos !== undefined;
}
