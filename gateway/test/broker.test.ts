// The gateway broker against real MQTT peers: Debian's mosquitto_pub/mosquitto_sub over TCP, the
// mqtt npm client over WebSocket, and raw sockets sending what no client library would.

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { GatewayError } from '../src/gateway-error.ts';
import { BROKER_DEFAULTS, GatewayBroker } from '../src/broker/gateway-broker.ts';
import { BrokerHarness } from './support/broker-harness.ts';
import { ProcessPool, connectArgs, type ClientLogin } from './support/broker-client-process.ts';
import { EventWaiter } from '@unibos/test-support';
import { RawClient, encodeConnect, encodePacket, encodePublish, encodePublishQos2 } from './support/broker-raw-socket.ts';

type Login = { username: string; password: string; clientId: string };

const procs = new ProcessPool();
/** For brokers that are expected never to start. */
const silent = pino({ level: 'silent' });
afterEach(() => procs.stopAll());

describe('gateway broker with mosquitto clients', () => {
  let h: BrokerHarness;
  let s1: Login;
  let s2: Login;
  let hub: Login;

  before(async () => {
    h = await BrokerHarness.start();
    [s1, s2, hub] = await Promise.all([h.device('s1', 'sensor'), h.device('s2', 'sensor'), h.device('hub1', 'hub')]);
  });
  after(() => h.stop());

  const as = (login: ClientLogin, clientId: string): string[] => connectArgs(h.port, { ...login, clientId });
  const subscribed = (clientId: string) =>
    h.waitForEvent('subscribed', (e) => e.clientId === clientId, `a SUBACK to ${clientId}`);

  it('carries QoS 0, 1 and 2 from mosquitto_pub to mosquitto_sub at the requested QoS', async () => {
    const seen: Array<[string, string, string | null]> = [];
    const off = h.broker.subscribe('unibos/v1/sensor/s1/#', (topic, payload, clientId) => {
      seen.push([topic, payload.toString(), clientId]);
    });
    try {
      for (const qos of [0, 1, 2]) {
        const topic = `unibos/v1/sensor/s1/qos${qos}`;
        const sub = procs.spawn('mosquitto_sub', [...as(s1, `s1:sub${qos}`), '-q', `${qos}`, '-t', topic, '-C', '1', '-F', '%q %t %p']);
        await subscribed(`s1:sub${qos}`);
        const pub = procs.spawn('mosquitto_pub', [...as(s1, `s1:pub${qos}`), '-q', `${qos}`, '-t', topic, '-m', `reading ${qos}`]);
        assert.equal((await pub.waitForExit()).code, 0, pub.describe());
        assert.deepEqual(await sub.waitForLines(1), [`${qos} ${topic} reading ${qos}`]);
        assert.equal((await sub.waitForExit()).code, 0, sub.describe());
      }
    } finally {
      off();
    }
    // The gateway itself saw each one too, attributed to the client that sent it.
    assert.deepEqual(seen, [0, 1, 2].map((q) => [`unibos/v1/sensor/s1/qos${q}`, `reading ${q}`, `s1:pub${q}`]));
  });

  it('delivers at the lower of the published and the granted QoS, also through wildcard filters', async () => {
    const subs = [0, 1].map((qos) =>
      procs.spawn('mosquitto_sub', [...as(s1, `s1:cap${qos}`), '-q', `${qos}`, '-t', 'unibos/v1/sensor/s1/cap/#', '-C', '1', '-F', '%q %t']),
    );
    await Promise.all([subscribed('s1:cap0'), subscribed('s1:cap1')]);
    const pub = procs.spawn('mosquitto_pub', [...as(s1, 's1:cap-pub'), '-q', '2', '-t', 'unibos/v1/sensor/s1/cap/x', '-m', 'x']);
    assert.equal((await pub.waitForExit()).code, 0);
    assert.deepEqual(await subs[0]!.waitForLines(1), ['0 unibos/v1/sensor/s1/cap/x']);
    assert.deepEqual(await subs[1]!.waitForLines(1), ['1 unibos/v1/sensor/s1/cap/x']);
  });

  it('delivers a retained message to a subscriber that arrives later', async () => {
    const topic = 'unibos/v1/sensor/s1/config';
    // QoS 2 completes only after aedes has stored the message, so the late subscriber cannot race it.
    const pub = procs.spawn('mosquitto_pub', [...as(s1, 's1:retain'), '-q', '2', '-r', '-t', topic, '-m', 'interval=60']);
    assert.equal((await pub.waitForExit()).code, 0, pub.describe());
    const late = procs.spawn('mosquitto_sub', [...as(s1, 's1:late'), '-t', topic, '-C', '1', '-F', '%r %t %p']);
    assert.deepEqual(await late.waitForLines(1), [`1 ${topic} interval=60`]);
    // An empty retained payload deletes it, so later tests' wildcard subscribers do not get it.
    const clear = procs.spawn('mosquitto_pub', [...as(s1, 's1:unretain'), '-q', '2', '-r', '-n', '-t', topic]);
    assert.equal((await clear.waitForExit()).code, 0, clear.describe());
  });

  it("publishes a client's last will when its connection drops", async () => {
    const watch = procs.spawn('mosquitto_sub', [...as(hub, 'hub1:will-watch'), '-t', 'unibos/v1/sensor/s1/status', '-C', '1', '-F', '%t %p']);
    await subscribed('hub1:will-watch');
    const dying = procs.spawn('mosquitto_sub', [
      ...as(s1, 's1:will'),
      '--will-topic', 'unibos/v1/sensor/s1/status',
      '--will-payload', 'offline',
      '--will-qos', '1',
      '-t', 'unibos/v1/sensor/s1/cmd',
    ]);
    await subscribed('s1:will');
    assert.deepEqual(watch.lines, []);
    // SIGKILL: the process cannot send DISCONNECT, the kernel just closes its socket.
    dying.kill('SIGKILL');
    assert.deepEqual(await watch.waitForLines(1), ['unibos/v1/sensor/s1/status offline']);
  });

  it('refuses a will the client would not be allowed to publish', async () => {
    const p = procs.spawn('mosquitto_sub', [
      ...as(s1, 's1:bad-will'),
      '--will-topic', 'unibos/v1/gw/gw-test/status',
      '--will-payload', 'offline',
      '-t', 'unibos/v1/sensor/s1/cmd',
    ]);
    const exit = await p.waitForExit();
    assert.notEqual(exit.code, 0);
    assert.match(p.stderr, /Connection Refused: not authorised/);
    await h.waitForEvent('denied', (e) => e.kind === 'connect' && e.clientId === 's1:bad-will', 'the will denial');
  });

  it('refuses a wrong password, an unknown device and another device’s secret, and logs each with the client id', async () => {
    const attempts: Array<[string, ClientLogin]> = [
      ['s1:wrong', { username: 's1', password: 'not-the-secret' }],
      ['ghost', { username: 'ghost', password: s1.password }],
      ['s1:swapped', { username: 's1', password: s2.password }],
    ];
    for (const [clientId, login] of attempts) {
      const p = procs.spawn('mosquitto_sub', [...as(login, clientId), '-t', 'unibos/v1/sensor/s1/x']);
      const exit = await p.waitForExit();
      assert.notEqual(exit.code, 0, p.describe());
      assert.match(p.stderr, /Connection Refused: bad user name or password/);
      await h.waitForEvent('authFailed', (e) => e.clientId === clientId, `the auth failure of ${clientId}`);
      assert.ok(
        h.logs.some((l) => l.msg === 'authentication failed' && l.clientId === clientId),
        `a log line for ${clientId}`,
      );
    }
  });

  it('refuses anonymous clients by default', async () => {
    const p = procs.spawn('mosquitto_sub', [...connectArgs(h.port, { clientId: 'curious' }), '-t', 'unibos/v1/#']);
    const exit = await p.waitForExit();
    assert.notEqual(exit.code, 0);
    assert.match(p.stderr, /Connection Refused: not authorised/);
    await h.waitForEvent('authFailed', (e) => e.clientId === 'curious' && e.reason === 'anonymous access disabled', 'the refusal');
  });

  it("keeps a sensor's publishes inside its own prefix", async () => {
    const watch = procs.spawn('mosquitto_sub', [...as(hub, 'hub1:acl-watch'), '-t', 'unibos/v1/#', '-C', '1', '-F', '%t %p']);
    await subscribed('hub1:acl-watch');
    const forged = ['unibos/v1/sensor/s2/temp', 'unibos/v1/gw/gw-test/tx', 'unibos/v1/mesh/!00c0ffee/text', 'homeassistant/sensor/x/config'];
    for (const [i, topic] of forged.entries()) {
      const pub = procs.spawn('mosquitto_pub', [...as(s1, `s1:forge${i}`), '-q', '1', '-t', topic, '-m', 'forged']);
      // MQTT 3.1.1 cannot refuse a PUBLISH; as mosquitto does, the broker acknowledges it and drops it.
      const exit = await pub.waitForExit();
      assert.equal(exit.code, 0, pub.describe());
      await h.waitForEvent('denied', (e) => e.kind === 'publish' && e.clientId === `s1:forge${i}` && e.topic === topic, `denial of ${topic}`);
      assert.ok(h.logs.some((l) => l.msg === 'publish denied' && l.clientId === `s1:forge${i}`));
    }
    // The denials were decided before any delivery; a later legitimate message is the first the watcher sees.
    const ok = procs.spawn('mosquitto_pub', [...as(s2, 's2:legit'), '-q', '2', '-t', 'unibos/v1/sensor/s2/temp', '-m', '21.0']);
    assert.equal((await ok.waitForExit()).code, 0, ok.describe());
    assert.deepEqual(await watch.waitForLines(1), ['unibos/v1/sensor/s2/temp 21.0']);
  });

  it('judges every publish of a connection, not only its first', async () => {
    const url = `mqtt://127.0.0.1:${h.port}`;
    const connect = (clientId: string) => mqtt.connectAsync(url, { ...s1, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    const own = 'unibos/v1/sensor/s1/steady';
    const deniedBefore = h.broker.stats.denials.publish;

    // Allowed publishes first, then one to another sensor's topic on the same connection.
    const forger = await connect('s1:steady');
    try {
      for (let i = 0; i < 3; i++) await forger.publishAsync(own, `ok ${i}`, { qos: 1 });
      await forger.publishAsync('unibos/v1/sensor/s2/steady', 'forged', { qos: 1 });
      await h.waitForEvent('denied', (e) => e.kind === 'publish' && e.clientId === 's1:steady' && e.topic === 'unibos/v1/sensor/s2/steady', 'the late denial');
      assert.equal(h.broker.stats.denials.publish, deniedBefore + 1);
    } finally {
      forger.end(true);
    }

    // An allowed topic does not let a later oversized payload to it through.
    const bulky = await connect('s1:bulky');
    try {
      await bulky.publishAsync(own, 'small', { qos: 1 });
      const closed = new Promise<void>((resolve) => bulky.once('close', () => resolve()));
      bulky.publish(own, Buffer.alloc(BROKER_DEFAULTS.maxPayloadBytes + 1), { qos: 1 }, () => undefined);
      await closed;
      await h.waitForEvent('oversized', (e) => e.clientId === 's1:bulky' && e.bytes === BROKER_DEFAULTS.maxPayloadBytes + 1, 'the oversized payload');
    } finally {
      bulky.end(true);
    }
  });

  it('acknowledges and drops a denied publish, so a persistent QoS 1 sensor is not cut off and its readings behind it arrive', async () => {
    // The reviewer's acl-wedge: closing the connection for the denial made the sensor resend it first
    // at every reconnect, cut off again each time, with the good readings queued behind it forever.
    const taken: string[] = [];
    const waiter = new EventWaiter();
    const off = h.broker.subscribe('unibos/v1/#', (topic, payload, clientId) => {
      if (clientId === 's1:wedge') taken.push(`${topic} ${payload.toString()}`);
      waiter.wake();
    });
    const before = h.broker.stats;
    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...s1, clientId: 's1:wedge', clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    let closed = false;
    const cutOff = new Promise<never>((_resolve, reject) => sensor.once('close', () => reject(new Error('the broker closed the sensor\'s connection'))));
    cutOff.catch(() => undefined);
    sensor.on('close', () => (closed = true));
    try {
      const own = 'unibos/v1/sensor/s1/temp';
      const deep = `unibos/v1/sensor/s1/${Array.from({ length: BROKER_DEFAULTS.maxTopicLevels }, (_, i) => `l${i}`).join('/')}`;
      // Pipelined, as a sensor's session sends what it had queued: the denied ones first.
      const acked = Promise.all([
        sensor.publishAsync('unibos/v1/sensor/s2/temp', 'not mine', { qos: 1 }),
        sensor.publishAsync(deep, 'too deep', { qos: 1 }),
        ...[1, 2, 3].map((i) => sensor.publishAsync(own, `reading ${i}`, { qos: 1 })),
      ]);
      await Promise.race([acked, cutOff]);
      await waiter.until(() => taken.length >= 3, () => `the readings at the gateway; got ${JSON.stringify(taken)}`);
      assert.deepEqual(taken, [1, 2, 3].map((i) => `${own} reading ${i}`), 'the good readings arrive, the denied ones do not');
      // A filter over the level limit is refused in its SUBACK, the connection kept.
      await assert.rejects(sensor.subscribeAsync(`${deep}/#`, { qos: 1 }), /Subscribe error/);
      const suback = await h.waitForEvent('subscribed', (e) => e.clientId === 's1:wedge', 'the SUBACK');
      assert.deepEqual(suback.subscriptions, [{ filter: `${deep}/#`, qos: 128 }]);
      await sensor.publishAsync(own, 'reading 4', { qos: 1 });
      await waiter.until(() => taken.length === 4, 'the reading after the refused subscription');
      assert.equal(closed, false, 'the connection stays up');
      assert.ok(!h.of('clientDisconnected').some((e) => e.clientId === 's1:wedge'));
      const after = h.broker.stats;
      assert.equal(after.publishDenials.acl, before.publishDenials.acl + 1);
      assert.equal(after.publishDenials.topic_levels, before.publishDenials.topic_levels + 1);
      assert.equal(after.denials.publish, before.denials.publish + 2);
      assert.ok(h.logs.some((l) => l.msg === 'publish denied' && l.clientId === 's1:wedge' && l.topic === 'unibos/v1/sensor/s2/temp'));
    } finally {
      off();
      await sensor.endAsync(true);
    }
  });

  it("answers a sensor's subscription outside its prefix with a failure return code", async () => {
    const snoop = procs.spawn('mosquitto_sub', [...as(s1, 's1:snoop'), '-t', 'unibos/v1/sensor/+/temp']);
    await snoop.waitForExit();
    assert.match(snoop.stderr, /All subscription requests were denied/);
    const denied = await subscribed('s1:snoop');
    assert.deepEqual(denied.subscriptions, [{ filter: 'unibos/v1/sensor/+/temp', qos: 128 }]);

    // A mixed SUBSCRIBE keeps the allowed filter and refuses the rest, without dropping the client.
    const mixed = procs.spawn('mosquitto_sub', [
      ...as(s1, 's1:mixed'), '-q', '1',
      '-t', 'unibos/v1/sensor/s1/#', '-t', '#', '-t', '$SYS/#', '-t', 'unibos/v1/sensor/s2/#',
      '-C', '1', '-F', '%t %p',
    ]);
    const granted = await subscribed('s1:mixed');
    assert.deepEqual(granted.subscriptions.map((s) => s.qos), [1, 128, 128, 128]);
    const other = procs.spawn('mosquitto_pub', [...as(s2, 's2:other'), '-q', '2', '-t', 'unibos/v1/sensor/s2/temp', '-m', 'not for s1']);
    assert.equal((await other.waitForExit()).code, 0);
    const own = procs.spawn('mosquitto_pub', [...as(s1, 's1:own'), '-q', '1', '-t', 'unibos/v1/sensor/s1/temp', '-m', 'mine']);
    assert.equal((await own.waitForExit()).code, 0);
    assert.deepEqual(await mixed.waitForLines(1), ['unibos/v1/sensor/s1/temp mine']);
  });

  it('lets a device use only its own client id, and refuses an empty id with a persistent session', async () => {
    const p = procs.spawn('mosquitto_pub', [...as(s1, 's2'), '-t', 'unibos/v1/sensor/s1/x', '-m', 'x']);
    await p.waitForExit();
    assert.match(p.stderr, /Connection Refused: identifier rejected/);

    const persistent = new RawClient(h.port);
    persistent.write(encodeConnect({ clientId: '', clean: false, username: 's1', password: s1.password }));
    assert.equal(await persistent.connack(), 2, 'identifier rejected [MQTT-3.1.3-8]');
    await persistent.hangup();

    const clean = new RawClient(h.port);
    clean.write(encodeConnect({ clientId: '', clean: true, username: 's1', password: s1.password }));
    assert.equal(await clean.connack(), 0, 'an empty id with a clean session gets one assigned');
    clean.destroy();
  });

  it('cuts off a removed device and refuses it from then on', async () => {
    const s3 = await h.device('s3', 'sensor');
    const sub = procs.spawn('mosquitto_sub', [...as(s3, 's3'), '-t', 'unibos/v1/sensor/s3/#']);
    await subscribed('s3');
    assert.equal(h.credentials.remove('s3'), true);
    assert.equal(h.broker.disconnectDevice('s3'), 1);
    await h.waitForEvent('clientDisconnected', (e) => e.clientId === 's3', 's3 to be cut off');
    // mosquitto_sub reconnects on its own, and is now turned away.
    await h.waitForEvent('authFailed', (e) => e.clientId === 's3', 'the reconnect to be refused');
    sub.kill();
  });

  it('lets the gateway publish anywhere and receive what the hub sends it', async () => {
    const watch = procs.spawn('mosquitto_sub', [...as(hub, 'hub1:status'), '-t', 'unibos/v1/gw/gw-test/status', '-C', '1', '-F', '%t %p']);
    await subscribed('hub1:status');
    await h.broker.publish('unibos/v1/gw/gw-test/status', '{"state":"online"}', { qos: 1, retain: true });
    assert.deepEqual(await watch.waitForLines(1), ['unibos/v1/gw/gw-test/status {"state":"online"}']);

    const tx: Array<[string, string | null]> = [];
    const waiter = new EventWaiter();
    const off = h.broker.subscribe('unibos/v1/gw/gw-test/tx', (_topic, payload, clientId) => {
      tx.push([payload.toString(), clientId]);
      waiter.wake();
    });
    try {
      const pub = procs.spawn('mosquitto_pub', [...as(hub, 'hub1:tx'), '-q', '1', '-t', 'unibos/v1/gw/gw-test/tx', '-m', '{"text":"hi"}']);
      assert.equal((await pub.waitForExit()).code, 0);
      await waiter.until(() => tx.length === 1, 'the downlink at the gateway');
      assert.deepEqual(tx, [['{"text":"hi"}', 'hub1:tx']]);
    } finally {
      off();
    }
  });

  it('hands a QoS 2 message resent after a lost PUBREC to the gateway only once', async () => {
    const topic = 'unibos/v1/sensor/s1/exactly-once';
    const taken: string[] = [];
    const off = h.broker.subscribe(topic, (_t, payload) => {
      taken.push(payload.toString());
    });
    const raw = new RawClient(h.port);
    try {
      raw.write(encodeConnect({ clientId: 's1:qos2', clean: true, username: 's1', password: s1.password }));
      assert.equal(await raw.connack(), 0);
      raw.write(encodePublishQos2(topic, 7, Buffer.from('once')));
      // CONNACK (4 bytes), then PUBREC for packet 7.
      assert.equal((await raw.receivedAtLeast(8)).subarray(4, 8).toString('hex'), '50020007');
      raw.write(encodePublishQos2(topic, 7, Buffer.from('once'), true));
      assert.equal((await raw.receivedAtLeast(12)).subarray(8, 12).toString('hex'), '50020007', 'the resend is acknowledged again');
      raw.write(encodePacket(0x62, Buffer.from([0, 7]))); // PUBREL
      assert.equal((await raw.receivedAtLeast(16)).subarray(12, 16).toString('hex'), '70020007'); // PUBCOMP
      assert.deepEqual(taken, ['once']);
    } finally {
      off();
      raw.destroy();
    }
  });

  it('does not acknowledge a publish the gateway could not take, so the sensor sends it again', async () => {
    const topic = 'unibos/v1/sensor/s1/flaky';
    const watch = procs.spawn('mosquitto_sub', [...as(hub, 'hub1:flaky'), '-t', topic, '-C', '1', '-F', '%p']);
    await subscribed('hub1:flaky');
    const off = h.broker.subscribe(topic, () => {
      throw new Error('outbox full');
    });
    const first = procs.spawn('mosquitto_pub', [...as(s1, 's1:flaky1'), '-q', '1', '-t', topic, '-m', 'first']);
    const exit = await first.waitForExit();
    off();
    assert.notEqual(exit.code, 0, 'no PUBACK for a message the gateway did not take');
    const second = procs.spawn('mosquitto_pub', [...as(s1, 's1:flaky2'), '-q', '1', '-t', topic, '-m', 'second']);
    assert.equal((await second.waitForExit()).code, 0);
    assert.deepEqual(await watch.waitForLines(1), ['second']);
  });

  it('speaks MQTT over WebSocket to the mqtt npm client', async () => {
    const url = `ws://127.0.0.1:${h.broker.ports.ws}`;
    const client = await mqtt.connectAsync(url, { ...s1, clientId: 's1:ws', protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const connected = await h.waitForEvent('clientConnected', (e) => e.clientId === 's1:ws', 'the ws client');
      assert.equal(connected.transport, 'ws');
      const granted = await client.subscribeAsync('unibos/v1/sensor/s1/ws', { qos: 1 });
      assert.deepEqual(granted.map((g) => g.qos), [1]);
      // mqtt.js turns a 0x80 return code into a rejection.
      await assert.rejects(client.subscribeAsync('unibos/v1/gw/#', { qos: 1 }), /Subscribe error/);
      const message = new Promise<[string, Buffer]>((resolve) => client.once('message', (t, p) => resolve([t, p])));
      await client.publishAsync('unibos/v1/sensor/s1/ws', 'over websocket', { qos: 1 });
      const [topic, payload] = await message;
      assert.equal(topic, 'unibos/v1/sensor/s1/ws');
      assert.equal(payload.toString(), 'over websocket');
      // A WebSocket message larger than any acceptable packet is cut off by ws before MQTT parsing.
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish('unibos/v1/sensor/s1/ws', Buffer.alloc(BROKER_DEFAULTS.maxPayloadBytes + 100_000), { qos: 1 }, () => undefined);
      await closed;
      await h.waitForEvent('oversized', (e) => e.clientId === 's1:ws' && e.bytes === null, 'the oversized WebSocket message');
    } finally {
      await client.endAsync(true);
    }
    await assert.rejects(
      mqtt.connectAsync(url, { username: 's1', password: 'wrong', clientId: 's1:ws-bad', protocolVersion: 4, reconnectPeriod: 0 }),
      /Bad username or password/i,
    );
  });

  it('survives garbage, malformed and oversized packets and connect floods, and keeps serving others', async () => {
    const base = h.broker.stats;
    const raws: RawClient[] = [];
    const raw = (localAddress?: string): RawClient => {
      const r = new RawClient(h.port, '127.0.0.1', localAddress);
      raws.push(r);
      return r;
    };
    try {
      // 200 connections that never send CONNECT: past the pending cap the oldest are dropped.
      const idle = Array.from({ length: 200 }, raw);
      const sheddingDone = new EventWaiter();
      for (const r of idle) r.socket.on('close', () => sheddingDone.wake());
      const expectedShed = 200 - BROKER_DEFAULTS.maxPendingConnections;
      await sheddingDone.until(() => idle.filter((r) => r.closed).length >= expectedShed, 'the oldest idle connections to be shed');

      // Not MQTT at all: an HTTP request.
      const http = raw();
      http.write(Buffer.from('GET / HTTP/1.1\r\nHost: gateway\r\n\r\n'));
      await http.hangup();

      // A CONNECT with a protocol name that is not MQTT, and one whose client id runs past the packet.
      const wrongProtocol = raw();
      wrongProtocol.write(encodePacket(0x10, Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTX'), Buffer.from([4, 2, 0, 30, 0, 1, 0x41])])));
      await wrongProtocol.hangup();
      const truncated = raw();
      truncated.write(encodePacket(0x10, Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 2, 0, 30, 0, 200, 0x41])])));
      await truncated.hangup();

      // Remaining-length headers announcing 256 MiB, before and after logging in.
      const huge = raw();
      huge.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
      await huge.hangup();
      const liar = raw();
      liar.write(encodeConnect({ clientId: 's1:liar', clean: true, username: 's1', password: s1.password }));
      assert.equal(await liar.connack(), 0);
      liar.write(Buffer.concat([encodePublish('unibos/v1/sensor/s1/x', Buffer.from('fine')), Buffer.from([0x30, 0x80, 0x80, 0x80, 0x60])]));
      await liar.hangup();
      // A length field that never ends (five continuation bytes).
      const endless = raw();
      endless.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01]));
      await endless.hangup();

      // A real client sending a payload one byte over the limit.
      const bigFile = join(h.dataDir, 'oversized.bin');
      writeFileSync(bigFile, Buffer.alloc(BROKER_DEFAULTS.maxPayloadBytes + 1, 0x61));
      const big = procs.spawn('mosquitto_pub', [...as(s1, 's1:big'), '-q', '1', '-t', 'unibos/v1/sensor/s1/blob', '-f', bigFile]);
      assert.notEqual((await big.waitForExit()).code, 0, big.describe());
      await h.waitForEvent('oversized', (e) => e.clientId === 's1:big', 'the oversized payload');

      // A burst of wrong-password connects from another address: past its failure limit (10) the
      // address is refused without a password check, as temporarily unavailable (3).
      const guessers = Array.from({ length: 30 }, (_, i) => {
        const g = raw('127.0.0.9');
        g.write(encodeConnect({ clientId: `s1:guess${i}`, clean: true, username: 's1', password: `guess-${i}` }));
        return g;
      });
      const codes = await Promise.all(guessers.map((g) => g.connack()));
      assert.deepEqual([codes.filter((c) => c === 4).length, codes.filter((c) => c === 3).length], [10, 20]);

      // Everyone else is still served.
      const sub = procs.spawn('mosquitto_sub', [...as(s1, 's1:after'), '-q', '1', '-t', 'unibos/v1/sensor/s1/after', '-C', '1', '-F', '%p']);
      await subscribed('s1:after');
      const pub = procs.spawn('mosquitto_pub', [...as(s1, 's1:after-pub'), '-q', '1', '-t', 'unibos/v1/sensor/s1/after', '-m', 'still here']);
      assert.equal((await pub.waitForExit()).code, 0, pub.describe());
      assert.deepEqual(await sub.waitForLines(1), ['still here']);

      const stats = h.broker.stats;
      assert.ok(stats.connectionsShed - base.connectionsShed >= expectedShed, `shed ${stats.connectionsShed}`);
      assert.ok(stats.oversizedDrops - base.oversizedDrops >= 3, `oversized ${stats.oversizedDrops}`);
      assert.equal(stats.authFailures - base.authFailures, 30);
      assert.equal(stats.authFailuresByReason.throttled - base.authFailuresByReason.throttled, 20);
      assert.ok(stats.protocolErrors - base.protocolErrors >= 3, `protocol errors ${stats.protocolErrors}`);
    } finally {
      for (const r of raws) r.destroy();
    }
  });
});

describe('gateway broker with anonymous access enabled', () => {
  it('accepts anonymous clients only from loopback and confines them to unibos/v1/sensor/anonymous/#', async (t) => {
    const h = await BrokerHarness.start({ allowAnonymous: true, host: '0.0.0.0', wsPort: null });
    try {
      await h.device('s1', 'sensor');
      const seen: Array<[string, string | null]> = [];
      h.broker.subscribe('unibos/v1/#', (topic, _payload, clientId) => {
        seen.push([topic, clientId]);
      });
      const anon = (clientId: string, host = '127.0.0.1'): string[] => connectArgs(h.port, { clientId }, host);

      const ok = procs.spawn('mosquitto_pub', [...anon('local-tool'), '-q', '1', '-t', 'unibos/v1/sensor/anonymous/note', '-m', 'hello']);
      assert.equal((await ok.waitForExit()).code, 0, ok.describe());
      assert.deepEqual(seen, [['unibos/v1/sensor/anonymous/note', 'local-tool']]);

      const forge = procs.spawn('mosquitto_pub', [...anon('local-forger'), '-q', '1', '-t', 'unibos/v1/sensor/s1/temp', '-m', '99']);
      // Acknowledged (MQTT 3.1.1 has no negative PUBACK) and dropped: the gateway never took it.
      assert.equal((await forge.waitForExit()).code, 0, forge.describe());
      await h.waitForEvent('denied', (e) => e.clientId === 'local-forger' && e.kind === 'publish', 'the anonymous denial');
      assert.deepEqual(seen, [['unibos/v1/sensor/anonymous/note', 'local-tool']]);

      const squatter = procs.spawn('mosquitto_pub', [...anon('s1'), '-t', 'unibos/v1/sensor/anonymous/x', '-m', 'x']);
      await squatter.waitForExit();
      assert.match(squatter.stderr, /identifier rejected/, "an anonymous client cannot take a device's session");

      const lan = Object.values(networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
      if (!lan) {
        t.diagnostic('no non-loopback IPv4 interface here; the remote-anonymous refusal was not exercised');
        return;
      }
      const remote = procs.spawn('mosquitto_pub', [...anon('from-lan', lan.address), '-t', 'unibos/v1/sensor/anonymous/x', '-m', 'x']);
      await remote.waitForExit();
      assert.match(remote.stderr, /Connection Refused: not authorised/);
      await h.waitForEvent('authFailed', (e) => e.clientId === 'from-lan' && e.reason === 'anonymous clients only from loopback', 'the LAN refusal');
      assert.deepEqual(seen.length, 1);
    } finally {
      await h.stop();
    }
  });
});

describe('gateway broker persistence and lifecycle', () => {
  it('keeps retained messages and a persistent session’s queued QoS 1 messages across a restart', async () => {
    const h = await BrokerHarness.start({ wsPort: null });
    try {
      const s1 = await h.device('s1', 'sensor');
      const hub = await h.device('hub1', 'hub');
      const topic = 'unibos/v1/sensor/s1/cmd/#';
      const first = procs.spawn('mosquitto_sub', [...connectArgs(h.port, { ...s1, clientId: 's1:persist' }), '-c', '-q', '1', '-t', topic]);
      await h.waitForEvent('subscribed', (e) => e.clientId === 's1:persist', 'the persistent subscription');
      first.kill('SIGKILL');
      await h.waitForEvent('clientDisconnected', (e) => e.clientId === 's1:persist', 'the subscriber to go away');

      await h.broker.publish('unibos/v1/sensor/s1/cmd/a', 'from the gateway', { qos: 1 });
      const fromHub = procs.spawn('mosquitto_pub', [...connectArgs(h.port, { ...hub, clientId: 'hub1:cmd' }), '-q', '2', '-t', 'unibos/v1/sensor/s1/cmd/b', '-m', 'from the hub']);
      assert.equal((await fromHub.waitForExit()).code, 0);
      const retained = procs.spawn('mosquitto_pub', [...connectArgs(h.port, { ...s1, clientId: 's1:meta' }), '-q', '2', '-r', '-t', 'unibos/v1/sensor/s1/meta', '-m', 'fw=1.2']);
      assert.equal((await retained.waitForExit()).code, 0);

      await h.restart();

      const back = procs.spawn('mosquitto_sub', [...connectArgs(h.port, { ...s1, clientId: 's1:persist' }), '-c', '-q', '1', '-t', topic, '-C', '2', '-F', '%q %t %p']);
      assert.deepEqual(await back.waitForLines(2), ['1 unibos/v1/sensor/s1/cmd/a from the gateway', '1 unibos/v1/sensor/s1/cmd/b from the hub']);
      const late = procs.spawn('mosquitto_sub', [...connectArgs(h.port, { ...s1, clientId: 's1:late' }), '-t', 'unibos/v1/sensor/s1/meta', '-C', '1', '-F', '%r %p']);
      assert.deepEqual(await late.waitForLines(1), ['1 fw=1.2']);
    } finally {
      await h.stop();
    }
  });

  it('refuses a port in use and a data directory another broker holds', async () => {
    const h = await BrokerHarness.start({ wsPort: null });
    try {
      await assert.rejects(
        GatewayBroker.start({ dataDir: `${h.dataDir}-other`, credentials: h.credentials, gatewayId: 'x', logger: silent, port: h.port, wsPort: null }),
        (err: unknown) => err instanceof GatewayError && err.code === 'E_CONFIG' && err.message.includes(String(h.port)),
      );
      await assert.rejects(
        GatewayBroker.start({ dataDir: h.dataDir, credentials: h.credentials, gatewayId: 'x', logger: silent, port: 0, wsPort: null }),
        (err: unknown) => err instanceof GatewayError && err.code === 'E_STORAGE',
      );
    } finally {
      await h.stop();
    }
  });

  // Nothing here waits for a timeout: with the connect timeout at ten minutes, a close that left the
  // idle socket to it would hang and fail on the test's own limit.
  it('closes listeners, clients and its database without leaving sockets or timers behind', { timeout: 15_000 }, async () => {
    const counted = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'];
    const count = (): Record<string, number> =>
      Object.fromEntries(counted.map((k) => [k, process.getActiveResourcesInfo().filter((r) => r === k).length]));
    const before = count();
    const h = await BrokerHarness.start({ connectTimeoutMs: 600_000 });
    const s1 = await h.device('s1', 'sensor');
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${h.broker.ports.ws}`, { ...s1, clientId: 's1:ws', protocolVersion: 4, reconnectPeriod: 0 });
    const idle = new RawClient(h.port);
    await idle.connected();
    const wsClosed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await h.broker.close();
    await idle.hangup();
    await wsClosed;
    await ws.endAsync(true);
    // The database lock is gone: a new broker opens the same directory.
    await h.restart();
    await h.stop();
    assert.deepEqual(count(), before);
  });
});

