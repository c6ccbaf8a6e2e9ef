// Refresh-token rotation when the answer is lost (a reload while the refresh is on its way, two
// tabs of one login renewing at once): the token just spent, presented again within the grace
// period, gets the same successor; outside it, or once the successor is spent, reuse still
// revokes the whole login, so a stolen token replayed later is still caught.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REUSE_GRACE_MS } from '../src/auth/refresh-tokens.ts';
import { bearer, createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

interface Reply {
  status: number;
  body: any;
}

async function post(hub: { url: string }, path: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const refresh = (hub: { url: string }, refreshToken: string) => post(hub, '/api/v1/auth/refresh', { refreshToken });

async function me(hub: { url: string }, accessToken: string): Promise<number> {
  return (await fetch(`${hub.url}/api/v1/me`, { headers: bearer(accessToken) })).status;
}

function assertError(reply: Reply, code: string): void {
  assert.equal(reply.status, 401, JSON.stringify(reply.body));
  assert.equal(reply.body.code, code, JSON.stringify(reply.body));
}

describe('refresh after a lost answer', () => {
  test('the token just spent, presented again at once, gets the same session back and the login carries on', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startTestHub({}, { now: () => clock });
    const admin = await createAdminSession(hub);
    // The page sent this refresh and was reloaded before the answer came back.
    const lost = await refresh(hub, admin.refreshToken);
    assert.equal(lost.status, 200);
    clock += 2_000;
    // The reloaded page still holds the spent token and presents it.
    const again = await refresh(hub, admin.refreshToken);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.refreshToken, lost.body.refreshToken, 'the same successor: the login has one live token');
    assert.equal(again.body.user.id, admin.userId);
    assert.equal(again.body.org.id, admin.orgId);
    assert.equal(await me(hub, again.body.accessToken), 200);
    // And renews as usual afterwards.
    clock += 60_000;
    const next = await refresh(hub, again.body.refreshToken);
    assert.equal(next.status, 200);
    assert.equal(await me(hub, next.body.accessToken), 200);
  });

  test('two tabs of one login renewing at the same moment both stay signed in', async () => {
    const hub = await startTestHub();
    const admin = await createAdminSession(hub);
    const [a, b] = await Promise.all([refresh(hub, admin.refreshToken), refresh(hub, admin.refreshToken)]);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.equal(a.body.refreshToken, b.body.refreshToken);
    assert.equal((await refresh(hub, a.body.refreshToken)).status, 200);
  });

  test('a spent token replayed after the grace period still revokes every session of the login', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startTestHub({}, { now: () => clock });
    const admin = await createAdminSession(hub);
    const rotated = await refresh(hub, admin.refreshToken);
    assert.equal(rotated.status, 200);
    clock += REUSE_GRACE_MS + 1;
    // The thief's copy of the old token, later: theft detected.
    assertError(await refresh(hub, admin.refreshToken), 'E_AUTH_REUSED');
    assertError(await refresh(hub, rotated.body.refreshToken), 'E_AUTH_INVALID');
  });

  test('within the grace period, a spent token whose successor was already used revokes the login', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const hub = await startTestHub({}, { now: () => clock });
    const admin = await createAdminSession(hub);
    const first = await refresh(hub, admin.refreshToken);
    clock += 1_000;
    const second = await refresh(hub, first.body.refreshToken);
    assert.equal(second.status, 200);
    clock += 1_000;
    assertError(await refresh(hub, admin.refreshToken), 'E_AUTH_REUSED');
    assertError(await refresh(hub, second.body.refreshToken), 'E_AUTH_INVALID');
    // Nor does the repeat come back after a sign-out.
    const other = await createAdminSession(hub);
    const out = await refresh(hub, other.refreshToken);
    assert.equal((await post(hub, '/api/v1/auth/logout', { refreshToken: out.body.refreshToken })).status, 204);
    assertError(await refresh(hub, other.refreshToken), 'E_AUTH_INVALID');
  });

  test('the hub keeps no live refresh token in the clear on disk', async () => {
    const hub = await startTestHub();
    const admin = await createAdminSession(hub);
    const rotated = await refresh(hub, admin.refreshToken);
    assert.equal(rotated.status, 200);
    const files = readdirSync(hub.dataDir).filter((f) => f.startsWith('hub.db'));
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(join(hub.dataDir, f));
      for (const token of [admin.refreshToken, rotated.body.refreshToken as string]) assert.equal(bytes.includes(token), false, `a refresh token in ${f}`);
    }
  });
});
