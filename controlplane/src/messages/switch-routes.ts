// Switch a device at a gateway (issue 14): the hub publishes a `switch` command on the gateway's tx
// topic; the gateway sets the device through its sensor profile (Tasmota, Shelly, Zigbee2MQTT) and
// reports `queued`, then `confirmed` once the device's own state topic shows the new state (or
// `unconfirmed` / `refused`) on txstatus under the returned ref. The confirmed state also arrives as
// the device's sensor reading. Kept apart from the downlink of texts and alerts, which it does not touch.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { formatNodeId, nodeIdHex, parseNodeId } from '@unibos/mesh-protocol';
import { errorResponses, errorSchema } from '../api/schemas.ts';
import { NODE_ID_PARAM } from '../api/node-id-param.ts';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { Guard } from '../auth/guard.ts';
import { HubError } from '../hub-error.ts';

export interface SwitchRoutesOptions {
  link: Pick<GatewayLink, 'isConnected' | 'publishTx'>;
  /** Whether the org's fleet has this gateway: another org's gateway is answered as a missing one. */
  hasGateway: (orgId: string, gatewayId: string) => boolean;
  guard: Guard;
}

interface SwitchBody {
  sensor: string;
  state: 'ON' | 'OFF' | 'TOGGLE';
  channel?: number;
}

export const switchRoutes: FastifyPluginAsync<SwitchRoutesOptions> = async (app, { link, hasGateway, guard }) => {
  app.post<{ Params: { id: string }; Body: SwitchBody }>('/api/v1/gateways/:id/switch', {
    preHandler: guard('send'),
    schema: {
      tags: ['messages'],
      summary: "Set a device's switch through the gateway it publishes to; the result comes back on the gateway's txstatus under ref",
      security: [{ bearer: [] }],
      params: { type: 'object', required: ['id'], properties: { id: NODE_ID_PARAM } },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['sensor', 'state'],
        properties: { sensor: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' }, state: { type: 'string', enum: ['ON', 'OFF', 'TOGGLE'] }, channel: { type: 'integer', minimum: 0, maximum: 64 } },
      },
      response: { 202: { type: 'object', required: ['ref'], properties: { ref: { type: 'string' } } }, 503: errorSchema, ...errorResponses },
    },
  }, async (req, reply) => {
    const orgId = req.auth!.orgId;
    const id = parseNodeId(req.params.id);
    if (id === null || !hasGateway(orgId, formatNodeId(id))) throw new HubError('E_NOT_FOUND', `no gateway ${req.params.id}`);
    const gatewayId = nodeIdHex(id);
    if (!link.isConnected(orgId, gatewayId)) throw new HubError('E_UNAVAILABLE', `gateway ${formatNodeId(id)} is not connected`);
    const ref = randomUUID();
    const { sensor, state, channel } = req.body;
    link.publishTx(orgId, gatewayId, Buffer.from(JSON.stringify({ ref, switch: { sensor, state, ...(channel !== undefined ? { channel } : {}) } })));
    return reply.status(202).send({ ref });
  });
};
