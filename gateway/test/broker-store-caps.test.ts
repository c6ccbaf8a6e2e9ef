// What one login can make the broker keep on disk is capped: retained topics per login (beyond the
// cap a retained publish to a new topic is delivered live but not kept; replacing and clearing
// always work; only what is stored counts), messages queued per persistent session and over all the
// away sessions of a login (a connected session by its own count only; beyond the cap the newest are not queued), and inbound QoS 2 awaiting PUBREL
// per persistent session over all its connections; and below a reserve of free space on the
// database's filesystem, no sensor's retained message or away session's queue at all (a small
// tmpfs as the card). All hold across a restart on the same data directory, and a client at a cap
// goes on publishing everything else. Real aedes on ephemeral
// ports, real mqtt clients (and a raw socket for QoS 2 left unreleased).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Level } from 'level';
import mqtt from 'mqtt';
import { BROKER_DEFAULTS } from '../src/broker/gateway-broker.ts';
import { OUTGOING_RANGE, OfflineQueueBound, RetainedQuota, WarnOncePer } from '../src/broker/store-quotas.ts';
import { EventWaiter } from '@unibos/test-support';
import { BrokerHarness, type HarnessOptions } from './support/broker-harness.ts';
import { PacketClient } from './support/packet-client.ts';
import { teardown } from './support/teardown.ts';

type Login = { username: string; password: string; clientId: string };

/** An mqtt.js client that records what it receives, for waiting on it. */
class Peer {
  readonly got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  private readonly waiter = new EventWaiter();

  private constructor(readonly client: mqtt.MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.got.push({ topic, payload: payload.toString(), retain: packet.retain });
      this.waiter.wake();
    });
  }

  static async connect(port: number, login: Partial<Login> & { clientId: string }, options: mqtt.IClientOptions = {}): Promise<Peer> {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { ...login, reconnectPeriod: 0, protocolVersion: 4, ...options });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return new Peer(client);
  }

  async subscribe(filter: string, qos: 0 | 1 = 1): Promise<void> {
    const granted = await this.client.subscribeAsync(filter, { qos });
    assert.notEqual(granted[0]?.qos, 128, `subscription to ${filter} granted`);
  }

  publish(topic: string, payload: string, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<unknown> {
    return this.client.publishAsync(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false });
  }

  async until(cond: () => boolean, what: string): Promise<void> {
    // Payloads cut short: a failure's message listing megabytes of snapshots took the test runner minutes to report.
    await this.waiter.until(cond, () => `${what}; got ${JSON.stringify(this.got.map((m) => `${m.topic} ${m.payload.slice(0, 40)}`))}`, 10_000);
  }

  payloads(prefix: string): string[] {
    return this.got.filter((m) => m.topic.startsWith(prefix)).map((m) => m.payload);
  }

  end(): Promise<void> {
    return this.client.endAsync();
  }
}

async function retainedIn(h: BrokerHarness, filter: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for await (const m of h.broker.retained(filter)) found[m.topic] = m.payload.toString();
  return found;
}

async function harness(t: { after(fn: () => Promise<void>): void }, options: HarnessOptions): Promise<{ h: BrokerHarness; done: (fn: () => unknown) => void }> {
  const done = teardown(t);
  const h = await BrokerHarness.start({ wsPort: null, ...options });
  done(() => h.stop());
  return { h, done };
}

const CAP_WARNING = /retained-topic limit/;

describe('retained topics per login', () => {
  it('keeps the first N topics of a login, delivers the rest live without keeping them, counts them, logs once, and leaves other logins alone', async (t) => {
    const { h, done } = await harness(t, { maxRetainedPerLogin: 3 });
    const [s1, s2] = await Promise.all([h.device('s1', 'sensor'), h.device('s2', 'sensor')]);
    const watch = await Peer.connect(h.port, { ...s1, clientId: 's1:watch' });
    done(() => watch.end());
    await watch.subscribe('unibos/v1/sensor/s1/#');
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    for (let i = 0; i < 6; i++) await pub.publish(`unibos/v1/sensor/s1/m${i}`, `v${i}`, { retain: true });
    // Every one is delivered live, the ones not kept too.
    await watch.until(() => watch.got.length === 6, 'six live deliveries');
    assert.deepEqual(watch.payloads('unibos/v1/sensor/s1/'), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/s1/#'), {
      'unibos/v1/sensor/s1/m0': 'v0',
      'unibos/v1/sensor/s1/m1': 'v1',
      'unibos/v1/sensor/s1/m2': 'v2',
    });
    assert.equal(h.broker.stats.storeCapped?.retained_topics, 3);
    assert.equal(h.logs.filter((l) => CAP_WARNING.test(l.msg ?? '')).length, 1, 'logged once for the login');

    // A newcomer gets the kept ones as retained messages, and only those.
    const late = await Peer.connect(h.port, { ...s1, clientId: 's1:late' });
    done(() => late.end());
    await late.subscribe('unibos/v1/sensor/s1/#');
    await late.until(() => late.got.length >= 3, 'the retained messages');
    assert.deepEqual(late.got.map((m) => [m.topic, m.payload, m.retain]).sort(), [
      ['unibos/v1/sensor/s1/m0', 'v0', true],
      ['unibos/v1/sensor/s1/m1', 'v1', true],
      ['unibos/v1/sensor/s1/m2', 'v2', true],
    ]);

    // Another login has a cap of its own.
    const other = await Peer.connect(h.port, s2);
    done(() => other.end());
    const otherWatch = await Peer.connect(h.port, { ...s2, clientId: 's2:watch' });
    done(() => otherWatch.end());
    await otherWatch.subscribe('unibos/v1/sensor/s2/#');
    for (let i = 0; i < 3; i++) await other.publish(`unibos/v1/sensor/s2/m${i}`, `w${i}`, { retain: true });
    await otherWatch.until(() => otherWatch.got.length === 3, 'the other login\'s messages');
    assert.deepEqual(Object.keys(await retainedIn(h, 'unibos/v1/sensor/s2/#')).sort(), ['unibos/v1/sensor/s2/m0', 'unibos/v1/sensor/s2/m1', 'unibos/v1/sensor/s2/m2']);
    assert.equal(h.broker.stats.storeCapped?.retained_topics, 3);
  });

  it('at the cap, replaces and clears existing retained topics, and a cleared one frees room; after a restart the cap still holds', async (t) => {
    const { h, done } = await harness(t, { maxRetainedPerLogin: 2 });
    const s1 = await h.device('s1', 'sensor');
    const connect = async () => {
      const watch = await Peer.connect(h.port, { ...s1, clientId: 's1:watch' });
      done(() => watch.end());
      await watch.subscribe('unibos/v1/sensor/s1/#');
      const pub = await Peer.connect(h.port, s1);
      done(() => pub.end());
      return { watch, pub };
    };
    let { watch, pub } = await connect();
    const send = async (topic: string, payload: string) => {
      const before = watch.got.length;
      await pub.publish(`unibos/v1/sensor/s1/${topic}`, payload, { retain: true });
      // Delivered only once stored: the store is up to date after this.
      await watch.until(() => watch.got.length > before, `the delivery of ${topic}`);
    };
    await send('a', '1');
    await send('b', '1');
    await send('c', '1');
    await send('a', '2');
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/s1/#'), { 'unibos/v1/sensor/s1/a': '2', 'unibos/v1/sensor/s1/b': '1' });
    await send('b', '');
    await send('c', '2');
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/s1/#'), { 'unibos/v1/sensor/s1/a': '2', 'unibos/v1/sensor/s1/c': '2' });

    await Promise.all([watch.end(), pub.end()]);
    await h.restart();
    ({ watch, pub } = await connect());
    await watch.until(() => watch.got.length === 2, 'the retained messages after the restart');
    await send('d', '1');
    await send('a', '3');
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/s1/#'), { 'unibos/v1/sensor/s1/a': '3', 'unibos/v1/sensor/s1/c': '2' });
    assert.equal(h.broker.stats.storeCapped?.retained_topics, 1);
  });

  it('counts all anonymous clients as one login', async (t) => {
    const { h, done } = await harness(t, { maxRetainedPerLogin: 2, allowAnonymous: true });
    const watch = await Peer.connect(h.port, { clientId: 'anon-watch' });
    done(() => watch.end());
    await watch.subscribe('unibos/v1/sensor/anonymous/#');
    for (const [clientId, metric] of [['anon-1', 'x'], ['anon-2', 'y'], ['anon-3', 'z']] as const) {
      const p = await Peer.connect(h.port, { clientId });
      await p.publish(`unibos/v1/sensor/anonymous/${metric}`, metric, { retain: true });
      await p.end();
    }
    await watch.until(() => watch.got.length === 3, 'three live deliveries');
    assert.deepEqual(Object.keys(await retainedIn(h, 'unibos/v1/sensor/anonymous/#')).sort(), ['unibos/v1/sensor/anonymous/x', 'unibos/v1/sensor/anonymous/y']);
    assert.equal(h.broker.stats.storeCapped?.retained_topics, 1);
  });

  it('a flood of retained publishes to new topics does not hold back the login\'s other messages', async (t) => {
    const { h, done } = await harness(t, { maxRetainedPerLogin: 5 });
    const s1 = await h.device('s1', 'sensor');
    const watch = await Peer.connect(h.port, { ...s1, clientId: 's1:watch' });
    done(() => watch.end());
    await watch.subscribe('unibos/v1/sensor/s1/#');
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    const FLOOD = 400;
    const sent: Array<Promise<unknown>> = [];
    // A firmware with a counter in its topic, and its ordinary readings in between.
    for (let i = 0; i < FLOOD; i++) {
      sent.push(pub.publish(`unibos/v1/sensor/s1/boot/${i}`, `t${i}`, { qos: i % 2 === 0 ? 0 : 1, retain: true }));
      if (i % 20 === 0) sent.push(pub.publish('unibos/v1/sensor/s1/temp', `r${i / 20}`, { qos: 1 }));
    }
    await Promise.all(sent);
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/temp').length === FLOOD / 20 && watch.payloads('unibos/v1/sensor/s1/boot/').length === FLOOD, 'every reading and every flood message live');
    assert.deepEqual(watch.payloads('unibos/v1/sensor/s1/temp'), Array.from({ length: FLOOD / 20 }, (_, i) => `r${i}`));
    assert.ok(!pub.client.disconnected && pub.client.connected, 'the publisher is still connected');
    assert.equal(Object.keys(await retainedIn(h, 'unibos/v1/sensor/s1/#')).length, 5);
    assert.equal(h.broker.stats.storeCapped?.retained_topics, FLOOD - 5);
    assert.equal(h.logs.filter((l) => CAP_WARNING.test(l.msg ?? '')).length, 1, 'one log line for the whole flood');
  });
});

describe('retained topics are counted as stored', () => {
  it('a retained publish refused after it was authorized (QoS 2 beyond the window) takes no place of its login, and no topic from its owner', async (t) => {
    const { h, done } = await harness(t, { maxRetainedPerLogin: 1 });
    const [s1, hub] = await Promise.all([h.device('s1', 'sensor'), h.device('hub1', 'hub')]);
    const watch = await Peer.connect(h.port, { ...hub, clientId: 'hub1:watch' });
    done(() => watch.end());
    await watch.subscribe('unibos/v1/sensor/#');
    const send = async (peer: Peer, topic: string, payload: string) => {
      await peer.publish(topic, payload, { retain: true });
      // Delivered only once stored: the store is up to date after this.
      await watch.until(() => watch.got.some((m) => m.topic === topic && m.payload === payload), `the delivery of ${topic} ${payload}`);
    };
    const sensor = await Peer.connect(h.port, s1);
    done(() => sensor.end());
    await send(sensor, 'unibos/v1/sensor/s1/a', 'mine');

    // The hub's persistent QoS 2 session fills its window, then sends a retained message to s1's
    // topic: authorized, then refused (connection closed), never stored.
    const q2 = await qos2Client(h.port, { ...hub, clientId: 'hub1:q2' });
    done(() => q2.destroy());
    qos2Publish(q2, range(1, BROKER_DEFAULTS.maxInflightInbound));
    await q2.until(() => answered(q2, 'pubrec').size === BROKER_DEFAULTS.maxInflightInbound, 'the window filled');
    q2.send({ cmd: 'publish', topic: 'unibos/v1/sensor/s1/a', payload: Buffer.from('refused'), qos: 2, retain: true, dup: false, messageId: 5000 });
    await q2.hangup(10_000);
    assert.ok(!answered(q2, 'pubrec').has(5000), 'refused');

    // s1 still has its topic, so it is still at its cap: a new topic of it is not kept.
    await send(sensor, 'unibos/v1/sensor/s1/b', 'over');
    // The hub has no retained topic: its first is kept.
    const hubPub = await Peer.connect(h.port, hub);
    done(() => hubPub.end());
    await send(hubPub, 'unibos/v1/sensor/hub-notes/x', 'hub');
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/#'), { 'unibos/v1/sensor/s1/a': 'mine', 'unibos/v1/sensor/hub-notes/x': 'hub' });
    assert.equal(h.broker.stats.storeCapped?.retained_topics, 1, 'only s1\'s second topic was not kept');

    // A newcomer is handed what is stored, nothing of the refused publish.
    const late = await Peer.connect(h.port, { ...hub, clientId: 'hub1:late' });
    done(() => late.end());
    await late.subscribe('unibos/v1/sensor/#');
    await late.until(() => late.got.length >= 2, 'the retained messages');
    assert.deepEqual(late.got.map((m) => [m.topic, m.payload, m.retain]).sort(), [
      ['unibos/v1/sensor/hub-notes/x', 'hub', true],
      ['unibos/v1/sensor/s1/a', 'mine', true],
    ]);
  });

  it('a retained message the store failed to write takes no place', async () => {
    // A store whose disk is full, then works again.
    let failing = true;
    const written: string[] = [];
    const store: Record<string, unknown> = {
      storeRetained: async (packet: { topic: string }) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (failing) throw new Error('disk full');
        written.push(packet.topic);
      },
    };
    const quota = new RetainedQuota(1);
    quota.wrap(store);
    const storeRetained = store.storeRetained as (packet: { topic: string; payload: Buffer }) => Promise<unknown>;
    quota.offer(quota.admit('s1', 't/a'));
    await assert.rejects(storeRetained({ topic: 't/a', payload: Buffer.from('x') }), /disk full/);
    quota.withdraw();
    assert.equal(quota.countOf('s1'), 0);
    failing = false;
    const next = quota.admit('s1', 't/b');
    assert.ok(next, 'the place is free again');
    quota.offer(next);
    await storeRetained({ topic: 't/b', payload: Buffer.from('y') });
    quota.withdraw();
    assert.deepEqual(written, ['t/b']);
    assert.equal(quota.countOf('s1'), 1);
    assert.equal(quota.admit('s1', 't/c'), null, 'at the cap with what is stored');
  });
});

describe('messages queued per persistent session', () => {
  const TOPIC = 'unibos/v1/sensor/s1/level';

  /** A persistent session of s1 that subscribes at QoS 1 and goes away; a live clean subscriber shows when each publish was routed (after it was queued). */
  async function awaySession(h: BrokerHarness, done: (fn: () => unknown) => void, s1: Login) {
    const away = await Peer.connect(h.port, { ...s1, clientId: 's1:away' }, { clean: false });
    await away.subscribe('unibos/v1/sensor/s1/#', 1);
    await away.end();
    const live = await Peer.connect(h.port, { ...s1, clientId: 's1:live' });
    done(() => live.end());
    await live.subscribe('unibos/v1/sensor/s1/#', 1);
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    return { live, pub };
  }

  async function publishRange(live: Peer, pub: Peer, from: number, to: number): Promise<void> {
    const before = live.got.length;
    for (let i = from; i < to; i++) await pub.publish(TOPIC, `n${i}`, { qos: 1 });
    await live.until(() => live.got.length === before + (to - from), `messages ${from}..${to - 1} routed`);
  }

  /** Reconnects the away session and returns what it is given: its queue (at least `kept`), then a marker published after it. */
  async function comeBack(h: BrokerHarness, done: (fn: () => unknown) => void, s1: Login, pub: Peer, kept: number): Promise<string[]> {
    const back = await Peer.connect(h.port, { ...s1, clientId: 's1:away' }, { clean: false });
    done(() => back.end());
    await back.until(() => back.got.length >= kept, 'the queued messages');
    await pub.publish(TOPIC, 'marker', { qos: 1 });
    await back.until(() => back.payloads(TOPIC).includes('marker'), 'the marker after the queue');
    return back.payloads(TOPIC);
  }

  it('stops queueing at M for a session that is away, counts the rest, and hands it the kept ones when it comes back', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 5 });
    const s1 = await h.device('s1', 'sensor');
    const { live, pub } = await awaySession(h, done, s1);
    await publishRange(live, pub, 0, 12);
    assert.deepEqual(await comeBack(h, done, s1, pub, 5), ['n0', 'n1', 'n2', 'n3', 'n4', 'marker']);
    assert.equal(h.broker.stats.storeCapped?.offline_queue, 7);
    assert.equal(h.logs.filter((l) => /away with its queue full/.test(l.msg ?? '')).length, 1, 'logged once for the session');
  });

  it('bounds the queues of all the away sessions of one login together, and leaves other logins alone', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 5, maxQueuedPerLogin: 7 });
    const [s1, s2] = await Promise.all([h.device('s1', 'sensor'), h.device('s2', 'sensor')]);
    // Firmware that comes up with a new client id at every boot leaves a session behind each time.
    for (const login of [{ ...s1, clientId: 's1:boot1' }, { ...s1, clientId: 's1:boot2' }, { ...s2, clientId: 's2:away' }]) {
      const away = await Peer.connect(h.port, login, { clean: false });
      await away.subscribe(`unibos/v1/sensor/${login.username}/#`, 1);
      await away.end();
    }
    const live = await Peer.connect(h.port, { ...s1, clientId: 's1:live' });
    done(() => live.end());
    await live.subscribe('unibos/v1/sensor/s1/#', 1);
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    await publishRange(live, pub, 0, 6);
    const live2 = await Peer.connect(h.port, { ...s2, clientId: 's2:live' });
    done(() => live2.end());
    await live2.subscribe('unibos/v1/sensor/s2/#', 1);
    const pub2 = await Peer.connect(h.port, s2);
    done(() => pub2.end());
    const before = live2.got.length;
    for (let i = 0; i < 4; i++) await pub2.publish('unibos/v1/sensor/s2/level', `k${i}`, { qos: 1 });
    await live2.until(() => live2.got.length === before + 4, 's2\'s messages routed');

    const reconnect = async (login: Login, kept: number): Promise<Peer> => {
      const back = await Peer.connect(h.port, login, { clean: false });
      done(() => back.end());
      await back.until(() => back.got.length >= kept, `the queue of ${login.clientId}`);
      return back;
    };
    // Each message is queued for both sessions until the login has 7: n0..n3 for one, n0..n2 for the other.
    const boot1 = await reconnect({ ...s1, clientId: 's1:boot1' }, 3);
    const boot2 = await reconnect({ ...s1, clientId: 's1:boot2' }, 3);
    await pub.publish(TOPIC, 'marker', { qos: 1 });
    for (const back of [boot1, boot2]) await back.until(() => back.payloads(TOPIC).includes('marker'), 'the marker after the queue');
    const queued = [...boot1.payloads(TOPIC), ...boot2.payloads(TOPIC)].filter((p) => p !== 'marker');
    assert.equal(queued.length, 7, `seven queued over both sessions: ${JSON.stringify([boot1.payloads(TOPIC), boot2.payloads(TOPIC)])}`);
    assert.ok(queued.every((p) => ['n0', 'n1', 'n2', 'n3'].includes(p)), 'the oldest kept');
    const other = await reconnect({ ...s2, clientId: 's2:away' }, 4);
    await pub2.publish('unibos/v1/sensor/s2/level', 'marker', { qos: 1 });
    await other.until(() => other.payloads('unibos/v1/sensor/s2/level').includes('marker'), 'the marker after the queue');
    assert.deepEqual(other.payloads('unibos/v1/sensor/s2/level'), ['k0', 'k1', 'k2', 'k3', 'marker'], 'another login is not held to this one\'s total');
    assert.equal(h.broker.stats.storeCapped?.offline_queue_login, 5);
  });

  it('the count survives a restart: a queue full before it stays full after it', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 4 });
    const s1 = await h.device('s1', 'sensor');
    let { live, pub } = await awaySession(h, done, s1);
    // Full before the restart (and nothing from the next run among the kept: the store orders a queue by each run's broker id, not by time).
    await publishRange(live, pub, 0, 4);
    await Promise.all([live.end(), pub.end()]);
    await h.restart();
    live = await Peer.connect(h.port, { ...s1, clientId: 's1:live' });
    done(() => live.end());
    await live.subscribe('unibos/v1/sensor/s1/#', 1);
    pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    await publishRange(live, pub, 4, 8);
    assert.deepEqual(await comeBack(h, done, s1, pub, 4), ['n0', 'n1', 'n2', 'n3', 'marker']);
    assert.equal(h.broker.stats.storeCapped?.offline_queue, 4);
  });
});

describe('messages left unacknowledged by a connected persistent session', () => {
  const TOPIC = 'unibos/v1/sensor/s1/level';

  /** The `outgoing:` entries on disk, read with the broker closed (LevelDB takes one opener). */
  async function queuedOnDisk(h: BrokerHarness): Promise<number> {
    await h.broker.close();
    const db = new Level(join(h.dataDir, 'broker-db'));
    await db.open();
    let n = 0;
    for await (const _ of db.keys(OUTGOING_RANGE)) n++;
    await db.close();
    return n;
  }

  it('a connected session that reads everything and never sends PUBACK stops at the cap on disk and is closed; the publisher goes on', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 5, maxQueuedPerLogin: 7 });
    const s1 = await h.device('s1', 'sensor');
    // A bare socket: it reads every delivery and acknowledges none.
    const sink = (await PacketClient.connect(h.port, { ...s1, clientId: 's1:sink' }, false)).client;
    done(() => sink.destroy());
    await sink.subscribe('unibos/v1/sensor/s1/#', 1, 1);

    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    const N = 60;
    for (let i = 0; i < N; i++) await pub.publish(TOPIC, `n${i}`, { qos: 1 });
    await sink.hangup(10_000);
    const deliveries = sink.publishes().length;
    assert.ok(deliveries >= 1 && deliveries <= 5, `at most the cap delivered: ${deliveries}`);
    assert.ok(pub.client.connected, 'the publisher is still connected');
    assert.equal(h.broker.stats.storeCapped?.offline_queue, N - 5, 'every message beyond the cap counted once');
    assert.equal(h.broker.stats.storeCapped?.offline_queue_login, 0);
    assert.equal(h.logs.filter((l) => /connected with its queue full/.test(l.msg ?? '')).length, 1, 'logged once for the session');
    await pub.end();
    assert.equal(await queuedOnDisk(h), 5, 'the cap on disk');
  });

  it("a crash-looping device making up a client id at each boot, reading and never acknowledging, cannot pile up a session's cap per boot: each boot ends the sessions left behind once the login's total is full", async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 3, maxQueuedPerLogin: 5 });
    const s1 = await h.device('s1', 'sensor');
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    let n = 0;
    for (let boot = 0; boot < 10; boot++) {
      const sink = (await PacketClient.connect(h.port, { ...s1, clientId: `s1:boot${boot}` }, false)).client;
      done(() => sink.destroy());
      await sink.subscribe('unibos/v1/sensor/s1/#', 1, 1);
      // Until the broker closes it at its cap (or, had it room left, four messages).
      for (let i = 0; i < 4 && !sink.closed; i++) await pub.publish(TOPIC, `n${n++}`, { qos: 1 });
      sink.destroy();
      await sink.hangup(10_000);
    }
    const expired = h.broker.stats.sessionsExpired ?? 0;
    assert.ok(expired >= 5, `sessions left behind were ended: ${expired}`);
    assert.ok(h.logs.some((l) => /left behind/.test(l.msg ?? '')), 'and logged');
    await pub.end();
    const onDisk = await queuedOnDisk(h);
    assert.ok(onDisk <= 5 + 3, `the login's total and one session's cap at most on disk, not a cap per boot: ${onDisk}`);
  });

  it('a connected session that acknowledges is not cut off for the sessions its login left behind (firmware that makes up an id at each boot)', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 5, maxQueuedPerLogin: 7 });
    const s1 = await h.device('s1', 'sensor');
    // Two boots' sessions left behind, subscribed, filling the login's total while away.
    for (const clientId of ['s1:boot1', 's1:boot2']) {
      const old = await Peer.connect(h.port, { ...s1, clientId }, { clean: false });
      await old.subscribe('unibos/v1/sensor/s1/#');
      await old.end();
    }
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    for (let i = 0; i < 8; i++) await pub.publish(TOPIC, `old${i}`, { qos: 1 });
    assert.equal(h.broker.stats.storeCapped?.offline_queue_login, 2 * 8 - 7, 'the away sessions are held to the login\'s total');
    // This boot's session, persistent, acknowledging every delivery (mqtt.js does).
    const now = await Peer.connect(h.port, { ...s1, clientId: 's1:boot3' }, { clean: false });
    done(() => now.end());
    let closed = false;
    now.client.on('close', () => {
      closed = true;
    });
    await now.subscribe('unibos/v1/sensor/s1/cmd/#');
    for (let i = 0; i < 10; i++) await pub.publish('unibos/v1/sensor/s1/cmd/valve', `open${i}`, { qos: 1 });
    await now.until(() => now.got.length === 10, 'every command delivered');
    assert.deepEqual(now.payloads('unibos/v1/sensor/s1/cmd/'), Array.from({ length: 10 }, (_, i) => `open${i}`));
    assert.ok(!closed && now.client.connected, 'still connected');
  });

  it('a connected persistent subscriber that acknowledges receives every one of twice the cap, nothing capped', async (t) => {
    const { h, done } = await harness(t, { maxQueuedPerSession: 5, maxQueuedPerLogin: 7 });
    const s1 = await h.device('s1', 'sensor');
    const sub = await Peer.connect(h.port, { ...s1, clientId: 's1:sub' }, { clean: false });
    done(() => sub.end());
    await sub.subscribe('unibos/v1/sensor/s1/#', 1);
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    const N = 10;
    for (let i = 0; i < N; i++) await pub.publish(TOPIC, `n${i}`, { qos: 1 });
    await sub.until(() => sub.got.length === N, 'every message');
    assert.deepEqual(sub.payloads(TOPIC), Array.from({ length: N }, (_, i) => `n${i}`));
    assert.ok(sub.client.connected, 'still connected');
    assert.equal(h.broker.stats.storeCapped?.offline_queue, 0);
    assert.equal(h.broker.stats.storeCapped?.offline_queue_login, 0);
    await Promise.all([sub.end(), pub.end()]);
    assert.equal(await queuedOnDisk(h), 0, 'all acknowledged');
  });

  it('two clears of one packet id at once (two PUBACKs in one read) count one', async () => {
    // A store that clears as aedes-persistence-level does: look the entry up, then delete it.
    const entries = new Set(['c:1', 'c:2']);
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const store: Record<string, unknown> = {
      outgoingClearMessageId: async (client: { id: string }, packet: { messageId: number }) => {
        const key = `${client.id}:${packet.messageId}`;
        await tick();
        if (!entries.has(key)) return undefined;
        await tick();
        entries.delete(key);
        return { messageId: packet.messageId };
      },
    };
    const bound = new OfflineQueueBound({ perSession: 5, perLogin: 7 }, new Map([['c', 2]]), { online: () => true, loginOf: () => 'l', room: () => true, rewritten: () => undefined, dropped: () => undefined });
    bound.wrap(store);
    const clear = store.outgoingClearMessageId as (client: { id: string; clean: boolean }, packet: { messageId: number }) => Promise<unknown>;
    const client = { id: 'c', clean: false };
    await Promise.all([clear(client, { messageId: 1 }), clear(client, { messageId: 1 })]);
    assert.equal(bound.countOf('c'), 1);
    assert.equal(bound.loginCountOf('l'), 1);
    await clear(client, { messageId: 2 });
    assert.equal(bound.countOf('c'), 0);
  });
});

/** A persistent session over a bare socket speaking QoS 2 by hand: it can leave messages unreleased. */
async function qos2Client(port: number, login: Login): Promise<PacketClient> {
  const { client, connack } = await PacketClient.connect(port, login, false);
  assert.equal(connack.returnCode, 0, 'CONNACK');
  return client;
}
const qos2Publish = (c: PacketClient, ids: number[]): void => ids.forEach((id) => c.publish('unibos/v1/sensor/s1/q2', `m${id}`, 2, id));
const qos2Release = (c: PacketClient, ids: number[]): void => ids.forEach((id) => c.send({ cmd: 'pubrel', messageId: id }));
/** The packet ids of every `cmd` (pubrec, pubcomp) the broker sent this client. */
const answered = (c: PacketClient, cmd: 'pubrec' | 'pubcomp'): Set<number> => new Set(c.received.filter((p) => p.cmd === cmd).map((p) => (p as { messageId: number }).messageId));

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('inbound QoS 2 awaiting PUBREL per persistent session', () => {
  it('counts what is stored over all connections and restarts: new packet ids beyond the window close the connection; releasing them lets the client go on', async (t) => {
    const { h, done } = await harness(t, {});
    const s1 = await h.device('s1', 'sensor');
    const login = { ...s1, clientId: 's1:q2' };
    const WINDOW = BROKER_DEFAULTS.maxInflightInbound;
    const first = range(1, WINDOW - 10);
    let c = await qos2Client(h.port, login);
    done(() => c.destroy());
    qos2Publish(c, first);
    await c.until(() => answered(c, 'pubrec').size === first.length, 'a PUBREC for each, never released');
    c.destroy();
    await c.hangup();
    await h.restart();

    // A new connection starts aedes' own count at zero; what is on disk still counts.
    c = await qos2Client(h.port, login);
    // The room left (10) and one more: only that one is refused (more in the socket behind it could
    // each be read and refused before the close is done, as many as the machine's pace lets).
    const kept = range(1000, 10);
    qos2Publish(c, range(1000, 11));
    await c.hangup(10_000);
    const answeredBeforeClose = answered(c, 'pubrec');
    assert.ok([...answeredBeforeClose].every((id) => kept.includes(id)), `no PUBREC beyond the room left: ${[...answeredBeforeClose]}`);
    assert.equal(h.broker.stats.storeCapped?.inbound_qos2, 1);
    // A PUBREC still being written when the refusal closed the connection is lost with it; the
    // message is stored all the same, and the client's resend (DUP) on its next connection is
    // answered, not refused: all the room left was taken.
    c = await qos2Client(h.port, login);
    const unanswered = kept.filter((id) => !answeredBeforeClose.has(id));
    unanswered.forEach((id) => c.publish('unibos/v1/sensor/s1/q2', `m${id}`, 2, id, true));
    await c.until(() => answered(c, 'pubrec').size === unanswered.length, 'a PUBREC for each resent message');
    assert.equal(h.broker.stats.storeCapped?.inbound_qos2, 1);
    // The window is full on disk: any new packet id is refused.
    qos2Publish(c, [3000]);
    await c.hangup(10_000);
    assert.ok(!answered(c, 'pubrec').has(3000));
    assert.equal(h.broker.stats.storeCapped?.inbound_qos2, 2);

    // Released (as a client must after reconnecting), they make room again.
    c = await qos2Client(h.port, login);
    const taken = [...first, ...range(1000, 10)];
    qos2Release(c, taken);
    await c.until(() => answered(c, 'pubcomp').size === taken.length, 'a PUBCOMP for each release');
    qos2Publish(c, range(2000, 50));
    await c.until(() => answered(c, 'pubrec').size === 50, 'the new messages taken');
    assert.ok(!c.closed);
  });
});

describe('free space kept on the filesystem under the database', () => {
  const MiB = 1024 * 1024;

  it('below the reserve, stores no more retained messages of sensors nor queues for away sessions (still delivering them live), keeps the room, and stores again once there is room', { timeout: 120_000, skip: process.getuid?.() !== 0 && 'mounting a small tmpfs as the SD card needs root (CI runs as root)' }, async (t) => {
    const done = teardown(t);
    // A small card of its own, mounted for this test and unmounted even if it fails.
    const card = mkdtempSync(join(tmpdir(), 'unibos-broker-card-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', card]);
    done(() => rmSync(card, { recursive: true, force: true }));
    done(() => execFileSync('umount', ['-l', card]));
    const reserve = 8 * MiB;
    // Measured when the test says (checkDisk), so what it sees does not hang on the timer's moment.
    const h = await BrokerHarness.start({ wsPort: null, minFreeBytes: reserve, diskCheckMs: 3_600_000 }, card);
    done(() => h.stop());
    const s1 = await h.device('s1', 'sensor');
    // A persistent session that goes away, and one that stays connected.
    const away = await Peer.connect(h.port, { ...s1, clientId: 's1:away' }, { clean: false });
    await away.subscribe('unibos/v1/sensor/s1/q/#', 1);
    await away.end();
    const present = await Peer.connect(h.port, { ...s1, clientId: 's1:present' }, { clean: false });
    done(() => present.end());
    await present.subscribe('unibos/v1/sensor/s1/q/#', 1);
    const watch = await Peer.connect(h.port, { ...s1, clientId: 's1:watch' });
    done(() => watch.end());
    await watch.subscribe('unibos/v1/sensor/s1/#');
    const pub = await Peer.connect(h.port, s1);
    done(() => pub.end());
    const queueAndWait = async (name: string, bytes = 0) => {
      const before = watch.got.length;
      await pub.publish('unibos/v1/sensor/s1/q/level', `${name}:${'x'.repeat(bytes)}`, { qos: 1 });
      await watch.until(() => watch.got.length === before + 1, `${name} routed`);
    };
    const names = (peer: Peer) => peer.payloads('unibos/v1/sensor/s1/q/').map((p) => p.split(':')[0]);
    await queueAndWait('q-before');

    // Everything else on the card (logs, the hub outbox) leaves 6 MiB above the reserve.
    const freeNow = (): number => {
      const s = statfsSync(card);
      return s.bavail * s.bsize;
    };
    writeFileSync(join(card, 'other-files'), Buffer.alloc(freeNow() - reserve - 6 * MiB));
    // Room again before the broker closes, even if the test failed.
    done(() => rmSync(join(card, 'other-files'), { force: true }));
    assert.ok(Math.abs((await h.broker.checkDisk())! - (reserve + 6 * MiB)) < MiB, 'the broker measures the card');

    // A camera publishes retained snapshots of 128 KiB to new topics.
    const snapshot = (i: number) => `${i}:${'x'.repeat(128 * 1024)}`;
    for (let i = 0; i < 40; i++) await pub.publish(`unibos/v1/sensor/s1/r/${i}`, snapshot(i), { retain: true });
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/r/').length === 40, 'every snapshot delivered live');
    const kept = Object.keys(await retainedIn(h, 'unibos/v1/sensor/s1/r/#')).map((topic) => Number(topic.split('/').pop())).sort((a, b) => a - b);
    assert.ok(kept.length > 0 && kept.length < 40, `some snapshots kept, not all: ${kept.length}`);
    assert.deepEqual(kept, [...Array(kept.length).keys()], 'the ones before the reserve was reached');
    assert.equal(h.broker.stats.storeCapped?.disk_reserve, 40 - kept.length);
    assert.ok(freeNow() >= reserve, `the reserve is kept: ${(freeNow() / MiB).toFixed(1)} MiB free`);
    // What the reserve is for: the hub outbox can still write.
    writeFileSync(join(card, 'outbox-room'), Buffer.alloc(4 * MiB));
    rmSync(join(card, 'outbox-room'));
    // The estimate charges more than the store keeps: it refuses, but only a measurement says the card is full.
    assert.equal(h.logs.filter((l) => /at its reserve/.test(l.msg ?? '')).length, 0);

    // Logs take the card below the reserve: measured, it is reached, and said once.
    writeFileSync(join(card, 'logs'), Buffer.alloc(freeNow() - reserve + MiB));
    done(() => rmSync(join(card, 'logs'), { force: true }));
    await h.broker.checkDisk();
    await h.broker.checkDisk();
    assert.equal(h.logs.filter((l) => /at its reserve/.test(l.msg ?? '')).length, 1, 'reaching the reserve is logged once');
    await pub.publish('unibos/v1/sensor/s1/r/new', 'small', { retain: true });
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/r/new').length === 1, 'a small retained publish delivered');
    assert.deepEqual(await retainedIn(h, 'unibos/v1/sensor/s1/r/new'), {}, 'reached: even a small new topic waits');
    // A persistent session's QoS 2 publish would wait on disk for its PUBREL: refused, its connection closed (it sends it again later).
    const q2 = await Peer.connect(h.port, { ...s1, clientId: 's1:q2' }, { clean: false });
    // Closed by the broker: ending it waits for nothing (mqtt.js' endAsync would wait for ever).
    done(() => q2.client.end(true));
    const closed = new Promise<void>((resolve) => q2.client.once('close', () => resolve()));
    q2.client.publish('unibos/v1/sensor/s1/q2', 'exactly once', { qos: 2 });
    await closed;

    // A value kept before is replaced, not left stale: above half the reserve, that is on its way.
    await pub.publish('unibos/v1/sensor/s1/r/0', 'replaced', { retain: true });
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/r/0').includes('replaced'), 'the replacement delivered');
    assert.equal((await retainedIn(h, 'unibos/v1/sensor/s1/r/0'))['unibos/v1/sensor/s1/r/0'], 'replaced');

    // Below it, the away session gets no more snapshots queued; the connected one is still served.
    for (let i = 0; i < 3; i++) await queueAndWait(`q-low${i}`, 128 * 1024);
    await present.until(() => names(present).length === 4, 'the connected persistent session served');
    assert.deepEqual(names(present), ['q-before', 'q-low0', 'q-low1', 'q-low2']);
    assert.equal(h.broker.stats.storeCapped?.disk_reserve, 40 - kept.length + 1 + 1 + 3);

    // Below half the reserve a replaced value cannot be stored either: it is cleared, not left stale.
    writeFileSync(join(card, 'more-files'), Buffer.alloc(freeNow() - reserve / 2 + MiB));
    done(() => rmSync(join(card, 'more-files'), { force: true }));
    await h.broker.checkDisk();
    await pub.publish('unibos/v1/sensor/s1/r/1', 'replaced too', { retain: true });
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/r/1').includes('replaced too'), 'the second replacement delivered');
    // The clear is the broker's own write beside the delivery: waited for, not raced.
    for (let i = 0; i < 200 && Object.keys(await retainedIn(h, 'unibos/v1/sensor/s1/r/1')).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(Object.keys(await retainedIn(h, 'unibos/v1/sensor/s1/r/1')), [], 'no stale value for the next subscriber');

    // Room again (the other files cleaned up): stored and queued as before, and said so.
    for (const f of ['more-files', 'logs', 'other-files']) rmSync(join(card, f));
    await h.broker.checkDisk();
    assert.equal(h.logs.filter((l) => /above its reserve again/.test(l.msg ?? '')).length, 1);
    await pub.publish('unibos/v1/sensor/s1/r/after', 'after', { retain: true });
    await watch.until(() => watch.payloads('unibos/v1/sensor/s1/r/after').length === 1, 'the snapshot after');
    assert.equal((await retainedIn(h, 'unibos/v1/sensor/s1/r/after'))['unibos/v1/sensor/s1/r/after'], 'after');
    await queueAndWait('q-after');
    const back = await Peer.connect(h.port, { ...s1, clientId: 's1:away' }, { clean: false });
    done(() => back.end());
    await back.until(() => back.got.length >= 2, 'its queue');
    await queueAndWait('marker');
    await back.until(() => names(back).includes('marker'), 'the marker after its queue');
    assert.deepEqual(names(back), ['q-before', 'q-after', 'marker']);
  });
});

describe('rate-limited warnings', () => {
  it('remember a bounded number of client ids: a flood of new ids logs once each and does not grow without end', () => {
    let now = 0;
    const warn = new WarnOncePer(60_000, () => now, 100);
    for (let i = 0; i < 10_000; i++) assert.equal(warn.hit(`denied publish client-${i}`), 1, 'a new client id logs its first warning');
    assert.ok(warn.size <= 100, `remembered ${warn.size} keys`);
    assert.equal(warn.hit('denied publish client-9999'), null, 'the newest is still rate-limited');
    assert.equal(warn.hit('denied publish client-9999'), null);
    now += 60_000;
    assert.equal(warn.hit('denied publish client-9999'), 3, 'its next line counts what it held back');
  });
});
