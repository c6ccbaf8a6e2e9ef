// Downlink routes: a text or alert to one node or to everyone, and the messages' delivery state.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ALERT_LEVELS, MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { errorResponses, errorSchema, messageSchema, page, pageQuery } from '../api/schemas.ts';
import { NODE_ID_PARAM, nodeIdParam } from '../api/node-id-param.ts';
import type { Guard } from '../auth/guard.ts';
import { notFound } from '../hub-error.ts';
import { BROADCAST_TARGET, type Downlink, type DownlinkBody } from './downlink.ts';
import type { MessageStore } from './message-store.ts';

/**
 * The alert levels the hub and its modules send into the mesh: every level but SOS, which is a
 * person's call for help (a node shows an SOS from the hub as the gateway calling for help).
 */
export const HUB_ALERT_LEVELS = ALERT_LEVELS.filter((l) => l !== 'UNSPECIFIED' && l !== 'SOS');

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['text'] }, { required: ['alert'] }],
  properties: {
    text: { type: 'string', minLength: 1, maxLength: MESH_TEXT_MAX_BYTES, description: `at most ${MESH_TEXT_MAX_BYTES} bytes in UTF-8 (one radio frame)` },
    alert: {
      type: 'object',
      required: ['level', 'text'],
      additionalProperties: false,
      properties: { level: { type: 'string', enum: HUB_ALERT_LEVELS, description: 'not SOS: an SOS is a person calling for help, and nodes show it as a call from the gateway' }, text: { type: 'string', maxLength: MESH_ALERT_TEXT_MAX_BYTES, description: `at most ${MESH_ALERT_TEXT_MAX_BYTES} bytes in UTF-8` }, magnitude: { type: 'number', minimum: 0, maximum: 12 } },
    },
  },
} as const;

export interface MessageRoutesOptions {
  downlink: Downlink;
  messages: MessageStore;
  guard: Guard;
}

export const messageRoutes: FastifyPluginAsync<MessageRoutesOptions> = async (app, { downlink, messages, guard }) => {
  const security = [{ bearer: [] }];
  const who = (auth: NonNullable<FastifyRequest['auth']>): string => (auth.kind === 'apiKey' ? `apiKey:${auth.apiKeyId}` : `user:${auth.userId}`);
  const sendResponse = { 202: messageSchema, 503: errorSchema, ...errorResponses };

  app.post<{ Params: { id: string }; Body: DownlinkBody }>('/api/v1/nodes/:id/messages', {
    preHandler: guard('send'),
    schema: { tags: ['messages'], summary: 'Send a text or alert to one node through the gateway that heard it last', security, params: { type: 'object', required: ['id'], properties: { id: NODE_ID_PARAM } }, body: bodySchema, response: sendResponse },
  }, async (req, reply) => reply.status(202).send(downlink.send(req.auth!.orgId, nodeIdParam(req.params.id), req.body, who(req.auth!))));

  app.post<{ Body: DownlinkBody }>('/api/v1/messages', {
    preHandler: guard('send'),
    schema: { tags: ['messages'], summary: 'Broadcast a text or alert through every online gateway', security, body: bodySchema, response: sendResponse },
  }, async (req, reply) => reply.status(202).send(downlink.send(req.auth!.orgId, BROADCAST_TARGET, req.body, who(req.auth!))));

  app.get<{ Querystring: { node?: string; limit: number; cursor?: string } }>('/api/v1/messages', {
    preHandler: guard('read'),
    schema: { tags: ['messages'], summary: 'Sent messages, newest first', security, querystring: { type: 'object', additionalProperties: false, properties: { node: { type: 'string', pattern: '^(!?[0-9a-fA-F]{8}|broadcast)$' }, ...pageQuery } }, response: { 200: page(messageSchema), ...errorResponses } },
  }, async (req) => {
    const q = req.query;
    const to = q.node === undefined ? undefined : q.node === BROADCAST_TARGET ? BROADCAST_TARGET : nodeIdParam(q.node);
    const items = messages.list(req.auth!.orgId, { limit: q.limit, ...(to ? { to } : {}), ...(q.cursor ? { before: q.cursor } : {}) });
    return { items, nextCursor: items.length === q.limit ? items[items.length - 1]!.id : null };
  });

  app.get<{ Params: { id: string } }>('/api/v1/messages/:id', {
    preHandler: guard('read'),
    schema: { tags: ['messages'], summary: 'One message and its delivery state', security, params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, response: { 200: messageSchema, ...errorResponses } },
  }, async (req) => {
    const m = messages.get(req.auth!.orgId, req.params.id);
    if (!m) throw notFound('message');
    return m;
  });
};
