// An owner with a given display name (what the top bar shows as the signed-in user), in a new org;
// a session issued through the hub's own services, like createAdminSession.

import { randomUUID } from 'node:crypto';
import { TEST_PASSWORD, type TestSession } from './test-auth.ts';
import type { TestHub } from './test-hub.ts';

export async function createNamedOwner(hub: TestHub, options: { name: string; orgName: string }): Promise<TestSession> {
  const email = `owner-${randomUUID().slice(0, 8)}@example.test`;
  const { userId, orgId } = await hub.app.auth.createOwner({ email, password: TEST_PASSWORD, name: options.name, orgName: options.orgName });
  const s = hub.app.auth.issueSession(userId, orgId);
  return { accessToken: s.accessToken, refreshToken: s.refreshToken, orgId, userId, email, password: TEST_PASSWORD };
}
