// SOS stages sent back over the mesh to the node that raised the SOS (hub, acknowledged,
// resolved), answering its request id, through the connected gateway that heard it most
// recently. The alert store is their queue: a gateway that connects is handed the current stage
// of every SOS still open (or recently resolved) among the nodes it heard, before anything else.

import type { SosStage } from '@unibos/mesh-protocol';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { Fleet } from '../fleet/fleet.ts';
import type { AlertStore, HubAlert } from './alert-store.ts';

/** A resolved SOS is still told to its node this long after, for a gateway that was away. */
const RESOLVED_STAGE_RESEND_MS = 24 * 3600_000;

export class SosStages {
  constructor(private readonly o: { store: Pick<AlertStore, 'recentSos'>; fleet: Pick<Fleet, 'gatewaysReaching'>; link: Pick<GatewayLink, 'isConnected' | 'publishTx'>; now: () => number }) {}

  /**
   * Tells the node of SOS alert `a` the stage the hub has reached. Returns the gateway it went
   * through, or null when none can take it now (the stage then goes when one connects). Repeats
   * are harmless: the node keeps the highest stage.
   */
  send(orgId: string, a: HubAlert): string | null {
    if (a.level !== 'SOS' || a.requestId === null) return null;
    const gateway = this.o.fleet.gatewaysReaching(orgId, a.nodeId, this.o.now()).find((g) => this.o.link.isConnected(orgId, g));
    if (!gateway) return null;
    this.publish(orgId, gateway, a);
    return gateway;
  }

  /** A gateway connected: the stage of every SOS among the nodes it heard. */
  gatewayConnected(orgId: string, gatewayId: string): void {
    const now = this.o.now();
    for (const a of this.o.store.recentSos(orgId, now - RESOLVED_STAGE_RESEND_MS)) {
      if (this.o.fleet.gatewaysReaching(orgId, a.nodeId, now).includes(gatewayId)) this.publish(orgId, gatewayId, a);
    }
  }

  private publish(orgId: string, gatewayId: string, a: HubAlert): void {
    const current = a.stages.at(-1);
    if (a.requestId === null || !current) return;
    const stage: SosStage = current.stage;
    // Resolved by the node itself ("I am safe"): it needs no name, least of all its own id.
    const by = current.by && current.by !== a.nodeId ? current.by : null;
    const command = { to: a.nodeId, sosStage: { requestId: a.requestId, stage, time: current.at, ...(by ? { by } : {}) } };
    this.o.link.publishTx(orgId, gatewayId, Buffer.from(JSON.stringify(command)));
  }
}
