// JSON schemas shared by the resource routes: pagination, errors, and the main documents.

export const errorSchema = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  cursor: { type: 'string', maxLength: 100, description: 'nextCursor of the previous page' },
} as const;

export const timeRange = {
  from: { type: 'string', format: 'date-time', description: 'ISO time, inclusive' },
  to: { type: 'string', format: 'date-time', description: 'ISO time, exclusive' },
} as const;

/**
 * A name a person gives (an org, a user, a device, a group, a claim): at least one character that
 * is not a space, or "   " would be stored as a name that shows as nothing (some routes trim it).
 */
export const NAME_MAX_100 = { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', description: 'at least one character that is not a space' } as const;
export const NAME_MAX_64 = { ...NAME_MAX_100, maxLength: 64 } as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const nodeSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: nullableString,
    kind: { type: 'string', enum: ['node', 'gateway'] },
    online: { type: 'boolean' },
    lastSeen: nullableString,
    battery: nullableNumber,
    voltage: nullableNumber,
    snr: nullableNumber,
    rssi: nullableNumber,
    position: {
      type: ['object', 'null'],
      properties: { latitude: { type: 'number' }, longitude: { type: 'number' }, altitudeM: nullableNumber, time: { type: 'string' } },
    },
    capabilities: {
      type: 'object',
      properties: { radio: { type: 'boolean' }, gps: { type: 'boolean' }, camera: { type: 'boolean' }, modules: { type: 'array', items: { type: 'string' } } },
    },
    heardBy: {
      type: 'array',
      items: { type: 'object', properties: { gatewayId: { type: 'string' }, rssi: nullableNumber, snr: nullableNumber, hops: nullableNumber, lastSeen: { type: 'string' } } },
    },
    claimed: { type: 'boolean' },
  },
} as const;

export const receptionSchema = {
  type: 'object',
  properties: { gatewayId: { type: 'string' }, rssi: nullableNumber, snr: nullableNumber, hops: nullableNumber, time: { type: 'string' } },
} as const;

export const recordSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    nodeId: { type: 'string' },
    nodeName: { type: ['string', 'null'], description: 'the sender’s name when the frame came in (null: not known then)' },
    kind: { type: 'string' },
    packetId: { type: 'integer' },
    time: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
    receptions: { type: 'array', items: receptionSchema },
  },
} as const;

export const messageSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    to: { type: 'string' },
    kind: { type: 'string' },
    text: { type: 'string' },
    level: nullableString,
    magnitude: nullableNumber,
    status: { type: 'string', enum: ['queued', 'sent', 'delivered', 'failed'] },
    gateways: { type: 'array', items: { type: 'string' } },
    packetId: { type: ['integer', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    createdBy: { type: 'string' },
    error: nullableString,
  },
} as const;

export const alertSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    nodeId: { type: 'string' },
    nodeName: nullableString,
    level: { type: 'string' },
    text: { type: 'string' },
    position: { type: ['object', 'null'], properties: { latitude: { type: 'number' }, longitude: { type: 'number' } } },
    state: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
    raisedAt: { type: 'string' },
    lastHeardAt: { type: 'string' },
    acknowledgedAt: nullableString,
    acknowledgedBy: nullableString,
    resolvedAt: nullableString,
    resolvedBy: nullableString,
    requestId: { type: ['integer', 'null'] },
    receivedAt: nullableString,
    acknowledgedNote: nullableString,
    resolvedNote: nullableString,
    stages: { type: 'array', items: { type: 'object', properties: { stage: { type: 'string', enum: ['sent', 'gateway', 'hub', 'acknowledged', 'resolved'] }, at: { type: 'string' }, by: nullableString } } },
  },
} as const;

export function page(itemSchema: object): object {
  return { type: 'object', properties: { items: { type: 'array', items: itemSchema }, nextCursor: { type: ['string', 'null'] } } };
}

export function timeMs(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso);
}

/** The read routes' standard error answers, for OpenAPI. */
export const errorResponses = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema } as const;
