// Builds the hub's Fastify app from its services: security headers, CORS (off unless
// configured), OpenAPI at /docs, one error shape, then each area's routes as a plugin.

import { STATUS_CODES } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createGuard, type Guard } from './auth/guard.ts';
import type { AuthServices } from './auth/auth-services.ts';
import { authRoutes } from './auth/auth-routes.ts';
import type { EventLog } from './events/event-log.ts';
import { eventRoutes } from './events/event-routes.ts';
import type { HubConfig } from './hub-config.ts';
import type { HubCore } from './hub-core.ts';
import { fleetRoutes } from './fleet/fleet-routes.ts';
import { recordRoutes } from './ingest/record-routes.ts';
import { messageRoutes } from './messages/message-routes.ts';
import { alertRoutes } from './alerts/alert-routes.ts';
import { HubError } from './hub-error.ts';
import { opsRoutes } from './ops/ops-routes.ts';
import type { HubDb } from './storage/hub-db.ts';
import { uiRoutes } from './ui/ui-routes.ts';

export interface HubServices {
  config: HubConfig;
  logger: Logger;
  db: HubDb;
  metrics: Registry;
  auth: AuthServices;
  events: EventLog;
  core: HubCore;
  now: () => number;
  /** Set once the hub broker is listening; /ready answers 503 until then. */
  ready: () => boolean;
  /** The hub broker's bound port (what a claiming gateway is told). */
  brokerPort: () => number;
  /** Ends the org's gateway's broker connection (its credentials were revoked); another org's gateway is never touched. */
  disconnectGateway: (orgId: string, gatewayId: string) => void;
}

/** What every route plugin receives. */
export interface RouteDeps {
  services: HubServices;
  guard: Guard;
}

export const BODY_LIMIT = 64 * 1024;

export async function buildHubApp(services: HubServices, extraRoutes: Array<(app: FastifyInstance, deps: RouteDeps) => Promise<void>> = []): Promise<FastifyInstance> {
  const app = Fastify({
    // Request lines without secrets: /ws takes its token in the query string (browsers cannot set headers there).
    loggerInstance: services.logger.child({}, { serializers: { req: requestLine } }) as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // A caller's x-request-id is kept; otherwise Fastify's own per-process counter (cheap, and log
    // lines carry pid and time besides).
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.decorateRequest('auth', null);
  // Set as the request arrives (a callback hook: no promise per request), so errors carry it too.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const statusCode = err instanceof HubError ? err.statusCode : err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err }, 'request failed');
    const code = err instanceof HubError ? err.code : err.validation ? 'E_BAD_REQUEST' : statusCode === 429 ? 'E_RATE_LIMITED' : (err.code ?? 'E_INTERNAL');
    const message = statusCode >= 500 && !(err instanceof HubError) ? 'internal error' : err.message;
    void reply.status(statusCode).send({ statusCode, code, error: httpReason(statusCode), message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ statusCode: 404, code: 'E_NOT_FOUND', error: 'Not Found', message: `${request.method} ${request.url.split('?')[0]} not found` });
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...tileOrigin(services.config.mapTileUrl)],
        connectSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        // The hub is usually reached over plain http on a LAN name (no internet, no certificates):
        // upgrading its requests to https would break every page load there.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (services.config.corsOrigins.length > 0) await app.register(cors, { origin: services.config.corsOrigins, credentials: false });
  // Only routes that ask for it (login, refresh, claim) are limited.
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'UNIBOS hub API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'access token (JWT) or API key' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const deps: RouteDeps = { services, guard: createGuard(services.auth) };
  for (const routes of [opsRoutes, authRoutes, eventRoutes, fleetRoutes, recordRoutes, messageRoutes, alertRoutes, ...extraRoutes, uiRoutes]) {
    await app.register(async (scope) => routes(scope, deps));
  }
  return app;
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
