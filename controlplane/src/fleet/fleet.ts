// The fleet feature's face to the rest of the hub: the registry (FleetStore), device credentials,
// the offline sweeper, and the two things other features ask of it: "this gateway is alive" and
// "tell the admins about this node" (node.* events carry the node as the fleet knows it).

import type { NodeIdText } from '@unibos/mesh-protocol';
import type { EventSink } from '../events/hub-event.ts';
import type { DeviceCredentials } from './device-credentials.ts';
import type { FleetStore } from './fleet-store.ts';
import type { OfflineSweeper } from './offline-sweeper.ts';

export type NodeEventType = 'node.online' | 'node.offline' | 'node.updated' | 'node.claimed';

export class Fleet {
  constructor(
    readonly store: FleetStore,
    readonly credentials: DeviceCredentials,
    readonly sweeper: OfflineSweeper,
    private readonly events: EventSink,
    /** Only gateways that heard a node this recently can reach it. */
    private readonly reachWindowMs: number,
  ) {}

  /** The org's gateways that heard the node recently, most recent first: where a command to it goes. */
  gatewaysReaching(orgId: string, nodeId: string, nowMs: number): string[] {
    return this.store.gatewaysHearing(orgId, nodeId, nowMs - this.reachWindowMs);
  }

  /** A node event with the node as it is now (nothing when it is gone). */
  announce(orgId: string, nodeId: string, type: NodeEventType): void {
    const node = this.store.get(orgId, nodeId);
    if (node) this.events.append({ orgId, type, data: node });
  }

  /** A connected gateway is alive whatever it forwards. */
  gatewaySeen(orgId: string, gatewayId: NodeIdText, nowMs: number): void {
    this.store.ensure(orgId, gatewayId, 'gateway', nowMs);
    const { cameOnline } = this.store.sighting({ orgId, nodeId: gatewayId, kind: 'gateway', timeMs: nowMs, fresh: true });
    if (cameOnline) this.announce(orgId, gatewayId, 'node.online');
  }
}
