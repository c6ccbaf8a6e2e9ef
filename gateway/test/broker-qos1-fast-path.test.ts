// QoS 1 publishes forwarded below aedes (publish-fast-path.ts, issue 14): the publisher gets one
// PUBACK per message, every subscriber gets every message once, in order, with a packet id of its
// own (or at QoS 0 where that is all it was granted), and the gateway's own handlers see them;
// whatever a persistent session would have stored still goes through aedes and its store, so
// nothing queued for a session that is away is lost. Each test checks whether the fast path
// carried the messages (stats.qos1Forwarded), so it tests the path it means to.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { BrokerHarness } from './support/broker-harness.ts';
import { PacketClient, type PacketLogin, type PublishPacket } from './support/packet-client.ts';
import { ProcessPool, connectArgs } from './support/broker-client-process.ts';

const procs = new ProcessPool();

function qos1(topic: string, payload: string | Buffer, messageId: number, dup = false): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 1, messageId, retain: false, dup });
}

const payloads = (publishes: PublishPacket[]): string[] => publishes.map((p) => p.payload.toString());
const ids = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const pubacks = (c: PacketClient): number[] => c.received.filter((p) => p.cmd === 'puback').map((p) => (p as mqttPacket.IPubackPacket).messageId!);

describe('QoS 1 publishes forwarded below aedes', () => {
  let h: BrokerHarness;
  let hub: PacketLogin;
  let sensor: PacketLogin;
  const open: PacketClient[] = [];

  before(async () => {
    h = await BrokerHarness.start({ wsPort: null });
    hub = await h.device('hub1', 'hub');
    sensor = await h.device('s1', 'sensor');
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.destroy();
    await procs.stopAll();
  });
  after(() => h.stop());

  const connect = (login: PacketLogin, clientId: string, clean = true): Promise<PacketClient> => PacketClient.connectAccepted(h.port, { ...login, clientId }, open, clean);

  /** A subscriber that acknowledges every QoS 1 delivery, as a client library does. */
  async function subscriber(clientId: string, filter: string, qos: 0 | 1, clean = true): Promise<PacketClient> {
    const c = await connect(hub, clientId, clean);
    c.acknowledgeDeliveries = true;
    await c.subscribe(filter, qos, 1);
    return c;
  }

  it('acknowledges each message once and delivers it in order to every subscriber, with packet ids of their own, and to the gateway', async () => {
    const topic = 'unibos/v1/sensor/s1/q1';
    const sub1 = await subscriber('hub1:q1', topic, 1);
    const sub0 = await subscriber('hub1:q0', 'unibos/v1/sensor/s1/#', 0);
    const internal: string[] = [];
    const stop = h.broker.subscribe(topic, (_t, payload, clientId) => {
      assert.equal(clientId, 's1:q1');
      internal.push(payload.toString());
    });
    try {
      const pub = await connect(sensor, 's1:q1');
      const before = h.broker.stats.qos1Forwarded;
      const expected = ids(1, 400).map((i) => `${i}:${'ü'.repeat(i % 9)}`);
      const frames = expected.map((payload, i) => qos1(topic, payload, i + 1));
      // The first finds the route unknown and goes through aedes; the rest, in one write, follow it.
      await pub.write(frames[0]!);
      await sub1.until(() => sub1.publishes().length >= 1, 'the first at the QoS 1 subscriber');
      await pub.write(Buffer.concat(frames.slice(1)));
      await pub.until(() => pubacks(pub).length >= 400, 'a PUBACK for each of 400');
      assert.deepEqual(pubacks(pub), ids(1, 400), 'each acknowledged once, in order');
      await sub1.until(() => sub1.publishes().length >= 400, 'all 400 at the QoS 1 subscriber');
      await sub0.until(() => sub0.publishes().length >= 400, 'all 400 at the QoS 0 subscriber');
      const got1 = sub1.publishes();
      assert.deepEqual(payloads(got1), expected);
      assert.ok(got1.every((p) => p.topic === topic && p.qos === 1 && !p.dup && !p.retain));
      const deliveryIds = got1.map((p) => p.messageId!);
      assert.ok(deliveryIds.every((id) => id >= 1 && id <= 65535));
      assert.equal(new Set(deliveryIds).size, 400, 'no packet id given twice while in flight');
      const got0 = sub0.publishes();
      assert.deepEqual(payloads(got0), expected);
      assert.ok(got0.every((p) => p.topic === topic && p.qos === 0 && p.messageId === undefined && !p.dup));
      await h.waitUntil(() => internal.length >= 400, 'all 400 at the gateway');
      assert.deepEqual(internal, expected);
      assert.ok(h.broker.stats.qos1Forwarded - before > 0, 'the fast path carried some');
    } finally {
      stop();
    }
  });

  it('keeps what a persistent session must be given through aedes and its store, online or away', async () => {
    const topic = 'unibos/v1/sensor/s1/durable';
    const away = await subscriber('hub1:durable', topic, 1, false);
    await away.disconnect();
    const live = await subscriber('hub1:live', topic, 1);
    const pub = await connect(sensor, 's1:durable');
    const before = h.broker.stats.qos1Forwarded;
    const first = ids(1, 50).map((i) => `away ${i}`);
    await pub.write(Buffer.concat(first.map((payload, i) => qos1(topic, payload, i + 1))));
    await pub.until(() => pubacks(pub).length >= 50, '50 PUBACKs');
    await live.until(() => live.publishes().length >= 50, 'all 50 at the clean subscriber');
    assert.deepEqual(payloads(live.publishes()), first);
    assert.equal(h.broker.stats.qos1Forwarded, before, 'none below aedes: a persistent session subscribes');

    const back = await subscriber('hub1:durable', topic, 1, false);
    await back.until(() => back.publishes().length >= 50, 'the 50 queued while away');
    assert.deepEqual(payloads(back.publishes()), first);
    await back.disconnect();

    // The session ends (a clean connect under its id): from then on the fast path may carry the topic.
    const ended = await connect(hub, 'hub1:durable', true);
    await ended.disconnect();
    const second = ids(51, 50).map((i) => `after ${i}`);
    for (let i = 0; i < second.length; i++) {
      await pub.write(qos1(topic, second[i]!, 51 + i));
      await live.until(() => live.publishes().length >= 51 + i, `message ${51 + i}`);
    }
    await pub.until(() => pubacks(pub).length >= 100, '100 PUBACKs');
    await live.until(() => live.publishes().length >= 100, 'all 100 at the clean subscriber');
    assert.deepEqual(payloads(live.publishes()), [...first, ...second]);
    assert.ok(h.broker.stats.qos1Forwarded - before > 0, 'the fast path carried some once the session ended');
  });

  it('holds the publisher while a subscriber is not reading and loses nothing', async () => {
    const topic = 'unibos/v1/sensor/s1/slow';
    const slow = await subscriber('hub1:slow', topic, 1);
    const pub = await connect(sensor, 's1:slow');
    const expected = ids(1, 3000).map((i) => `${i} `.padEnd(1024, '.'));
    const frames = expected.map((payload, i) => qos1(topic, payload, i + 1));
    await pub.write(frames[0]!);
    await slow.until(() => slow.publishes().length >= 1, 'the first');
    const before = h.broker.stats.qos1Forwarded;
    slow.pause();
    const sent = pub.write(Buffer.concat(frames.slice(1)));
    // Three megabytes do not fit the sockets' buffers: the broker stops acknowledging before the last.
    await pub.until(() => pubacks(pub).length >= 2, 'a PUBACK after the first');
    slow.resume();
    await sent;
    await slow.until(() => slow.publishes().length >= 3000, 'all 3000 at the subscriber, which reads again');
    assert.deepEqual(payloads(slow.publishes()), expected);
    await pub.until(() => pubacks(pub).length >= 3000, 'a PUBACK for each');
    assert.deepEqual(pubacks(pub), ids(1, 3000));
    assert.ok(h.broker.stats.qos1Forwarded - before > 0, 'the fast path carried some');
  });

  it('leaves to aedes a resend and a denial, after the same client was forwarded', async () => {
    const topic = 'unibos/v1/sensor/s1/rules';
    const sub = await subscriber('hub1:rules', 'unibos/v1/sensor/#', 1);
    const pub = await connect(sensor, 's1:rules');
    await pub.write(Buffer.concat([qos1(topic, 'a', 1), qos1(topic, 'b', 2), qos1(topic, 'c', 3, true)]));
    await pub.until(() => pubacks(pub).length >= 3, 'three PUBACKs');
    await sub.until(() => sub.publishes().length >= 3, 'three messages');
    // The publisher's DUP is its own business: a first delivery carries DUP 0 [MQTT-3.3.1-3].
    assert.deepEqual(sub.publishes().map((p) => [p.payload.toString(), p.dup]), [['a', false], ['b', false], ['c', false]]);

    const deniedBefore = h.broker.stats.denials.publish;
    const forwardedBefore = h.broker.stats.qos1Forwarded;
    await pub.write(Buffer.concat([qos1(topic, 'd', 4), qos1('unibos/v1/sensor/s2/rules', 'not mine', 5), qos1(topic, 'after', 6)]));
    // Denied: acknowledged (MQTT 3.1.1 has no negative PUBACK) and dropped, and what came after it goes on.
    await pub.until(() => pubacks(pub).length >= 6, 'six PUBACKs');
    assert.deepEqual(pubacks(pub), [1, 2, 3, 4, 5, 6]);
    assert.equal(h.broker.stats.denials.publish, deniedBefore + 1);
    assert.equal(h.broker.stats.qos1Forwarded, forwardedBefore + 2, 'd and after went the fast path, the denied one did not');

    const marker = await connect(sensor, 's1:marker');
    await marker.write(qos1(topic, 'end', 1));
    await sub.until(() => sub.publishes().some((p) => p.payload.toString() === 'end'), 'the marker');
    assert.deepEqual(payloads(sub.publishes()).slice(3), ['d', 'after', 'end']);
  });

  it('mosquitto_pub to mosquitto_sub at QoS 1: every line, in order', async () => {
    const topic = 'unibos/v1/sensor/s1/mq';
    const before = h.broker.stats.qos1Forwarded;
    const sub = procs.spawn('mosquitto_sub', [...connectArgs(h.port, { ...hub, clientId: 'hub1:mq' }), '-q', '1', '-t', topic, '-C', '200', '-F', '%q %p']);
    await h.waitUntil(() => h.of('subscribed').some((e) => e.clientId === 'hub1:mq'), 'the SUBACK to mosquitto_sub');
    const lines = ids(1, 200).map((i) => `line ${i}`);
    const pub = procs.spawn('mosquitto_pub', [...connectArgs(h.port, { ...sensor, clientId: 's1:mq' }), '-q', '1', '-t', topic, '-l'], lines.map((l) => `${l}\n`).join(''));
    assert.equal((await pub.waitForExit()).code, 0, pub.describe());
    assert.deepEqual(await sub.waitForLines(200), lines.map((l) => `1 ${l}`));
    assert.ok(h.broker.stats.qos1Forwarded - before > 0, 'the fast path carried some');
  });
});
