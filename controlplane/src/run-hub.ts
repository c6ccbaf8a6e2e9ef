// `unibos hub` as a library call: opens the hub's storage, starts the hub broker gateways
// connect to, the ingest and fleet services, then the HTTP app. Stopped in reverse order.

import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { buildHubApp, type HubServices } from './app.ts';
import { createAuthServices } from './auth/auth-services.ts';
import { EventLog } from './events/event-log.ts';
import type { HubConfig } from './hub-config.ts';
import { HubError } from './hub-error.ts';
import { createHubCore } from './hub-core.ts';
import { HubBroker } from './broker/hub-broker.ts';
import { registerHubMetrics } from './ops/hub-metrics.ts';
import { openHubDb } from './storage/hub-db.ts';

export interface RunningHub {
  app: FastifyInstance;
  services: HubServices;
  /** http://host:port of the API and admin UI. */
  url: string;
  httpPort: number;
  mqttPort: number;
  /** The one-time link that creates the first admin, while there is none. */
  setupUrl: string | null;
  stop(): Promise<void>;
}

export interface RunHubOptions {
  logger: Logger;
  now?: () => number;
}

export async function runHub(config: HubConfig, options: RunHubOptions): Promise<RunningHub> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logger = options.logger;
  const db = openHubDb(config.dataDir, logger);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const stops: Array<() => Promise<void> | void> = [() => void db.close()];
  const stop = async (): Promise<void> => {
    for (const s of [...stops].reverse()) {
      try {
        await s();
      } catch (err) {
        logger.warn({ err }, 'hub: error while stopping');
      }
    }
  };
  try {
    const events = new EventLog(db, { ...(options.now ? { now: options.now } : {}) });
    const auth = await createAuthServices({ db, config, logger: logger.child({ component: 'auth' }), ...(options.now ? { now: options.now } : {}) });
    stops.push(() => auth.close());
    const now = options.now ?? Date.now;
    const core = createHubCore({ db, events, config, logger, now });
    let broker: HubBroker | null = null;
    const services: HubServices = {
      config,
      logger,
      db,
      metrics,
      auth,
      events,
      core,
      now,
      ready: () => broker !== null,
      brokerPort: () => broker?.port ?? config.mqttPort,
      disconnectGateway: (orgId, id) => broker?.disconnect(orgId, id),
    };
    registerHubMetrics(metrics, services, () => broker);
    broker = await HubBroker.start({
      host: config.mqttHost,
      port: config.mqttPort,
      credentials: core.credentials,
      logger: logger.child({ component: 'broker' }),
      ingest: (gw, topic, payload) => core.ingest.handle(gw.orgId, gw.id, topic, payload),
    });
    const activeBroker = broker;
    // Stops run in reverse: what is held in memory is written after the broker has stopped taking publishes.
    stops.push(() => {
      core.sweeper.stop();
      core.ingest.close();
      core.fleet.flushHeartbeats();
    });
    stops.push(() => activeBroker.close());
    core.setGatewayLink(activeBroker);
    activeBroker.on('gatewayConnected', (gw) => {
      core.ingest.gatewaySeen(gw.orgId, `!${gw.id}`, now());
      core.downlink.gatewayConnected(gw.orgId, `!${gw.id}`);
    });
    core.sweeper.start();
    const app = await buildHubApp(services);
    stops.push(() => app.close());
    try {
      await app.listen({ host: config.httpHost, port: config.httpPort });
    } catch (err) {
      throw new HubError('E_CONFIG', `cannot listen on ${config.httpHost}:${config.httpPort} (${(err as Error).message}); set httpPort (--port) to a free port`);
    }
    const address = app.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
    const token = auth.setupToken();
    const setupUrl = token ? `${url}/#setup=${token}` : null;
    // The link itself is a credential: it goes to the terminal (the CLI prints it), not into the log.
    if (setupUrl) logger.warn('hub: no admin yet; open the setup link `unibos hub` printed (valid 24 h), or run `unibos hub init`');
    logger.info({ url, mqttPort: activeBroker.port }, 'hub ready');
    return { app, services, url, httpPort, mqttPort: activeBroker.port, setupUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
