// Mesh conversation routes: a node's identity key (to seal for it), send a sealed direct message
// to a node through the gateway that heard it last, and one device's history with a node (outgoing
// messages with how far they got: queued at the hub, sent to the gateway, acknowledged by the node).

import type { FastifyPluginAsync } from 'fastify';
import { NODE_ID_PARAM, nodeIdParam } from '../api/node-id-param.ts';
import { errorResponses, errorSchema, pageQuery } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import { deliverySchema, uuid } from './messenger-schemas.ts';
import { MESH_DIRECT_MAX_BYTES } from '@unibos/mesh-protocol';
import type { MeshConversations } from './mesh-conversations.ts';

export interface MeshRoutesOptions {
  mesh: MeshConversations;
  guard: Guard;
}

export const meshRoutes: FastifyPluginAsync<MeshRoutesOptions> = async (app, { mesh, guard }) => {
  const security = [{ bearer: [] }];
  const tags = ['messenger'];
  const params = { type: 'object', required: ['nodeId'], properties: { nodeId: NODE_ID_PARAM } } as const;
  const status = { type: 'string', enum: ['queued', 'sent', 'delivered', 'failed'] } as const;

  app.get('/api/v1/messenger/mesh', {
    preHandler: guard('read'),
    schema: {
      tags, security,
      summary: 'The caller\u2019s conversations with mesh nodes (one per node), newest first',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, kind: { type: 'string' }, nodeId: { type: 'string' }, name: { type: ['string', 'null'] }, createdAt: { type: 'string' } } } } } }, ...errorResponses },
    },
  }, async (req) => ({ items: mesh.list(req.auth!.orgId, req.auth!.userId) }));

  app.get<{ Params: { nodeId: string } }>('/api/v1/messenger/mesh/:nodeId/key', {
    preHandler: guard('read'),
    schema: {
      tags, security, params,
      summary: 'The node\u2019s X25519 identity key as the hub knows it (from its claim, else its NodeInfo; it always hashes to the node id)',
      response: { 200: { type: 'object', properties: { nodeId: { type: 'string' }, publicKey: { type: 'string' }, source: { type: 'string', enum: ['claim', 'nodeinfo'] } } }, ...errorResponses },
    },
  }, async (req) => mesh.nodeKey(req.auth!.orgId, nodeIdParam(req.params.nodeId)));

  app.post<{ Params: { nodeId: string }; Body: { senderDevice: string; sealed: string; clientId?: string } }>('/api/v1/messenger/mesh/:nodeId/messages', {
    preHandler: guard('send'),
    schema: {
      tags, security, params,
      summary: 'Send a sealed mesh direct message to a node through the gateway that heard it last (queued at the hub while that gateway is away)',
      body: {
        type: 'object', additionalProperties: false, required: ['senderDevice', 'sealed'],
        properties: { senderDevice: uuid, sealed: { type: 'string', minLength: 2, maxLength: Math.ceil((MESH_DIRECT_MAX_BYTES * 4) / 3) }, clientId: { type: 'string', minLength: 1, maxLength: 64 } },
      },
      response: {
        200: { type: 'object', properties: { id: { type: 'string' }, conversationId: { type: 'string' }, nodeId: { type: 'string' }, sentAt: { type: 'string' }, status, duplicate: { type: 'boolean' } } },
        201: { type: 'object', properties: { id: { type: 'string' }, conversationId: { type: 'string' }, nodeId: { type: 'string' }, sentAt: { type: 'string' }, status, duplicate: { type: 'boolean' } } },
        ...errorResponses, 409: errorSchema, 503: errorSchema,
      },
    },
  }, async (req, reply) => {
    const sent = mesh.send(req.auth!.orgId, req.auth!.userId, nodeIdParam(req.params.nodeId), req.body);
    return reply.code(sent.duplicate ? 200 : 201).send(sent);
  });

  app.get<{ Params: { nodeId: string }; Querystring: { device: string; limit: number; cursor?: string } }>('/api/v1/messenger/mesh/:nodeId/messages', {
    preHandler: guard('read'),
    schema: {
      tags, security, params,
      summary: 'One of the caller\u2019s devices\u2019 messages with a node, newest first; outgoing ones with their delivery state',
      querystring: { type: 'object', additionalProperties: false, required: ['device'], properties: { device: uuid, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            conversationId: { type: ['string', 'null'] },
            items: { type: 'array', items: { ...deliverySchema, properties: { ...deliverySchema.properties, status, error: { type: ['string', 'null'] } } } },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        ...errorResponses,
      },
    },
  }, async (req) => mesh.history(req.auth!.orgId, req.auth!.userId, nodeIdParam(req.params.nodeId), req.query.device, req.query.limit, req.query.cursor ? Number(req.query.cursor) : undefined));
};
