// What the fleet takes from gateways: their status (online, offline, dead letters), who heard
// each mesh frame, and what position, telemetry and node-info frames say about their sender.

import { cutChars } from '@unibos/mesh-protocol';
import type { EventSink } from '../events/hub-event.ts';
import type { HandlerResult, IngestDispatcher, UplinkSource } from '../ingest/ingest-dispatcher.ts';
import { finiteNumber as num, type MeshUplink } from '../ingest/mesh-uplink.ts';
import type { Fleet } from './fleet.ts';
import type { NodeNameRequests } from './node-name-requests.ts';

export function routeFleetIngest(ingest: IngestDispatcher, fleet: Fleet, o: { events: EventSink; offlineAfterMs: number; names?: NodeNameRequests }): void {
  const store = fleet.store;
  /** Per gateway, the seq of the last dead letter an event was raised for. */
  const lastDeadLetter = new Map<string, number>();

  /**
   * A gateway's status counts the messages it gave up on because this hub would not take them;
   * each new one (by its outbox seq) becomes one event, so an admin sees what never arrived and why.
   */
  const deadLetterReport = (orgId: string, gw: UplinkSource['gatewayId'], count: unknown, last: unknown): void => {
    const l = last as { seq?: unknown; topic?: unknown; source?: unknown; reason?: unknown; failedMs?: unknown } | null | undefined;
    if (typeof count !== 'number' || !l || typeof l.seq !== 'number' || typeof l.reason !== 'string') return;
    const key = `${orgId}/${gw}`;
    if (lastDeadLetter.get(key) === l.seq) return;
    lastDeadLetter.set(key, l.seq);
    o.events.append({
      orgId,
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
  };

  ingest.route('gatewayStatus', ({ orgId, gatewayId, nowMs }, payload): HandlerResult => {
    let doc: { status?: unknown; deadLetters?: unknown; lastDeadLetter?: unknown };
    try {
      doc = JSON.parse(payload.toString('utf8')) as typeof doc;
    } catch {
      return { badPayload: 'status is not JSON' };
    }
    const status = doc?.status;
    if (status === 'offline') {
      if (store.setOffline(orgId, gatewayId)) fleet.announce(orgId, gatewayId, 'node.offline');
    } else if (status === 'online') {
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      deadLetterReport(orgId, gatewayId, doc.deadLetters, doc.lastDeadLetter);
    } else {
      return { badPayload: 'status is neither online nor offline' };
    }
    return 'stored';
  });

  ingest.route('meshSighting', ({ orgId, gatewayId, nowMs }, m: MeshUplink) => {
    const fresh = m.timeMs >= nowMs - o.offlineAfterMs;
    fleet.gatewaySeen(orgId, gatewayId, nowMs);
    const { rssi, snr, hops } = m.reception;
    const sighting = store.sighting({ orgId, nodeId: m.nodeId, timeMs: m.timeMs, gatewayId, rssi, snr, hops, fresh });
    return {
      // After the kind's handler: the event carries the position or name the frame brought.
      // A node first heard through an old, delayed message is new to the fleet but not online.
      announce: () => {
        if (sighting.cameOnline || sighting.created) fleet.announce(orgId, m.nodeId, sighting.cameOnline ? 'node.online' : 'node.updated');
        if (fresh) o.names?.heard(orgId, m.nodeId, gatewayId);
      },
    };
  });

  ingest.routeMeshKind('position', ({ orgId, nowMs }, { nodeId, doc, timeMs }) => {
    const lat = num(doc.latitude);
    const lon = num(doc.longitude);
    // Never later than now: a gateway whose clock runs ahead would otherwise hold off the next positions (an older one is not kept).
    if (lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) store.setPosition(orgId, nodeId, { latitude: lat, longitude: lon, altitudeM: num(doc.altitudeM), timeMs: Math.min(timeMs, nowMs) });
  });

  ingest.routeMeshKind('telemetry', ({ orgId }, { nodeId, doc }) => {
    // Telemetry is protobuf: a level and voltage both 0 mean the device has no battery reading.
    const battery = num(doc.batteryLevel);
    const voltage = num(doc.voltage);
    const measured = (battery ?? 0) > 0 || (voltage ?? 0) > 0;
    store.setPower(orgId, nodeId, measured && battery !== null && battery <= 101 ? battery : null, measured ? voltage : null);
  });

  ingest.routeMeshKind('info', ({ orgId }, { nodeId, doc, timeMs }) => {
    if (typeof doc.longName === 'string' && doc.longName.length > 0) {
      // A name that arrives after the node was first heard (asked for, or its NodeInfo was late) is news.
      const name = cutChars(doc.longName, 64);
      const before = store.get(orgId, nodeId)?.name ?? null;
      if (store.announceName(orgId, nodeId, name) && before !== name) fleet.announce(orgId, nodeId, 'node.updated');
      o.names?.named(orgId, nodeId);
    }
    if (doc.role === 'GATEWAY') store.ensure(orgId, nodeId, 'gateway', timeMs);
  });
}
