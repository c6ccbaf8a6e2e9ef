// Sends admins' (and modules') texts and alerts into the mesh: stores the message, picks the
// gateway that heard the node most recently (every online gateway for a broadcast), publishes a
// JSON command on that gateway's tx topic with the message id as `ref`, and follows the message
// through the gateway's report (`txstatus`: its packet id) to the node's acknowledgement.
// A message whose gateways are offline stays queued and goes out when one connects; a broadcast
// with no gateway connected waits for any of the org's gateways, for an hour at most (after a
// quake the gateway's link is what is most likely down, and the warning must still go out).
// (SOS stages travel the same way but belong to alerts: alerts/sos-stages.ts.)

import { randomUUID } from 'node:crypto';
import { GATEWAY_TX_REASONS, MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { EventSink } from '../events/hub-event.ts';
import type { Fleet } from '../fleet/fleet.ts';
import { HubError } from '../hub-error.ts';
import type { DownlinkMessage, MessageStatus, MessageStore } from './message-store.ts';

export interface DownlinkOptions {
  store: MessageStore;
  fleet: Pick<Fleet, 'store' | 'gatewaysReaching'>;
  events: EventSink;
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  now: () => number;
}

export type DownlinkBody = { text: string } | { alert: { level: string; text: string; magnitude?: number } };

export const BROADCAST_TARGET = 'broadcast';
/** How long a broadcast queued with no gateway connected may wait for one before it is given up as stale. */
export const BROADCAST_WAIT_MS = 60 * 60_000;

/** Another feature's commands on the same tx path (the messenger's mesh direct messages): told the reports on refs this store does not hold. */
/** A gateway's report on a command it was given (gw/{id}/txstatus). */
export interface TxStatusReport {
  /** The gateway that reported: only one the command went to answers for it. */
  gatewayId: string;
  ref: string;
  packetId?: number;
  status: string;
  error?: string;
}

export interface DownlinkFollower {
  txStatus(orgId: string, report: TxStatusReport): void;
  ack(orgId: string, from: string, packetId: number, error: string | null): void;
}

export class Downlink {
  private readonly followers: DownlinkFollower[] = [];

  constructor(private readonly o: DownlinkOptions) {}

  follow(follower: DownlinkFollower): void {
    this.followers.push(follower);
  }

  send(orgId: string, to: string, body: DownlinkBody, createdBy: string): DownlinkMessage {
    // A longer text would be refused by the gateway after it was stored: refused here instead.
    const [what, text, max] = 'alert' in body ? ['alert text', body.alert.text, MESH_ALERT_TEXT_MAX_BYTES] : ['text', body.text, MESH_TEXT_MAX_BYTES];
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > max) throw new HubError('E_BAD_REQUEST', `the ${what} is ${bytes} bytes in UTF-8; one radio frame carries at most ${max}`);
    const now = this.o.now();
    let gateways: string[];
    if (to === BROADCAST_TARGET) {
      // The org's own connected gateways: a node the mesh calls a gateway is not one of ours for that.
      // None connected: queued for any of them, sent by the first that connects within the hour.
      const ours = this.o.fleet.store.list(orgId, { kind: 'gateway', limit: 1000 }).map((g) => g.id);
      const connected = ours.filter((g) => this.o.link.isConnected(orgId, g));
      gateways = connected.length > 0 ? connected : ours;
    } else {
      if (!this.o.fleet.store.get(orgId, to)) throw new HubError('E_NOT_FOUND', `node ${to} not found`);
      gateways = this.o.fleet.gatewaysReaching(orgId, to, now);
    }
    if (gateways.length === 0) throw new HubError('E_UNAVAILABLE', to === BROADCAST_TARGET ? 'this org has no gateway: nothing can carry it' : `no gateway has heard ${to} recently; nothing can reach it`);
    const alert = 'alert' in body ? body.alert : null;
    const message = this.o.store.add(orgId, {
      id: randomUUID(),
      to,
      kind: alert ? 'alert' : 'text',
      text: alert ? alert.text : (body as { text: string }).text,
      level: alert?.level ?? null,
      magnitude: alert?.magnitude ?? null,
      gateways,
      createdBy,
      timeMs: now,
    });
    this.dispatch(orgId, message);
    const queued = this.o.store.get(orgId, message.id)!;
    // Every screen showing sent messages (another operator's, another tab) lists it now.
    this.announce(orgId, queued);
    return queued;
  }

  /** A gateway connected: hand it what waited for it (after alerts have sent their SOS stages). */
  gatewayConnected(orgId: string, gatewayId: string): void {
    // Alerts before texts, each kind oldest first: a backlog of texts never delays a warning.
    this.giveUpStaleBroadcasts();
    const waiting = this.o.store.queued(orgId).filter((m) => m.gateways.includes(gatewayId));
    for (const m of [...waiting.filter((w) => w.kind === 'alert'), ...waiting.filter((w) => w.kind !== 'alert')]) this.dispatch(orgId, m);
  }

  /**
   * Broadcasts no gateway took within BROADCAST_WAIT_MS (none connected, or none reported queueing
   * it) are given up, saying so: after that they say what was true an hour ago. Run on a timer and
   * before a gateway that connects is handed what waited.
   */
  giveUpStaleBroadcasts(): void {
    for (const m of this.o.store.queuedBroadcastsBefore(this.o.now() - BROADCAST_WAIT_MS)) this.update(m.orgId, m.id, 'failed', { error: GATEWAY_TX_REASONS.staleBroadcast });
  }

  /** The gateway's report on a command: queued for the radio (with its packet id) or refused. */
  txStatus(orgId: string, report: TxStatusReport): void {
    if (this.o.store.orgOf(report.ref) !== orgId) {
      for (const f of this.followers) f.txStatus(orgId, report);
      return;
    }
    // Another gateway of the org, even one of ours, cannot mark a message it was never given.
    if (!this.o.store.get(orgId, report.ref)?.gateways.includes(report.gatewayId)) return;
    if (report.status === 'queued' && report.packetId !== undefined) this.update(orgId, report.ref, 'sent', { packetId: report.packetId });
    else if (report.status === 'refused') this.update(orgId, report.ref, 'failed', { error: report.error ?? GATEWAY_TX_REASONS.refused });
  }

  /** A routing reply heard from the mesh: node `from` acknowledged (or refused) one of our packets. */
  ack(orgId: string, from: string, packetId: number, error: string | null): void {
    const m = this.o.store.byPacketId(orgId, packetId);
    if (!m) for (const f of this.followers) f.ack(orgId, from, packetId, error);
    // Only the addressee answers for a message to one node (a relay's reply to a broadcast counts).
    if (!m || (m.to !== BROADCAST_TARGET && m.to !== from)) return;
    if (!error || error === 'NONE') this.update(orgId, m.id, 'delivered');
    else this.update(orgId, m.id, 'failed', { error });
  }

  private dispatch(orgId: string, m: DownlinkMessage): void {
    const connected = m.gateways.filter((g) => this.o.link.isConnected(orgId, g));
    if (connected.length === 0) return;
    const targets = m.to === BROADCAST_TARGET ? connected : connected.slice(0, 1);
    const command: Record<string, unknown> = { ref: m.id, to: m.to };
    if (m.kind === 'alert') command.alert = { level: m.level, text: m.text, ...(m.magnitude !== null ? { magnitude: m.magnitude } : {}) };
    else command.text = m.text;
    const payload = Buffer.from(JSON.stringify(command));
    for (const g of targets) this.o.link.publishTx(orgId, g, payload);
  }

  private update(orgId: string, id: string, status: MessageStatus, extra: { packetId?: number; error?: string } = {}): void {
    const before = this.o.store.get(orgId, id);
    if (!before || before.status === status || before.status === 'delivered') return;
    this.o.store.setStatus(id, status, this.o.now(), extra);
    this.announce(orgId, this.o.store.get(orgId, id)!);
  }

  private announce(orgId: string, m: DownlinkMessage): void {
    // The recipient as it was called when this happened (the feed keeps that, not a later name).
    const toName = m.to === BROADCAST_TARGET ? null : (this.o.fleet.store.get(orgId, m.to)?.name ?? null);
    this.o.events.append({ orgId, type: 'message.status', data: { ...m, toName } });
  }
}
