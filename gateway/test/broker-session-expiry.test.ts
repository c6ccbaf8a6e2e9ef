// Persistent sessions away longer than sessionExpiryMs expire (mosquitto's
// persistent_client_expiration): their subscriptions and queued messages leave the store and the
// caps' counts, a client coming back finds no session, and the time a session left is kept across
// restarts. Real aedes on ephemeral ports, real clients; the broker's clock is the test's, moved on
// by hand instead of waiting days.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import mqtt from 'mqtt';
import { BROKER_DEFAULTS } from '../src/broker/gateway-broker.ts';
import { EventWaiter } from '@unibos/test-support';
import { BrokerHarness, type HarnessOptions } from './support/broker-harness.ts';
import { PacketClient } from './support/packet-client.ts';
import { teardown } from './support/teardown.ts';

type Login = { username: string; password: string; clientId: string };

const DAY = 24 * 3_600_000;
const TOPIC = 'unibos/v1/sensor/s1/level';

/** The broker's clock: starts at a fixed time and moves only when the test says. */
class TestClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

async function harness(t: { after(fn: () => Promise<void>): void }, options: HarnessOptions) {
  const done = teardown(t);
  const h = await BrokerHarness.start({ wsPort: null, ...options });
  done(() => h.stop());
  return { h, done };
}

/** A clean mqtt.js subscriber: once it has a QoS 1 message, that message was queued for every away session. */
async function liveWatcher(h: BrokerHarness, done: (fn: () => unknown) => void, login: Login) {
  const client = mqtt.connect(`mqtt://127.0.0.1:${h.port}`, { ...login, clientId: `${login.username}:live`, reconnectPeriod: 0, protocolVersion: 4 });
  done(() => client.endAsync());
  const got: string[] = [];
  const waiter = new EventWaiter();
  client.on('message', (_topic, payload) => {
    got.push(payload.toString());
    waiter.wake();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync('unibos/v1/sensor/s1/#', { qos: 1 });
  /** Publishes each payload at QoS 1 and waits until all are routed. */
  const publish = async (...payloads: string[]) => {
    for (const p of payloads) await client.publishAsync(TOPIC, p, { qos: 1 });
    await waiter.until(() => payloads.every((p) => got.includes(p)), () => `${payloads.join(', ')} routed; got ${JSON.stringify(got)}`, 10_000);
  };
  return { publish };
}

/** Opens a persistent session subscribed at QoS 1 and leaves (DISCONNECT); resolves once the broker has seen it go. */
async function openAndLeave(h: BrokerHarness, login: Login): Promise<void> {
  const { client } = await PacketClient.connect(h.port, login, false);
  await client.subscribe('unibos/v1/sensor/s1/#', 1, 1);
  await leave(h, client, login.clientId);
}

async function leave(h: BrokerHarness, client: PacketClient, clientId: string): Promise<void> {
  const gone = () => h.of('clientDisconnected').filter((e) => e.clientId === clientId).length;
  const before = gone();
  await client.disconnect();
  await h.waitUntil(() => gone() > before, `the broker to see ${clientId} leave`);
}

/** Comes back with a persistent session: whether the broker had one, and the client (acknowledging what it gets). */
async function comeBack(h: BrokerHarness, done: (fn: () => unknown) => void, login: Login) {
  const { client, connack } = await PacketClient.connect(h.port, login, false);
  client.acknowledgeDeliveries = true;
  done(() => client.destroy());
  return { client, sessionPresent: connack.sessionPresent, payloads: () => client.publishes().map((p) => p.payload.toString()) };
}

/** The messages queued on disk per client id (the broker closed: LevelDB takes one opener). */
async function queuedOnDisk(h: BrokerHarness): Promise<Map<string, number>> {
  await h.broker.close();
  const db = new Level(join(h.dataDir, 'broker-db'));
  await db.open();
  const counts = new Map<string, number>();
  for await (const key of db.keys({ gte: 'outgoing:', lt: 'outgoing;' })) {
    const id = decodeURIComponent(key.slice('outgoing:'.length, key.indexOf(':', 'outgoing:'.length)));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  await db.close();
  return counts;
}

describe('persistent session expiry', () => {
  it('a session away longer than the expiry loses its subscriptions and queue, counted; its login\'s cap is freed; a younger one keeps everything', async (t) => {
    const clock = new TestClock();
    const { h, done } = await harness(t, { now: clock.now, sessionExpiryMs: 10 * DAY, maxQueuedPerSession: 4, maxQueuedPerLogin: 4 });
    const s1 = await h.device('s1', 'sensor');
    const old = { ...s1, clientId: 's1:old' };
    const young = { ...s1, clientId: 's1:young' };
    await openAndLeave(h, old);
    clock.advance(3 * DAY);
    await openAndLeave(h, young);
    const live = await liveWatcher(h, done, s1);
    // Both away: the login's total (4) goes to the first of them each message is queued for.
    await live.publish('a0', 'a1');

    clock.advance(7 * DAY);
    assert.deepEqual(await h.broker.expireSessions(), [], 'ten days exactly is not longer than ten days');
    clock.advance(1);
    assert.deepEqual(await h.broker.expireSessions(), ['s1:old']);
    assert.equal(h.broker.stats.sessionsExpired, 1);
    assert.equal(h.broker.stats.storeCapped.session_expired, 2, 'the old session\'s queued messages, discarded');
    assert.deepEqual(await h.broker.expireSessions(), [], 'expired once');

    // The login's total no longer counts the old session's messages: four more fit for the young one.
    const cappedBefore = h.broker.stats.storeCapped.offline_queue_login;
    await live.publish('b0', 'b1');
    assert.equal(h.broker.stats.storeCapped.offline_queue_login, cappedBefore, 'nothing capped: the old session takes no place');

    // The young session is whole: its subscription and every message since it left.
    const back = await comeBack(h, done, young);
    assert.equal(back.sessionPresent, true);
    await back.client.until(() => back.payloads().length >= 4, 'the young session\'s queue');
    await live.publish('marker');
    await back.client.until(() => back.payloads().includes('marker'), 'the marker after the queue');
    assert.deepEqual(back.payloads(), ['a0', 'a1', 'b0', 'b1', 'marker']);

    // The old one is gone: no session, no subscription, nothing queued.
    const oldBack = await comeBack(h, done, old);
    assert.equal(oldBack.sessionPresent, false, 'CONNACK: no session present');
    await oldBack.client.subscribe('unibos/v1/sensor/s1/#', 1, 2);
    await live.publish('after');
    await oldBack.client.until(() => oldBack.payloads().includes('after'), 'a message to its new subscription');
    assert.deepEqual(oldBack.payloads(), ['after'], 'nothing from before the expiry');
  });

  it('the time a session left is kept across restarts: one away since before a restart expires on time, at the next start', async (t) => {
    const clock = new TestClock();
    const { h, done } = await harness(t, { now: clock.now });
    assert.equal(BROKER_DEFAULTS.sessionExpiryMs, 14 * DAY, 'two weeks by default');
    const s1 = await h.device('s1', 'sensor');
    const away = { ...s1, clientId: 's1:away' };
    await openAndLeave(h, away);
    const live = await liveWatcher(h, done, s1);
    await live.publish('q0', 'q1');

    clock.advance(10 * DAY);
    await h.restart();
    assert.equal(h.broker.stats.sessionsExpired, 0, 'ten days away: kept');
    clock.advance(4 * DAY);
    assert.deepEqual(await h.broker.expireSessions(), [], 'fourteen days exactly: kept');

    clock.advance(DAY);
    await h.restart();
    assert.equal(h.broker.stats.sessionsExpired, 1, 'expired at start, counted from when it left, not from the restart');
    assert.equal(h.broker.stats.storeCapped.session_expired, 2);
    const back = await comeBack(h, done, away);
    assert.equal(back.sessionPresent, false);
    back.client.destroy();
    assert.equal((await queuedOnDisk(h)).get('s1:away') ?? 0, 0, 'its queue is off the disk');
  });

  it('a session that left while the clock was not set yet (a Pi before GPS or NTP) is not expired when the clock jumps', async (t) => {
    const clock = new TestClock(5 * 60_000);
    const { h, done } = await harness(t, { now: clock.now, sessionExpiryMs: 10 * DAY });
    const s1 = await h.device('s1', 'sensor');
    await openAndLeave(h, { ...s1, clientId: 's1:away' });
    const live = await liveWatcher(h, done, s1);
    await live.publish('kept');
    clock.advance(30 * DAY);
    assert.deepEqual(await h.broker.expireSessions(), [], 'nothing judged on a clock still in 1970');

    clock.t = Date.UTC(2026, 0, 1);
    assert.deepEqual(await h.broker.expireSessions(), [], 'away for minutes, not for 56 years');
    clock.advance(10 * DAY + 1);
    assert.deepEqual(await h.broker.expireSessions(), ['s1:away'], 'counted from the first check on a set clock');
    assert.equal(h.broker.stats.storeCapped.session_expired, 1);
  });

  it('a connected session never expires, and one that comes back starts its time again', async (t) => {
    const clock = new TestClock();
    const { h, done } = await harness(t, { now: clock.now, sessionExpiryMs: 10 * DAY });
    const s1 = await h.device('s1', 'sensor');
    const stays = { ...s1, clientId: 's1:stays' };
    const returns = { ...s1, clientId: 's1:returns' };
    const connected = await comeBack(h, done, stays);
    await connected.client.subscribe('unibos/v1/sensor/s1/#', 1, 1);
    await openAndLeave(h, returns);

    // Away nine days, back for a moment, away again: its time starts again from then.
    clock.advance(9 * DAY);
    const visit = await comeBack(h, done, returns);
    assert.equal(visit.sessionPresent, true);
    await leave(h, visit.client, returns.clientId);
    clock.advance(9 * DAY);
    assert.deepEqual(await h.broker.expireSessions(), [], 'neither expired: one connected for 18 days, the other away for 9');

    const live = await liveWatcher(h, done, s1);
    await live.publish('still-here');
    await connected.client.until(() => connected.payloads().includes('still-here'), 'the connected session still subscribed');
    const again = await comeBack(h, done, returns);
    assert.equal(again.sessionPresent, true);
    await again.client.until(() => again.payloads().includes('still-here'), 'the returning session\'s queue');
    assert.equal(h.broker.stats.sessionsExpired, 0);
  });
  it('a session\'s queue comes back in the order it was queued, across restarts (a plug told ON before a restart and OFF after ends OFF)', async (t) => {
    const { h, done } = await harness(t, {});
    const s1 = await h.device('s1', 'sensor');
    const away = { ...s1, clientId: 's1:away' };
    await openAndLeave(h, away);
    // One message per broker run, seven runs: each run's messages are keyed on disk under that
    // run's broker id, so ids in any order but that of the runs would reorder the queue.
    const sent: string[] = [];
    for (let run = 0; run < 7; run++) {
      if (run === 4 || run === 6) {
        // The start count damaged, or behind (a start that could not write its own): the queued
        // messages' keys say how far it had got.
        await h.broker.close();
        const db = new Level(join(h.dataDir, 'broker-db'));
        await db.open();
        await db.put('unibos-broker-run', run === 4 ? 'not a count' : '1');
        await db.close();
      }
      if (run > 0) await h.restart();
      const live = await liveWatcher(h, done, s1);
      sent.push(`run${run}-a`, `run${run}-b`);
      await live.publish(...sent.slice(-2));
    }
    const back = await comeBack(h, done, away);
    assert.equal(back.sessionPresent, true);
    await back.client.until(() => back.payloads().length >= sent.length, 'the whole queue');
    assert.deepEqual(back.payloads(), sent);
  });
});
