// The fleet feature: nodes and gateways, their claims and credentials, heartbeats, the offline
// sweep, its routes and what it takes from ingest. Shares `fleet` on purpose: alerts name nodes,
// messages pick the gateways that hear them, the broker checks gateway credentials.

import fp from 'fastify-plugin';
import type { NodeIdText } from '@unibos/mesh-protocol';
import { DeviceCredentials } from './device-credentials.ts';
import { Fleet } from './fleet.ts';
import { routeFleetIngest } from './fleet-ingest.ts';
import { fleetRoutes } from './fleet-routes.ts';
import { FleetStore } from './fleet-store.ts';
import { NodeNameRequests } from './node-name-requests.ts';
import { OfflineSweeper } from './offline-sweeper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    fleet: Fleet;
  }
}

export const fleetPlugin = fp(
  async (app) => {
    const { db, events, gateways, now } = app;
    const log = app.log;
    const offlineAfterMs = app.config.offlineAfterS * 1000;
    const store = new FleetStore(db, (err) => log.error({ err }, 'writing heartbeats failed; kept for the next try'), app.config.maxHeardNodes);
    // The sweeper reaches the fleet through `fleet`, assigned below, before it ever runs.
    let fleet: Fleet;
    const sweeper = new OfflineSweeper({
      offlineAfterMs,
      now,
      sweep: (cutoff) => store.sweepOffline(cutoff),
      touchConnected: (nowMs) => {
        for (const g of gateways.connectedGateways()) fleet.gatewaySeen(g.orgId, g.id, nowMs);
      },
      announce: (orgId, id) => fleet.announce(orgId, id, 'node.offline'),
      onError: (err) => log.error({ err }, 'offline sweep failed'),
    });
    fleet = new Fleet(store, new DeviceCredentials(db), sweeper, events, Math.max(offlineAfterMs, 24 * 3600_000));
    // Open admin pages drop a node the hub forgot.
    store.onForgotten = (orgId, id) => events.append({ orgId, type: 'node.forgotten', data: { id: id as NodeIdText } });
    app.decorate('fleet', fleet);

    const names = new NodeNameRequests({ store, link: gateways, now });
    routeFleetIngest(app.ingest, fleet, { events, offlineAfterMs, names });
    gateways.onConnected((orgId, id) => fleet.gatewaySeen(orgId, id, now()));
    await app.register(fleetRoutes, { fleet, gateways, guard: app.guard, config: app.config, now });

    app.addHook('onReady', async () => sweeper.start());
    // After the broker has stopped taking publishes (it closes first): heartbeats held in memory are written.
    app.addHook('onClose', async () => {
      sweeper.stop();
      names.close();
      store.flushHeartbeats();
    });
  },
  {
    name: 'hub-fleet',
    dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-gateway-link'],
    decorators: { fastify: ['db', 'config', 'now', 'guard', 'events', 'ingest', 'gateways'] },
  },
);
