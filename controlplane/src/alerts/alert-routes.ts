// SOS and alert routes: list, acknowledge (with an optional short note), resolve. The lifecycle
// (alert-lifecycle.ts) raises the event and tells an SOS node; the routes say who acted.

import type { FastifyPluginAsync } from 'fastify';
import { alertSchema, errorResponses, page, pageQuery } from '../api/schemas.ts';
import type { AuthContext } from '../auth/auth-context.ts';
import type { AuthServices } from '../auth/auth-services.ts';
import type { Guard } from '../auth/guard.ts';
import type { AlertActor, AlertLifecycle } from './alert-lifecycle.ts';
import type { AlertState } from './alert-store.ts';

export interface AlertRoutesOptions {
  alerts: AlertLifecycle;
  guard: Guard;
  /** Who acted, by name (what people and the node are shown). */
  userView: AuthServices['userView'];
}

export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, { alerts, guard, userView }) => {
  const security = [{ bearer: [] }];
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
  const actor = (auth: AuthContext): AlertActor => {
    const user = userView(auth.userId);
    if (auth.kind === 'apiKey') return { by: `apiKey:${auth.apiKeyId}`, name: `API key${user ? ` of ${user.name || user.email}` : ''}` };
    return { by: `user:${auth.userId}`, name: user ? user.name || user.email : null };
  };

  app.get<{ Querystring: { state?: AlertState; limit: number; cursor?: string } }>('/api/v1/alerts', {
    preHandler: guard('read'),
    schema: { tags: ['alerts'], summary: 'SOS and alerts heard from the mesh, newest first', security, querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] }, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } }, response: { 200: page(alertSchema), ...errorResponses } },
  }, async (req) => {
    const q = req.query;
    const items = alerts.list(req.auth!.orgId, { limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.cursor ? { before: Number(q.cursor) } : {}) });
    return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.id) : null };
  });

  // The note stays at the hub; only the name travels to the node (frames are small).
  const noteBody = { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 200 } } } as const;

  app.post<{ Params: { id: number }; Body: { note?: string } | null }>('/api/v1/alerts/:id/acknowledge', {
    preHandler: guard('alerts'),
    schema: { tags: ['alerts'], summary: 'Acknowledge an open alert (optional body: {"note": "..."}); an SOS node is told who saw it', security, params: idParams, body: noteBody, response: { 200: alertSchema, ...errorResponses } },
  }, async (req) => alerts.acknowledge(req.auth!.orgId, req.params.id, actor(req.auth!), req.body?.note?.trim() || null));

  app.post<{ Params: { id: number } }>('/api/v1/alerts/:id/resolve', {
    preHandler: guard('alerts'),
    schema: { tags: ['alerts'], summary: 'Resolve an alert; an SOS node is told', security, params: idParams, response: { 200: alertSchema, ...errorResponses } },
  }, async (req) => alerts.resolve(req.auth!.orgId, req.params.id, actor(req.auth!)));
};
