// A node the hub hears without a name (its NodeInfo was lost, or its first frame was an SOS) is
// asked for it over the mesh, through the gateway that just heard it. Rate-limited, because every
// request is airtime: per node at most once a minute at first, backing off to every 30 minutes;
// per org at most a handful a minute. The answer arrives as an ordinary `info` frame.

import type { GatewayLink } from '../broker/gateway-link.ts';
import type { FleetStore } from './fleet-store.ts';

const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 30 * 60_000;
const ORG_BUDGET_PER_MINUTE = 6;
const MAX_TRACKED = 10_000;

export interface NodeNameRequestsOptions {
  store: Pick<FleetStore, 'get'>;
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  now: () => number;
  /** Counts each request sent (for /metrics). */
  onRequest?: () => void;
}

export class NodeNameRequests {
  /** Per org/node: when it was last asked and how long to wait before asking again. */
  private readonly asked = new Map<string, { atMs: number; waitMs: number }>();
  /** Per org: the times of the requests of the last minute. */
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly o: NodeNameRequestsOptions) {}

  /** `nodeId` was just heard through `gatewayId`: ask it for its name if the fleet has none. */
  heard(orgId: string, nodeId: string, gatewayId: string): void {
    const node = this.o.store.get(orgId, nodeId);
    if (!node || node.name || node.kind === 'gateway' || nodeId === gatewayId) return;
    const now = this.o.now();
    const key = `${orgId}/${nodeId}`;
    const last = this.asked.get(key);
    if (last && now - last.atMs < last.waitMs) return;
    const recent = (this.recent.get(orgId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= ORG_BUDGET_PER_MINUTE || !this.o.link.isConnected(orgId, gatewayId)) return;
    recent.push(now);
    this.recent.set(orgId, recent);
    if (this.asked.size >= MAX_TRACKED && !last) this.asked.delete(this.asked.keys().next().value!);
    this.asked.set(key, { atMs: now, waitMs: last ? Math.min(last.waitMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS });
    this.o.link.publishTx(orgId, gatewayId, Buffer.from(JSON.stringify({ to: nodeId, nodeInfoRequest: true })));
    this.o.onRequest?.();
  }

  /** The node told us its name: nothing more to ask. */
  named(orgId: string, nodeId: string): void {
    this.asked.delete(`${orgId}/${nodeId}`);
  }
}
