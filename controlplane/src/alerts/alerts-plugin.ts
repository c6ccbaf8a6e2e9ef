// The alerts feature: SOS and alerts heard from the mesh and their handling (alert-lifecycle.ts),
// the SOS stages sent back to the node (sos-stages.ts), the alert routes, and the `alert` kind
// of ingest. Shares `alerts` (the lifecycle) for modules that raise or read alerts.

import fp from 'fastify-plugin';
import { AlertLifecycle } from './alert-lifecycle.ts';
import { alertRoutes } from './alert-routes.ts';
import { AlertStore } from './alert-store.ts';
import { SosStages } from './sos-stages.ts';

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertLifecycle;
  }
}

export const alertsPlugin = fp(
  async (app) => {
    const { fleet, gateways, now } = app;
    const store = new AlertStore(app.db);
    // A node with an alert open stays in the fleet however many others are heard (its position, its name).
    fleet.store.keepers.push((orgId, nodeId) => store.hasOpen(orgId, nodeId));
    const stages = new SosStages({ store, fleet, link: gateways, now });
    const alerts = new AlertLifecycle(store, { fleet, events: app.events, stages, now });
    app.decorate('alerts', alerts);
    app.ingest.routeMeshKind('alert', ({ orgId }, frame) => alerts.heard(orgId, frame));
    // Registered before messages: a returning gateway is told how each SOS stands before any queued message.
    gateways.onConnected((orgId, gatewayId) => stages.gatewayConnected(orgId, gatewayId));
    await app.register(alertRoutes, { alerts, guard: app.guard, userView: (id) => app.auth.accounts.userView(id) });
  },
  {
    name: 'hub-alerts',
    dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-gateway-link', 'hub-fleet'],
    decorators: { fastify: ['db', 'now', 'auth', 'guard', 'events', 'ingest', 'gateways', 'fleet'] },
  },
);
