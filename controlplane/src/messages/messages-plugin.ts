// The messages feature (downlink): texts and alerts an admin or a module sends into the mesh,
// their delivery state from the gateway's txstatus report to the node's acknowledgement (the
// `ack` kind of ingest), `message.status` events, and the message routes. Shares `downlink`.
// Device switches at a gateway share the txstatus topic: their refs are answered first.

import fp from 'fastify-plugin';
import { finiteNumber } from '../ingest/mesh-uplink.ts';
import { Downlink } from './downlink.ts';
import { messageRoutes } from './message-routes.ts';
import { switchRoutes } from './switch-routes.ts';
import { DeviceSwitches } from './device-switches.ts';
import { SwitchStore } from './switch-store.ts';
import { MessageStore } from './message-store.ts';

/** How often broadcasts waiting for a gateway are checked for going stale. */
const STALE_SWEEP_MS = 60_000;

declare module 'fastify' {
  interface FastifyInstance {
    downlink: Downlink;
  }
}

export const messagesPlugin = fp(
  async (app) => {
    const { gateways } = app;
    const messages = new MessageStore(app.db);
    const downlink = new Downlink({ store: messages, fleet: app.fleet, events: app.events, link: gateways, now: app.now });
    app.decorate('downlink', downlink);
    // A broadcast nobody took within the hour is given up even while no gateway ever connects.
    let staleTimer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      staleTimer = setInterval(() => {
        try {
          downlink.giveUpStaleBroadcasts();
        } catch (err) {
          app.log.error({ err }, 'messages: giving up stale broadcasts failed');
        }
      }, STALE_SWEEP_MS);
      staleTimer.unref();
    });
    app.addHook('onClose', async () => clearInterval(staleTimer));
    const switches = new DeviceSwitches({ store: new SwitchStore(app.db), events: app.events, link: gateways, now: app.now });

    app.ingest.route('gatewayTxStatus', ({ orgId, gatewayId }, body) => {
      const b = body as { ref?: unknown; packetId?: unknown; status?: unknown; state?: unknown; error?: unknown } | null;
      if (!b || typeof b.ref !== 'string' || typeof b.status !== 'string') return { badPayload: 'txstatus without ref and status' };
      const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
      if (switches.report(orgId, gatewayId, { ref: b.ref, status: b.status, state: text(b.state), error: text(b.error) })) return 'stored';
      downlink.txStatus(orgId, {
        gatewayId,
        ref: b.ref,
        status: b.status,
        ...(typeof b.packetId === 'number' ? { packetId: b.packetId } : {}),
        ...(typeof b.error === 'string' ? { error: b.error } : {}),
      });
      return 'stored';
    });
    // A routing reply names the packet it answers in requestId (as the mesh router writes it).
    app.ingest.routeMeshKind('ack', ({ orgId }, { nodeId, doc }) => {
      const answered = finiteNumber(doc.requestId);
      if (answered !== null) downlink.ack(orgId, nodeId, answered, typeof doc.error === 'string' ? doc.error : null);
    });
    gateways.onConnected((orgId, gatewayId) => downlink.gatewayConnected(orgId, gatewayId));
    await app.register(messageRoutes, { downlink, messages, guard: app.guard });
    await app.register(switchRoutes, { switches, hasGateway: (orgId, id) => app.fleet.store.get(orgId, id)?.kind === 'gateway', guard: app.guard });
  },
  {
    name: 'hub-messages',
    dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-gateway-link', 'hub-fleet'],
    decorators: { fastify: ['db', 'now', 'guard', 'events', 'ingest', 'gateways', 'fleet'] },
  },
);
