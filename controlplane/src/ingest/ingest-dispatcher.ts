// Everything gateways publish on the hub broker comes through here, synchronously, before the
// broker acknowledges it (aedes calls authorizePublish before its PUBACK): one transaction per
// message, the topic parsed (mesh-protocol's parseTopic), the uplink envelope unwrapped and its id
// deduplicated per gateway, then the message handed to the feature that owns its topic. Bad input
// is counted and dropped, never thrown back at the gateway (it would resend it forever).
//
// Who owns what: gw/{id}/status -> fleet; gw/{id}/txstatus -> messages; sensor/... (readings and
// a sensor's $availability) -> sensors;
// mesh/{node}/{kind} -> records keep the frame, fleet records the sighting, then the kind's owner
// (position/telemetry/info: fleet, alert: alerts, ack: messages), then their events go out.

import { decodeHubEnvelope, parseTopic, type HubEnvelope, type MeshTopicKind, type NodeIdText } from '@unibos/mesh-protocol';
import type { FastifyBaseLogger } from 'fastify';
import { readMeshUplink, type MeshUplink } from './mesh-uplink.ts';
import type { UplinkDedup } from './uplink-dedup.ts';

export type IngestOutcome = 'stored' | 'live' | 'duplicate' | 'ignored' | 'dropped';

export const INGEST_DROP_REASONS = ['bad_topic', 'bad_envelope', 'bad_payload', 'foreign_gateway'] as const;
export type IngestDropReason = (typeof INGEST_DROP_REASONS)[number];

export interface IngestStats {
  stored: number;
  /** Taken and raised live, not stored (sensor data at the data disk's reserve with no room kept for it). */
  liveOnly: number;
  duplicates: number;
  ignored: number;
  drops: Record<IngestDropReason, number>;
}

/** Who a message came from: the connection's org and gateway, never what the payload claims. */
export interface UplinkSource {
  orgId: string;
  gatewayId: NodeIdText;
  nowMs: number;
}

/** A handler's answer: stored, raised live only (not stored), or refused as a bad payload (counted and dropped, with why). */
export type HandlerResult = 'stored' | 'live' | { badPayload: string };

/** A mesh frame kept once however many gateways heard it; `announce` raises its event (after the rest). */
export interface KeptFrame {
  created: boolean;
  announce(): void;
}

export interface IngestHandlers {
  /** gw/{id}/status: the raw JSON (not enveloped: it is the retained status and the last will). */
  gatewayStatus: (source: UplinkSource, payload: Buffer) => HandlerResult;
  /** gw/{id}/txstatus: the gateway's report on a command (JSON). */
  gatewayTxStatus: (source: UplinkSource, body: unknown) => HandlerResult;
  /** sensor/{sensorId}/{metric}. */
  sensor: (source: UplinkSource, sensor: { sensorId: string; metric: string }, envelope: HubEnvelope) => HandlerResult;
  /** sensor/{sensorId}/$availability: the sensor online or offline. */
  sensorAvailability: (source: UplinkSource, sensor: { sensorId: string }, envelope: HubEnvelope) => HandlerResult;
  /** Every mesh frame, first: keep it. */
  meshFrame: (source: UplinkSource, frame: MeshUplink) => KeptFrame;
  /** Every mesh frame, second: who heard whom; `announce` runs after the kind's handler. */
  meshSighting: (source: UplinkSource, frame: MeshUplink) => { announce(): void };
}

/** A new frame of one kind (a repeat heard by another gateway does not reach it). */
export type MeshKindHandler = (source: UplinkSource, frame: MeshUplink) => void;

export interface IngestDispatcherOptions {
  dedup: UplinkDedup;
  logger: FastifyBaseLogger;
  now: () => number;
  /** Runs one message's writes as one transaction (one fsync), all or nothing. */
  transaction: <T>(fn: () => T) => T;
}

export class IngestDispatcher {
  readonly stats: IngestStats = { stored: 0, liveOnly: 0, duplicates: 0, ignored: 0, drops: { bad_topic: 0, bad_envelope: 0, bad_payload: 0, foreign_gateway: 0 } };
  private readonly handlers: Partial<IngestHandlers> = {};
  private readonly meshKinds = new Map<string, MeshKindHandler>();
  private readonly idsWritten = new Map<keyof IngestHandlers, () => boolean>();

  constructor(private readonly o: IngestDispatcherOptions) {}

  /**
   * A feature takes a topic: one owner each (a second is a wiring bug, refused at start-up).
   * `idsWritten`: whether its messages' ids are written down for deduplication now (UplinkDedup:
   * false while the feature keeps nothing of them on disk); always, when not given.
   */
  route<K extends keyof IngestHandlers>(slot: K, handler: IngestHandlers[K], o: { idsWritten?: () => boolean } = {}): void {
    if (this.handlers[slot]) throw new Error(`ingest: ${slot} already has an owner`);
    this.handlers[slot] = handler;
    if (o.idsWritten) this.idsWritten.set(slot, o.idsWritten);
  }

  routeMeshKind(kind: MeshTopicKind, handler: MeshKindHandler): void {
    if (this.meshKinds.has(kind)) throw new Error(`ingest: mesh kind ${kind} already has an owner`);
    this.meshKinds.set(kind, handler);
  }

  /** One publish from gateway `gatewayHex` (its 8-hex MQTT user name) of org `orgId`. */
  handle(orgId: string, gatewayHex: string, topic: string, payload: Buffer): IngestOutcome {
    this.o.dedup.begin();
    try {
      return this.o.transaction(() => this.handleOne(orgId, gatewayHex, topic, payload));
    } catch (err) {
      // Rolled back: its id, if kept in memory only, goes too (else its resend would be a "duplicate").
      this.o.dedup.forgetLast();
      // JSON.parse accepts nesting that JSON.stringify cannot walk back (stack overflow): such a
      // document is refused here, after its transaction rolled back, like any other bad payload.
      if (err instanceof RangeError) return this.drop('bad_payload', gatewayHex, topic, err.message);
      throw err;
    }
  }

  private handleOne(orgId: string, gatewayHex: string, topic: string, payload: Buffer): IngestOutcome {
    const t = parseTopic(topic);
    if (!t) return this.drop('bad_topic', gatewayHex, topic);
    if (t.kind === 'gateway' && t.gatewayHex !== gatewayHex) return this.drop('foreign_gateway', gatewayHex, topic);
    const source: UplinkSource = { orgId, gatewayId: `!${gatewayHex}`, nowMs: this.o.now() };
    if (t.kind === 'gateway' && t.leaf === 'status') return this.result(this.handlers.gatewayStatus?.(source, payload), gatewayHex, topic);
    if (t.kind === 'gateway' && t.leaf === 'rx') {
      // The raw frames: everything in them also arrives decoded on mesh/..., which is what we keep.
      this.stats.ignored++;
      return 'ignored';
    }
    let envelope: HubEnvelope;
    try {
      envelope = decodeHubEnvelope(payload);
    } catch (err) {
      return this.drop('bad_envelope', gatewayHex, topic, (err as Error).message);
    }
    // Ids are the gateway's own (producers may choose them): scoped by gateway, one gateway's ids never silence another's messages.
    const slot = t.kind === 'gateway' ? 'gatewayTxStatus' : t.kind === 'mesh' ? 'meshFrame' : t.kind;
    if (!this.o.dedup.firstTime(`${gatewayHex}/${envelope.id}`, source.nowMs, this.idsWritten.get(slot)?.() ?? true)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (t.kind === 'gateway') {
      if (t.leaf !== 'txstatus') return this.drop('bad_topic', gatewayHex, topic);
      return envelope.format === 'json' ? this.result(this.handlers.gatewayTxStatus?.(source, envelope.body), gatewayHex, topic) : this.drop('bad_payload', gatewayHex, topic);
    }
    if (t.kind === 'sensor') return this.result(this.handlers.sensor?.(source, t, envelope), gatewayHex, topic);
    if (t.kind === 'sensorAvailability') return this.result(this.handlers.sensorAvailability?.(source, t, envelope), gatewayHex, topic);
    const frame = envelope.format === 'json' ? readMeshUplink(t.nodeId, t.leaf, source.gatewayId, envelope.body, source.nowMs, envelope) : null;
    if (!frame) return this.drop('bad_payload', gatewayHex, topic);
    return this.mesh(source, frame);
  }

  private mesh(source: UplinkSource, frame: MeshUplink): IngestOutcome {
    const kept = this.handlers.meshFrame?.(source, frame) ?? { created: false, announce: () => {} };
    const sighting = this.handlers.meshSighting?.(source, frame);
    if (kept.created) this.meshKinds.get(frame.kind)?.(source, frame);
    sighting?.announce();
    kept.announce();
    this.stats.stored++;
    return 'stored';
  }

  private result(r: HandlerResult | undefined, gatewayHex: string, topic: string): IngestOutcome {
    if (r === undefined) return this.drop('bad_topic', gatewayHex, topic);
    if (r === 'live') {
      this.stats.liveOnly++;
      return 'live';
    }
    if (r !== 'stored') return this.drop('bad_payload', gatewayHex, topic, r.badPayload);
    this.stats.stored++;
    return 'stored';
  }

  private drop(reason: IngestDropReason, gateway: string, topic: string, detail?: string): IngestOutcome {
    this.stats.drops[reason]++;
    this.o.logger.warn({ gateway, topic, reason, detail }, 'dropped a message from a gateway');
    return 'dropped';
  }
}
