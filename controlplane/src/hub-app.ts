// Builds the hub: a Fastify app with security headers, CORS (off unless configured), OpenAPI at
// /docs and one error shape, then the platform and each feature as a plugin, in dependency order.
// Features declare what they use (plugin `dependencies` and `decorators`); Fastify refuses to
// start when one is missing. The hub broker comes last: it listens once every feature has taken
// its ingest topics, and it is the first thing closed.

import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import { JSON_BODY_MAX_DEPTH, holdsLoneSurrogate, jsonDepth } from '@unibos/mesh-protocol';
import { problemOf } from '@unibos/module-api';
import { alertsPlugin } from './alerts/alerts-plugin.ts';
import { authPlugin } from './auth/auth-plugin.ts';
import { brokerPlugin } from './broker/broker-plugin.ts';
import { gatewayLinkPlugin } from './broker/gateway-link.ts';
import { eventsPlugin, type EventsOptions } from './events/events-plugin.ts';
import { fleetPlugin } from './fleet/fleet-plugin.ts';
import type { HubConfig } from './hub-config.ts';
import { HubError } from './hub-error.ts';
import { ingestPlugin } from './ingest/ingest-plugin.ts';
import { messagesPlugin } from './messages/messages-plugin.ts';
import { messengerPlugin } from './messenger/messenger-plugin.ts';
import { modulesPlugin, type ModulesOptions } from './modules/modules-plugin.ts';
import { opsPlugin } from './ops/ops-plugin.ts';
import { countRefusals } from './ops/refusal-metrics.ts';
import { platformPlugin } from './platform/platform-plugin.ts';
import { recordsPlugin } from './records/records-plugin.ts';
import { sensorsPlugin } from './sensors/sensors-plugin.ts';
import { uiRoutes } from './ui/ui-routes.ts';

export const BODY_LIMIT = 64 * 1024;
export interface HubAppOptions {
  logger: Logger;
  now?: () => number;
  /** Event stream tuning (tests, benches). */
  events?: EventsOptions;
  /** Module host: where modules are found, the fetch they get (tests). */
  modules?: ModulesOptions;
}

export async function buildHubApp(config: HubConfig, options: HubAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines without secrets: /ws takes its token in the query string (browsers cannot set headers there).
    loggerInstance: options.logger.child({}, { serializers: { req: requestLine } }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // A caller's x-request-id is kept; otherwise Fastify's own per-process counter (cheap, and log
    // lines carry pid and time besides).
    requestIdHeader: 'x-request-id',
    // Only a configured reverse proxy's X-Forwarded-For names the client (request.ip, the per-address limits).
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  try {
    await register(app, config, options);
  } catch (err) {
    // Whatever registered before the failure (the database, a listening broker) is closed again.
    await app.close().catch(() => {});
    throw err;
  }
  return app;
}

/** Fastify's own refusals (a body it cannot parse, one too large, a `__proto__` key) in the hub's codes, so a client needs one list. */
function frameworkCode(statusCode: number): string {
  if (statusCode === 429) return 'E_RATE_LIMITED';
  if (statusCode === 413) return 'E_TOO_LARGE';
  if (statusCode === 404) return 'E_NOT_FOUND';
  return statusCode < 500 ? 'E_BAD_REQUEST' : 'E_INTERNAL';
}

async function register(app: FastifyInstance, config: HubConfig, options: HubAppOptions): Promise<void> {
  // Set as the request arrives (a callback hook: no promise per request), so errors carry it too.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const statusCode = err instanceof HubError ? err.statusCode : err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    // Our own 503s (a gateway away, the claim room full, ...) say how things stand, not that the hub
    // failed: no stack, and not at error level, where anyone could fill the log with them.
    if (statusCode >= 500 && err instanceof HubError) request.log.warn({ code: err.code, reason: err.message }, 'request refused');
    else if (statusCode >= 500) request.log.error({ err }, 'request failed');
    // Our own error classes (modules' ModuleError, ...) carry E_ codes; Fastify's FST_ codes are mapped.
    const code = err instanceof HubError ? err.code : err.validation ? 'E_BAD_REQUEST' : typeof err.code === 'string' && /^E_[A-Z_]+$/.test(err.code) ? err.code : frameworkCode(statusCode);
    const message = statusCode >= 500 && !(err instanceof HubError) ? 'internal error' : err.message;
    // A module's refusal by code and values (ModuleError's problem), for the UI to say in its reader's language.
    const problem = statusCode < 500 ? problemOf(err) : null;
    void reply.status(statusCode).send({ statusCode, code, error: httpReason(statusCode), message, ...(problem ? { problem } : {}) });
  });
  // Fastify's own JSON parser (prototype poisoning refused), then the nesting limit.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parseJson(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      // Nothing the API takes is nested nearly this deep; a deeper body (64 KiB of brackets is 32,000
      // levels) is refused as it is read, before validation or a module's settings code recurse into it.
      if (jsonDepth(value, JSON_BODY_MAX_DEPTH) > JSON_BODY_MAX_DEPTH) return done(new HubError('E_BAD_REQUEST', `the JSON body is nested more than ${JSON_BODY_MAX_DEPTH} levels deep`), undefined);
      // Half of a UTF-16 pair (\ud800 alone) is no character: SQLite would store it as U+FFFD and
      // accounts.json keep it where strict JSON readers fail. Refused here, for every route.
      if (holdsLoneSurrogate(value)) return done(new HubError('E_BAD_REQUEST', 'the JSON body holds text that is not valid Unicode (half of a UTF-16 surrogate pair)'), undefined);
      done(null, value);
    });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ statusCode: 404, code: 'E_NOT_FOUND', error: 'Not Found', message: `${request.method} ${request.url.split('?')[0]} not found` });
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...tileOrigin(config.mapTileUrl)],
        connectSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        // The hub is usually reached over plain http on a LAN name (no internet, no certificates):
        // upgrading its requests to https would break every page load there.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (config.corsOrigins.length > 0) await app.register(cors, { origin: config.corsOrigins, credentials: false });
  // Only routes that ask for it (login, refresh, claim) are limited.
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'UNIBOS hub API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'access token (JWT) or API key' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // A client's broken frame or one over maxPayload (closed 1009 by ws) is its fault, not the hub's: no stack at error level.
    errorHandler: (error, socket, request) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) request.log.info({ code, reason: error.message }, 'websocket closed: the client broke the protocol');
      else request.log.error({ err: error }, 'websocket failed');
      socket.terminate();
    },
  });

  // The platform, then each feature after what it declares it needs. Alerts before messages: a
  // returning gateway hears how each SOS stands before anything that waited for it.
  await app.register(platformPlugin, { config, now: options.now ?? Date.now });
  countRefusals(app);
  await app.register(gatewayLinkPlugin);
  await app.register(authPlugin);
  await app.register(eventsPlugin, options.events ?? {});
  await app.register(ingestPlugin);
  await app.register(fleetPlugin);
  await app.register(recordsPlugin);
  await app.register(sensorsPlugin);
  await app.register(alertsPlugin);
  await app.register(messagesPlugin);
  await app.register(messengerPlugin);
  // Modules after every feature their API uses, so they are unloaded before those close.
  await app.register(modulesPlugin, options.modules ?? {});
  await app.register(opsPlugin);
  await app.register(uiRoutes, { mapTileUrl: config.mapTileUrl, dataDir: config.dataDir });
  await app.register(brokerPlugin);
}

function requestLine(req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }): Record<string, unknown> {
  return { method: req.method, url: req.url.replace(/([?&](?:token|access_token)=)[^&]*/g, '$1[redacted]'), remoteAddress: req.ip ?? req.socket?.remoteAddress };
}

function tileOrigin(url: string | null): string[] {
  if (!url) return [];
  try {
    return [new URL(url.replace(/\{[a-z]\}/g, '0')).origin];
  } catch {
    return [];
  }
}

function httpReason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

