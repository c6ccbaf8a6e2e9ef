// Wrong passwords cost the broker a scrypt verification each. An address that keeps failing is
// refused without one (CONNACK 3, server unavailable, until its window is over), counted by reason;
// a device on another address is never held back by it; and a burst from many addresses at once
// runs only a few verifications at a time while a correct password still gets in. Real broker on an
// ephemeral port, real mqtt.js clients, each from its own 127.0.0.x address.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MqttClient } from 'mqtt';
import { AuthThrottle } from '../src/broker/auth-throttle.ts';
import { BrokerHarness, type HarnessOptions } from './support/broker-harness.ts';

interface Login {
  username: string;
  password: string;
  clientId: string;
}

/** An mqtt.js client connecting from `localAddress`; resolves with the CONNACK return code (0 = in). */
function connectFrom(port: number, localAddress: string, login: Login): { client: MqttClient; connack: Promise<number> } {
  const client = new MqttClient(() => connect({ port, host: '127.0.0.1', localAddress }), { ...login, protocolVersion: 4, reconnectPeriod: 0, clean: true });
  const connack = new Promise<number>((resolve, reject) => {
    client.once('connect', () => resolve(0));
    client.once('error', (err) => {
      const code = (err as Error & { code?: unknown }).code;
      if (typeof code === 'number') resolve(code);
      else reject(err);
    });
  });
  return { client, connack };
}

/** Counts password verifications (each one scrypt) and the most that ran at once. */
function countVerifications(h: BrokerHarness): { total: number; maxAtOnce: number } {
  const seen = { total: 0, maxAtOnce: 0 };
  let running = 0;
  const verify = h.credentials.verifyDevice.bind(h.credentials);
  h.credentials.verifyDevice = async (username, password) => {
    seen.total++;
    seen.maxAtOnce = Math.max(seen.maxAtOnce, ++running);
    try {
      return await verify(username, password);
    } finally {
      running--;
    }
  };
  return seen;
}

/** A broker with one sensor's login, its password checks counted, and clients connecting from chosen addresses (closed after the test). */
async function attacked(t: TestContext, options: HarnessOptions = {}) {
  const h = await BrokerHarness.start({ wsPort: null, ...options });
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) c.end(true);
    await h.stop();
  });
  const s1 = await h.device('s1', 'sensor');
  const verifications = countVerifications(h);
  const from = (address: string, login: Login) => {
    const c = connectFrom(h.port, address, login);
    clients.push(c.client);
    return c;
  };
  return { h, s1, verifications, from };
}

const codes = (list: number[]): Record<number, number> => list.reduce<Record<number, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {});

test('an address hammering wrong passwords is refused without a password check, while a device on another address connects and publishes', async (t) => {
  let now = 1_000_000;
  const { h, s1, verifications, from } = await attacked(t, { authThrottle: { maxFailures: 10, windowMs: 60_000, now: () => now } });
  const received: string[] = [];
  h.broker.subscribe('unibos/v1/sensor/s1/#', (_topic, payload) => void received.push(payload.toString()));

  // 40 guesses from 127.0.0.3, and the sensor logging in from 127.0.0.2 in the middle of them.
  const attack = Array.from({ length: 40 }, (_, i) => from('127.0.0.3', { username: 's1', password: `guess-${i}`, clientId: `guess-${i}` }).connack);
  const device = from('127.0.0.2', { ...s1, clientId: 's1' });
  assert.equal(await device.connack, 0, 'the sensor is let in');
  await device.client.publishAsync('unibos/v1/sensor/s1/temp', '21.5', { qos: 1 });
  assert.deepEqual(received, ['21.5'], 'and its reading reaches the gateway');

  assert.deepEqual(codes(await Promise.all(attack)), { 4: 10, 3: 30 }, '10 wrong passwords, then "server unavailable"');
  assert.equal(verifications.total, 11, 'scrypt ran for the 10 guesses the limit allows and the sensor, not for the 30 refused');
  const stats = h.broker.stats;
  assert.deepEqual(stats.authFailuresByReason, { anonymous: 0, no_password: 0, bad_secret: 10, throttled: 30 });
  assert.equal(stats.authFailures, 40);
  assert.ok(h.logs.some((l) => l.msg === 'authentication failed' && l.remoteAddress === '127.0.0.3' && l.reason === 'too many failed logins for this user name from this address'));

  // Until its window is over, even the right password from that address waits; then it is let in.
  assert.equal(await from('127.0.0.3', { ...s1, clientId: 's1:other' }).connack, 3);
  assert.equal(verifications.total, 11);
  now += 60_000;
  assert.equal(await from('127.0.0.3', { ...s1, clientId: 's1:other' }).connack, 0);
  // The sensor was never cut off: it publishes again.
  await device.client.publishAsync('unibos/v1/sensor/s1/temp', '21.6', { qos: 1 });
  assert.deepEqual(received, ['21.5', '21.6']);
});

test('a device left with an old password locks out only itself, not another device on the same address; one address trying many user names is stopped too', async (t) => {
  const { h, s1, verifications, from } = await attacked(t, { authThrottle: { maxFailures: 10, maxFailuresPerAddress: 30 } });
  const s2 = await h.device('s2', 'sensor');
  // s2 on the same host (Home Assistant beside a stale sensor config) retries an old password.
  const stale = Array.from({ length: 20 }, (_, i) => from('127.0.0.4', { ...s2, password: 'the-old-one', clientId: `s2-${i}` }).connack);
  assert.deepEqual(codes(await Promise.all(stale)), { 4: 10, 3: 10 }, 'the stale login is refused, then refused without a check');
  const device = from('127.0.0.4', { ...s1, clientId: 's1' });
  assert.equal(await device.connack, 0, 's1 on the same address still gets in');

  // Someone on another address trying 40 made-up user names: past 30 failures the address is refused, whatever the name.
  const names = Array.from({ length: 40 }, (_, i) => from('127.0.0.5', { username: `nobody-${i}`, password: 'x', clientId: `n-${i}` }).connack);
  assert.deepEqual(codes(await Promise.all(names)), { 4: 30, 3: 10 });
  assert.equal(verifications.total, 10 + 1 + 30, 'scrypt ran only for the checks the limits allow');
});

test('a burst of wrong passwords from many addresses runs two verifications at a time, and a correct password still gets in', async (t) => {
  const { h, s1, verifications, from } = await attacked(t);
  // 30 addresses, 3 guesses each: every one within its own limit.
  const attack = Array.from({ length: 90 }, (_, i) => from(`127.0.1.${1 + (i % 30)}`, { username: 's1', password: `guess-${i}`, clientId: `guess-${i}` }).connack);
  const device = from('127.0.0.2', { ...s1, clientId: 's1' });
  assert.equal(await device.connack, 0, 'the sensor gets its turn');
  await device.client.publishAsync('unibos/v1/sensor/s1/temp', '21.5', { qos: 1 });
  assert.deepEqual(codes(await Promise.all(attack)), { 4: 90 }, 'every guess is answered, none refused for the queue');
  assert.equal(verifications.total, 91);
  assert.equal(verifications.maxAtOnce, 2, 'scrypt never took more than two of the thread pool');
});

test('the failure table is bounded, and one address never counts against another', () => {
  let now = 0;
  const throttle = new AuthThrottle({ maxFailures: 3, windowMs: 1000, maxAddresses: 100, now: () => now });
  for (let i = 0; i < 3; i++) {
    assert.equal(throttle.tryBegin('10.0.0.1'), true);
    throttle.settle('10.0.0.1', true);
  }
  assert.equal(throttle.tryBegin('10.0.0.1'), false, 'the failing address is refused');
  assert.equal(throttle.tryBegin('10.0.0.2'), true, 'its neighbour is not');
  throttle.settle('10.0.0.2', false);
  // Verifications still running count: three at once from one address, no fourth.
  for (let i = 0; i < 3; i++) assert.equal(throttle.tryBegin('10.0.0.3'), true);
  assert.equal(throttle.tryBegin('10.0.0.3'), false);
  for (let i = 0; i < 3; i++) throttle.settle('10.0.0.3', false);
  assert.equal(throttle.tryBegin('10.0.0.3'), true, 'once they passed, the address is free again');
  throttle.settle('10.0.0.3', false);
  // Thousands of addresses failing once each: the table stays within its bound.
  for (let i = 0; i < 5000; i++) throttle.failed(`10.1.${i >> 8}.${i & 255}`);
  assert.ok(throttle.size <= 100, `tracked ${throttle.size}`);
  now += 1000;
  assert.equal(throttle.tryBegin('10.0.0.1'), true, 'a window passed: refused no more');
});
