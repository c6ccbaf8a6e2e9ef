// Accounts for tests: an owner session in a fresh org, and users of a given role in it. Sessions
// are issued through the hub's own services (no login round trip, so the login rate limit is
// not spent); members are added through the real API.

import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/auth/auth-context.ts';
import type { TestHub } from './test-hub.ts';

export interface TestSession {
  accessToken: string;
  refreshToken: string;
  orgId: string;
  userId: string;
  email: string;
  password: string;
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** The owner of a new org. On a hub without users this is the first admin (through the setup link flow). */
export async function createAdminSession(hub: TestHub, options: { orgName?: string } = {}): Promise<TestSession> {
  const auth = hub.app.auth;
  const email = `owner-${randomUUID().slice(0, 8)}@example.test`;
  const setupToken = auth.setupToken();
  if (setupToken) {
    const res = await fetch(`${hub.url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: setupToken, email, password: TEST_PASSWORD, orgName: options.orgName ?? 'Test org' }),
    });
    if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
    const s = (await res.json()) as { accessToken: string; refreshToken: string; user: { id: string }; org: { id: string } };
    return { accessToken: s.accessToken, refreshToken: s.refreshToken, orgId: s.org.id, userId: s.user.id, email, password: TEST_PASSWORD };
  }
  const { userId, orgId } = await auth.createOwner({ email, password: TEST_PASSWORD, orgName: options.orgName ?? 'Test org' });
  const s = auth.issueSession(userId, orgId);
  return { accessToken: s.accessToken, refreshToken: s.refreshToken, orgId, userId, email, password: TEST_PASSWORD };
}

/** A new user with `role` in the session's org (added by the session's owner/admin through POST /api/v1/members). */
export async function createOrgUser(hub: TestHub, session: TestSession, role: Role): Promise<TestSession> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const res = await fetch(`${hub.url}/api/v1/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
    body: JSON.stringify({ email, password: TEST_PASSWORD, role }),
  });
  if (res.status !== 201) throw new Error(`adding a ${role} failed: ${res.status} ${await res.text()}`);
  const { userId } = (await res.json()) as { userId: string };
  const s = hub.app.auth.issueSession(userId, session.orgId);
  return { accessToken: s.accessToken, refreshToken: s.refreshToken, orgId: session.orgId, userId, email, password: TEST_PASSWORD };
}

/** An API key with `scopes` in the session's org (created through POST /api/v1/api-keys). */
export async function createApiKey(hub: TestHub, session: TestSession, scopes: string[], name = 'test key'): Promise<{ id: string; key: string }> {
  const res = await fetch(`${hub.url}/api/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
    body: JSON.stringify({ name, scopes }),
  });
  if (res.status !== 201) throw new Error(`creating an API key failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** One API call as the session, answered with its status and parsed body (null when empty). */
export async function api(hub: { url: string } | string, session: TestSession, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${typeof hub === 'string' ? hub : hub.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...bearer(session.accessToken), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
