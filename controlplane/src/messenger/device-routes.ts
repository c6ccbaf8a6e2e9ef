// Messenger device routes: register (a verified bundle and a name), list and revoke the caller's
// devices, refill prekeys, fetch a user's bundles to start sessions with their devices, and read a
// user's identity keys (for safety numbers) without taking any prekey.

import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, errorSchema } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import { bundleSchema, bundleViewSchema, deviceName, deviceSchema, userIdSchema, uuid } from './messenger-schemas.ts';
import type { MessengerDevices } from './messenger-devices.ts';

export interface DeviceRoutesOptions {
  devices: MessengerDevices;
  guard: Guard;
}

export const deviceRoutes: FastifyPluginAsync<DeviceRoutesOptions> = async (app, { devices, guard }) => {
  const security = [{ bearer: [] }];
  const tags = ['messenger'];
  const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
  const writeErrors = { ...errorResponses, 409: errorSchema } as const;

  app.post<{ Body: { name: string; bundle: unknown } }>('/api/v1/messenger/devices', {
    preHandler: guard('send'),
    schema: {
      tags, security,
      summary: 'Register one of the caller\u2019s messenger devices: its name and published bundle (identity, signing and prekeys, checked with verifyDeviceBundle)',
      body: { type: 'object', additionalProperties: false, required: ['name', 'bundle'], properties: { name: deviceName, bundle: bundleSchema } },
      response: { 201: deviceSchema, ...writeErrors },
    },
  }, async (req, reply) => {
    const auth = req.auth!;
    return reply.code(201).send(devices.register(auth.orgId, auth.userId, req.body.name.trim(), req.body.bundle));
  });

  app.get('/api/v1/messenger/devices', {
    preHandler: guard('read'),
    schema: { tags, security, summary: 'The caller\u2019s active messenger devices', response: { 200: { type: 'object', properties: { items: { type: 'array', items: deviceSchema } } }, ...errorResponses } },
  }, async (req) => ({ items: devices.list(req.auth!.orgId, req.auth!.userId) }));

  app.delete<{ Params: { id: string } }>('/api/v1/messenger/devices/:id', {
    preHandler: guard('send'),
    schema: { tags, security, summary: 'Revoke one of the caller\u2019s devices: its inbox is dropped and it is sent nothing more', params: idParams, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (req, reply) => {
    devices.revoke(req.auth!.orgId, req.auth!.userId, req.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string }; Body: { bundle: unknown } }>('/api/v1/messenger/devices/:id/prekeys', {
    preHandler: guard('send'),
    schema: {
      tags, security, params: idParams,
      summary: 'Add one-time prekeys and rotate the signed prekey of one of the caller\u2019s devices (the bundle keeps its identity and signing keys)',
      body: { type: 'object', additionalProperties: false, required: ['bundle'], properties: { bundle: bundleSchema } },
      response: { 200: deviceSchema, ...writeErrors },
    },
  }, async (req) => devices.refill(req.auth!.orgId, req.auth!.userId, req.params.id, req.body.bundle));

  app.get<{ Params: { userId: string } }>('/api/v1/messenger/users/:userId/bundles', {
    preHandler: guard('read'),
    schema: {
      tags, security, params: { type: 'object', required: ['userId'], properties: { userId: userIdSchema } },
      summary: 'Every active device of a user of the caller\u2019s org, each with one one-time prekey (taken: it is never handed out again)',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: bundleViewSchema } } }, ...errorResponses },
    },
  }, async (req) => ({ items: devices.bundles(req.auth!.orgId, req.auth!.userId, req.params.userId) }));

  app.get<{ Params: { userId: string } }>('/api/v1/messenger/users/:userId/keys', {
    preHandler: guard('read'),
    schema: {
      tags, security, params: { type: 'object', required: ['userId'], properties: { userId: userIdSchema } },
      summary: 'Every active device of a user of the caller’s org with its identity key, for safety numbers; no prekey is taken',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { deviceId: { type: 'string' }, name: { type: 'string' }, identityKey: { type: 'string' } } } } } }, ...errorResponses },
    },
  }, async (req) => ({ items: devices.identityKeys(req.auth!.orgId, req.params.userId) }));
};
