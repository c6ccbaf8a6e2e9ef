// `unibos hub` as a library call: builds the hub (storage, features, the hub broker gateways
// connect to; hub-app.ts) and starts its HTTP listener. stop() is Fastify's close: the broker
// first, then each feature in reverse order, the database last.

import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildHubApp } from './hub-app.ts';
import type { HubConfig } from './hub-config.ts';
import type { ModulesOptions } from './modules/modules-plugin.ts';
import { HubError } from './hub-error.ts';

export interface RunningHub {
  /** The hub itself: each feature is a decorator on it (app.fleet, app.alerts, app.events, ...). */
  app: FastifyInstance;
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
  modules?: ModulesOptions;
}

export async function runHub(config: HubConfig, options: RunHubOptions): Promise<RunningHub> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logger = options.logger;
  const app = await buildHubApp(config, { logger, ...(options.now ? { now: options.now } : {}), ...(options.modules ? { modules: options.modules } : {}) });
  const stop = async (): Promise<void> => {
    try {
      await app.close();
    } catch (err) {
      logger.warn({ err }, 'hub: error while stopping');
    }
  };
  try {
    await app.listen({ host: config.httpHost, port: config.httpPort });
  } catch (err) {
    await stop();
    throw new HubError('E_CONFIG', `cannot listen on ${config.httpHost}:${config.httpPort} (${(err as Error).message}); set httpPort (--port) to a free port`);
  }
  const address = app.server.address();
  const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
  const host = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
  const token = app.auth.setupToken();
  const setupUrl = token ? `${url}/#setup=${token}` : null;
  // The link itself is a credential: it goes to the terminal (the CLI prints it), not into the log.
  if (setupUrl) logger.warn('hub: no admin yet; open the setup link `unibos hub` printed (valid 24 h), or run `unibos hub init`');
  const mqttPort = app.gateways.port ?? config.mqttPort;
  logger.info({ url, mqttPort }, 'hub ready');
  return { app, url, httpPort, mqttPort, setupUrl, stop };
}
