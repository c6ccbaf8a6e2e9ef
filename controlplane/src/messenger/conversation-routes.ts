// Messenger conversation routes: create (direct, group, channel), list and read the caller's,
// change name and description, add and remove members, change roles, leave, mute.

import type { FastifyPluginAsync } from 'fastify';
import { NAME_MAX_100, errorResponses, errorSchema, page, pageQuery } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import type { MemberRole, MessengerConversations, NewConversation } from './messenger-conversations.ts';
import { conversationSchema, userIdSchema, uuid } from './messenger-schemas.ts';

export interface ConversationRoutesOptions {
  conversations: MessengerConversations;
  guard: Guard;
}

export const conversationRoutes: FastifyPluginAsync<ConversationRoutesOptions> = async (app, { conversations, guard }) => {
  const security = [{ bearer: [] }];
  const tags = ['messenger'];
  const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
  const memberParams = { type: 'object', required: ['id', 'userId'], properties: { id: uuid, userId: userIdSchema } } as const;
  const reply200 = { 200: conversationSchema, ...errorResponses, 409: errorSchema } as const;
  const name = NAME_MAX_100;
  const description = { type: ['string', 'null'], maxLength: 1000 } as const;

  app.post<{ Body: NewConversation }>('/api/v1/messenger/conversations', {
    preHandler: guard('send'),
    schema: {
      tags, security,
      summary: 'Start a conversation: direct (with one user; the existing one is returned, 200) or a group or channel the caller owns',
      body: {
        oneOf: [
          { type: 'object', additionalProperties: false, required: ['kind', 'userId'], properties: { kind: { const: 'direct' }, userId: userIdSchema } },
          { type: 'object', additionalProperties: false, required: ['kind', 'name'], properties: { kind: { enum: ['group', 'channel'] }, name, description: { type: 'string', maxLength: 1000 }, members: { type: 'array', maxItems: 256, items: userIdSchema } } },
        ],
      },
      response: { 201: conversationSchema, ...reply200 },
    },
  }, async (req, reply) => {
    const { conversation, created } = conversations.create(req.auth!.orgId, req.auth!.userId, req.body);
    return reply.code(created ? 201 : 200).send(conversation);
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>('/api/v1/messenger/conversations', {
    preHandler: guard('read'),
    schema: { tags, security, summary: 'The caller\u2019s conversations, newest first', querystring: { type: 'object', additionalProperties: false, properties: { ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } }, response: { 200: page(conversationSchema), ...errorResponses } },
  }, async (req) => conversations.list(req.auth!.orgId, req.auth!.userId, req.query.limit, req.query.cursor ? Number(req.query.cursor) : undefined));

  app.get<{ Params: { id: string } }>('/api/v1/messenger/conversations/:id', {
    preHandler: guard('read'),
    schema: { tags, security, params: idParams, summary: 'One conversation of the caller\u2019s: members, epoch, and every device a message must be addressed to', response: { 200: conversationSchema, ...errorResponses } },
  }, async (req) => conversations.get(req.auth!.orgId, req.auth!.userId, req.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string | null } }>('/api/v1/messenger/conversations/:id', {
    preHandler: guard('send'),
    schema: { tags, security, params: idParams, summary: 'Rename a group or channel or change its description (owner and admins)', body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, description } }, response: reply200 },
  }, async (req) => conversations.updateDetails(req.auth!.orgId, req.auth!.userId, req.params.id, req.body));

  app.post<{ Params: { id: string }; Body: { userIds: string[] } }>('/api/v1/messenger/conversations/:id/members', {
    preHandler: guard('send'),
    schema: { tags, security, params: idParams, summary: 'Add members (owner and admins); a new epoch', body: { type: 'object', additionalProperties: false, required: ['userIds'], properties: { userIds: { type: 'array', minItems: 1, maxItems: 256, items: userIdSchema } } }, response: reply200 },
  }, async (req) => conversations.addMembers(req.auth!.orgId, req.auth!.userId, req.params.id, req.body.userIds));

  app.delete<{ Params: { id: string; userId: string } }>('/api/v1/messenger/conversations/:id/members/:userId', {
    preHandler: guard('send'),
    schema: { tags, security, params: memberParams, summary: 'Remove a member (admins remove members, the owner removes admins; oneself: leave); a new epoch', response: reply200 },
  }, async (req) => conversations.removeMember(req.auth!.orgId, req.auth!.userId, req.params.id, req.params.userId));

  app.patch<{ Params: { id: string; userId: string }; Body: { role: MemberRole } }>('/api/v1/messenger/conversations/:id/members/:userId', {
    preHandler: guard('send'),
    schema: { tags, security, params: memberParams, summary: 'Change a member\u2019s role (owner only; making someone owner hands ownership over)', body: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: { type: 'string', enum: ['owner', 'admin', 'member'] } } }, response: reply200 },
  }, async (req) => conversations.setRole(req.auth!.orgId, req.auth!.userId, req.params.id, req.params.userId, req.body.role));

  app.post<{ Params: { id: string } }>('/api/v1/messenger/conversations/:id/leave', {
    preHandler: guard('send'),
    schema: { tags, security, params: idParams, summary: 'Leave a group or channel (an owner\u2019s seat passes to an admin, else a member); a new epoch', response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (req, reply) => {
    conversations.leave(req.auth!.orgId, req.auth!.userId, req.params.id);
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string }; Body: { muted: boolean } }>('/api/v1/messenger/conversations/:id/mute', {
    preHandler: guard('read'),
    schema: { tags, security, params: idParams, summary: 'Mute or unmute a conversation for the caller (their clients stay quiet; delivery goes on)', body: { type: 'object', additionalProperties: false, required: ['muted'], properties: { muted: { type: 'boolean' } } }, response: reply200 },
  }, async (req) => conversations.setMuted(req.auth!.orgId, req.auth!.userId, req.params.id, req.body.muted));
};
