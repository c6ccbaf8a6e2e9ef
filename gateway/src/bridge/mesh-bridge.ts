// The mesh <-> MQTT bridge. Every frame the radio hears goes out as the protobuf envelope on
// `unibos/v1/gw/{gatewayId}/rx` and as JSON on `unibos/v1/mesh/{nodeId}/{kind}` (plus a `link`
// document: SNR, RSSI, hops, last heard), to the local broker and durably towards the hub —
// except frames that came over MQTT, which are never uplinked again (no loops). Commands on
// `.../tx` (from local clients or the hub) go into the mesh. Home Assistant discovery is
// published for every node and sensor seen.

import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { GATEWAY_NOT_SENT_PREFIX, GATEWAY_TX_REASONS, MESH_TOPIC_KIND, SENSOR_AVAILABILITY_LEAF, TOPIC_ROOT, dataKind, encodeEnvelope, formatNodeAddress, parseNodeId, topics, urgencyOf, type Data, type FrameHeader, type LoRaParams, type MeshRouter, type Urgency } from '@unibos/mesh-protocol';
import type { Device, OutboxDrop } from '@unibos/firmware';
import { GATEWAY_DISCOVERY_PREFIX, meshNodeDiscovery, sensorDiscovery, type DiscoveryMessage } from './ha-discovery.ts';
import { isObject, parseJson } from '../profiles/reading.ts';
import { LruMap } from './lru-map.ts';
import { meshJson } from './mesh-json.ts';
import { parseTxCommand, type ParsedTx } from './tx-command.ts';
import { findQueued } from './queued-command.ts';
import { TakenRefs, type TakenRef } from './taken-refs.ts';
import { UplinkError } from '../uplink/uplink-error.ts';

export interface MqttPublisher {
  publish(topic: string, payload: Buffer | string, options: { qos: 0 | 1 | 2; retain: boolean }): Promise<void>;
}

/**
 * The durable path to the hub: a message handed over here is on disk when the call returns. It
 * throws for a message the hub would refuse (nothing is kept). Urgent messages (SOS, alerts, the
 * gateway's own reports) overtake routine backlog; within a lane, a higher `urgency` (a mesh frame's
 * urgencyOf, as on air: an SOS or its stage, then other alerts) overtakes a lower one.
 */
export interface UplinkSink {
  /** `msgId`, when set, is the hub dedup id the broker recorded for this publish (exactly once across crashes). */
  forward(message: { source: string; topic: string; payload: Buffer; retain?: boolean; lane: 'urgent' | 'routine'; urgency?: Urgency; msgId?: string }): void;
}

/** Why the gateway's node let a hub command go unsent, as the hub shows it. */
const DROP_REASONS: Record<OutboxDrop['reason'], string> = {
  'gave-up': GATEWAY_TX_REASONS.gaveUp,
  evicted: GATEWAY_TX_REASONS.evicted,
  'router-refused': GATEWAY_TX_REASONS.routerRefused,
  undecodable: GATEWAY_TX_REASONS.undecodable,
};

export interface MeshBridgeOptions {
  gatewayId: string;
  device: Pick<Device, 'router' | 'sendText' | 'sendAlert' | 'answerSos' | 'requestNodeInfo'> & Partial<Pick<Device, 'nodeId' | 'name' | 'publicKey' | 'status' | 'sendSealed' | 'on' | 'outbox'>>;
  params: LoRaParams;
  local: MqttPublisher;
  uplink?: UplinkSink | undefined;
  logger: Logger;
  clock?: () => number;
  /**
   * The gateway's database (gateway.db), where the hub command refs already taken are kept so a
   * repeat after a restart is not sent again. Without it they are kept in memory, for this process only.
   */
  db?: Database.Database | undefined;
  /** Sets devices' switches for `switch` commands (profiles/switch-commander.ts); without it they are refused. */
  switches?: { run(req: { sensor: string; state: 'ON' | 'OFF' | 'TOGGLE'; channel: number | null; name: string | null }): Promise<{ status: string; state?: string; error?: string }> } | undefined;
  /** Mesh nodes and sensor metrics kept on the local broker (defaults MAX_MESH_NODES, MAX_ANNOUNCED_SENSORS, MAX_METRICS_PER_SENSOR). */
  maxMeshNodes?: number;
  maxSensorMetrics?: number;
  maxMetricsPerSensor?: number;
}

export interface BridgeStats {
  framesHeard: number;
  published: number;
  uplinked: number;
  notUplinkedViaMqtt: number;
  txAccepted: number;
  txRejected: number;
  sensorMessages: number;
  publishErrors: number;
  bridgeErrors: number;
  uplinkRefused: number;
  /** Zero-length publishes on sensor topics: a retained reading cleared, which is no reading for the hub. */
  sensorClears: number;
  /** Mesh nodes and sensor metrics forgotten (their retained messages cleared) to keep within the bounds. */
  nodesForgotten: number;
  sensorsForgotten: number;
  /** New metrics of a sensor that already had maxMetricsPerSensor announced: taken as readings, not announced. */
  sensorMetricsNotAnnounced: number;
}

/** Mesh traffic that overtakes routine backlog on its way to the hub (JSON topic kinds). */
const URGENT_KINDS: ReadonlySet<string> = new Set(['alert', 'ack']);
/**
 * What the gateway's own node queues that goes to the hub as if heard: a person at the gateway
 * (its button, `unibos sos|send`) is no less on the mesh. Its NodeInfo and position go by
 * reportSelf(); its answers to others (SOS stages, acks) are the gateway's own business.
 */
const OWN_KINDS_FORWARDED: ReadonlySet<string> = new Set(['text', 'alert', 'telemetry', 'direct']);
/** Packet ids of messages sent on a tx command (the hub's, or a local client's) lately: not the node's own, never sent back up. */
const COMMANDED_IDS_KEPT = 4096;

/**
 * Sensor metrics and mesh nodes kept on the local broker, most recently heard first. Each has
 * retained messages there (its Home Assistant discovery; a node its `link` too), and anyone on
 * the public channel can make up node ids: the least recently heard beyond the bound is forgotten
 * and its retained messages cleared, so the store stays bounded. One heard again is announced again.
 */
export const MAX_ANNOUNCED_SENSORS = 4096;
export const MAX_MESH_NODES = 2048;
/**
 * Sensor metrics announced per sensor: more than any real device has, and a sixteenth of
 * MAX_ANNOUNCED_SENSORS, so one sensor (a firmware with a counter in its topic) can never push
 * another's announcements out of the bound; its further metrics are taken but not announced.
 */
export const MAX_METRICS_PER_SENSOR = 256;

export class MeshBridge {
  readonly stats: BridgeStats = { framesHeard: 0, published: 0, uplinked: 0, notUplinkedViaMqtt: 0, txAccepted: 0, txRejected: 0, sensorMessages: 0, publishErrors: 0, bridgeErrors: 0, uplinkRefused: 0, sensorClears: 0, nodesForgotten: 0, sensorsForgotten: 0, sensorMetricsNotAnnounced: 0 };
  private readonly router: MeshRouter;
  /** Mesh nodes with retained messages: announced in this run with their name (true) or without (false), or only in an earlier run (null). */
  private readonly announcedNodes: LruMap<number, boolean | null>;
  /** Sensor metrics (`{sensorId}/{metric}`) with a retained config, and whether it was announced in this run. */
  private readonly announcedSensors: LruMap<string, { sensorId: string; metric: string; thisRun: boolean }>;
  /** How many of announcedSensors each sensor has (at most maxMetricsPerSensor). */
  private readonly metricsPerSensor = new Map<string, number>();
  private readonly maxMetricsPerSensor: number;
  /** Per sensor, its new metrics not announced, for the log (bounded: sensors beyond MAX_ANNOUNCED_SENSORS are counted only). */
  private readonly notAnnounced = new Map<string, number>();
  /** Hub command refs already taken, with their packet ids (none for a switch), durable in gateway.db. */
  private readonly refs: TakenRefs;
  private readonly clock: () => number;
  private readonly commanded = new Set<number>();

  constructor(private readonly options: MeshBridgeOptions) {
    this.router = options.device.router;
    this.clock = options.clock ?? Date.now;
    this.refs = new TakenRefs(options.db ?? new Database(':memory:'));
    this.resolvePendingRefs();
    this.maxMetricsPerSensor = options.maxMetricsPerSensor ?? MAX_METRICS_PER_SENSOR;
    this.announcedSensors = new LruMap(options.maxSensorMetrics ?? MAX_ANNOUNCED_SENSORS, (_key, { sensorId, metric }) => {
      this.stats.sensorsForgotten++;
      this.countMetric(sensorId, -1);
      this.clearRetained([sensorDiscovery(sensorId, metric).topic]);
    });
    this.announcedNodes = new LruMap(options.maxMeshNodes ?? MAX_MESH_NODES, (nodeId) => {
      this.stats.nodesForgotten++;
      this.clearRetained([...meshNodeDiscovery(nodeId, undefined).map((m) => m.topic), topics.mesh(formatNodeAddress(nodeId), 'link')]);
    });
    // A hub command the node's outbox let go of unsent: the hub shows it failed, not "sent" for ever.
    options.device.on?.('dropped', (d) => this.commandDropped(d));
    this.router.on('heard', (h) => {
      // The router calls us in the middle of handling a frame: a failure here must not stop it
      // delivering or relaying that frame.
      try {
        this.onHeard(h.header, h.data, h.bytes, h.rssi, h.snr);
      } catch (err) {
        this.stats.bridgeErrors++;
        this.options.logger.error({ err: (err as Error).message }, 'could not bridge a heard frame');
      }
    });
    options.device.on?.('queued', (q) => {
      try {
        this.onOwnFrame(q.to, q.packetId, q.data);
      } catch (err) {
        this.stats.bridgeErrors++;
        this.options.logger.error({ err: (err as Error).message }, 'could not bridge a message of our own node');
      }
    });
  }

  get rxTopic(): string {
    return topics.gateway(this.options.gatewayId, 'rx');
  }

  get txTopic(): string {
    return topics.gateway(this.options.gatewayId, 'tx');
  }

  get statusTopic(): string {
    return topics.gateway(this.options.gatewayId, 'status');
  }

  /** A command for the mesh, from a local client or the hub. */
  handleTx(payload: Buffer, origin: 'local' | 'hub'): ParsedTx {
    const parsed = parseTxCommand(payload);
    if (!parsed.ok) return this.refuseTx(parsed, origin);
    const c = parsed.command;
    // The hub publishes a command again when it has not seen our report yet (we reconnected, or
    // restarted, in between): the same ref is answered with the packet id it already got, not sent
    // twice (nor a switch run twice: a TOGGLE would undo itself).
    const ref = c.kind !== 'frame' ? c.ref : undefined;
    const known = ref !== undefined ? this.refs.get(ref) : undefined;
    if (known) return this.answerRepeat(known, c.kind === 'switch', parsed);
    if (c.kind === 'direct' && !this.options.device.sendSealed) return this.refuseTx({ ok: false, error: GATEWAY_TX_REASONS.noPrivate, ...(ref ? { ref } : {}) }, origin);
    if (c.kind === 'switch') return this.handleSwitch(c, payload, parsed, origin);
    // Committed before the node queues anything: a crash after the node queued it leaves a pending
    // ref (resolved at the next start), never a queued message whose ref is unknown.
    if (ref !== undefined && !this.beginRef(ref, payload, origin)) return { ok: false, error: 'could not record the command', ref };
    let packetId: number | undefined;
    let here: { opened: boolean } | undefined;
    try {
      if (c.kind === 'text') packetId = this.options.device.sendText(c.text, c.to).packetId;
      else if (c.kind === 'alert') packetId = this.options.device.sendAlert(c.level, c.text, c.to, c.magnitudeX10).packetId;
      else if (c.kind === 'nodeInfoRequest') packetId = this.options.device.requestNodeInfo(c.to).packetId;
      else if (c.kind === 'direct') ({ packetId, here } = this.options.device.sendSealed!(c.to, { sender: c.sender, sealed: c.sealed }));
      else if (c.kind === 'sosStage') packetId = this.options.device.answerSos(c.to, c.requestId, { stage: c.stage, timeMs: c.timeMs, by: c.by }).packetId;
      else if (!this.router.injectFromMqtt(c.frame)) return this.refuseTx({ ok: false, error: 'frame refused (duplicate, replayed, or not on our channel)' }, origin);
    } catch (err) {
      // Refused by the node: nothing was queued, so a repeat is tried afresh.
      if (ref !== undefined) this.keepRef(ref, () => this.refs.release(ref));
      return this.refuseTx({ ok: false, error: (err as Error).message, ...(ref ? { ref } : {}) }, origin);
    }
    this.stats.txAccepted++;
    // What a command asked for is not the node's own: it is never sent back up as if heard.
    if (packetId !== undefined) {
      this.commanded.add(packetId);
      if (this.commanded.size > COMMANDED_IDS_KEPT) this.commanded.delete(this.commanded.values().next().value!);
    }
    if (ref !== undefined && packetId !== undefined) {
      this.keepRef(ref, () => this.refs.settle(ref, packetId));
      this.txReport({ ref, packetId, status: 'queued' });
    }
    // A private message for the gateway's own node was received here: answered as its radio
    // would, "arrived", then NOT_OPENED if it cannot be read (no radio of ours hears the answer).
    if (c.kind === 'direct' && here && packetId !== undefined) {
      this.ownAnswer(c.sender, packetId, 'NONE');
      if (!here.opened) this.ownAnswer(c.sender, packetId, 'NOT_OPENED');
    }
    return parsed;
  }

  /** Records a new ref; when the database refuses, the command is refused: unrecorded, a repeat could be sent twice. */
  private beginRef(ref: string, payload: Buffer, origin: 'local' | 'hub'): boolean {
    try {
      this.refs.begin(ref, payload);
      return true;
    } catch (err) {
      this.refuseTx({ ok: false, error: `could not record the command: ${(err as Error).message}`, ref }, origin);
      return false;
    }
  }

  /**
   * Settles or releases a ref already recorded. A database that refuses now (a full card) leaves it
   * pending, which the next start resolves; the command's outcome is still reported, and nothing
   * is thrown into the broker's or the uplink's handlers (or, for a switch, left as an unhandled
   * rejection, which ends the process).
   */
  private keepRef(ref: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      this.options.logger.error({ ref, err: (err as Error).message }, 'could not update a hub command ref in gateway.db; it stays pending');
    }
  }

  /** A ref taken before, in this run or an earlier one: answered again, nothing sent or switched. */
  private answerRepeat(known: TakenRef, isSwitch: boolean, parsed: ParsedTx): ParsedTx {
    const ref = known.ref;
    if (known.state !== 'interrupted') this.txReport({ ref, ...(known.packetId !== undefined ? { packetId: known.packetId } : {}), status: 'queued' });
    else if (isSwitch) this.txReport({ ref, status: 'unconfirmed', error: GATEWAY_TX_REASONS.switchInterrupted });
    else this.txReport({ ref, status: 'refused', error: GATEWAY_TX_REASONS.interrupted });
    return parsed;
  }

  /**
   * At start: refs an earlier run recorded but never settled (it died in between). One whose
   * message is in the node's outbox gets that packet id; for the others whether anything went out
   * is not known, and the hub is told so when it asks again, rather than risking a second copy.
   */
  private resolvePendingRefs(): void {
    const outbox = this.options.device.outbox;
    for (const { ref, command } of this.refs.pending()) {
      const parsed = parseTxCommand(command);
      const packetId = parsed.ok && outbox ? findQueued(outbox, parsed.command, (id) => this.refs.refOf(id) !== undefined) : undefined;
      this.keepRef(ref, () => (packetId !== undefined ? this.refs.settle(ref, packetId) : this.refs.markInterrupted(ref)));
      this.options.logger.warn({ ref, packetId: packetId ?? null }, packetId !== undefined ? 'hub command queued just before a crash: its packet id is recovered' : 'hub command interrupted by a crash: it will not be sent again');
    }
  }

  /**
   * The gateway's own name and position, for the hub's fleet and map: a gateway never hears its
   * own beacons, so they would otherwise never reach the hub. Sent as the mesh documents a heard
   * frame would be (hops 0, no signal), each with a fresh random packet id.
   */
  reportSelf(): void {
    const d = this.options.device;
    if (!this.options.uplink || d.nodeId === undefined || !d.status) return;
    const node = formatNodeAddress(d.nodeId);
    const now = this.clock();
    const base = { from: node, to: 'broadcast', hops: 0, rssi: null, snr: null, rxTime: new Date(now).toISOString(), gatewayId: this.options.gatewayId };
    const id = randomPacketId;
    const source = `mesh:${node}`;
    // With its key, as its NodeInfo beacon says it: hub users can write to the gateway's own node too.
    const publicKey = d.publicKey ? { publicKey: Buffer.from(d.publicKey).toString('base64') } : {};
    this.uplink(source, topics.mesh(node, 'info'), Buffer.from(JSON.stringify({ ...base, id: id(), longName: d.name, shortName: node.slice(-4), hwModel: 'UNIBOS', role: 'GATEWAY', ...publicKey })), 'routine');
    const fix = d.status().gps.fix;
    if (fix && fix.mode !== 'none' && Number.isFinite(fix.latitude) && Number.isFinite(fix.longitude) && !(fix.latitude === 0 && fix.longitude === 0)) {
      this.uplink(source, topics.mesh(node, 'position'), Buffer.from(JSON.stringify({ ...base, id: id(), latitude: fix.latitude, longitude: fix.longitude, altitudeM: fix.altitudeM ?? null, time: new Date(now).toISOString(), precisionBits: 32 })), 'routine');
    }
  }

  /** A device switch: reported queued at once, then confirmed (the device said so), unconfirmed or refused. */
  private handleSwitch(c: Extract<ParsedTx, { ok: true }>['command'] & { kind: 'switch' }, payload: Buffer, parsed: ParsedTx, origin: 'local' | 'hub'): ParsedTx {
    const switches = this.options.switches;
    if (!switches) return this.refuseTx({ ok: false, error: 'this gateway has no sensor profiles to set a switch with', ...(c.ref ? { ref: c.ref } : {}) }, origin);
    // Pending until the outcome is reported: a gateway that dies meanwhile says so when asked again.
    if (c.ref && !this.beginRef(c.ref, payload, origin)) return { ok: false, error: 'could not record the command', ref: c.ref };
    this.stats.txAccepted++;
    if (c.ref) {
      this.txReport({ ref: c.ref, status: 'queued' });
    }
    void switches.run({ sensor: c.sensor, state: c.state, channel: c.channel, name: c.name }).then(
      (outcome) => {
        this.options.logger.info({ sensor: c.sensor, state: c.state, channel: c.channel, name: c.name, outcome }, 'switch command');
        // Reported before the ref is settled: a crash in between leaves it pending, and the hub's
        // repeat is answered "unconfirmed" rather than "queued" with no outcome ever to follow.
        if (c.ref) this.txReport({ ref: c.ref, status: outcome.status as 'confirmed' | 'unconfirmed' | 'refused', ...(outcome.state ? { state: outcome.state } : {}), ...(outcome.error ? { error: outcome.error } : {}) });
        if (c.ref) this.keepRef(c.ref, () => this.refs.settle(c.ref!, undefined));
      },
      (err: Error) => {
        if (c.ref) this.keepRef(c.ref, () => this.refs.settle(c.ref!, undefined));
        this.options.logger.error({ err: err.message }, 'switch command failed');
      },
    );
    return parsed;
  }

  private commandDropped(d: OutboxDrop): void {
    // From the database, so a command queued before a restart is still reported when it fails after it.
    const ref = this.refs.refOf(d.packetId);
    if (ref === undefined) return;
    this.txReport({ ref, packetId: d.packetId, status: 'refused', error: `${GATEWAY_NOT_SENT_PREFIX}${DROP_REASONS[d.reason]}` });
  }

  private refuseTx(refused: Extract<ParsedTx, { ok: false }>, origin: 'local' | 'hub'): ParsedTx {
    this.stats.txRejected++;
    this.options.logger.warn({ origin, error: refused.error }, 'tx command refused');
    if (refused.ref) this.txReport({ ref: refused.ref, status: 'refused', error: refused.error });
    return refused;
  }

  /** The answer to a command with a ref: its packet id (so the sender can match the node's ack) or why it was refused. */
  private txReport(report: { ref: string; packetId?: number; status: 'queued' | 'refused' | 'confirmed' | 'unconfirmed'; state?: string; error?: string }): void {
    const payload = Buffer.from(JSON.stringify(report));
    const topic = topics.gateway(this.options.gatewayId, 'txstatus');
    this.publish(topic, payload, false);
    this.uplink('gateway', topic, payload, 'urgent');
  }

  /**
   * A sensor's publish on `unibos/v1/sensor/{id}/{metric}`: towards the hub, and into discovery.
   * Throws an error with a `refusal` when the hub would not take it: the broker then acknowledges
   * and drops it, counted with the reason.
   */
  handleSensor(topic: string, payload: Buffer, msgId?: string): void {
    if (payload.length === 0) {
      // A zero-length retained publish is how MQTT deletes a retained message: the broker clears
      // it, and the hub is told nothing (as a reading it would be a null overwriting the latest value).
      this.stats.sensorClears++;
      return;
    }
    const [, , , sensorId, ...rest] = topic.split('/');
    if (!sensorId || rest.length === 0) {
      if (!this.options.uplink) return;
      // `unibos/v1/sensor/{id}` with no metric is no reading the hub could store: refused (dropped), counted.
      this.stats.uplinkRefused++;
      throw new UplinkError('E_HUB_WOULD_REFUSE', `${JSON.stringify(topic)} is not a sensor reading's topic: ${topics.sensor('{sensorId}', '{metric}')}`, { refusal: 'topic_shape' });
    }
    this.stats.sensorMessages++;
    this.uplink(`sensor:${sensorId}`, topic, payload, 'routine', { refuse: true, msgId });
    // The metric's own levels: its state topic is the topic it came on.
    const metric = rest.join('/');
    // Whether the sensor can be reached (its last will) is no metric to announce.
    if (metric === SENSOR_AVAILABILITY_LEAF) return;
    const key = `${sensorId}/${metric}`;
    const known = this.announcedSensors.touch(key);
    if (known?.thisRun) return;
    if (!known && !this.admitMetric(sensorId, metric)) return;
    this.announcedSensors.set(key, { sensorId, metric, thisRun: true });
    this.publishAll([sensorDiscovery(sensorId, metric)]);
  }

  /**
   * Whether a sensor's new metric may take a place among the announced: not once the sensor has
   * maxMetricsPerSensor, so the least recently heard that the bound forgets are never pushed out by
   * one sensor alone. Counted, and logged at the 1st, 10th, 100th, ... for each sensor.
   */
  private admitMetric(sensorId: string, metric: string): boolean {
    const count = this.metricsPerSensor.get(sensorId) ?? 0;
    if (count < this.maxMetricsPerSensor) {
      this.countMetric(sensorId, 1);
      return true;
    }
    const n = ++this.stats.sensorMetricsNotAnnounced;
    const forSensor = (this.notAnnounced.get(sensorId) ?? 0) + 1;
    if (this.notAnnounced.size < MAX_ANNOUNCED_SENSORS || this.notAnnounced.has(sensorId)) this.notAnnounced.set(sensorId, forSensor);
    if (/^10*$/.test(String(forSensor))) {
      this.options.logger.warn({ sensorId, metric, limit: this.maxMetricsPerSensor, notAnnounced: forSensor, notAnnouncedAll: n }, 'sensor has its limit of metrics announced to Home Assistant: a new one is forwarded as a reading but not announced');
    }
    return false;
  }

  private countMetric(sensorId: string, delta: 1 | -1): void {
    const count = (this.metricsPerSensor.get(sensorId) ?? 0) + delta;
    if (count > 0) this.metricsPerSensor.set(sensorId, count);
    else this.metricsPerSensor.delete(sensorId);
  }

  /**
   * At start: takes up the nodes and sensor metrics an earlier run left retained messages for,
   * least recently heard first, so the bounds hold across restarts (those beyond them are cleared
   * now). Each is announced again when next heard, as in every run. Retained configs devices
   * announced themselves are not the bridge's and are left alone.
   */
  async restore(retained: (filter: string) => AsyncIterable<{ topic: string; payload: Buffer }>): Promise<void> {
    const lastHeard = new Map<number, number>();
    for await (const m of retained(topics.homeAssistantConfig('device_tracker', '+'))) {
      const object = m.topic.split('/')[2] ?? '';
      const node = object.slice(GATEWAY_DISCOVERY_PREFIX.length);
      const id = object.startsWith(GATEWAY_DISCOVERY_PREFIX) && /^[0-9a-f]{8}$/.test(node) ? parseNodeId(node) : null;
      if (id !== null) lastHeard.set(id, 0);
    }
    for await (const m of retained(`${TOPIC_ROOT}/mesh/+/link`)) {
      const id = parseNodeId(m.topic.split('/')[3] ?? '');
      if (id !== null) lastHeard.set(id, Date.parse(jsonField(m.payload, 'lastHeard') ?? '') || 0);
    }
    for (const [id] of [...lastHeard].sort((a, b) => a[1] - b[1])) if (!this.announcedNodes.has(id)) this.announcedNodes.set(id, null);
    const sensorRoot = `${TOPIC_ROOT}/sensor/`;
    for await (const m of retained(topics.homeAssistantConfig('sensor', '+'))) {
      if (!m.topic.split('/')[2]?.startsWith(`${GATEWAY_DISCOVERY_PREFIX}sensor_`)) continue;
      const state = jsonField(m.payload, 'state_topic');
      if (!state?.startsWith(sensorRoot)) continue;
      const [sensorId, ...rest] = state.slice(sensorRoot.length).split('/');
      const metric = rest.join('/');
      // Only a config the bridge itself would have made for that sensor, at its own topic.
      if (!sensorId || !metric || sensorDiscovery(sensorId, metric).topic !== m.topic) continue;
      const key = `${sensorId}/${metric}`;
      if (this.announcedSensors.has(key)) continue;
      // Beyond the sensor's limit (left by a run before it): cleared, as if forgotten.
      if ((this.metricsPerSensor.get(sensorId) ?? 0) >= this.maxMetricsPerSensor) {
        this.stats.sensorsForgotten++;
        this.clearRetained([m.topic]);
        continue;
      }
      this.countMetric(sensorId, 1);
      this.announcedSensors.set(key, { sensorId, metric, thisRun: false });
    }
  }

  /** The gateway's retained status on the local broker (the hub copy has the uplink's last will). */
  publishStatus(state: 'online' | 'offline', extra: Record<string, unknown> = {}): Promise<void> {
    // The same shape the uplink publishes at the hub (and its last will), so one parser reads both.
    const body = JSON.stringify({ status: state, gatewayId: this.options.gatewayId, ts: this.clock(), ...extra });
    return this.options.local.publish(this.statusTopic, body, { qos: 1, retain: true }).catch(() => {
      this.stats.publishErrors++;
    });
  }

  private onHeard(header: FrameHeader, data: Data, bytes: Uint8Array, rssi: number, snr: number): void {
    this.stats.framesHeard++;
    const now = this.clock();
    const p = this.options.params;
    const gatewayId = this.options.gatewayId;
    const envelope = Buffer.from(
      encodeEnvelope({ frame: bytes, gatewayId, rssi: Number.isFinite(rssi) ? Math.round(rssi) : 0, snr: Number.isFinite(snr) ? snr : 0, rxTimeMs: now, frequencyHz: p.frequencyHz, sf: p.sf, bandwidthHz: p.bandwidthHz }),
    );
    const node = formatNodeAddress(header.from);
    const kind = MESH_TOPIC_KIND[dataKind(data)];
    const hops = header.hopStart - header.hopLimit;
    const json = Buffer.from(JSON.stringify(meshJson(data, { from: header.from, to: header.to, id: header.id, hops, rssi, snr, rxTimeMs: now, gatewayId })));
    const link = JSON.stringify({ snr: Number.isFinite(snr) ? snr : null, rssi: Number.isFinite(rssi) ? rssi : null, hops: hops + 1, lastHeard: new Date(now).toISOString(), gatewayId });
    const source = `mesh:${node}`;
    this.announceNode(header.from, data.nodeInfo?.longName);
    this.publish(this.rxTopic, envelope, false);
    this.publish(topics.mesh(node, kind), json, false);
    this.publish(topics.mesh(node, 'link'), link, true);
    // A frame that came over MQTT is already where MQTT goes: sending it up again would loop.
    if (header.viaMqtt) {
      this.stats.notUplinkedViaMqtt++;
      return;
    }
    const refusedBefore = this.stats.uplinkRefused;
    const lane = URGENT_KINDS.has(kind) ? 'urgent' : 'routine';
    // Ranked as on air: an SOS (or its stage) goes to the hub ahead of every other alert and ack.
    const urgency = urgencyOf(data);
    this.uplink(source, this.rxTopic, envelope, lane, { urgency });
    this.uplink(source, topics.mesh(node, kind), json, lane, { urgency });
    // "Taken by a gateway" only once the SOS is committed to the hub outbox: without a hub, or
    // when the outbox refused it, the node hears nothing and keeps trying for a gateway that can.
    if (data.alert?.level === 'SOS' && data.wantResponse && data.requestId && this.options.uplink && this.stats.uplinkRefused === refusedBefore) {
      this.options.device.answerSos(header.from, data.requestId, { stage: 'gateway', timeMs: now, by: '' });
    }
  }

  /**
   * A message the gateway's own node queued (an SOS from its button, a text, "I am safe"): no radio
   * of ours hears it, so it goes to the local broker and the hub here, as a heard one would, as it
   * is queued (a radio that is down does not keep it from the hub). Its SOS is then taken by this
   * gateway like any other.
   */
  private onOwnFrame(to: number, id: number, data: Data): void {
    const d = this.options.device;
    if (d.nodeId === undefined || !OWN_KINDS_FORWARDED.has(MESH_TOPIC_KIND[dataKind(data)]) || this.commanded.has(id)) return;
    const now = this.clock();
    if (this.forwardOwn(to, id, data, now) && data.alert?.level === 'SOS' && data.wantResponse && data.requestId) {
      d.answerSos(d.nodeId, data.requestId, { stage: 'gateway', timeMs: now, by: '' });
    }
  }

  /** The gateway's own node answering `to` about its packet `requestId`, to the hub as a heard ack. */
  private ownAnswer(to: number, requestId: number, error: 'NONE' | 'NOT_OPENED'): void {
    this.forwardOwn(to, randomPacketId(), { routing: { error }, requestId }, this.clock());
  }

  /** One of the gateway's own node's messages, to the local broker and the hub as a heard one goes; whether the hub outbox took it. */
  private forwardOwn(to: number, id: number, data: Data, now: number): boolean {
    const self = this.options.device.nodeId;
    if (self === undefined) return false;
    const node = formatNodeAddress(self);
    const kind = MESH_TOPIC_KIND[dataKind(data)];
    const json = Buffer.from(JSON.stringify(meshJson(data, { from: self, to, id, hops: 0, rssi: NaN, snr: NaN, rxTimeMs: now, gatewayId: this.options.gatewayId })));
    this.publish(topics.mesh(node, kind), json, false);
    const refusedBefore = this.stats.uplinkRefused;
    this.uplink(`mesh:${node}`, topics.mesh(node, kind), json, URGENT_KINDS.has(kind) ? 'urgent' : 'routine', { urgency: urgencyOf(data) });
    return this.options.uplink !== undefined && this.stats.uplinkRefused === refusedBefore;
  }

  private announceNode(nodeId: number, name: string | undefined): void {
    const named = this.announcedNodes.touch(nodeId) ?? null;
    // Announce once, and again the first time the node tells us its name.
    if (named === true || (named === false && name === undefined)) return;
    this.announcedNodes.set(nodeId, name !== undefined);
    this.publishAll(meshNodeDiscovery(nodeId, name));
  }

  private publishAll(messages: DiscoveryMessage[]): void {
    for (const m of messages) this.publish(m.topic, m.payload, true);
  }

  /** An empty retained message deletes the retained one on its topic [MQTT-3.3.1-10]. */
  private clearRetained(topicsToClear: string[]): void {
    for (const topic of topicsToClear) this.publish(topic, '', true);
  }

  private publish(topic: string, payload: Buffer | string, retain: boolean): void {
    this.stats.published++;
    this.options.local.publish(topic, payload, { qos: 0, retain }).catch((err: Error) => {
      this.stats.publishErrors++;
      this.options.logger.warn({ topic, err: err.message }, 'local publish failed');
    });
  }

  private uplink(source: string, topic: string, payload: Buffer, lane: 'urgent' | 'routine', options: { refuse?: boolean; msgId?: string | undefined; urgency?: Urgency } = {}): void {
    if (!this.options.uplink) return;
    try {
      this.options.uplink.forward({
        source,
        topic,
        payload,
        lane,
        ...(options.urgency !== undefined ? { urgency: options.urgency } : {}),
        ...(options.msgId !== undefined ? { msgId: options.msgId } : {}),
      });
      this.stats.uplinked++;
    } catch (err) {
      // Refused by the outbox (a topic or payload the hub could never take): counted, and thrown
      // back to the broker for a publishing client (it drops it, counted by reason); a heard
      // frame has nobody to tell.
      this.stats.uplinkRefused++;
      if (options.refuse) throw err;
      this.options.logger.warn({ topic, err: (err as Error).message }, 'not forwarded to the hub');
    }
  }
}

/** A packet id (1..2^32-1) for a record the gateway writes for its own node. */
function randomPacketId(): number {
  return 1 + Math.floor(Math.random() * 0xfffffffe);
}

/** A string field of a JSON object payload, or undefined. */
function jsonField(payload: Buffer, field: string): string | undefined {
  const doc = parseJson(payload);
  const v = isObject(doc) ? doc[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}
