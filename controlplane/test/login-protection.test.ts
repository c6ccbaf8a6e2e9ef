// Per-account login protection over real HTTP, from 20 real source addresses (127.0.0.2 ...
// 127.0.0.21): failures for one account are refused with 429 E_LOGIN_THROTTLED and a growing
// Retry-After whatever the address, another account is untouched, the owner still gets in from a
// device that logged in before (or with their refresh token), the lock survives a restart, and
// once it has decayed the owner logs in normally. Time is the hub's injected clock.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { TEST_PASSWORD } from './support/test-auth.ts';
import { postFrom as post, type FromReply } from './support/post-from.ts';

const attackers = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`);

describe('per-account login protection', () => {
  it('slows one account under a spread-out attack, and never locks its owner out for long', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const now = (): number => clock;
    const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-login-'));
    after(() => rmSync(dataDir, { recursive: true, force: true }));
    let hub = await startTestHub({ dataDir }, { now });
    const owner = { email: 'owner@example.test', password: TEST_PASSWORD };
    const other = { email: 'other@example.test', password: TEST_PASSWORD };
    await hub.app.auth.createOwner({ ...owner, orgName: 'Valley rescue' });
    await hub.app.auth.createOwner({ ...other, orgName: 'Hill rescue' });

    // Before the attack the owner logged in once on their laptop: it keeps the device token and a session.
    const laptop = await post(hub, '/api/v1/auth/login', owner);
    assert.equal(laptop.status, 200);
    assert.match(laptop.body.deviceToken ?? '', /^ukd_/);

    // Wrong passwords from 20 addresses, one each: none of them reaches the per-address limit.
    const statuses: number[] = [];
    let lastRefusal: FromReply | null = null;
    for (const from of attackers) {
      const r = await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'not the password' }, from);
      statuses.push(r.status);
      if (r.status === 429) lastRefusal = r;
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), ...Array(10).fill(429)], 'ten free failures, then refused');
    assert.equal(lastRefusal!.body.code, 'E_LOGIN_THROTTLED');
    assert.equal(lastRefusal!.retryAfter, '1');

    // The lock is on the account, not the address, and does not look at the password.
    const ownerFresh = await post(hub, '/api/v1/auth/login', owner, '127.0.0.30');
    assert.equal(ownerFresh.status, 429);
    assert.equal(ownerFresh.body.code, 'E_LOGIN_THROTTLED');

    // Another account is not affected, even from an attacking address.
    assert.equal((await post(hub, '/api/v1/auth/login', other, attackers[0])).status, 200);

    // Growing delays: each failure after a lock runs out doubles the next one.
    const retryAfters: number[] = [];
    for (const from of attackers.slice(0, 4)) {
      clock += 60_000;
      assert.equal((await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'still not it' }, from)).status, 401);
      const refused = await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'still not it' }, from);
      assert.equal(refused.status, 429);
      retryAfters.push(Number(refused.retryAfter));
    }
    assert.deepEqual(retryAfters, [2, 4, 8, 16]);

    // The owner is not locked out: their laptop's device token gets them in with the password,
    assert.equal((await post(hub, '/api/v1/auth/login', { ...owner, deviceToken: laptop.body.deviceToken }, '127.0.0.30')).status, 200);
    // but not with someone else's token, nor with a wrong password.
    const otherDevice = (await post(hub, '/api/v1/auth/login', other, '127.0.0.31')).body.deviceToken;
    assert.equal((await post(hub, '/api/v1/auth/login', { ...owner, deviceToken: otherDevice }, '127.0.0.31')).status, 429);
    assert.equal((await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'wrong password', deviceToken: laptop.body.deviceToken }, '127.0.0.31')).status, 401);
    // and their session keeps refreshing.
    assert.equal((await post(hub, '/api/v1/auth/refresh', { refreshToken: laptop.body.refreshToken }, '127.0.0.30')).status, 200);

    // A restart does not forget the lock (it is in hub.db).
    await hub.stop();
    hub = await startTestHub({ dataDir }, { now });
    const afterRestart = await post(hub, '/api/v1/auth/login', owner, '127.0.0.32');
    assert.equal(afterRestart.status, 429);
    assert.equal(afterRestart.body.code, 'E_LOGIN_THROTTLED');

    // It decays: once the lock has run out the owner logs in with the password alone, and the count starts over.
    clock += Number(afterRestart.retryAfter) * 1000;
    const back = await post(hub, '/api/v1/auth/login', owner, '127.0.0.32');
    assert.equal(back.status, 200);
    assert.equal((await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'one typo' }, '127.0.0.33')).status, 401, 'a single typo is not locked');
    // And an hour without failures forgets the count altogether.
    clock += 60 * 60_000 + 1;
    for (const from of attackers.slice(0, 9)) assert.equal((await post(hub, '/api/v1/auth/login', { email: owner.email, password: 'x-not-it' }, from)).status, 401);
    assert.equal((await post(hub, '/api/v1/auth/login', owner, '127.0.0.33')).status, 200);
  });
});
