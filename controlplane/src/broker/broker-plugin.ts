// Starts the hub broker gateways connect to, once every feature has registered its ingest
// handlers (this plugin is registered last), and attaches it to the gateway link. Closed first
// at shutdown (onClose runs in reverse), so features flush what they hold after the last publish.

import fp from 'fastify-plugin';
import { HubBroker } from './hub-broker.ts';

export const brokerPlugin = fp(
  async (app) => {
    const broker = await HubBroker.start({
      host: app.config.mqttHost,
      port: app.config.mqttPort,
      credentials: app.fleet.credentials,
      logger: app.log.child({ component: 'broker' }),
      ingest: (gw, topic, payload) => app.ingest.handle(gw.orgId, gw.id, topic, payload),
    });
    app.addHook('onClose', async () => broker.close());
    app.gateways.attach(broker);
  },
  { name: 'hub-broker', dependencies: ['hub-platform', 'hub-gateway-link', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['config', 'gateways', 'ingest', 'fleet'] } },
);
