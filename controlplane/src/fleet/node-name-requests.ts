// A node the hub hears without a name (its NodeInfo was lost, or its first frame was an SOS) is
// asked for it over the mesh, through the gateway that heard it. Rate-limited, because every
// request is airtime: per node at once, again after 35 s (a node answers one requester at most
// every 30 s), then backing off to every 30 minutes, also when the node stays silent; per org at
// most a handful a minute. The answer arrives as an ordinary `info` frame and ends the asking.

import type { GatewayLink } from '../broker/gateway-link.ts';
import type { FleetStore } from './fleet-store.ts';

const FIRST_RETRY_MS = 35_000;
const MAX_RETRY_MS = 30 * 60_000;
/** Asked this many times without an answer, a node is asked again only when it is heard again. */
const MAX_SCHEDULED_TRIES = 6;
const ORG_BUDGET_PER_MINUTE = 6;
const MAX_TRACKED = 10_000;

export interface NodeNameRequestsOptions {
  store: Pick<FleetStore, 'get'>;
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  now: () => number;
  /** Timers for the retries (tests pass their own). */
  schedule?: (fn: () => void, ms: number) => { cancel(): void };
}

interface Asking {
  atMs: number;
  waitMs: number;
  tries: number;
  gatewayId: string;
  retry: { cancel(): void } | null;
}

const realTimer = (fn: () => void, ms: number): { cancel(): void } => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

export class NodeNameRequests {
  /** Per org/node: when it was last asked, through which gateway, and when to ask again. */
  private readonly asked = new Map<string, Asking>();
  /** Per org: the times of the requests of the last minute. */
  private readonly recent = new Map<string, number[]>();
  private closed = false;

  constructor(private readonly o: NodeNameRequestsOptions) {}

  /** `nodeId` was just heard through `gatewayId`: ask it for its name if the fleet has none. */
  heard(orgId: string, nodeId: string, gatewayId: string): void {
    if (this.closed) return;
    const node = this.o.store.get(orgId, nodeId);
    if (!node || node.name || node.kind === 'gateway' || nodeId === gatewayId) return this.named(orgId, nodeId);
    const now = this.o.now();
    const key = `${orgId}/${nodeId}`;
    const last = this.asked.get(key);
    if (last) last.gatewayId = gatewayId;
    if (last && now - last.atMs < last.waitMs) return;
    const recent = (this.recent.get(orgId) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= ORG_BUDGET_PER_MINUTE || !this.o.link.isConnected(orgId, gatewayId)) return;
    recent.push(now);
    this.recent.set(orgId, recent);
    if (this.asked.size >= MAX_TRACKED && !last) this.forget(this.asked.keys().next().value!);
    last?.retry?.cancel();
    const asking: Asking = { atMs: now, waitMs: last ? Math.min(last.waitMs * 2, MAX_RETRY_MS) : FIRST_RETRY_MS, tries: (last?.tries ?? 0) + 1, gatewayId, retry: null };
    this.asked.set(key, asking);
    this.o.link.publishTx(orgId, gatewayId, Buffer.from(JSON.stringify({ to: nodeId, nodeInfoRequest: true })));
    // A node that has said its SOS may say nothing more for a long while: ask again on our own.
    if (asking.tries < MAX_SCHEDULED_TRIES) asking.retry = (this.o.schedule ?? realTimer)(() => this.heard(orgId, nodeId, asking.gatewayId), asking.waitMs);
  }

  /** The node told us its name: nothing more to ask. */
  named(orgId: string, nodeId: string): void {
    this.forget(`${orgId}/${nodeId}`);
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.asked.keys()]) this.forget(key);
  }

  private forget(key: string): void {
    this.asked.get(key)?.retry?.cancel();
    this.asked.delete(key);
  }
}
