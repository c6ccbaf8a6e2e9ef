// Everything gateways publish on the hub broker comes through here, synchronously, before the
// broker acknowledges it (aedes calls authorizePublish before its PUBACK): unwrap the uplink
// envelope, drop repeats by its id, store, update the fleet, and raise events. Bad input is
// counted and dropped, never thrown back at the gateway (it would resend it forever).

import { decodeHubEnvelope, parseSensorTopic, readSensorPayload, type HubEnvelope } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import type { AlertStore } from '../alerts/alert-store.ts';
import type { EventSink } from '../events/hub-event.ts';
import type { FleetStore } from '../fleet/fleet-store.ts';
import type { Downlink } from '../messages/downlink.ts';
import type { RecordStore } from './record-store.ts';
import type { SensorStore } from './sensor-store.ts';
import type { UplinkDedup } from './uplink-dedup.ts';

export type IngestOutcome = 'stored' | 'duplicate' | 'ignored' | 'dropped';

export const INGEST_DROP_REASONS = ['bad_topic', 'bad_envelope', 'bad_payload', 'foreign_gateway'] as const;
export type IngestDropReason = (typeof INGEST_DROP_REASONS)[number];

export interface IngestStats {
  stored: number;
  duplicates: number;
  ignored: number;
  drops: Record<IngestDropReason, number>;
}

export interface HubIngestOptions {
  records: RecordStore;
  sensors: SensorStore;
  alerts: AlertStore;
  fleet: FleetStore;
  dedup: UplinkDedup;
  events: EventSink;
  downlink: Downlink;
  logger: Logger;
  now: () => number;
  /** Receptions of one frame are collected this long before its event goes out. */
  dedupWindowMs: number;
  offlineAfterMs: number;
  /** Runs one message's writes as one transaction (one fsync), all or nothing. */
  transaction: <T>(fn: () => T) => T;
}

const NODE_ID = /^![0-9a-f]{8}$/;
/** Accept a gateway's receive time unless its clock is this far ahead of ours. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

/** A finite number from untrusted JSON, else null. */
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export class HubIngest {
  readonly stats: IngestStats = { stored: 0, duplicates: 0, ignored: 0, drops: { bad_topic: 0, bad_envelope: 0, bad_payload: 0, foreign_gateway: 0 } };
  private readonly pending = new Map<number, { orgId: string; timer: NodeJS.Timeout }>();
  /** Per gateway, the seq of the last dead letter an event was raised for. */
  private readonly lastDeadLetter = new Map<string, number>();
  private closed = false;

  constructor(private readonly o: HubIngestOptions) {}

  /** One publish from gateway `gatewayId` (an 8-hex id) of org `orgId`. */
  handle(orgId: string, gatewayId: string, topic: string, payload: Buffer): IngestOutcome {
    try {
      return this.o.transaction(() => this.handleOne(orgId, gatewayId, topic, payload));
    } catch (err) {
      // JSON.parse accepts nesting that JSON.stringify cannot walk back (stack overflow): such a
      // document is refused here, after its transaction rolled back, like any other bad payload.
      if (err instanceof RangeError) return this.drop('bad_payload', gatewayId, topic, err.message);
      throw err;
    }
  }

  private handleOne(orgId: string, gatewayId: string, topic: string, payload: Buffer): IngestOutcome {
    const parts = topic.split('/');
    if (parts[0] !== 'unibos' || parts[1] !== 'v1') return this.drop('bad_topic', gatewayId, topic);
    const gw = `!${gatewayId}`;
    if (parts[2] === 'gw') {
      if (parts.length !== 5 || parts[3] !== gatewayId) return this.drop('foreign_gateway', gatewayId, topic);
      if (parts[4] === 'status') return this.gatewayStatus(orgId, gw, payload);
      if (parts[4] === 'rx') {
        // The raw frames: everything in them also arrives decoded on mesh/..., which is what we keep.
        this.stats.ignored++;
        return 'ignored';
      }
    }
    let envelope: HubEnvelope;
    try {
      envelope = decodeHubEnvelope(payload);
    } catch (err) {
      return this.drop('bad_envelope', gatewayId, topic, (err as Error).message);
    }
    const now = this.o.now();
    // Ids are the gateway's own (producers may choose them): scoped by gateway, one gateway's ids never silence another's messages.
    if (!this.o.dedup.firstTime(`${gatewayId}/${envelope.id}`, now)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (parts[2] === 'gw' && parts[4] === 'txstatus') return envelope.format === 'json' ? this.txStatus(orgId, envelope.body) : this.drop('bad_payload', gatewayId, topic);
    if (parts[2] === 'mesh' && parts.length === 5 && NODE_ID.test(parts[3]!)) return envelope.format === 'json' ? this.mesh(orgId, gw, parts[3]!, parts[4]!, envelope.body, now) : this.drop('bad_payload', gatewayId, topic);
    const sensorTopic = parts[2] === 'sensor' ? parseSensorTopic(topic) : null;
    if (sensorTopic) return this.sensor(orgId, gw, sensorTopic.sensorId, sensorTopic.metric, envelope, now);
    return this.drop('bad_topic', gatewayId, topic);
  }

  /** At shutdown, once the broker is closed: every event still inside its collection window goes out now. */
  close(): void {
    this.closed = true;
    for (const [recordId, p] of this.pending) {
      clearTimeout(p.timer);
      this.emitRecord(p.orgId, recordId);
    }
  }

  private gatewayStatus(orgId: string, gw: string, payload: Buffer): IngestOutcome {
    let status: unknown;
    let doc: { status?: unknown; deadLetters?: unknown; lastDeadLetter?: unknown };
    try {
      doc = JSON.parse(payload.toString('utf8')) as typeof doc;
      status = doc.status;
    } catch {
      return this.drop('bad_payload', gw, 'status');
    }
    const now = this.o.now();
    if (status === 'offline') {
      if (this.o.fleet.setOffline(orgId, gw)) this.nodeEvent(orgId, gw, 'node.offline');
    } else if (status === 'online') {
      this.gatewaySeen(orgId, gw, now);
      this.deadLetterReport(orgId, gw, doc.deadLetters, doc.lastDeadLetter);
    } else {
      return this.drop('bad_payload', gw, 'status');
    }
    this.stats.stored++;
    return 'stored';
  }

  /**
   * A gateway's status counts the messages it gave up on because this hub would not take them;
   * each new one (by its outbox seq) becomes one event, so an admin sees what never arrived and why.
   */
  private deadLetterReport(orgId: string, gw: string, count: unknown, last: unknown): void {
    const l = last as { seq?: unknown; topic?: unknown; source?: unknown; reason?: unknown; failedMs?: unknown } | null | undefined;
    if (typeof count !== 'number' || !l || typeof l.seq !== 'number' || typeof l.reason !== 'string') return;
    const key = `${orgId}/${gw}`;
    if (this.lastDeadLetter.get(key) === l.seq) return;
    this.lastDeadLetter.set(key, l.seq);
    this.o.events.append({
      orgId,
      topic: 'nodes',
      type: 'gateway.deadletter',
      data: {
        gatewayId: gw,
        deadLetters: count,
        seq: l.seq,
        topic: typeof l.topic === 'string' ? l.topic.slice(0, 256) : null,
        source: typeof l.source === 'string' ? l.source.slice(0, 256) : null,
        reason: l.reason.slice(0, 512),
        failedAt: typeof l.failedMs === 'number' ? new Date(l.failedMs).toISOString() : null,
      },
    });
  }

  /** A connected gateway is alive whatever it forwards. */
  gatewaySeen(orgId: string, gw: string, nowMs: number): void {
    this.o.fleet.ensure(orgId, gw, 'gateway', nowMs);
    const { cameOnline } = this.o.fleet.sighting({ orgId, nodeId: gw, kind: 'gateway', timeMs: nowMs, fresh: true });
    if (cameOnline) this.nodeEvent(orgId, gw, 'node.online');
  }

  private txStatus(orgId: string, body: unknown): IngestOutcome {
    const b = body as { ref?: unknown; packetId?: unknown; status?: unknown; error?: unknown } | null;
    if (!b || typeof b.ref !== 'string' || typeof b.status !== 'string') return this.drop('bad_payload', orgId, 'txstatus');
    this.o.downlink.txStatus(orgId, {
      ref: b.ref,
      status: b.status,
      ...(typeof b.packetId === 'number' ? { packetId: b.packetId } : {}),
      ...(typeof b.error === 'string' ? { error: b.error } : {}),
    });
    this.stats.stored++;
    return 'stored';
  }

  private mesh(orgId: string, gw: string, nodeId: string, kind: string, body: unknown, now: number): IngestOutcome {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return this.drop('bad_payload', gw, `mesh/${kind}`);
    const doc = body as Record<string, unknown>;
    const packetId = doc.id;
    if (typeof packetId !== 'number' || !Number.isInteger(packetId) || packetId < 0 || packetId > 0xffffffff || doc.from !== nodeId) return this.drop('bad_payload', gw, `mesh/${kind}`);
    const rx = typeof doc.rxTime === 'string' ? Date.parse(doc.rxTime) : NaN;
    const timeMs = Number.isFinite(rx) && rx <= now + MAX_CLOCK_AHEAD_MS ? rx : now;
    const reception = { gatewayId: gw, rssi: num(doc.rssi), snr: num(doc.snr), hops: num(doc.hops), timeMs };
    const { gatewayId: _g, rssi: _r, snr: _s, hops: _h, rxTime: _t, ...data } = doc;
    const { id: recordId, created } = this.o.records.add(orgId, { nodeId, kind, packetId, timeMs, data, reception });

    const fresh = timeMs >= now - this.o.offlineAfterMs;
    this.gatewaySeen(orgId, gw, now);
    const sighting = this.o.fleet.sighting({ orgId, nodeId, timeMs, gatewayId: gw, rssi: reception.rssi, snr: reception.snr, hops: reception.hops, fresh });
    if (created) this.applyKind(orgId, nodeId, kind, doc, timeMs);
    // A node first heard through an old, delayed message is new to the fleet but not online.
    if (sighting.cameOnline || sighting.created) this.nodeEvent(orgId, nodeId, sighting.cameOnline ? 'node.online' : 'node.updated');
    if (created) this.scheduleEvent(orgId, recordId);
    this.stats.stored++;
    return 'stored';
  }

  private applyKind(orgId: string, nodeId: string, kind: string, doc: Record<string, unknown>, timeMs: number): void {
    if (kind === 'position') {
      const lat = num(doc.latitude);
      const lon = num(doc.longitude);
      if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) this.o.fleet.setPosition(orgId, nodeId, { latitude: lat, longitude: lon, altitudeM: num(doc.altitudeM), timeMs });
    } else if (kind === 'telemetry') {
      // Telemetry is protobuf: a level and voltage both 0 mean the device has no battery reading.
      const battery = num(doc.batteryLevel);
      const voltage = num(doc.voltage);
      const measured = (battery ?? 0) > 0 || (voltage ?? 0) > 0;
      this.o.fleet.setPower(orgId, nodeId, measured && battery !== null && battery <= 101 ? battery : null, measured ? voltage : null);
    } else if (kind === 'info') {
      if (typeof doc.longName === 'string' && doc.longName.length > 0) this.o.fleet.announceName(orgId, nodeId, doc.longName.slice(0, 64));
      if (doc.role === 'GATEWAY') this.o.fleet.ensure(orgId, nodeId, 'gateway', timeMs);
    } else if (kind === 'alert') {
      const level = typeof doc.level === 'string' ? doc.level : 'UNSPECIFIED';
      const text = typeof doc.text === 'string' ? doc.text : '';
      if (level === 'SAFE') {
        for (const id of this.o.alerts.resolveSos(orgId, nodeId, nodeId, timeMs)) {
          this.alertEvent(orgId, id, 'alert.resolved');
          const resolved = this.o.alerts.get(orgId, id);
          if (resolved) this.o.downlink.sosStage(orgId, resolved);
        }
        return;
      }
      const pos = doc.position as { latitude?: unknown; longitude?: unknown } | undefined;
      const lat = num(pos?.latitude);
      const lon = num(pos?.longitude);
      const position = lat !== null && lon !== null ? { latitude: lat, longitude: lon } : (this.o.fleet.get(orgId, nodeId)?.position ?? null);
      const requestId = level === 'SOS' ? num(doc.requestId) : null;
      const { alert, created } = this.o.alerts.raise(orgId, { nodeId, level, text, position: position ? { latitude: position.latitude, longitude: position.longitude } : null, timeMs, requestId, hubMs: this.o.now() });
      if (created) this.alertEvent(orgId, alert.id, 'alert.raised');
      // Every copy the hub sees (a new SOS, or a node that missed its last answer) is told how far it got.
      this.o.downlink.sosStage(orgId, alert);
    } else if (kind === 'ack') {
      // A routing reply names the packet it answers in requestId (as the mesh router writes it).
      const answered = num(doc.requestId);
      if (answered !== null) this.o.downlink.ack(orgId, nodeId, answered, typeof doc.error === 'string' ? doc.error : null);
    }
  }

  private sensor(orgId: string, gw: string, sensorId: string, metric: string, envelope: HubEnvelope, now: number): IngestOutcome {
    // The same rules the gateway applies at its door (one definition, in mesh-protocol).
    const reading = readSensorPayload(envelope.format === 'json' ? { json: envelope.body } : { bytes: envelope.body });
    if (!reading.ok) return this.drop('bad_payload', gw, `sensor/${sensorId}/${metric}`, reading.detail);
    const { value, raw } = reading;
    this.gatewaySeen(orgId, gw, now);
    this.o.sensors.add(orgId, { sensorId, metric, value, raw, gatewayId: gw, timeMs: now });
    this.o.events.append({ orgId, topic: 'sensors', type: 'sensor.reading', data: { sensorId, metric, value, ...(raw !== undefined ? { raw } : {}), gatewayId: gw, time: new Date(now).toISOString() } });
    this.stats.stored++;
    return 'stored';
  }

  private scheduleEvent(orgId: string, recordId: number): void {
    if (this.o.dedupWindowMs <= 0 || this.closed) {
      this.emitRecord(orgId, recordId);
      return;
    }
    const timer = setTimeout(() => this.emitRecord(orgId, recordId), this.o.dedupWindowMs);
    timer.unref();
    this.pending.set(recordId, { orgId, timer });
  }

  private emitRecord(orgId: string, recordId: number): void {
    this.pending.delete(recordId);
    // Runs from a timer: a storage error here is logged, never thrown into the event loop.
    try {
      const record = this.o.records.get(orgId, recordId);
      if (record) this.o.events.append({ orgId, topic: 'mesh', type: `mesh.${record.kind}`, data: record as unknown as Record<string, unknown> });
    } catch (err) {
      this.o.logger.error({ err, recordId }, 'could not raise the event for a stored record');
    }
  }

  nodeEvent(orgId: string, nodeId: string, type: string): void {
    const node = this.o.fleet.get(orgId, nodeId);
    if (node) this.o.events.append({ orgId, topic: 'nodes', type, data: node as unknown as Record<string, unknown> });
  }

  private alertEvent(orgId: string, alertId: number, type: string): void {
    const alert = this.o.alerts.get(orgId, alertId);
    if (!alert) return;
    const node = this.o.fleet.get(orgId, alert.nodeId);
    this.o.events.append({ orgId, topic: 'alerts', type, data: { ...alert, nodeName: node?.name ?? null } });
  }

  private drop(reason: IngestDropReason, gateway: string, topic: string, detail?: string): IngestOutcome {
    this.stats.drops[reason]++;
    this.o.logger.warn({ gateway, topic, reason, detail }, 'dropped a message from a gateway');
    return 'dropped';
  }
}
