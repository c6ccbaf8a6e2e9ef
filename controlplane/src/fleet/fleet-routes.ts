// Fleet routes: claim tokens and device claims, node heartbeats, and the node registry.

import type { FastifyPluginAsync } from 'fastify';
import { nodeIdHex, parseNodeId, type ClaimProof } from '@unibos/mesh-protocol';
import { NAME_MAX_64, nodeSchema, page, pageQuery, errorResponses } from '../api/schemas.ts';
import { NODE_ID_PARAM, nodeIdParam } from '../api/node-id-param.ts';
import { requestAddressKey } from '../auth/address-failures.ts';
import type { Guard } from '../auth/guard.ts';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { HubConfig } from '../hub-config.ts';
import { HubError, notFound } from '../hub-error.ts';
import type { ClaimRefusal, DeviceCredentials } from './device-credentials.ts';
import type { Fleet } from './fleet.ts';
import type { DeviceKind } from './fleet-store.ts';

const claimLimit = { rateLimit: { max: 20, timeWindow: '1 minute', keyGenerator: requestAddressKey } };
const idParams = { type: 'object', required: ['id'], properties: { id: NODE_ID_PARAM } } as const;

export interface FleetRoutesOptions {
  fleet: Fleet;
  gateways: GatewayLink;
  guard: Guard;
  config: Pick<HubConfig, 'mqttHost' | 'mqttPort' | 'mqttPublicUrl'>;
  now: () => number;
}

export const fleetRoutes: FastifyPluginAsync<FleetRoutesOptions> = async (app, { fleet: feature, gateways, guard, config, now }) => {
  const { store: fleet, credentials } = feature;
  const security = [{ bearer: [] }];

  app.post<{ Body: { kind: 'gateway' | 'node'; name?: string; ttlS?: number } }>('/api/v1/claim-tokens', {
    preHandler: guard('fleet'),
    schema: {
      tags: ['fleet'],
      summary: 'Create a one-time claim token for a gateway or node',
      security,
      body: {
        type: 'object',
        required: ['kind'],
        additionalProperties: false,
        properties: { kind: { type: 'string', enum: ['gateway', 'node'] }, name: NAME_MAX_64, ttlS: { type: 'integer', minimum: 60, maximum: 30 * 86_400, default: 86_400 } },
      },
      response: { 201: { type: 'object', properties: { token: { type: 'string' }, kind: { type: 'string' }, expiresAt: { type: 'string' } } }, ...errorResponses },
    },
  }, async (req, reply) => {
    const t = credentials.createClaimToken(req.auth!.orgId, req.body.kind, req.body.name ?? null, (req.body.ttlS ?? 86_400) * 1000, now());
    return reply.status(201).send({ token: t.token, kind: t.kind, expiresAt: new Date(t.expiresMs).toISOString() });
  });

  app.post('/api/v1/devices/claim/challenge', {
    config: claimLimit,
    schema: {
      tags: ['fleet'],
      summary: 'A device about to claim asks for a single-use challenge (good for 5 minutes)',
      response: { 201: { type: 'object', properties: { nonce: { type: 'string' }, hubPublicKey: { type: 'string' } } }, ...errorResponses },
    },
  }, async (req, reply) => {
    const challenge = credentials.issueChallenge(now(), requestAddressKey(req));
    if (challenge === 'holder_full') throw new HubError('E_RATE_LIMITED', 'too many claims in progress from this address; finish them or wait until they expire (5 minutes)');
    if (challenge === 'hub_full') throw new HubError('E_UNAVAILABLE', 'too many claims in progress; try again in a few minutes');
    return reply.status(201).send(challenge);
  });

  app.post<{ Body: { token: string; deviceId: string; kind?: DeviceKind; name?: string; capabilities?: Record<string, unknown>; proof?: ClaimProof } }>('/api/v1/devices/claim', {
    config: claimLimit,
    schema: {
      tags: ['fleet'],
      summary: 'A device trades a claim token and a proof of holding its identity keys for its credentials',
      body: {
        type: 'object',
        required: ['token', 'deviceId'],
        additionalProperties: false,
        properties: {
          token: { type: 'string', minLength: 10, maxLength: 200 },
          deviceId: { type: 'string', pattern: '^!?[0-9a-fA-F]{8}$' },
          // What the device is; a token made for the other kind is then refused, not spent. Optional: older devices do not say.
          kind: { type: 'string', enum: ['gateway', 'node'] },
          name: NAME_MAX_64,
          capabilities: capabilitiesSchema,
          // Optional here so that a device without it gets E_PROOF_REQUIRED (counted), not a schema error.
          proof: {
            type: 'object',
            required: ['nonce', 'x25519PublicKey', 'ed25519PublicKey', 'signature', 'mac'],
            additionalProperties: false,
            properties: { nonce: b64(64), x25519PublicKey: b64(64), ed25519PublicKey: b64(64), signature: b64(100), mac: b64(64) },
          },
        },
      },
    },
  }, async (req, reply) => {
    const id = nodeIdParam(req.body.deviceId);
    const hex = nodeIdHex(parseNodeId(id)!);
    const claimed = credentials.claim(req.body.token, hex, req.body.proof, now(), req.body.kind);
    if ('refused' in claimed) {
      req.log.warn({ deviceId: id, reason: claimed.refused }, 'device claim refused');
      throw claimRefusal(claimed.refused, req.body.kind);
    }
    const { orgId, kind, secret } = claimed;
    fleet.ensure(orgId, id, kind, now());
    fleet.markClaimed(orgId, id, kind);
    const name = req.body.name ?? claimed.name;
    if (name) fleet.rename(orgId, id, name);
    if (req.body.capabilities) fleet.setCapabilities(orgId, id, req.body.capabilities);
    feature.announce(orgId, id, 'node.claimed');
    if (kind === 'gateway') {
      // A claim again replaces the secret: a session on the old one ends.
      gateways.disconnect(orgId, id);
      const url = config.mqttPublicUrl ?? `mqtt://${brokerHost(config.mqttHost, req.hostname)}:${gateways.port ?? config.mqttPort}`;
      return reply.status(201).send({ deviceId: id, kind, mqtt: { url, username: hex, password: secret } });
    }
    return reply.status(201).send({ deviceId: id, kind, deviceToken: `ubd_${hex}_${secret}` });
  });

  app.post<{ Body: { battery?: number; voltage?: number; uptimeS?: number; position?: { latitude: number; longitude: number; altitudeM?: number }; capabilities?: Record<string, unknown> } }>('/api/v1/devices/heartbeat', {
    // Devices call this, not browsers: the browser security headers would only cost every beat.
    helmet: false,
    schema: {
      tags: ['fleet'],
      summary: 'A claimed node reports that it is alive (Authorization: Bearer <deviceToken>)',
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          battery: { type: 'number', minimum: 0, maximum: 101 },
          voltage: { type: 'number', minimum: 0, maximum: 100 },
          uptimeS: { type: 'integer', minimum: 0 },
          position: {
            type: 'object',
            required: ['latitude', 'longitude'],
            additionalProperties: false,
            properties: { latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 }, altitudeM: { type: 'number' } },
          },
          capabilities: capabilitiesSchema,
        },
      },
    },
  }, async (req, reply) => {
    const device = deviceFromToken(req.headers.authorization, credentials);
    const id = nodeIdParam(device.id);
    const b = req.body ?? {};
    // The body is already validated against the schema: its fields go in as they are.
    const { cameOnline } = fleet.heartbeat({ orgId: device.orgId, nodeId: id, kind: device.kind, timeMs: now(), battery: b.battery, voltage: b.voltage, position: b.position, capabilities: b.capabilities });
    if (cameOnline) feature.announce(device.orgId, id, 'node.online');
    return reply.status(204).send();
  });

  app.get<{ Querystring: { status?: 'online' | 'offline'; kind?: 'node' | 'gateway'; claimed?: boolean; limit: number; cursor?: string } }>('/api/v1/nodes', {
    preHandler: guard('read'),
    schema: {
      tags: ['fleet'],
      summary: 'List the org\u2019s nodes and gateways: claimed ones and those its gateways only heard (claimed: false)',
      security,
      querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: ['online', 'offline'] }, kind: { type: 'string', enum: ['node', 'gateway'] }, claimed: { type: 'boolean' }, ...pageQuery } },
      response: { 200: page(nodeSchema), ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const items = fleet.list(req.auth!.orgId, { limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.claimed !== undefined ? { claimed: q.claimed } : {}), ...(q.cursor ? { after: q.cursor } : {}) });
    return { items, nextCursor: items.length === q.limit ? items[items.length - 1]!.id : null };
  });

  app.get<{ Params: { id: string } }>('/api/v1/nodes/:id', {
    preHandler: guard('read'),
    schema: { tags: ['fleet'], summary: 'One node', security, params: idParams, response: { 200: nodeSchema, ...errorResponses } },
  }, async (req) => {
    const node = fleet.get(req.auth!.orgId, nodeIdParam(req.params.id));
    if (!node) throw notFound('node');
    return node;
  });

  app.patch<{ Params: { id: string }; Body: { name: string | null } }>('/api/v1/nodes/:id', {
    preHandler: guard('fleet'),
    schema: {
      tags: ['fleet'],
      summary: 'Rename a node',
      security,
      params: idParams,
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { ...NAME_MAX_64, type: ['string', 'null'] } } },
      response: { 200: nodeSchema, ...errorResponses },
    },
  }, async (req) => {
    const orgId = req.auth!.orgId;
    const id = nodeIdParam(req.params.id);
    if (!fleet.get(orgId, id)) throw notFound('node');
    fleet.rename(orgId, id, req.body.name);
    feature.announce(orgId, id, 'node.updated');
    return fleet.get(orgId, id);
  });

  app.delete<{ Params: { id: string } }>('/api/v1/nodes/:id', {
    preHandler: guard('fleet'),
    schema: { tags: ['fleet'], summary: 'Remove a node and revoke its credentials', security, params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (req, reply) => {
    const orgId = req.auth!.orgId;
    const id = nodeIdParam(req.params.id);
    if (!fleet.remove(orgId, id)) throw notFound('node');
    credentials.revoke(orgId, nodeIdHex(parseNodeId(id)!));
    gateways.disconnect(orgId, id);
    return reply.status(204).send();
  });
};

const capabilitiesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { radio: { type: 'boolean' }, gps: { type: 'boolean' }, camera: { type: 'boolean' }, modules: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } } },
} as const;

const b64 = (maxLength: number) => ({ type: 'string', maxLength, pattern: '^[A-Za-z0-9_-]+$' }) as const;

function claimRefusal(reason: ClaimRefusal, expectedKind: DeviceKind | undefined): HubError {
  switch (reason) {
    case 'no_proof':
      return new HubError('E_PROOF_REQUIRED', 'a claim must prove the device holds its identity keys: ask POST /api/v1/devices/claim/challenge and answer it with the device (unibos gateway claim / unibos node claim)');
    case 'bad_challenge':
      return new HubError('E_CHALLENGE_INVALID', 'the challenge is unknown, used or expired; ask for a new one');
    case 'bad_proof':
      return new HubError('E_PROOF_INVALID', 'the proof does not show possession of the keys behind this device id');
    case 'bad_token':
      return new HubError('E_AUTH_INVALID', 'claim token unknown, used or expired');
    case 'owned_elsewhere':
      return new HubError('E_CONFLICT', 'this device belongs to another org; an admin there must remove it first');
    case 'key_mismatch':
      return new HubError('E_CONFLICT', 'this device id is claimed with other identity keys; remove the device first to claim it with new ones');
    case 'kind_mismatch':
      return new HubError('E_CONFLICT', 'this device is claimed as the other kind (gateway or node); remove it first');
    case 'token_kind':
      return new HubError('E_TOKEN_KIND', expectedKind === 'gateway' ? 'this token was made for a node; make a gateway token (kind "gateway") and claim again' : 'this token was made for a gateway; make a node token (kind "node") and claim again');
  }
}

/** Where a gateway should dial: the broker's address, or the hub's own name when it listens everywhere. */
function brokerHost(bound: string, requestHost: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound.includes(':') ? `[${bound}]` : bound;
  return requestHost.replace(/:\d+$/, '');
}

function deviceFromToken(header: string | undefined, credentials: DeviceCredentials) {
  const m = header ? /^Bearer ubd_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$/.exec(header) : null;
  if (!m) throw new HubError('E_AUTH_REQUIRED', 'send Authorization: Bearer <deviceToken> (from the device claim)');
  const device = credentials.verify(m[1]!, m[2]!);
  if (!device || device.kind !== 'node') throw new HubError('E_AUTH_INVALID', 'unknown or revoked device token');
  return device;
}
