// JSON schemas of the setup, session, org, member and API-key routes: bodies reject unknown
// fields, responses list exactly what goes out (fast-json-stringify drops anything else).

import { NAME_MAX_100 } from '../api/schemas.ts';
import { PERMISSIONS, ROLES } from './auth-context.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../accounts/password-hash.ts';

const email = { type: 'string', format: 'email', maxLength: 254 } as const;
const newPassword = { type: 'string', minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH } as const;
const name = NAME_MAX_100;
const role = { type: 'string', enum: ROLES } as const;
const id = { type: 'string', minLength: 1, maxLength: 64 } as const;

function body(properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties, required };
}

export const userSchema = { type: 'object', required: ['id', 'email', 'name'], properties: { id: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' } } } as const;
export const orgSchema = { type: 'object', required: ['id', 'name', 'role'], properties: { id: { type: 'string' }, name: { type: 'string' }, role } } as const;
export const memberSchema = { type: 'object', required: ['userId', 'email', 'name', 'role'], properties: { userId: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role } } as const;
const scopes = { type: 'array', items: { type: 'string', enum: PERMISSIONS }, uniqueItems: true } as const;
export const apiKeySchema = {
  type: 'object',
  required: ['id', 'name', 'scopes', 'createdAt', 'lastUsedAt'],
  properties: { id: { type: 'string' }, name: { type: 'string' }, scopes, createdAt: { type: 'string' }, lastUsedAt: { type: ['string', 'null'] } },
} as const;
export const sessionSchema = {
  type: 'object',
  required: ['accessToken', 'refreshToken', 'expiresIn', 'user', 'org', 'orgs'],
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string' },
    expiresIn: { type: 'integer', description: 'seconds the access token is valid' },
    user: userSchema,
    org: orgSchema,
    orgs: { type: 'array', items: orgSchema },
    deviceToken: { type: 'string', description: 'after a password login: send it with later logins from this device to skip the per-account lock' },
  },
} as const;
export const noContent = { type: 'null', description: 'no content' } as const;

export const setupBody = body({ token: { type: 'string', minLength: 1, maxLength: 200 }, email, password: newPassword, name, orgName: name }, ['token', 'email', 'password']);
export const loginBody = body({ email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH }, deviceToken: { type: 'string', minLength: 1, maxLength: 200 } }, ['email', 'password']);
export const refreshBody = body({ refreshToken: { type: 'string', minLength: 1, maxLength: 200 } }, ['refreshToken']);
export const switchOrgBody = body({ orgId: id }, ['orgId']);
export const orgNameBody = body({ name }, ['name']);
export const addMemberBody = body({ email, name, password: newPassword, role }, ['email', 'role']);
export const setRoleBody = body({ role }, ['role']);
export const createApiKeyBody = body({ name, scopes: { ...scopes, minItems: 1 } }, ['name', 'scopes']);
export const userIdParams = { type: 'object', required: ['userId'], properties: { userId: id } } as const;
export const idParams = { type: 'object', required: ['id'], properties: { id } } as const;

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Validation messages that name the offending field, e.g. `body/role: unknown field "admin"`, `body/password must NOT have fewer than 10 characters`. */
export function schemaErrorMessage(errors: readonly SchemaError[], dataVar: string): Error {
  const e = errors[0];
  if (!e) return new Error(`${dataVar} is invalid`);
  const path = `${dataVar}${e.instancePath ?? ''}`;
  if (e.keyword === 'additionalProperties') return new Error(`${path}/${String(e.params?.additionalProperty)}: unknown field`);
  if (e.keyword === 'required') return new Error(`${path}/${String(e.params?.missingProperty)} is required`);
  if (e.keyword === 'enum') return new Error(`${path} must be one of ${JSON.stringify(e.params?.allowedValues)}`);
  return new Error(`${path} ${e.message ?? 'is invalid'}`);
}
