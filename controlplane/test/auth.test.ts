// Accounts and sessions against a real hub over real HTTP: setup, login, refresh rotation and
// reuse detection, logout, expiry, API keys, roles, org isolation, validation, rate limiting,
// what lands on disk, and a restart.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { MAX_ORGS_OWNED } from '../src/accounts/accounts.ts';
import { MAX_API_KEYS_PER_ORG } from '../src/auth/api-keys.ts';
import { createFirstAdmin } from '../src/auth/auth-services.ts';
import { hubConfigDefaults, runHub, type RunningHub } from '../src/index.ts';
import { TEST_PASSWORD, bearer, createAdminSession, createApiKey, createOrgUser, type TestSession } from './support/test-auth.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

interface Reply {
  status: number;
  body: any;
}

async function api(hub: { url: string }, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = options.token ? bearer(options.token) : {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${hub.url}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body.code, code, JSON.stringify(reply.body));
  assert.equal(reply.body.statusCode, status);
}

describe('setup', () => {
  test('the one-time setup token creates the first admin once', async () => {
    const hub = await startTestHub();
    assert.deepEqual((await api(hub, 'GET', '/api/v1/setup')).body, { needed: true });
    const token = hub.app.auth.setupToken();
    assert.ok(token);
    const body = { token, email: 'First@Example.test', password: TEST_PASSWORD, name: 'First Admin', orgName: 'Rescue team' };
    assertError(await api(hub, 'POST', '/api/v1/setup', { body: { ...body, token: 'not-the-token' } }), 401, 'E_AUTH_INVALID');
    const created = await api(hub, 'POST', '/api/v1/setup', { body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.user.email, 'first@example.test');
    assert.deepEqual(created.body.org, { id: created.body.org.id, name: 'Rescue team', role: 'owner' });
    assert.equal(created.body.expiresIn, 900);
    assert.deepEqual((await api(hub, 'GET', '/api/v1/setup')).body, { needed: false });
    assert.equal(hub.app.auth.setupToken(), null);
    assertError(await api(hub, 'POST', '/api/v1/setup', { body: { ...body, email: 'second@example.test' } }), 409, 'E_SETUP_DONE');
    const me = await api(hub, 'GET', '/api/v1/me', { token: created.body.accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body.permissions, ['read', 'send', 'alerts', 'fleet', 'members', 'org']);
  });

  test('createFirstAdmin (hub init) sets the hub up before it starts, once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-init-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const created = await createFirstAdmin({ dataDir, email: 'init@example.test', password: TEST_PASSWORD, orgName: 'Init org' });
    await assert.rejects(createFirstAdmin({ dataDir, email: 'other@example.test', password: TEST_PASSWORD }), { code: 'E_SETUP_DONE' });
    await assert.rejects(createFirstAdmin({ dataDir: join(dataDir, 'fresh'), email: 'x@example.test', password: 'short' }), { code: 'E_BAD_REQUEST' });
    const hub = await startTestHub({ dataDir });
    assert.equal(hub.app.auth.setupToken(), null);
    assert.deepEqual((await api(hub, 'GET', '/api/v1/setup')).body, { needed: false });
    const login = await api(hub, 'POST', '/api/v1/auth/login', { body: { email: 'init@example.test', password: TEST_PASSWORD } });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.id, created.userId);
    assert.deepEqual(login.body.org, { id: created.orgId, name: 'Init org', role: 'owner' });
  });
});

describe('sessions', async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const login = (password = TEST_PASSWORD, email = admin.email) => api(hub, 'POST', '/api/v1/auth/login', { body: { email, password } });

  test('login answers a session; a wrong password and an unknown email are the same 401', async () => {
    const ok = await login();
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user.id, admin.userId);
    assert.equal(ok.body.org.id, admin.orgId);
    assert.deepEqual(ok.body.orgs, [ok.body.org]);
    assert.equal((await api(hub, 'GET', '/api/v1/me', { token: ok.body.accessToken })).status, 200);
    const wrong = await login('wrong password!!');
    const unknown = await login(TEST_PASSWORD, 'nobody@example.test');
    assertError(wrong, 401, 'E_AUTH_INVALID');
    assertError(unknown, 401, 'E_AUTH_INVALID');
    assert.equal(wrong.body.message, unknown.body.message);
  });

  test('no token, a malformed header and a forged token are refused', async () => {
    assertError(await api(hub, 'GET', '/api/v1/me'), 401, 'E_AUTH_REQUIRED');
    const res = await fetch(`${hub.url}/api/v1/me`, { headers: { authorization: 'Basic abc' } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'E_AUTH_INVALID');
    const [h, p] = admin.accessToken.split('.');
    assertError(await api(hub, 'GET', '/api/v1/me', { token: `${h}.${p}.${'A'.repeat(43)}` }), 401, 'E_AUTH_INVALID');
    assertError(await api(hub, 'GET', '/api/v1/me', { token: 'ubk_0123456789abcdef_' + 'A'.repeat(43) }), 401, 'E_AUTH_INVALID');
  });

  test('refresh rotates; presenting a spent token revokes the whole family', async () => {
    const first = await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } });
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refreshToken, admin.refreshToken);
    const second = await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    assert.equal(second.status, 200);
    // The first token again: a replay. Its family dies, including the newest token.
    assertError(await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } }), 401, 'E_AUTH_REUSED');
    assertError(await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } }), 401, 'E_AUTH_INVALID');
    assertError(await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'never-issued' } }), 401, 'E_AUTH_INVALID');
  });

  test('logout revokes the family; other sessions live on', async () => {
    const a = await login();
    const b = await login();
    const rotated = await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: a.body.refreshToken } });
    const out = await api(hub, 'POST', '/api/v1/auth/logout', { body: { refreshToken: a.body.refreshToken } });
    assert.equal(out.status, 204);
    assertError(await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } }), 401, 'E_AUTH_INVALID');
    assert.equal((await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: b.body.refreshToken } })).status, 200);
  });

  test('switch-org gives a session in another of the caller\u2019s orgs, not in someone else\u2019s', async () => {
    const created = await api(hub, 'POST', '/api/v1/orgs', { token: admin.accessToken, body: { name: 'Second org' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.role, 'owner');
    const orgs = await api(hub, 'GET', '/api/v1/orgs', { token: admin.accessToken });
    assert.deepEqual(orgs.body.items.map((o: { name: string }) => o.name).sort(), ['Second org', 'Test org']);
    const switched = await api(hub, 'POST', '/api/v1/auth/switch-org', { token: admin.accessToken, body: { orgId: created.body.id } });
    assert.equal(switched.status, 200);
    assert.equal(switched.body.org.id, created.body.id);
    assert.equal((await api(hub, 'GET', '/api/v1/me', { token: switched.body.accessToken })).body.org.name, 'Second org');
    const stranger = await createAdminSession(hub);
    assertError(await api(hub, 'POST', '/api/v1/auth/switch-org', { token: stranger.accessToken, body: { orgId: admin.orgId } }), 404, 'E_NOT_FOUND');
  });
});

test('one user owns a bounded number of orgs: past it, creating another is refused with E_LIMIT_REACHED', async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub);
  const made = (await api(hub, 'GET', '/api/v1/orgs', { token: owner.accessToken })).body.items.length;
  for (let i = made; i < MAX_ORGS_OWNED; i++) assert.equal((await api(hub, 'POST', '/api/v1/orgs', { token: owner.accessToken, body: { name: `Org ${i}` } })).status, 201);
  assertError(await api(hub, 'POST', '/api/v1/orgs', { token: owner.accessToken, body: { name: 'One too many' } }), 409, 'E_LIMIT_REACHED');
  assert.equal((await api(hub, 'GET', '/api/v1/orgs', { token: owner.accessToken })).body.items.length, MAX_ORGS_OWNED);
});

test('an existing account is added to an org only by an admin of an org it is in, or of the hub: a viewer\u2019s own new org cannot take in its fellow members', async () => {
  const hub = await startTestHub();
  const hubAdmin = await createAdminSession(hub);
  // Another org (not the hub's), with its owner, a member and a viewer.
  const owner = await createAdminSession(hub, { orgName: 'Harbour' });
  const member = await createOrgUser(hub, owner, 'member');
  const viewer = await createOrgUser(hub, owner, 'viewer');
  const orgsOf = async (who: TestSession) => (await api(hub, 'GET', '/api/v1/orgs', { token: who.accessToken })).body.items.map((o: { name: string }) => o.name).sort();
  const newOrg = async (who: TestSession, name: string) => {
    const made = await api(hub, 'POST', '/api/v1/orgs', { token: who.accessToken, body: { name } });
    assert.equal(made.status, 201);
    return (await api(hub, 'POST', '/api/v1/auth/switch-org', { token: who.accessToken, body: { orgId: made.body.id } })).body.accessToken as string;
  };
  const add = (token: string, email: string) => api(hub, 'POST', '/api/v1/members', { token, body: { email, role: 'viewer' } });

  // The viewer makes an org and tries to put the member in it.
  const spam = await newOrg(viewer, 'Free prizes');
  const refused = await add(spam, member.email.toUpperCase());
  assertError(refused, 403, 'E_FORBIDDEN');
  assert.match(refused.body.message, /not an admin of any org this account is in/);
  assert.deepEqual(await orgsOf(member), ['Harbour'], 'the member\u2019s orgs are as they were');
  // Harbour's owner, in an org of their own, may add the member; so may the hub's admin.
  assert.equal((await add(await newOrg(owner, 'Harbour night shift'), member.email)).status, 201);
  assert.equal((await add(await newOrg(hubAdmin, 'Relief'), member.email)).status, 201);
  assert.deepEqual(await orgsOf(member), ['Harbour', 'Harbour night shift', 'Relief']);
});

test('an org holds a bounded number of API keys: past it, another is refused with E_LIMIT_REACHED until one is deleted', async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub);
  const make = (name: string) => api(hub, 'POST', '/api/v1/api-keys', { token: owner.accessToken, body: { name, scopes: ['read'] } });
  let first = '';
  for (let i = 0; i < MAX_API_KEYS_PER_ORG; i++) {
    const made = await make(`key ${i}`);
    assert.equal(made.status, 201);
    first ||= made.body.id;
  }
  const refused = await make('one too many');
  assertError(refused, 409, 'E_LIMIT_REACHED');
  assert.match(refused.body.message, /at most 100 API keys/);
  assert.equal((await api(hub, 'DELETE', `/api/v1/api-keys/${first}`, { token: owner.accessToken })).status, 204);
  assert.equal((await make('in its place')).status, 201);
});

describe('access token expiry', () => {
  test('an access token past its lifetime answers E_AUTH_EXPIRED; refresh gives a working one', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startTestHub({ accessTokenTtlS: 60 }, { now: () => clock });
    const admin = await createAdminSession(hub);
    assert.equal((await api(hub, 'GET', '/api/v1/me', { token: admin.accessToken })).status, 200);
    clock += 61_000;
    assertError(await api(hub, 'GET', '/api/v1/me', { token: admin.accessToken }), 401, 'E_AUTH_EXPIRED');
    const refreshed = await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } });
    assert.equal(refreshed.status, 200);
    assert.equal(refreshed.body.expiresIn, 60);
    assert.equal((await api(hub, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).status, 200);
  });

  test('a refresh token past its lifetime answers E_AUTH_EXPIRED', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startTestHub({ refreshTokenTtlS: 3600 }, { now: () => clock });
    const admin = await createAdminSession(hub);
    clock += 3601_000;
    assertError(await api(hub, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } }), 401, 'E_AUTH_EXPIRED');
  });
});

describe('orgs, members, roles and API keys', async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub, { orgName: 'Org A' });
  const admin = await createOrgUser(hub, owner, 'admin');
  const member = await createOrgUser(hub, owner, 'member');
  const viewer = await createOrgUser(hub, owner, 'viewer');
  const other = await createAdminSession(hub, { orgName: 'Org B' });

  test('the roles matrix', async () => {
    const cases: Array<[TestSession, string, string, unknown, number]> = [
      [viewer, 'GET', '/api/v1/members', undefined, 200],
      [viewer, 'GET', '/api/v1/api-keys', undefined, 403],
      [viewer, 'POST', '/api/v1/api-keys', { name: 'k', scopes: ['read'] }, 403],
      [viewer, 'PATCH', '/api/v1/org', { name: 'Renamed' }, 403],
      [member, 'POST', '/api/v1/members', { email: 'm2@example.test', password: TEST_PASSWORD, role: 'viewer' }, 403],
      [member, 'PATCH', `/api/v1/members/${viewer.userId}`, { role: 'member' }, 403],
      [admin, 'PATCH', '/api/v1/org', { name: 'Renamed' }, 403],
      [admin, 'POST', '/api/v1/members', { email: 'o2@example.test', password: TEST_PASSWORD, role: 'owner' }, 403],
      [admin, 'PATCH', `/api/v1/members/${admin.userId}`, { role: 'owner' }, 403],
      [admin, 'DELETE', `/api/v1/members/${owner.userId}`, undefined, 403],
      [admin, 'GET', '/api/v1/api-keys', undefined, 200],
      [owner, 'PATCH', '/api/v1/org', { name: 'Org A renamed' }, 200],
    ];
    for (const [who, method, path, body, status] of cases) {
      const reply = await api(hub, method, path, { token: who.accessToken, body });
      assert.equal(reply.status, status, `${method} ${path} as ${who.email}: ${JSON.stringify(reply.body)}`);
      if (status === 403) assert.equal(reply.body.code, 'E_FORBIDDEN');
    }
    const me = await api(hub, 'GET', '/api/v1/me', { token: viewer.accessToken });
    assert.deepEqual(me.body.permissions, ['read']);
    assert.equal(me.body.org.name, 'Org A renamed');
  });

  test('members: list, add an existing user, change role, remove (access ends at once)', async () => {
    const list = await api(hub, 'GET', '/api/v1/members', { token: viewer.accessToken });
    assert.deepEqual(list.body.items.map((m: { role: string }) => m.role).sort(), ['admin', 'member', 'owner', 'viewer']);
    // The owner of org B joins org A as a viewer: an existing user, so no password needed.
    const added = await api(hub, 'POST', '/api/v1/members', { token: admin.accessToken, body: { email: other.email, role: 'viewer' } });
    assert.equal(added.status, 201);
    assert.equal(added.body.userId, other.userId);
    assertError(await api(hub, 'POST', '/api/v1/members', { token: admin.accessToken, body: { email: other.email, role: 'viewer' } }), 409, 'E_CONFLICT');
    const promoted = await api(hub, 'PATCH', `/api/v1/members/${other.userId}`, { token: admin.accessToken, body: { role: 'member' } });
    assert.deepEqual(promoted.body, { userId: other.userId, email: other.email, name: added.body.name, role: 'member' });
    const inA = await api(hub, 'POST', '/api/v1/auth/switch-org', { token: other.accessToken, body: { orgId: owner.orgId } });
    assert.deepEqual(inA.body.org.role, 'member');
    assert.equal((await api(hub, 'GET', '/api/v1/members', { token: inA.body.accessToken })).status, 200);
    assert.equal((await api(hub, 'DELETE', `/api/v1/members/${other.userId}`, { token: admin.accessToken })).status, 204);
    assertError(await api(hub, 'GET', '/api/v1/members', { token: inA.body.accessToken }), 401, 'E_AUTH_INVALID');
    // Their own org is untouched.
    assert.equal((await api(hub, 'GET', '/api/v1/members', { token: other.accessToken })).status, 200);
    assertError(await api(hub, 'POST', '/api/v1/members', { token: admin.accessToken, body: { email: 'new@example.test', role: 'viewer' } }), 400, 'E_BAD_REQUEST');
  });

  test('a demoted member loses the permission on their next request', async () => {
    const m = await createOrgUser(hub, owner, 'admin');
    assert.equal((await api(hub, 'GET', '/api/v1/api-keys', { token: m.accessToken })).status, 200);
    await api(hub, 'PATCH', `/api/v1/members/${m.userId}`, { token: owner.accessToken, body: { role: 'viewer' } });
    assertError(await api(hub, 'GET', '/api/v1/api-keys', { token: m.accessToken }), 403, 'E_FORBIDDEN');
  });

  test('the last owner cannot be demoted or removed', async () => {
    assertError(await api(hub, 'PATCH', `/api/v1/members/${owner.userId}`, { token: owner.accessToken, body: { role: 'admin' } }), 409, 'E_CONFLICT');
    assertError(await api(hub, 'DELETE', `/api/v1/members/${owner.userId}`, { token: owner.accessToken }), 409, 'E_CONFLICT');
    const second = await createOrgUser(hub, owner, 'viewer');
    assert.equal((await api(hub, 'PATCH', `/api/v1/members/${second.userId}`, { token: owner.accessToken, body: { role: 'owner' } })).status, 200);
    assert.equal((await api(hub, 'PATCH', `/api/v1/members/${second.userId}`, { token: owner.accessToken, body: { role: 'admin' } })).status, 200);
    // Two owners at once racing to demote each other: one must stay.
    await api(hub, 'PATCH', `/api/v1/members/${second.userId}`, { token: owner.accessToken, body: { role: 'owner' } });
    const [a, b] = await Promise.all([
      api(hub, 'PATCH', `/api/v1/members/${second.userId}`, { token: owner.accessToken, body: { role: 'admin' } }),
      api(hub, 'PATCH', `/api/v1/members/${owner.userId}`, { token: second.accessToken, body: { role: 'admin' } }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [200, 409]);
    const owners = (await api(hub, 'GET', '/api/v1/members', { token: viewer.accessToken })).body.items.filter((m: { role: string }) => m.role === 'owner');
    assert.equal(owners.length, 1);
    // Put org A back as the other tests expect it: `owner` the owner.
    if (owners[0].userId !== owner.userId) {
      await api(hub, 'PATCH', `/api/v1/members/${owner.userId}`, { token: second.accessToken, body: { role: 'owner' } });
    }
    assert.equal((await api(hub, 'DELETE', `/api/v1/members/${second.userId}`, { token: owner.accessToken })).status, 204);
  });

  test('API keys: created once, used, scoped, listed with last use, deleted', async () => {
    const k = await createApiKey(hub, admin, ['read', 'members']);
    assert.match(k.key, /^ubk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const listed = await api(hub, 'GET', '/api/v1/api-keys', { token: k.key });
    assert.equal(listed.status, 200);
    const entry = listed.body.items.find((x: { id: string }) => x.id === k.id);
    assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'scopes']);
    assert.ok(entry.lastUsedAt, 'lastUsedAt is set by the request itself');
    const me = await api(hub, 'GET', '/api/v1/me', { token: k.key });
    assert.deepEqual(me.body.permissions, ['read', 'members']);
    // A key never exceeds its scopes, nor makes a key beyond them.
    assertError(await api(hub, 'PATCH', '/api/v1/org', { token: k.key, body: { name: 'x' } }), 403, 'E_FORBIDDEN');
    assertError(await api(hub, 'POST', '/api/v1/api-keys', { token: k.key, body: { name: 'k2', scopes: ['fleet'] } }), 403, 'E_FORBIDDEN');
    // Nor beyond its creator's role: an admin cannot grant 'org'.
    assertError(await api(hub, 'POST', '/api/v1/api-keys', { token: admin.accessToken, body: { name: 'k3', scopes: ['org'] } }), 403, 'E_FORBIDDEN');
    const readOnly = await createApiKey(hub, admin, ['read']);
    assertError(await api(hub, 'GET', '/api/v1/api-keys', { token: readOnly.key }), 403, 'E_FORBIDDEN');
    assert.equal((await api(hub, 'GET', '/api/v1/members', { token: readOnly.key })).status, 200);
    assertError(await api(hub, 'GET', '/api/v1/members', { token: readOnly.key.slice(0, -2) + (readOnly.key.endsWith('AA') ? 'BB' : 'AA') }), 401, 'E_AUTH_INVALID');
    assert.equal((await api(hub, 'DELETE', `/api/v1/api-keys/${readOnly.id}`, { token: admin.accessToken })).status, 204);
    assertError(await api(hub, 'GET', '/api/v1/members', { token: readOnly.key }), 401, 'E_AUTH_INVALID');
    assertError(await api(hub, 'DELETE', `/api/v1/api-keys/${readOnly.id}`, { token: admin.accessToken }), 404, 'E_NOT_FOUND');
    assert.equal((await hub.app.auth.authenticateToken(k.key)).orgId, owner.orgId);
  });

  test('another org\u2019s members and keys answer 404', async () => {
    const key = await createApiKey(hub, owner, ['read']);
    const cases: Array<[string, string, unknown]> = [
      ['PATCH', `/api/v1/members/${viewer.userId}`, { role: 'member' }],
      ['DELETE', `/api/v1/members/${viewer.userId}`, undefined],
      ['DELETE', `/api/v1/api-keys/${key.id}`, undefined],
      ['DELETE', '/api/v1/api-keys/0000000000000000', undefined],
    ];
    for (const [method, path, body] of cases) assertError(await api(hub, method, path, { token: other.accessToken, body }), 404, 'E_NOT_FOUND');
    const theirs = await api(hub, 'GET', '/api/v1/api-keys', { token: other.accessToken });
    assert.deepEqual(theirs.body.items, []);
    assert.ok(!(await api(hub, 'GET', '/api/v1/members', { token: other.accessToken })).body.items.some((m: { userId: string }) => m.userId === viewer.userId));
    assert.equal((await api(hub, 'GET', '/api/v1/members', { token: key.key })).status, 200, 'the key still works');
  });

  test('validation errors name the field', async () => {
    const cases: Array<[string, string, unknown, RegExp, TestSession | null]> = [
      ['POST', '/api/v1/auth/login', { email: 'a@example.test' }, /password/, null],
      ['POST', '/api/v1/members', { email: 'v@example.test', password: 'short', role: 'viewer' }, /password/, owner],
      ['POST', '/api/v1/members', { email: 'not an email', password: TEST_PASSWORD, role: 'viewer' }, /email/, owner],
      ['POST', '/api/v1/members', { email: 'v@example.test', password: TEST_PASSWORD, role: 'king' }, /role/, owner],
      ['POST', '/api/v1/api-keys', { name: 'k', scopes: ['read'], admin: true }, /admin/, owner],
      ['POST', '/api/v1/api-keys', { name: 'k', scopes: ['everything'] }, /scopes/, owner],
      // A name of spaces only would be stored as a name that shows as nothing.
      ['POST', '/api/v1/orgs', { name: '   ' }, /name/, owner],
      ['POST', '/api/v1/api-keys', { name: ' \t ', scopes: ['read'] }, /name/, owner],
    ];
    for (const [method, path, body, field, who] of cases) {
      const reply = await api(hub, method, path, { body, ...(who ? { token: who.accessToken } : {}) });
      assertError(reply, 400, 'E_BAD_REQUEST');
      assert.match(reply.body.message, field);
    }
  });

  test("bodies the framework itself refuses come out in the hub's codes", async () => {
    const raw = async (body: string, type = 'application/json'): Promise<Reply> => {
      const res = await fetch(`${hub.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': type }, body });
      return { status: res.status, body: JSON.parse(await res.text()) };
    };
    assertError(await raw('{"email": "a@example.test", "password": "x", "__proto__": {"admin": true}}'), 400, 'E_BAD_REQUEST');
    assertError(await raw('{not json'), 400, 'E_BAD_REQUEST');
    // Half of a UTF-16 pair is no character (SQLite would store U+FFFD, accounts.json keep it where
    // strict JSON readers fail): refused for every route, in a value or a key; a whole pair is fine.
    for (const lone of ['{"email": "a@example.test", "password": "x\\ud800"}', '{"email": "a@example.test", "password": "x", "\\udfff": 1}']) {
      const reply = await raw(lone);
      assertError(reply, 400, 'E_BAD_REQUEST');
      assert.match(reply.body.message, /not valid Unicode/);
    }
    assert.equal((await raw('{"email": "a@example.test", "password": "x\\ud83d\\ude00"}')).status, 401, 'an emoji (a whole pair) is read as text');
    assertError(await raw('email=a', 'application/x-www-form-urlencoded'), 415, 'E_BAD_REQUEST');
    assertError(await raw(JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(2 * 1024 * 1024) })), 413, 'E_TOO_LARGE');
  });

  test('the OpenAPI document lists the routes with their tags', async () => {
    const doc = await api(hub, 'GET', '/docs/json');
    assert.equal(doc.status, 200);
    assert.deepEqual(doc.body.paths['/api/v1/api-keys'].post.tags, ['api-keys']);
    assert.deepEqual(doc.body.paths['/api/v1/auth/login'].post.security, []);
  });
});

describe('rate limiting', () => {
  test('login answers 429 E_RATE_LIMITED after 10 tries a minute from one address', async () => {
    const hub = await startTestHub();
    const statuses: number[] = [];
    let last: Reply | null = null;
    for (let i = 0; i < 11; i++) {
      last = await api(hub, 'POST', '/api/v1/auth/login', { body: { email: 'nobody@example.test', password: 'wrong password' } });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    assertError(last!, 429, 'E_RATE_LIMITED');
  });
});

describe('storage', () => {
  test('accounts.json is 0600 and holds no plaintext secret; a restart keeps users and sessions', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-restart-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    const hub: TestHub = await startTestHub({ dataDir });
    const admin = await createAdminSession(hub);
    const viewer = await createOrgUser(hub, admin, 'viewer');
    const key = await createApiKey(hub, admin, ['read']);
    const file = join(dataDir, 'accounts.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'secrets', 'jwt.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, 'secrets')).mode & 0o777, 0o700);
    const text = readFileSync(file, 'utf8');
    // The secret is base64url, so it may hold '_' itself: everything after `ubk_<id>_` is the secret.
    const keySecret = key.key.slice('ubk_'.length + 16 + 1);
    assert.equal(keySecret.length, 43);
    for (const secret of [TEST_PASSWORD, key.key, keySecret, admin.refreshToken]) assert.ok(!text.includes(secret), 'a secret in accounts.json');
    assert.match(text, /\$scrypt\$/);
    assert.equal((await api(hub, 'GET', '/api/v1/members', { token: key.key })).status, 200);
    await hub.stop();

    const config = { ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 };
    const again: RunningHub = await runHub(config, { logger: pino({ level: 'silent' }) });
    after(() => again.stop());
    assert.equal(again.app.auth.setupToken(), null);
    const refreshed = await api(again, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: admin.refreshToken } });
    assert.equal(refreshed.status, 200, 'the refresh token survives the restart');
    assert.equal((await api(again, 'GET', '/api/v1/me', { token: viewer.accessToken })).status, 200, 'so does the signing key');
    assert.equal((await api(again, 'GET', '/api/v1/members', { token: key.key })).status, 200, 'and the API key');
    const login = await api(again, 'POST', '/api/v1/auth/login', { body: { email: viewer.email, password: TEST_PASSWORD } });
    assert.equal(login.status, 200);
    assert.equal(login.body.org.role, 'viewer');
    const keys = await api(again, 'GET', '/api/v1/api-keys', { token: refreshed.body.accessToken });
    assert.ok(keys.body.items[0].lastUsedAt, 'last use was written on shutdown');
  });
});
