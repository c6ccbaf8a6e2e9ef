// The receive/transmit core of the router (Meshtastic's plain Router): authenticates heard frames,
// drops duplicates and replays, learns whom it hears, delivers, and puts our own frames on air
// through the transmit queue. It neither relays nor waits for acks: the flooding and reliable
// layers above it do, by overriding the layer hooks at the end of this class.
// Everything it touches (radio, clock, randomness) is injected, so the simulator runs this code.

import { EventEmitter } from 'node:events';
import { MeshError } from '../core/mesh-error.ts';
import type { Random } from '../core/random.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { DEFAULT_CHANNEL, type ChannelKey, type ChannelSet } from '../crypto/channel-key.ts';
import { checkPayloadSize, sealFrame } from '../crypto/frame-cipher.ts';
import { decodeFrame, type DecodedFrame } from '../frame/frame-codec.ts';
import {
  BROADCAST,
  DEFAULT_HOP_LIMIT,
  FRAME_OVERHEAD,
  MAX_HOP_LIMIT,
  framePacketId,
  frameSender,
  lastByte,
  readHeader,
  readHeaderInto,
  sameSealedFrame,
  type FrameHeader,
} from '../frame/header.ts';
import { PacketIdGenerator } from '../frame/packet-id.ts';
import { dataKind, encodeData, type Data } from '../frame/schema.ts';
import { slotTimeMs, timeOnAirMs } from '../phy/airtime.ts';
import { LORA_MAX_PAYLOAD, MESH_MAX_FRAME } from '../phy/lora-params.ts';
import type { Radio, RxPacket } from '../phy/radio.ts';
import { ChannelUtilization } from './channel-utilization.ts';
import { DedupCache, type DedupOptions } from './dedup-cache.ts';
import { DutyCycle, type RegionName, type RegionRules } from './duty-cycle.ts';
import { MemoryFrameCounter, type FrameCounter } from './frame-counter.ts';
import { BEACON_MAX_NEIGHBORS, NeighborTable } from './neighbor-table.ts';
import { CW_MAX, CW_MIN, type RelayPolicy } from './relay-policy.ts';
import { MAX_SNAPSHOT_CHANNELS, replayChannelTag, type ReplaySnapshot } from './replay-snapshot.ts';
import { ReplayWindow } from './replay-window.ts';
import type { RouterEvents } from './router-events.ts';
import { RouterStats, type DropReason } from './router-stats.ts';
import { newSeenFrame, type SeenFrame } from './seen-frame.ts';
import { TxQueue, type TxKind } from './tx-queue.ts';
import { urgencyOf, type Urgency } from './urgency.ts';

export interface RouterOptions {
  nodeId: number;
  radio: Radio;
  scheduler: Scheduler;
  random: Random;
  /** Channels we can read and relay; the first is the one we send on unless told otherwise. */
  channels: ChannelSet;
  sendChannel?: ChannelKey;
  /** Read by the flooding layer. */
  policy?: RelayPolicy;
  hopLimit?: number;
  region?: RegionName | RegionRules;
  dedup?: DedupOptions;
  counter?: FrameCounter;
  /** Transmissions in all (first + retries) of a frame that wants an ack. */
  maxTransmissions?: number;
  /** Route direct messages by next hops learned from traffic (default); false floods them. */
  nextHopRouting?: boolean;
  /**
   * What this node accepted before it restarted (`replaySnapshot()` of its last run): recordings
   * of those frames are refused (E_REPLAY) instead of taken as new. Channels no longer in
   * `channels`, and a snapshot saved by another node, are ignored.
   */
  replayState?: ReplaySnapshot;
  /**
   * Airtime this node spent before it restarted, by age (`airtimeSpent()` of its last run, aged by
   * the time between): counted against the duty cycle, so a restart does not give a new budget.
   */
  airtimeSpent?: ReadonlyArray<{ ageMs: number; usedMs: number }>;
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

/** One of our frames: encoded once, sealed each time it goes on air. */
export interface OwnFrame {
  readonly id: number;
  readonly to: number;
  readonly wantAck: boolean;
  readonly urgent: Urgency;
  /** Bytes on air. */
  readonly length: number;
  /**
   * Seals with the next counter, right before a transmission: receivers' replay windows then see
   * our counters rise even when frames leave the queue out of order or are sent again.
   */
  readonly seal: () => Uint8Array;
}

export class RouterCore extends EventEmitter<RouterEvents> {
  readonly nodeId: number;
  readonly stats = new RouterStats();
  readonly neighbors: NeighborTable;
  readonly utilization: ChannelUtilization;
  protected readonly radio: Radio;
  protected readonly scheduler: Scheduler;
  protected readonly random: Random;
  protected readonly hopLimit: number;
  /** Ours with want_ack are sent this often at most; relays assume the same of other origins. */
  protected readonly maxTransmissions: number;
  protected readonly slotMs: number;
  /** Time on air by frame length, worked out once per length: every frame heard needs it. */
  private readonly airtimeByLength = new Float64Array(LORA_MAX_PAYLOAD + 1).fill(Number.NaN);
  protected readonly seen: DedupCache<SeenFrame>;
  /**
   * Replay windows by the channel that authenticated the frame: anyone holding the published
   * Public key can seal a frame claiming to be any node with the largest counter, and one shared
   * window would then refuse that node's frames on every channel, private ones included.
   */
  private readonly replayByChannel = new Map<ChannelKey, ReplayWindow>();
  protected readonly tx: TxQueue;
  private readonly channels: ChannelSet;
  private readonly sendChannel: ChannelKey;
  private readonly ids: PacketIdGenerator;
  private readonly counter: FrameCounter;
  private readonly duty: DutyCycle;
  private beaconSeq = 0;
  /** The duplicate path's header: valid only during a duplicateHeard call. */
  private readonly scratchHeader = readHeader(new Uint8Array(FRAME_OVERHEAD).fill(1, 4, 12));

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
    if (options.airtimeSpent) this.duty.restore(options.airtimeSpent);
    this.utilization = new ChannelUtilization(this.scheduler);
    this.tx = new TxQueue(this.radio, this.scheduler, this.random, this.slotMs, this.duty, this.utilization, this.stats, (r) => this.dropFrame(r));
    if (options.replayState?.nodeId === this.nodeId) this.restoreReplay(options.replayState);
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
  sendNeighborInfo(intervalS: number, maxNeighbors = BEACON_MAX_NEIGHBORS): number {
    const now = this.scheduler.now();
    const seq = ++this.beaconSeq;
    let heard = this.neighbors.direct(now);
    if (heard.length <= maxNeighbors) {
      heard.sort((a, b) => b.quality - a.quality);
    } else {
      // More than a beacon holds: each beacon lists the next slice (in node order, so it wraps
      // round the whole list), and receivers keep earlier slices (NeighborTable.beacon). Always the
      // best 16 left a dense town's nodes knowing a third of whom their neighbours hear.
      heard.sort((a, b) => a.nodeId - b.nodeId);
      const start = ((seq - 1) * maxNeighbors) % heard.length;
      heard = [...heard.slice(start), ...heard.slice(0, start)].slice(0, maxNeighbors);
    }
    const neighbors = heard
      .map((n) => ({ nodeId: n.nodeId, snrX4: Math.round((Number.isNaN(n.snr) ? 0 : n.snr) * 4), quality: Math.round(n.quality * 255) }));
    const data: Data = { neighborInfo: { nodeId: this.nodeId, beaconSeq: seq, intervalS, neighbors } };
    return this.originate(BROADCAST, data, { hopLimit: 0, polite: true }, 'beacon');
  }

  /** Airtime counted against the duty cycle's window and the window's budget, ms; null where the region has no duty cycle. */
  dutyCycleUse(): { usedMs: number; budgetMs: number } | null {
    return this.duty.rules.dutyCycle >= 1 ? null : { usedMs: this.duty.usedMs(), budgetMs: this.duty.budgetMs };
  }

  /** The airtime the duty cycle's window holds, by age, to be given back after a restart (RouterOptions.airtimeSpent). */
  airtimeSpent(): Array<{ ageMs: number; usedMs: number }> {
    return this.duty.spent();
  }

  /**
   * Per channel and sender, the highest counter accepted: what a node saves to refuse recordings
   * after a restart (RouterOptions.replayState). Bounded like the windows: 4,096 senders a channel.
   */
  replaySnapshot(): ReplaySnapshot {
    const channels = [...this.replayByChannel].slice(0, MAX_SNAPSHOT_CHANNELS);
    return { nodeId: this.nodeId, channels: channels.map(([channel, window]) => ({ tag: replayChannelTag(channel), senders: [...window.tops()] })) };
  }

  private restoreReplay(snapshot: ReplaySnapshot): void {
    const byTag = new Map(snapshot.channels.map((c) => [c.tag, c.senders]));
    for (const channel of this.channels) {
      const senders = byTag.get(replayChannelTag(channel));
      if (senders === undefined) continue;
      const window = new ReplayWindow();
      for (const [from, top] of senders) window.restore(from, top);
      this.replayByChannel.set(channel, window);
    }
  }

  /** How long a frame of `length` bytes (at most a LoRa packet's) is on air with this radio's parameters. */
  protected airtimeMs(length: number): number {
    let ms = this.airtimeByLength[length]!;
    if (Number.isNaN(ms)) this.airtimeByLength[length] = ms = timeOnAirMs(this.radio.params, length);
    return ms;
  }

  /** Frames waiting for the radio (queue + on air). */
  get txBacklog(): number {
    return this.tx.length;
  }

  private receive(packet: RxPacket): void {
    const now = this.scheduler.now();
    this.stats.rxFrames++;
    // The channel was busy whatever arrived; a radio handing up more than a LoRa packet can hold
    // must not make the airtime model throw before decodeFrame refuses the frame (E_FRAME_TOO_LARGE).
    const airtime = this.airtimeMs(Math.min(packet.bytes.length, LORA_MAX_PAYLOAD));
    this.utilization.record(now - airtime, airtime);
    if (this.sealedDuplicate(packet, now)) return;
    const decoded = this.decode(packet.bytes);
    if (decoded === undefined) return;
    const { header, data, channel } = decoded;
    const hops = header.hopStart - header.hopLimit;
    const transmitter = this.resolveTransmitter(header);

    if (header.from === this.nodeId) return this.ownFrameHeard(header, transmitter);

    const known = this.seen.get(header.from, header.id, now);
    if (known && known.channel === channel) {
      known.copies++;
      if (transmitter !== undefined && !known.transmitters.includes(transmitter)) known.transmitters.push(transmitter);
      this.dropFrame('duplicate');
      this.duplicateHeard(known, header, packet.bytes, now);
      // The layers compared it with the copies heard before; from now on it is one of them.
      if (header.counter > known.counter) {
        known.counter = header.counter;
        known.counterAt = now;
      }
      return;
    }

    const fresh = this.admit(header, data, channel, packet.snr, now);
    if (fresh === undefined) return;
    // A copy: a radio that reads every frame into one buffer would otherwise make each later frame
    // equal to this one.
    fresh.sealed = packet.bytes.slice();
    if (transmitter !== undefined) fresh.transmitters.push(transmitter);

    if (header.viaMqtt) {
      // A gateway put on air a frame another gateway heard, hop limit untouched: its sender is
      // wherever that gateway was, not our neighbour. Only the transmitter is.
      if (transmitter !== undefined && transmitter !== header.from) this.neighbors.heard(transmitter, 0, packet.snr, packet.rssi, now);
    } else {
      this.neighbors.heard(header.from, hops, packet.snr, packet.rssi, now);
      if (hops > 0 && transmitter !== undefined) this.neighbors.heard(transmitter, 0, packet.snr, packet.rssi, now);
    }
    if (data.nodeInfo) this.neighbors.role(header.from, data.nodeInfo.role === 'GATEWAY', now);
    if (data.alert?.level === 'SOS' || data.alert?.level === 'SAFE') this.neighbors.sos(header.from, data.alert.level === 'SOS', now);
    if (data.neighborInfo && hops === 0 && !header.viaMqtt) {
      // The wire's quality is a uint32 meaning 0..255: anything above is certain, not more. A
      // "probability" of millions turned every coverage estimate negative, so one forged beacon
      // stopped its hearers relaying anything, an SOS included.
      const links = data.neighborInfo.neighbors.map((n) => ({ nodeId: n.nodeId, quality: Math.min(n.quality, 255) / 255, snr: n.snrX4 / 4 }));
      this.neighbors.beacon(header.from, data.neighborInfo.beaconSeq, links, now);
    }
    // No event object for nobody: this runs for every frame heard.
    if (this.listenerCount('heard') > 0) this.emit('heard', { header, data, bytes: packet.bytes, rssi: packet.rssi, snr: packet.snr });

    if (header.to === this.nodeId || header.to === BROADCAST) {
      this.deliver(header, data, channel.name, packet.rssi, packet.snr, now);
      if (header.to === this.nodeId) this.messageForUs(header, data, fresh, now);
    }
    this.newFrameHeard(fresh, header, packet.bytes, now);
  }

  /**
   * Most frames a node hears in a flood are copies of one it already has. A copy whose sealed
   * bytes equal the first copy's (which authenticated) is handled here from its header alone: no
   * decryption, no decode, no allocation. Anything else takes the full path.
   */
  private sealedDuplicate(packet: RxPacket, now: number): boolean {
    const bytes = packet.bytes;
    if (bytes.length < FRAME_OVERHEAD || bytes.length > MESH_MAX_FRAME) return false;
    const from = frameSender(bytes);
    if (from === this.nodeId) return false;
    const known = this.seen.get(from, framePacketId(bytes), now);
    if (known?.sealed === undefined || !sameSealedFrame(known.sealed, bytes)) return false;
    let header: FrameHeader;
    try {
      header = readHeaderInto(bytes, this.scratchHeader);
    } catch {
      return false;
    }
    const transmitter = this.resolveTransmitter(header);
    known.copies++;
    if (transmitter !== undefined && !known.transmitters.includes(transmitter)) known.transmitters.push(transmitter);
    this.dropFrame('duplicate');
    this.duplicateHeard(known, header, bytes, now);
    return true;
  }

  /** Authenticates and decodes heard bytes; a frame that fails is counted and reported, never thrown. */
  protected decode(bytes: Uint8Array): DecodedFrame | undefined {
    try {
      return decodeFrame(bytes, this.channels);
    } catch (err) {
      const reason = err instanceof MeshError ? (err.code as DropReason) : 'E_BAD_PAYLOAD';
      this.dropFrame(reason, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }

  /**
   * The replay check and dedup entry every new frame passes, from the air or over MQTT: a frame
   * replayed after the dedup cache forgot it is still refused. Returns its record, or undefined.
   */
  protected admit(header: FrameHeader, data: Data, channel: ChannelKey, snr: number, now: number): SeenFrame | undefined {
    let replay = this.replayByChannel.get(channel);
    if (replay === undefined) this.replayByChannel.set(channel, (replay = new ReplayWindow()));
    if (!replay.isFresh(header.from, header.counter)) {
      this.dropFrame('E_REPLAY');
      return undefined;
    }
    replay.accept(header.from, header.counter);
    const record = newSeenFrame(now, header.to, snr, urgencyOf(data), header.counter, channel);
    this.seen.add(header.from, header.id, record, now);
    return record;
  }

  protected deliver(header: FrameHeader, data: Data, channel: string, rssi: number, snr: number, now: number): void {
    this.stats.delivered++;
    if (this.listenerCount('deliver') === 0) return;
    this.emit('deliver', {
      from: header.from,
      to: header.to,
      id: header.id,
      kind: dataKind(data),
      data,
      hops: header.hopStart - header.hopLimit,
      rssi,
      snr,
      rxTimeMs: now,
      viaMqtt: header.viaMqtt,
      channel,
    });
  }

  protected originate(to: number, data: Data, options: SendOptions, kind: TxKind): number {
    const frame = this.ownFrame(to, options.hopLimit ?? this.hopLimit, options.wantAck ?? false, data, options.id);
    this.stats.originated++;
    this.originated(frame);
    // First transmission waits a random slot count scaled by how busy the channel is; an SOS or
    // alert takes the shortest window whatever the load (a person waiting for help feels the wait).
    const cw = frame.urgent ? CW_MIN : Math.round(CW_MIN + (Math.min(this.utilization.percent(), 100) / 100) * (CW_MAX - CW_MIN));
    const polite = options.polite ?? false;
    const delay = this.random.int(2 ** cw) * this.slotMs;
    if (frame.urgent) this.tx.holdForUrgent(delay);
    this.scheduler.schedule(delay, () => this.transmitOwn(frame, kind, polite));
    return frame.id;
  }

  /**
   * Encodes one of our frames now (an oversized payload is refused here, before anything is
   * queued) and records it as seen: copies relayed back to us are not ours to deliver or relay.
   */
  protected ownFrame(to: number, hopLimit: number, wantAck: boolean, data: Data, id?: number): OwnFrame {
    if (id !== undefined && !(Number.isInteger(id) && id > 0 && id <= 0xffffffff)) {
      throw new MeshError('E_BAD_ARGUMENT', `packet id must be an integer 1..2^32-1, got ${id}`);
    }
    // Checked here, not when the header is written at sealing time: there it surfaced later as a
    // nak for a "seal failure", blamed on the frame counter.
    if (!(Number.isInteger(hopLimit) && hopLimit >= 0 && hopLimit <= MAX_HOP_LIMIT)) {
      throw new MeshError('E_BAD_ARGUMENT', `hop limit must be an integer 0..${MAX_HOP_LIMIT}, got ${hopLimit}`);
    }
    const header: Omit<FrameHeader, 'channelHash' | 'counter'> = {
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
    const plaintext = encodeData(data);
    checkPayloadSize(plaintext);
    const now = this.scheduler.now();
    this.seen.add(this.nodeId, header.id, newSeenFrame(now, header.to), now);
    return {
      id: header.id,
      to: header.to,
      wantAck,
      urgent: urgencyOf(data),
      length: plaintext.length + FRAME_OVERHEAD,
      seal: () => sealFrame({ ...header, counter: this.counter.next() }, plaintext, this.sendChannel),
    };
  }

  protected transmitOwn(frame: OwnFrame, kind: TxKind, polite: boolean): void {
    this.tx.enqueue({
      length: frame.length,
      prepare: frame.seal,
      kind,
      polite,
      urgent: frame.urgent,
      onSent: () => {
        // An ack is the router's own business, not a frame the user sent.
        if (kind !== 'ack') this.emit('sent', { id: frame.id });
        this.ownFrameSent(frame);
      },
      onDropped: (reason) => this.ownFrameDropped(frame, reason),
    });
  }

  /** The node that sent this copy, from the one-byte relay field, if we can tell unambiguously. */
  private resolveTransmitter(header: FrameHeader): number | undefined {
    if (header.hopLimit === header.hopStart && lastByte(header.from) === header.relayNode) return header.from;
    const candidates = this.neighbors.byLastByte(header.relayNode);
    return candidates.length === 1 ? candidates[0]!.nodeId : undefined;
  }

  protected dropFrame(reason: DropReason, detail?: string): void {
    this.stats.drop(reason);
    if (this.listenerCount('drop') > 0) this.emit('drop', detail === undefined ? { reason } : { reason, detail });
  }

  // Layer hooks: the plain router's answer to each moment in a frame's life. A layer overrides
  // the moments its job needs and calls super.

  /** A copy of our own frame came back (someone relayed it): `transmitter` sent it, if known. */
  protected ownFrameHeard(_header: FrameHeader, _transmitter: number | undefined): void {
    this.dropFrame('own-frame');
  }

  /**
   * Another copy of a frame already seen; the core has counted and dropped it. No allocation here.
   * `header` may be a scratch object the core reuses: read it, do not keep it.
   */
  protected duplicateHeard(_record: SeenFrame, _header: FrameHeader, _bytes: Uint8Array, _now: number): void {}

  /** A new frame addressed to us alone, right after it was delivered. */
  protected messageForUs(_header: FrameHeader, _data: Data, _record: SeenFrame, _now: number): void {}

  /** A new frame, after any delivery: the plain router keeps it to itself. */
  protected newFrameHeard(_record: SeenFrame, _header: FrameHeader, _bytes: Uint8Array, _now: number): void {}

  /** One of our frames was created; its first transmission waits for its contention slot. */
  protected originated(_frame: OwnFrame): void {}

  /** One of our frames left the antenna. */
  protected ownFrameSent(_frame: OwnFrame): void {}

  /** The transmit queue gave up on one of our frames: it never went on air. */
  protected ownFrameDropped(frame: OwnFrame, reason: DropReason): void {
    this.emit('nak', { id: frame.id, reason });
  }
}
