// Messenger message routes: send into a conversation (409 E_DEVICES_CHANGED when the recipient
// devices are not exactly the members' current ones), a device's inbox and its ack, a
// conversation's history for one device, and presence.

import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, errorSchema, page, pageQuery } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import type { MessageRelay, SendInput } from './message-relay.ts';
import { deliverySchema, devicesChangedSchema, sendBody, sentSchema, uuid } from './messenger-schemas.ts';

export interface MessageRelayRoutesOptions {
  relay: MessageRelay;
  guard: Guard;
  /** Request body limit of a send (every envelope of a large group together). */
  sendBodyLimit: number;
}

export const messageRelayRoutes: FastifyPluginAsync<MessageRelayRoutesOptions> = async (app, { relay, guard, sendBodyLimit }) => {
  const security = [{ bearer: [] }];
  const tags = ['messenger'];
  const seq = { type: 'integer', minimum: 0 } as const;

  app.post<{ Params: { id: string }; Body: SendInput }>('/api/v1/messenger/conversations/:id/messages', {
    // Checked as the request arrives: nobody unauthenticated gets the hub to read and parse megabytes first.
    onRequest: guard('send'),
    bodyLimit: sendBodyLimit,
    schema: {
      tags, security,
      summary: 'Send ciphertext to every current device of every member (a resend with the same clientId returns the first message, 200)',
      params: { type: 'object', required: ['id'], properties: { id: uuid } },
      body: sendBody,
      response: { 200: sentSchema, 201: sentSchema, 202: sentSchema, ...errorResponses, 409: devicesChangedSchema, 413: errorSchema },
    },
  }, async (req, reply) => {
    const result = relay.send(req.auth!.orgId, req.auth!.userId, req.params.id, req.body);
    if (!result.ok) {
      return reply.code(409).send({
        statusCode: 409,
        code: 'E_DEVICES_CHANGED',
        error: 'Conflict',
        message: `the conversation's devices changed: ${result.missing.length} missing, ${result.extra.length} not (or no longer) a member's; fetch the conversation and encrypt again`,
        missing: result.missing,
        extra: result.extra,
      });
    }
    const m = result.message;
    const status = result.duplicate ? 200 : m.kind === 'typing' ? 202 : 201;
    return reply.code(status).send({ id: m.id, clientId: m.clientId, kind: m.kind, sentAt: m.sentAt, expiresAt: m.expiresAt, duplicate: result.duplicate });
  });

  app.get<{ Querystring: { device: string; after: number; limit: number } }>('/api/v1/messenger/inbox', {
    preHandler: guard('read'),
    schema: {
      tags, security,
      summary: 'What is waiting for one of the caller\u2019s devices, oldest first, after `after` (a seq); acknowledge with POST /inbox/ack',
      querystring: { type: 'object', additionalProperties: false, required: ['device'], properties: { device: uuid, after: { ...seq, default: 0 }, limit: pageQuery.limit } },
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: deliverySchema } } }, ...errorResponses },
    },
  }, async (req) => ({ items: relay.inbox(req.auth!.orgId, req.auth!.userId, req.query.device, req.query.after, req.query.limit) }));

  app.post<{ Body: { device: string; upTo: number } }>('/api/v1/messenger/inbox/ack', {
    preHandler: guard('read'),
    schema: {
      tags, security,
      summary: 'The device has everything up to `upTo` (a seq): those rows leave its inbox',
      body: { type: 'object', additionalProperties: false, required: ['device', 'upTo'], properties: { device: uuid, upTo: seq } },
      response: { 200: { type: 'object', properties: { acknowledged: { type: 'integer' } } }, ...errorResponses },
    },
  }, async (req) => ({ acknowledged: relay.ack(req.auth!.orgId, req.auth!.userId, req.body.device, req.body.upTo) }));

  app.get<{ Params: { id: string }; Querystring: { device?: string; limit: number; cursor?: string } }>('/api/v1/messenger/conversations/:id/messages', {
    preHandler: guard('read'),
    schema: {
      tags, security,
      summary: 'A conversation\u2019s messages addressed to one of the caller\u2019s devices (delivered or not), newest first',
      params: { type: 'object', required: ['id'], properties: { id: uuid } },
      // `device` is checked by the relay after the conversation, so another org's id answers 404 first.
      querystring: { type: 'object', additionalProperties: false, properties: { device: uuid, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      response: { 200: page(deliverySchema), ...errorResponses },
    },
  }, async (req) => relay.history(req.auth!.orgId, req.auth!.userId, req.params.id, req.query.device, req.query.limit, req.query.cursor ? Number(req.query.cursor) : undefined));

  app.post<{ Body: { device: string; status: 'online' | 'offline' } }>('/api/v1/messenger/presence', {
    preHandler: guard('read'),
    schema: {
      tags, security,
      summary: 'Say one of the caller\u2019s devices is online or away; told live to the people the caller shares a conversation with',
      body: { type: 'object', additionalProperties: false, required: ['device', 'status'], properties: { device: uuid, status: { type: 'string', enum: ['online', 'offline'] } } },
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (req, reply) => {
    relay.presence(req.auth!.orgId, req.auth!.userId, req.body.device, req.body.status);
    return reply.code(204).send();
  });
};
