// The whole life of an alert, in one place: raised by a heard frame (a new open alert, or the
// node's open one seen again), closed as superseded when the node raises a new SOS, acknowledged
// and resolved by people, resolved by the node's "I am safe"; every change raises one AlertEvent
// (with the node's name) and, for an SOS, sends the node its stage. Every copy of "I am safe" is
// answered with `resolved`: the node resends it until it hears that.

import type { AlertEvent } from '@unibos/mesh-protocol';
import type { EventSink } from '../events/hub-event.ts';
import type { Fleet } from '../fleet/fleet.ts';
import { HubError, notFound } from '../hub-error.ts';
import { finiteNumber as num, type MeshUplink } from '../ingest/mesh-uplink.ts';
import type { AlertState, AlertStore, HubAlert } from './alert-store.ts';
import type { SosStages } from './sos-stages.ts';

/** Who acts on an alert: `by` names the account (user:..., apiKey:...), `name` is what people and the node are shown. */
export interface AlertActor {
  by: string;
  name: string | null;
}

type AlertEventType = 'alert.raised' | 'alert.acknowledged' | 'alert.resolved';

export class AlertLifecycle {
  constructor(
    readonly store: AlertStore,
    private readonly o: { fleet: Pick<Fleet, 'store'>; events: EventSink; stages: SosStages; now: () => number },
  ) {}

  /** An alert as people see it: with its node's name as the fleet knows it now. */
  view(orgId: string, a: HubAlert): AlertEvent {
    return { ...a, nodeName: this.o.fleet.store.get(orgId, a.nodeId)?.name ?? null };
  }

  get(orgId: string, id: number): AlertEvent | null {
    const a = this.store.get(orgId, id);
    return a ? this.view(orgId, a) : null;
  }

  list(orgId: string, q: { state?: AlertState; limit: number; before?: number }): AlertEvent[] {
    return this.store.list(orgId, q).map((a) => this.view(orgId, a));
  }

  /** A new alert frame from the mesh (ingest's `alert` kind). */
  heard(orgId: string, { nodeId, doc, timeMs }: MeshUplink): void {
    const level = typeof doc.level === 'string' ? doc.level : 'UNSPECIFIED';
    const text = typeof doc.text === 'string' ? doc.text : '';
    const pos = doc.position as { latitude?: unknown; longitude?: unknown } | undefined;
    const lat = num(pos?.latitude);
    const lon = num(pos?.longitude);
    const known = this.o.fleet.store.get(orgId, nodeId)?.position;
    // A position off the globe is garbage, not a place: the node's last known position stands instead.
    const position = lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { latitude: lat, longitude: lon } : known ? { latitude: known.latitude, longitude: known.longitude } : null;
    if (level === 'SAFE') {
      // An automatic answer (a module on an unattended node; no person pressed anything) is no
      // "I am safe": it ends no SOS, whatever the node's firmware let through.
      if (doc.automatic !== true) this.safe(orgId, nodeId, num(doc.requestId), position, timeMs);
      return;
    }
    const requestId = level === 'SOS' ? num(doc.requestId) : null;
    const { alert, created, superseded } = this.store.raise(orgId, { nodeId, level, text, position, timeMs, requestId, hubMs: this.o.now() });
    // The old SOS's node has moved on to the new request id: only the admin needs to hear of it.
    for (const old of superseded) this.append(orgId, 'alert.resolved', old);
    if (created) this.append(orgId, 'alert.raised', alert);
    // Every copy the hub sees (a new SOS, or a node that missed its last answer) is told how far it got.
    this.o.stages.send(orgId, alert);
  }

  /** "I am safe": resolves the SOS it names (every open one, from older firmware that names none), and tells the node `resolved` for it, whatever became of it. */
  private safe(orgId: string, nodeId: string, requestId: number | null, position: HubAlert['position'], timeMs: number): void {
    const resolved = this.store.resolveSos(orgId, nodeId, nodeId, timeMs, requestId).map((id) => this.changed(orgId, id, 'alert.resolved'));
    if (requestId === null || requestId <= 0 || resolved.some((a) => a?.requestId === requestId)) return;
    const earlier = this.store.sosByRequest(orgId, nodeId, requestId);
    if (earlier) {
      // Resolved before (by this "I am safe" whose answer the node missed, or by an admin).
      this.o.stages.send(orgId, earlier);
      return;
    }
    const ended = this.store.endedUnheard(orgId, { nodeId, text: 'SOS', position, timeMs, requestId, hubMs: this.o.now() });
    this.append(orgId, 'alert.raised', ended);
    this.append(orgId, 'alert.resolved', ended);
    this.o.stages.send(orgId, ended);
  }

  /** Someone saw it (with an optional short note that stays at the hub). */
  acknowledge(orgId: string, id: number, actor: AlertActor, note: string | null): AlertEvent {
    const before = this.existing(orgId, id);
    if (!this.store.acknowledge(orgId, id, actor.by, this.o.now(), { name: actor.name, note })) throw conflict(before.state, 'acknowledged');
    return this.changed(orgId, id, 'alert.acknowledged')!;
  }

  resolve(orgId: string, id: number, actor: AlertActor): AlertEvent {
    const before = this.existing(orgId, id);
    if (!this.store.resolve(orgId, id, actor.by, this.o.now(), { name: actor.name })) throw conflict(before.state, 'resolved');
    return this.changed(orgId, id, 'alert.resolved')!;
  }

  private existing(orgId: string, id: number): HubAlert {
    const a = this.store.get(orgId, id);
    if (!a) throw notFound('alert');
    return a;
  }

  /** After a change: its event, and the SOS node told. */
  private changed(orgId: string, id: number, type: AlertEventType): AlertEvent | null {
    const alert = this.store.get(orgId, id);
    if (!alert) return null;
    const event = this.append(orgId, type, alert);
    this.o.stages.send(orgId, alert);
    return event;
  }

  private append(orgId: string, type: AlertEventType, alert: HubAlert): AlertEvent {
    const data = this.view(orgId, alert);
    this.o.events.append({ orgId, type, data });
    return data;
  }
}

function conflict(state: AlertState, wanted: 'acknowledged' | 'resolved'): HubError {
  return new HubError('E_CONFLICT', `alert is ${state}; it cannot be ${wanted}`);
}
