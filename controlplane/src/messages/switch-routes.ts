// Switch a device at a gateway (issue 14): POST hands the gateway a `switch` command under a fresh
// ref; the gateway sets the device through its sensor profile (Tasmota, Shelly, Zigbee2MQTT, ESPHome) and
// reports on txstatus (device-switches.ts), so GET /api/v1/switches/:ref and the `switch.status`
// events tell the admin whether the device confirmed its new state. The confirmed state also
// arrives as the device's sensor reading. Kept apart from the downlink of texts and alerts.

import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { SENSOR_NAME_PATTERN, formatNodeId, parseNodeId } from '@unibos/mesh-protocol';
import { errorResponses, errorSchema } from '../api/schemas.ts';
import { NODE_ID_PARAM } from '../api/node-id-param.ts';
import type { Guard } from '../auth/guard.ts';
import { HubError, notFound } from '../hub-error.ts';
import type { DeviceSwitches, SwitchRequest } from './device-switches.ts';

export interface SwitchRoutesOptions {
  switches: DeviceSwitches;
  /** Whether the org's fleet has this gateway: another org's gateway is answered as a missing one. */
  hasGateway: (orgId: string, gatewayId: string) => boolean;
  guard: Guard;
}

const nullable = (type: string) => ({ anyOf: [{ type }, { type: 'null' }] });

const switchSchema = {
  type: 'object',
  required: ['ref', 'gatewayId', 'sensor', 'requested', 'channel', 'name', 'status', 'state', 'error', 'createdBy', 'createdAt', 'updatedAt'],
  properties: {
    ref: { type: 'string' },
    gatewayId: { type: 'string' },
    sensor: { type: 'string' },
    requested: { type: 'string', enum: ['ON', 'OFF', 'TOGGLE'] },
    channel: nullable('integer'),
    name: nullable('string'),
    status: { type: 'string', enum: ['sent', 'queued', 'confirmed', 'unconfirmed', 'refused'] },
    state: { anyOf: [{ type: 'string', enum: ['ON', 'OFF'] }, { type: 'null' }] },
    error: nullable('string'),
    createdBy: { type: 'string' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const switchRoutes: FastifyPluginAsync<SwitchRoutesOptions> = async (app, { switches, hasGateway, guard }) => {
  const security = [{ bearer: [] }];
  const who = (auth: NonNullable<FastifyRequest['auth']>): string => (auth.kind === 'apiKey' ? `apiKey:${auth.apiKeyId}` : `user:${auth.userId}`);

  app.post<{ Params: { id: string }; Body: SwitchRequest }>('/api/v1/gateways/:id/switch', {
    preHandler: guard('send'),
    schema: {
      tags: ['messages'],
      summary: "Set a device's switch through the gateway it publishes to; follow it at /api/v1/switches/{ref} or by switch.status events",
      security,
      params: { type: 'object', required: ['id'], properties: { id: NODE_ID_PARAM } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['sensor', 'state'],
        properties: { sensor: { type: 'string', pattern: SENSOR_NAME_PATTERN }, state: { type: 'string', enum: ['ON', 'OFF', 'TOGGLE'] }, channel: { type: 'integer', minimum: 0, maximum: 64 }, name: { type: 'string', pattern: SENSOR_NAME_PATTERN, description: "the switch's name, for devices that name their switches (ESPHome); not with channel" } },
      },
      response: { 202: switchSchema, 503: errorSchema, ...errorResponses },
    },
  }, async (req, reply) => {
    const orgId = req.auth!.orgId;
    const id = parseNodeId(req.params.id);
    if (id === null || !hasGateway(orgId, formatNodeId(id))) throw new HubError('E_NOT_FOUND', `no gateway ${req.params.id}`);
    return reply.status(202).send(switches.send(orgId, formatNodeId(id), req.body, who(req.auth!)));
  });

  app.get<{ Params: { ref: string } }>('/api/v1/switches/:ref', {
    preHandler: guard('read'),
    schema: {
      tags: ['messages'],
      summary: 'One switch command and how far it got: sent, queued, confirmed (the device reported the state), unconfirmed or refused',
      security,
      params: { type: 'object', required: ['ref'], properties: { ref: { type: 'string', format: 'uuid' } } },
      response: { 200: switchSchema, ...errorResponses },
    },
  }, async (req) => {
    const c = switches.get(req.auth!.orgId, req.params.ref);
    if (!c) throw notFound('switch command');
    return c;
  });
};
