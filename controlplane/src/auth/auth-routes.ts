// The setup, session, org, member and API-key routes of docs/api.md. Every membership and key
// route acts on the caller's org only: another org's user or key answers 404 like a missing one.

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HubError, notFound } from '../hub-error.ts';
import { type AuthContext, type Permission, type Role } from './auth-context.ts';
import type { AuthServices } from './auth-services.ts';
import type { Guard } from './guard.ts';
import { AddressFailures, AddressLimitedError, clientAddress, requestAddressKey } from './address-failures.ts';
import { LoginThrottledError } from './login-throttle.ts';
import {
  addMemberBody,
  apiKeySchema,
  createApiKeyBody,
  idParams,
  loginBody,
  memberSchema,
  noContent,
  orgNameBody,
  orgSchema,
  refreshBody,
  sessionSchema,
  setRoleBody,
  setupBody,
  switchOrgBody,
  userIdParams,
  schemaErrorMessage,
  userSchema,
} from './auth-schemas.ts';

/**
 * The routes that take a secret: 60 tries a minute from an address (an IPv6 host's /64), of any
 * outcome, which bounds the password hashing one address can ask of the hub; setup and login also
 * 10 failed tries a minute (AddressFailures). A refresh token is 256 random bits: nobody guesses
 * one, and the failures of refreshes (a tab left open past its login, a member removed) are no
 * sign of an attack, so they are not counted.
 */
const LIMITED = { rateLimit: { max: 60, timeWindow: '1 minute', keyGenerator: requestAddressKey } };
const BEARER = [{ bearer: [] }];

export interface AuthRoutesOptions {
  auth: AuthServices;
  guard: Guard;
  now: () => number;
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, guard, now }) => {
  const accounts = auth.accounts;
  const failures = new AddressFailures(now);
  /** `fn` for the caller's address: refused while it has used up its failed tries; a 401 is one more. */
  const secretTry = async <T>(request: FastifyRequest, reply: FastifyReply, fn: () => Promise<T>): Promise<T> => {
    let attempt: { end(failed: boolean): void } | undefined;
    try {
      attempt = failures.begin(clientAddress(request));
      const result = await fn();
      attempt.end(false);
      return result;
    } catch (err) {
      attempt?.end(err instanceof HubError && err.statusCode === 401);
      if (err instanceof AddressLimitedError || err instanceof LoginThrottledError) void reply.header('retry-after', String(err.retryAfterS));
      throw err;
    }
  };
  app.setSchemaErrorFormatter((errors, dataVar) => schemaErrorMessage(errors, dataVar));

  // Any valid caller, whatever its permissions (e.g. /me for a key scoped to 'send' only).
  const signedIn = guard();
  const caller = (request: FastifyRequest): AuthContext => {
    if (!request.auth) throw new HubError('E_AUTH_REQUIRED', 'authentication required');
    return request.auth;
  };

  app.get('/api/v1/setup', {
    schema: { tags: ['setup'], summary: 'Whether the hub still needs its first admin', security: [], response: { 200: { type: 'object', required: ['needed'], properties: { needed: { type: 'boolean' } } } } },
  }, async () => ({ needed: !auth.hasUsers() }));

  app.post<{ Body: { token: string; email: string; password: string; name?: string; orgName?: string } }>('/api/v1/setup', {
    config: LIMITED,
    schema: { tags: ['setup'], summary: 'Create the first admin with the one-time setup token', security: [], body: setupBody, response: { 201: sessionSchema } },
  }, async (request, reply) => reply.status(201).send(await secretTry(request, reply, () => auth.setup(request.body))));

  app.post<{ Body: { email: string; password: string; deviceToken?: string } }>('/api/v1/auth/login', {
    config: LIMITED,
    schema: { tags: ['auth'], summary: 'Log in (429 with Retry-After: E_LOGIN_THROTTLED while the account is locked by failed logins, E_RATE_LIMITED after 10 failed logins or setups a minute from the address)', security: [], body: loginBody, response: { 200: sessionSchema } },
  }, async (request, reply) => secretTry(request, reply, () => auth.login(request.body.email, request.body.password, request.body.deviceToken)));

  app.post<{ Body: { refreshToken: string } }>('/api/v1/auth/refresh', {
    config: LIMITED,
    schema: { tags: ['auth'], summary: 'Spend a refresh token for a new session', security: [], body: refreshBody, response: { 200: sessionSchema } },
  }, async (request) => auth.refresh(request.body.refreshToken));

  app.post<{ Body: { refreshToken: string } }>('/api/v1/auth/logout', {
    schema: { tags: ['auth'], summary: 'Revoke the session (the refresh token\u2019s family)', security: [], body: refreshBody, response: { 204: noContent } },
  }, async (request, reply) => {
    auth.logout(request.body.refreshToken);
    return reply.status(204).send();
  });

  app.post<{ Body: { orgId: string } }>('/api/v1/auth/switch-org', {
    preHandler: signedIn,
    schema: { tags: ['auth'], summary: 'A session in another of the caller\u2019s orgs', security: BEARER, body: switchOrgBody, response: { 200: sessionSchema } },
  }, async (request) => auth.switchOrg(caller(request), request.body.orgId));

  app.get('/api/v1/me', {
    preHandler: signedIn,
    schema: {
      tags: ['auth'],
      summary: 'The caller, their current org and permissions',
      security: BEARER,
      response: { 200: { type: 'object', required: ['user', 'org', 'orgs', 'permissions'], properties: { user: userSchema, org: orgSchema, orgs: { type: 'array', items: orgSchema }, permissions: { type: 'array', items: { type: 'string' } } } } },
    },
  }, async (request) => {
    const ctx = caller(request);
    const user = auth.userView(ctx.userId);
    const org = accounts.orgView(ctx.userId, ctx.orgId);
    if (!user || !org) throw new HubError('E_AUTH_INVALID', 'no longer a member of this org');
    return { user, org, orgs: ctx.kind === 'user' ? accounts.orgsOf(ctx.userId) : [org], permissions: ctx.permissions };
  });

  app.get('/api/v1/orgs', {
    preHandler: signedIn,
    schema: { tags: ['orgs'], summary: 'The caller\u2019s orgs', security: BEARER, response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: orgSchema } } } } },
  }, async (request) => {
    const ctx = caller(request);
    return { items: ctx.kind === 'user' ? accounts.orgsOf(ctx.userId) : accounts.orgsOf(ctx.userId).filter((o) => o.id === ctx.orgId) };
  });

  app.post<{ Body: { name: string } }>('/api/v1/orgs', {
    preHandler: signedIn,
    schema: { tags: ['orgs'], summary: 'Create an org owned by the caller', security: BEARER, body: orgNameBody, response: { 201: orgSchema } },
  }, async (request, reply) => {
    const ctx = caller(request);
    if (ctx.kind !== 'user') throw new HubError('E_FORBIDDEN', 'an API key cannot create orgs');
    return reply.status(201).send(await accounts.createOrg(ctx.userId, request.body.name));
  });

  app.patch<{ Body: { name: string } }>('/api/v1/org', {
    preHandler: guard('org'),
    schema: { tags: ['orgs'], summary: 'Rename the current org', security: BEARER, body: orgNameBody, response: { 200: orgSchema } },
  }, async (request) => {
    const ctx = caller(request);
    await accounts.renameOrg(ctx.orgId, request.body.name);
    const org = accounts.store.orgById(ctx.orgId);
    if (!org) throw notFound('org');
    return { id: org.id, name: org.name, role: ctx.role };
  });

  app.get('/api/v1/members', {
    preHandler: guard('read'),
    schema: { tags: ['members'], summary: 'Members of the current org', security: BEARER, response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: memberSchema } } } } },
  }, async (request) => ({ items: accounts.listMembers(caller(request).orgId) }));

  app.post<{ Body: { email: string; name?: string; password?: string; role: Role } }>('/api/v1/members', {
    preHandler: guard('members'),
    schema: { tags: ['members'], summary: 'Add an existing user, or create one with a password', security: BEARER, body: addMemberBody, response: { 201: memberSchema } },
  }, async (request, reply) => reply.status(201).send(await accounts.addMember(caller(request), request.body)));

  app.patch<{ Params: { userId: string }; Body: { role: Role } }>('/api/v1/members/:userId', {
    preHandler: guard('members'),
    schema: { tags: ['members'], summary: 'Change a member\u2019s role', security: BEARER, params: userIdParams, body: setRoleBody, response: { 200: memberSchema } },
  }, async (request) => accounts.setRole(caller(request), request.params.userId, request.body.role));

  app.delete<{ Params: { userId: string } }>('/api/v1/members/:userId', {
    preHandler: guard('members'),
    schema: { tags: ['members'], summary: 'Remove a member (and the API keys they created here)', security: BEARER, params: userIdParams, response: { 204: noContent } },
  }, async (request, reply) => {
    await accounts.removeMember(caller(request), request.params.userId);
    return reply.status(204).send();
  });

  app.get('/api/v1/api-keys', {
    preHandler: guard('members'),
    schema: { tags: ['api-keys'], summary: 'API keys of the current org', security: BEARER, response: { 200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: apiKeySchema } } } } },
  }, async (request) => ({
    items: accounts.store.apiKeysOf(caller(request).orgId).map((k) => ({ id: k.id, name: k.name, scopes: k.scopes, createdAt: k.createdAt, lastUsedAt: auth.apiKeys.lastUsedAt(k) })),
  }));

  app.post<{ Body: { name: string; scopes: Permission[] } }>('/api/v1/api-keys', {
    preHandler: guard('members'),
    schema: {
      tags: ['api-keys'],
      summary: 'Create an API key (the key is shown once)',
      security: BEARER,
      body: createApiKeyBody,
      response: { 201: { type: 'object', required: ['id', 'name', 'scopes', 'key'], properties: { id: { type: 'string' }, name: { type: 'string' }, scopes: apiKeySchema.properties.scopes, key: { type: 'string' } } } },
    },
  }, async (request, reply) => {
    const ctx = caller(request);
    const beyond = request.body.scopes.filter((s) => !ctx.permissions.includes(s));
    if (beyond.length > 0) throw new HubError('E_FORBIDDEN', `scopes beyond your own permissions: ${beyond.join(', ')}`);
    const { record, key } = await auth.apiKeys.create({ orgId: ctx.orgId, createdBy: ctx.userId, name: request.body.name, scopes: request.body.scopes });
    return reply.status(201).send({ id: record.id, name: record.name, scopes: record.scopes, key });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/api-keys/:id', {
    preHandler: guard('members'),
    schema: { tags: ['api-keys'], summary: 'Delete an API key', security: BEARER, params: idParams, response: { 204: noContent } },
  }, async (request, reply) => {
    if (!(await accounts.store.deleteApiKey(caller(request).orgId, request.params.id))) throw notFound('API key');
    return reply.status(204).send();
  });
};
