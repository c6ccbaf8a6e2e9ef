// Per-address limits on the routes that take a secret, over real HTTP from real source addresses:
// people sharing one address (a shelter's Wi-Fi behind NAT) all sign in, because only failed tries
// count; one address guessing is refused with 429 E_RATE_LIMITED and Retry-After until its minute
// ends; behind a configured reverse proxy each client has its own allowance, and X-Forwarded-For
// from anyone else changes nothing. Time is the hub's injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressFailures, AddressLimitedError, addressKey } from '../src/auth/address-failures.ts';
import { loadHubConfig } from '../src/hub-config.ts';
import { postFrom } from './support/post-from.ts';
import { TEST_PASSWORD } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

test('thirty people behind one address all sign in; ten failed tries from it, then it waits out its minute', async () => {
  let clock = Date.parse('2030-01-01T00:00:00Z');
  const hub = await startTestHub({}, { now: () => clock });
  const shelter = '127.0.0.40';
  const people = Array.from({ length: 30 }, (_, i) => ({ email: `person${i}@example.test`, password: TEST_PASSWORD }));
  await hub.app.auth.createOwner({ ...people[0]!, orgName: 'Shelter' });
  for (const p of people.slice(1)) await hub.app.auth.createOwner({ ...p, orgName: `Home of ${p.email}` });

  for (const p of people) assert.equal((await postFrom(hub, '/api/v1/auth/login', p, shelter)).status, 200, `${p.email} signs in`);

  // Someone at the shelter mistypes, another guesses: ten failures (each a different account, so no account locks).
  for (let i = 0; i < 10; i++) {
    const r = await postFrom(hub, '/api/v1/auth/login', { email: `guess${i}@example.test`, password: 'wrong password' }, shelter);
    assert.equal(r.status, 401, `failure ${i + 1} is a plain wrong password`);
  }
  const refused = await postFrom(hub, '/api/v1/auth/login', people[1]!, shelter);
  assert.equal(refused.status, 429);
  assert.equal(refused.body.code, 'E_RATE_LIMITED');
  assert.equal(refused.retryAfter, '60');
  assert.match(refused.body.message ?? '', /too many failed tries from this address: try again in 60 s/);
  // The people already signed in there renew their sessions as usual (a refresh token is not guessed).
  const signedIn = await postFrom(hub, '/api/v1/auth/login', people[3]!, '127.0.0.45');
  assert.equal((await postFrom(hub, '/api/v1/auth/refresh', { refreshToken: signedIn.body.refreshToken }, shelter)).status, 200);
  // Another address is not affected.
  assert.equal((await postFrom(hub, '/api/v1/auth/login', people[2]!, '127.0.0.41')).status, 200);

  clock += 45_000;
  assert.equal((await postFrom(hub, '/api/v1/auth/login', people[1]!, shelter)).retryAfter, '15');
  clock += 15_000;
  assert.equal((await postFrom(hub, '/api/v1/auth/login', people[1]!, shelter)).status, 200, 'the minute is over');
});

test('bad refresh tokens (tabs left open past their login, a removed member) do not use up an address\u2019s tries', async () => {
  const hub = await startTestHub();
  await hub.app.auth.createOwner({ email: 'owner@example.test', password: TEST_PASSWORD, orgName: 'Shelter' });
  for (let i = 0; i < 12; i++) assert.equal((await postFrom(hub, '/api/v1/auth/refresh', { refreshToken: `urt_stale${i}` }, '127.0.0.42')).status, 401);
  assert.equal((await postFrom(hub, '/api/v1/auth/login', { email: 'owner@example.test', password: TEST_PASSWORD }, '127.0.0.42')).status, 200);
});

test('tries sent all at once get no more than tries one by one: from one address, and at one account from many', async () => {
  const hub = await startTestHub({}, { now: () => Date.parse('2030-01-01T00:00:00Z') });
  await hub.app.auth.createOwner({ email: 'owner@example.test', password: TEST_PASSWORD, orgName: 'Shelter' });
  const fromOne = await Promise.all(Array.from({ length: 30 }, (_, i) => postFrom(hub, '/api/v1/auth/login', { email: `guess${i}@example.test`, password: 'wrong password' }, '127.0.0.46')));
  assert.equal(fromOne.filter((r) => r.status === 401).length, 10, 'ten passwords checked from one address');
  assert.ok(fromOne.filter((r) => r.status !== 401).every((r) => r.status === 429 && r.body.code === 'E_RATE_LIMITED'));
  // One account from 30 addresses (one try each, within every address's allowance): its lock holds.
  const atOne = await Promise.all(Array.from({ length: 30 }, (_, i) => postFrom(hub, '/api/v1/auth/login', { email: 'owner@example.test', password: `guess ${i}` }, `127.0.1.${i + 1}`)));
  assert.equal(atOne.filter((r) => r.status === 401).length, 10, 'ten passwords checked at one account');
  assert.ok(atOne.filter((r) => r.status !== 401).every((r) => r.status === 429 && r.body.code === 'E_LOGIN_THROTTLED'));
});

test('behind a configured reverse proxy each client has its own tries; X-Forwarded-For from anywhere else is ignored', async () => {
  const proxied = await startTestHub({ trustedProxies: ['127.0.0.43'] });
  const proxy = '127.0.0.43';
  let guess = 0;
  const fail = (from: string, client: string) => postFrom(proxied, '/api/v1/auth/login', { email: `guess${guess++}@example.test`, password: 'wrong password' }, from, { 'x-forwarded-for': client });
  for (let i = 0; i < 10; i++) assert.equal((await fail(proxy, '203.0.113.7')).status, 401);
  assert.equal((await fail(proxy, '203.0.113.7')).status, 429, 'the guessing client is refused');
  assert.equal((await fail(proxy, '203.0.113.8')).status, 401, 'another client behind the proxy is not');

  // Not the proxy: a made-up X-Forwarded-For per try does not buy more tries.
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await fail('127.0.0.44', `198.51.100.${i}`)).status);
  assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
});

test('a trusted proxy range that takes in clients does not let them name themselves anything', async () => {
  const hub = await startTestHub({ trustedProxies: ['127.0.0.0/8'] });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await postFrom(hub, '/api/v1/auth/login', { email: `guess${i}@example.test`, password: 'wrong password' }, '127.0.0.47', { 'x-forwarded-for': `not-an-address-${i}` })).status);
  assert.deepEqual(statuses, [...Array(10).fill(401), 429], 'counted by the connection\u2019s address');
});

test('a clock set back (a fast clock corrected) does not turn a minute\u2019s wait into hours', () => {
  let clock = Date.parse('2030-01-01T02:00:00Z');
  const limits = new AddressFailures(() => clock);
  for (let i = 0; i < 10; i++) limits.begin('10.0.0.9').end(true);
  assert.throws(() => limits.begin('10.0.0.9'), (err: AddressLimitedError) => err.retryAfterS === 60);
  clock -= 2 * 3_600_000;
  limits.begin('10.0.0.9').end(false);
});

test('an IPv6 host counts as its /64; a v4-mapped address as the v4 address; a bad trusted proxy stops start-up', () => {
  assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), addressKey('2001:0db8:0001:0002::1'));
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressKey('10.1.2.3'), '10.1.2.3');
  assert.deepEqual(loadHubConfig({ env: {}, flags: { dataDir: '/nonexistent-unibos', trustedProxies: '10.0.0.1, fd00::/8' } }).trustedProxies, ['10.0.0.1', 'fd00::/8']);
  assert.throws(() => loadHubConfig({ env: { UNIBOS_HUB_TRUSTED_PROXIES: '10.0.0.0/33' }, flags: { dataDir: '/nonexistent-unibos' } }), /trustedProxies \(from environment\): "10.0.0.0\/33" is not an IP address or CIDR/);
});
