// JSON schemas of the messenger routes: what a client sends (parsed at the edge) and the
// documents it gets back. Ciphertext strings have no maxLength here: their decoded size is
// checked (and a refusal counted) by the relay against MESSENGER_LIMITS.

import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { NAME_MAX_100, errorSchema } from '../api/schemas.ts';

export const uuid = { type: 'string', format: 'uuid' } as const;
export const userIdSchema = { type: 'string', minLength: 1, maxLength: 100 } as const;
const nullableString = { type: ['string', 'null'] } as const;

/** Devices a message may name: every device of every member of the biggest conversation. */
const MAX_RECIPIENTS = MESSENGER_LIMITS.maxGroupMembers * MESSENGER_LIMITS.maxDevicesPerUser;

export const MESSAGE_KINDS = ['message', 'edit', 'delete', 'reaction', 'read', 'sender-key', 'typing'] as const;

/** Checked in full by verifyDeviceBundle (after the device is found), so the schema only asks for an object. */
export const bundleSchema = { type: 'object' } as const;

export const signedPrekeySchema = { type: 'object', properties: { keyId: { type: 'integer' }, publicKey: { type: 'string' }, signature: { type: 'string' } } } as const;

export const deviceSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, userId: { type: 'string' }, name: { type: 'string' }, identityKey: { type: 'string' }, signingKey: { type: 'string' }, signedPrekey: signedPrekeySchema, oneTimePrekeys: { type: 'integer' }, createdAt: { type: 'string' }, lastSeenAt: { type: ['string', 'null'] } },
} as const;

export const bundleViewSchema = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    name: { type: 'string' },
    identityKey: { type: 'string' },
    signingKey: { type: 'string' },
    signedPrekey: signedPrekeySchema,
    oneTimePrekey: { type: ['object', 'null'], properties: { keyId: { type: 'integer' }, publicKey: { type: 'string' } } },
  },
} as const;

export const conversationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['direct', 'group', 'channel'] },
    name: nullableString,
    description: nullableString,
    epoch: { type: 'integer' },
    createdAt: { type: 'string' },
    createdBy: { type: 'string' },
    muted: { type: 'boolean' },
    members: { type: 'array', items: { type: 'object', properties: { userId: { type: 'string' }, role: { type: 'string' }, joinedAt: { type: 'string' } } } },
    devices: { type: 'array', items: { type: 'object', properties: { deviceId: { type: 'string' }, userId: { type: 'string' } } } },
    departed: { type: 'array', items: { type: 'object', properties: { userId: { type: 'string' }, leftAt: { type: 'string' } } } },
  },
} as const;

export const deliverySchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    messageId: { type: 'string' },
    conversationId: { type: 'string' },
    senderUser: { type: 'string' },
    senderDevice: { type: 'string' },
    kind: { type: 'string' },
    target: nullableString,
    sentAt: { type: 'string' },
    expiresAt: nullableString,
    ciphertext: nullableString,
    envelope: nullableString,
    attachments: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const sentSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, clientId: { type: 'string' }, kind: { type: 'string' }, sentAt: { type: 'string' }, expiresAt: nullableString, duplicate: { type: 'boolean' } },
} as const;

export const devicesChangedSchema = {
  type: 'object',
  properties: { ...errorSchema.properties, missing: { type: 'array', items: { type: 'string' } }, extra: { type: 'array', items: { type: 'string' } } },
} as const;

export const sendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'kind', 'senderDevice', 'recipientDevices'],
  properties: {
    clientId: { type: 'string', minLength: 1, maxLength: 100 },
    kind: { type: 'string', enum: MESSAGE_KINDS },
    target: uuid,
    expiresAt: { type: 'string', format: 'date-time' },
    senderDevice: uuid,
    recipientDevices: { type: 'array', maxItems: MAX_RECIPIENTS, items: uuid },
    ciphertext: { type: 'string' },
    envelopes: { type: 'array', maxItems: MAX_RECIPIENTS, items: { type: 'object', additionalProperties: false, required: ['deviceId', 'ciphertext'], properties: { deviceId: uuid, ciphertext: { type: 'string' } } } },
    attachments: { type: 'array', maxItems: 32, items: uuid },
  },
} as const;

export const deviceName = NAME_MAX_100;
