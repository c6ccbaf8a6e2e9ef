// Switching a device at a gateway (issue 14), end to end at the hub: the command is stored under a
// fresh ref and published as a `switch` tx command to the gateway; the gateway's txstatus reports
// under that ref (queued, then confirmed / unconfirmed / refused) move its state and each raises a
// `switch.status` event, so the admin hears whether the pump switched, not only that it was asked.

import { randomUUID } from 'node:crypto';
import type { NodeIdText } from '@unibos/mesh-protocol';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { EventSink } from '../events/hub-event.ts';
import { HubError } from '../hub-error.ts';
import { FINAL_SWITCH_STATUSES, type SwitchCommand, type SwitchStatus, type SwitchStore } from './switch-store.ts';

export interface DeviceSwitchesOptions {
  store: SwitchStore;
  events: EventSink;
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  now: () => number;
}

export interface SwitchRequest {
  sensor: string;
  state: SwitchCommand['requested'];
  channel?: number | undefined;
  /** For families that name their switches (ESPHome); exclusive with channel. */
  name?: string | undefined;
}

/** A gateway's txstatus body, as far as switches read it. */
export interface SwitchReport {
  ref: string;
  status: string;
  state?: string | undefined;
  error?: string | undefined;
}

const REPORTED: ReadonlySet<string> = new Set<SwitchStatus>(['queued', 'confirmed', 'unconfirmed', 'refused']);

export class DeviceSwitches {
  constructor(private readonly o: DeviceSwitchesOptions) {}

  /** Stores the command and hands it to the gateway; E_UNAVAILABLE when the gateway is not connected. */
  send(orgId: string, gatewayId: NodeIdText, req: SwitchRequest, createdBy: string): SwitchCommand {
    const hex = gatewayId.slice(1);
    if (!this.o.link.isConnected(orgId, hex)) throw new HubError('E_UNAVAILABLE', `gateway ${gatewayId} is not connected`);
    if (req.channel !== undefined && req.name !== undefined) throw new HubError('E_BAD_REQUEST', 'a switch has a channel or a name, not both');
    const command = this.o.store.add(orgId, { ref: randomUUID(), gatewayId, sensor: req.sensor, requested: req.state, channel: req.channel ?? null, name: req.name ?? null, createdBy, timeMs: this.o.now() });
    const body = { ref: command.ref, switch: { sensor: req.sensor, state: req.state, ...(req.channel !== undefined ? { channel: req.channel } : {}), ...(req.name !== undefined ? { name: req.name } : {}) } };
    this.o.link.publishTx(orgId, hex, Buffer.from(JSON.stringify(body)));
    this.o.events.append({ orgId, type: 'switch.status', data: command });
    return command;
  }

  get(orgId: string, ref: string): SwitchCommand | null {
    return this.o.store.get(orgId, ref);
  }

  /**
   * A txstatus report from `gatewayId`: true if it answers one of our switch commands (whatever it
   * then changes), false if the ref is not a switch of this org sent to this gateway (a downlink
   * message's, or someone else's: another gateway cannot speak for this one).
   */
  report(orgId: string, gatewayId: NodeIdText, r: SwitchReport): boolean {
    const before = this.o.store.get(orgId, r.ref);
    if (!before || before.gatewayId !== gatewayId) return false;
    // A late or repeated report never reopens a command that has its answer.
    if (!REPORTED.has(r.status) || FINAL_SWITCH_STATUSES.has(before.status) || before.status === r.status) return true;
    const status = r.status as SwitchStatus;
    const state = status === 'confirmed' && (r.state === 'ON' || r.state === 'OFF') ? r.state : undefined;
    this.o.store.setStatus(r.ref, status, this.o.now(), { ...(state ? { state } : {}), ...(r.error !== undefined && status !== 'confirmed' ? { error: r.error } : {}) });
    this.o.events.append({ orgId, type: 'switch.status', data: this.o.store.get(orgId, r.ref)! });
    return true;
  }
}
