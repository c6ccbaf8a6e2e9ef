// The hub's side of its gateways, as features see it: who is connected, a command published on a
// gateway's tx topic, and "a gateway connected" in the order features subscribed (fleet first,
// then alerts' SOS stages, then queued messages: app registration order). Features get it before
// the broker listens (they subscribe while they register); until the broker is attached nobody
// is connected and nothing is sent, so what features queue waits, as it does for an absent gateway.

import fp from 'fastify-plugin';
import { nodeIdHex, normalizeNodeId, parseNodeId, type NodeIdText } from '@unibos/mesh-protocol';
import type { HubBroker, HubBrokerStats } from './hub-broker.ts';
import { AfterCommit } from '../storage/after-commit.ts';

export type GatewayConnectedListener = (orgId: string, gatewayId: NodeIdText) => void;

/** A gateway's MQTT user name (8 hex digits) from its node id, or null when it is none. */
function hexOf(gatewayId: string): string | null {
  const n = parseNodeId(gatewayId);
  return n === null ? null : nodeIdHex(n);
}

export class GatewayLink {
  private broker: HubBroker | null = null;
  private readonly listeners: GatewayConnectedListener[] = [];
  /** Commands published inside batch() go out once it has returned. */
  private readonly commands = new AfterCommit<() => void>((publish) => publish());

  /** Called once, by the broker plugin, when the hub broker listens. */
  attach(broker: HubBroker): void {
    this.broker = broker;
    broker.on('gatewayConnected', (gw) => {
      const id = normalizeNodeId(gw.id);
      if (id) for (const listener of this.listeners) listener(gw.orgId, id);
    });
  }

  /** Whether the hub broker is listening (what /ready waits for). */
  get ready(): boolean {
    return this.broker !== null;
  }

  /** The broker's bound port, once listening. */
  get port(): number | null {
    return this.broker?.port ?? null;
  }

  get stats(): HubBrokerStats | null {
    return this.broker?.stats ?? null;
  }

  onConnected(listener: GatewayConnectedListener): void {
    this.listeners.push(listener);
  }

  isConnected(orgId: string, gatewayId: string): boolean {
    const hex = hexOf(gatewayId);
    return hex !== null && (this.broker?.isConnected(orgId, hex) ?? false);
  }

  /** Publishes with QoS 1 on the gateway's tx topic (nothing when it is not connected). */
  publishTx(orgId: string, gatewayId: string, payload: Buffer): void {
    const hex = hexOf(gatewayId);
    if (hex === null) return;
    this.commands.add(() => this.broker?.publishTx(orgId, hex, payload));
  }

  /**
   * Runs `fn` (an ingest transaction); the commands it publishes go out only once it has returned,
   * none if it throws: a node is never told "the hub has your SOS" about a write that was rolled back.
   */
  batch<T>(fn: () => T): T {
    return this.commands.batch(fn);
  }

  connectedGateways(): Array<{ orgId: string; id: NodeIdText }> {
    return (this.broker?.connectedGateways() ?? []).flatMap((g) => {
      const id = normalizeNodeId(g.id);
      return id ? [{ orgId: g.orgId, id }] : [];
    });
  }

  /** Ends the org's gateway's broker connection (its credentials were revoked); another org's gateway is never touched. */
  disconnect(orgId: string, gatewayId: string): void {
    const hex = hexOf(gatewayId);
    if (hex !== null) this.broker?.disconnect(orgId, hex);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    gateways: GatewayLink;
  }
}

export const gatewayLinkPlugin = fp(
  async (app) => {
    app.decorate('gateways', new GatewayLink());
  },
  { name: 'hub-gateway-link' },
);
