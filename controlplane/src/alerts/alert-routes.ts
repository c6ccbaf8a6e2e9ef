// SOS and alert handling: list, acknowledge (with an optional short note), resolve. Each change
// goes out on the event stream and, for an SOS, back over the mesh to the node that raised it.

import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { alertSchema, errorResponses, page, pageQuery } from '../api/schemas.ts';
import { HubError, notFound } from '../hub-error.ts';
import type { AlertState } from './alert-store.ts';

export async function alertRoutes(app: FastifyInstance, { services, guard }: RouteDeps): Promise<void> {
  const { alerts, fleet } = services.core;
  const security = [{ bearer: [] }];
  const withName = (orgId: string, a: NonNullable<ReturnType<typeof alerts.get>>) => ({ ...a, nodeName: fleet.get(orgId, a.nodeId)?.name ?? null });
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;

  app.get<{ Querystring: { state?: AlertState; limit: number; cursor?: string } }>('/api/v1/alerts', {
    preHandler: guard('read'),
    schema: { tags: ['alerts'], summary: 'SOS and alerts heard from the mesh, newest first', security, querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] }, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } }, response: { 200: page(alertSchema), ...errorResponses } },
  }, async (req) => {
    const q = req.query;
    const orgId = req.auth!.orgId;
    const items = alerts.list(orgId, { limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.cursor ? { before: Number(q.cursor) } : {}) }).map((a) => withName(orgId, a));
    return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.id) : null };
  });

  // The note stays at the hub; only the name travels to the node (frames are small).
  const noteBody = { type: ['object', 'null'], additionalProperties: false, properties: { note: { type: 'string', maxLength: 200 } } } as const;
  for (const action of ['acknowledge', 'resolve'] as const) {
    app.post<{ Params: { id: number }; Body: { note?: string } | null }>(`/api/v1/alerts/:id/${action}`, {
      preHandler: guard('alerts'),
      schema: { tags: ['alerts'], summary: action === 'acknowledge' ? 'Acknowledge an open alert (optional body: {"note": "..."}); an SOS node is told who saw it' : 'Resolve an alert; an SOS node is told', security, params: idParams, ...(action === 'acknowledge' ? { body: noteBody } : {}), response: { 200: alertSchema, ...errorResponses } },
    }, async (req) => {
      const orgId = req.auth!.orgId;
      const before = alerts.get(orgId, req.params.id);
      if (!before) throw notFound('alert');
      const auth = req.auth!;
      const by = auth.kind === 'apiKey' ? `apiKey:${auth.apiKeyId}` : `user:${auth.userId}`;
      const user = services.auth.accounts.userView(auth.userId);
      const name = auth.kind === 'apiKey' ? `API key${user ? ` of ${user.name || user.email}` : ''}` : user ? user.name || user.email : null;
      const note = req.body?.note?.trim() || null;
      const changed = action === 'acknowledge' ? alerts.acknowledge(orgId, before.id, by, services.now(), { name, note }) : alerts.resolve(orgId, before.id, by, services.now(), { name });
      if (!changed) throw new HubError('E_CONFLICT', `alert is ${before.state}; it cannot be ${action === 'acknowledge' ? 'acknowledged' : 'resolved'}`);
      const after = withName(orgId, alerts.get(orgId, before.id)!);
      services.events.append({ orgId, topic: 'alerts', type: action === 'acknowledge' ? 'alert.acknowledged' : 'alert.resolved', data: after });
      services.core.downlink.sosStage(orgId, after);
      return after;
    });
  }
}
