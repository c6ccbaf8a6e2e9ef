// QoS 0 publishes forwarded below aedes (publish-fast-path.ts, issue 14): whatever path a message
// takes, subscribers and the gateway's own handlers see the same messages, in order, and every
// rule still holds (ACL per device, `$` refusals, the size limit, retained messages, subscriptions
// that change, refusals by the gateway's handlers). Each test checks
// that the fast path did carry messages (stats.qos0Forwarded), so it tests that path, not aedes'.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { EventWaiter } from '@unibos/test-support';
import { BrokerHarness } from './support/broker-harness.ts';

/** A client over a bare socket that writes bytes exactly as the test cuts them. */
class RawPublisher {
  closed = false;
  readonly received: mqttPacket.Packet[] = [];
  private readonly waiter = new EventWaiter();
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private connacked = false;

  private constructor(private readonly socket: Socket) {
    this.parser.on('packet', (p: mqttPacket.Packet) => {
      if (p.cmd === 'connack' && p.returnCode === 0) this.connacked = true;
      this.received.push(p);
      this.waiter.wake();
    });
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, login: { username: string; password: string; clientId: string }): Promise<RawPublisher> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const p = new RawPublisher(socket);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: login.clientId, keepalive: 30, username: login.username, password: Buffer.from(login.password) }));
    await p.waiter.until(() => p.connacked || p.closed, 'CONNACK', 5000);
    assert.ok(p.connacked, 'connected');
    return p;
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  async until(cond: () => boolean, what: string): Promise<void> {
    await this.waiter.until(() => cond() || this.closed, what, 5000);
    assert.ok(!this.closed, `connection closed while waiting for ${what}`);
  }

  async hangup(): Promise<void> {
    await this.waiter.until(() => this.closed, 'the broker to close the connection', 5000);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function qos0(topic: string, payload: string | Buffer, retain = false): Buffer {
  return mqttPacket.generate({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain, dup: false });
}

/** Collects what an mqtt.js client receives and lets a test wait for it. */
function collect(client: MqttClient): { messages: Array<{ topic: string; payload: string; retain: boolean }>; until: (cond: () => boolean, what: string) => Promise<void> } {
  const waiter = new EventWaiter();
  const messages: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString(), retain: packet.retain });
    waiter.wake();
  });
  return { messages, until: (cond, what) => waiter.until(cond, () => `${what}; got ${messages.length}`, 10_000) };
}

describe('QoS 0 publishes forwarded below aedes', () => {
  let h: BrokerHarness;
  const clients: MqttClient[] = [];
  const raws: Array<{ destroy(): void }> = [];
  let hub: { username: string; password: string; clientId: string };
  let sensor: { username: string; password: string; clientId: string };

  before(async () => {
    h = await BrokerHarness.start({ wsPort: null });
    hub = await h.device('hub1', 'hub');
    sensor = await h.device('s1', 'sensor');
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true);
    for (const r of raws) r.destroy();
    await h.stop();
  });

  async function client(login: { username: string; password: string }, clientId: string): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  it('delivers every message, in order and unchanged, to every subscriber whatever QoS it asked for, and to the gateway', async () => {
    const sub0 = await client(hub, 'hub1:q0');
    const sub1 = await client(hub, 'hub1:q1');
    const got0 = collect(sub0);
    const got1 = collect(sub1);
    await sub0.subscribeAsync('unibos/v1/sensor/s1/#', { qos: 0 });
    await sub1.subscribeAsync('unibos/v1/sensor/s1/temp', { qos: 1 });
    const internal: Array<{ payload: string; clientId: string | null }> = [];
    const stop = h.broker.subscribe('unibos/v1/sensor/s1/temp', (_topic, payload, clientId) => {
      internal.push({ payload: payload.toString(), clientId });
    });
    const forwardedBefore = h.broker.stats.qos0Forwarded;
    try {
      const pub = await client(sensor, 's1');
      const expected = Array.from({ length: 500 }, (_, i) => `${i}:${'é'.repeat(i % 7)}`);
      for (const payload of expected) pub.publish('unibos/v1/sensor/s1/temp', payload, { qos: 0 });
      await got0.until(() => got0.messages.length >= 500, 'all 500 at the QoS 0 subscriber');
      await got1.until(() => got1.messages.length >= 500, 'all 500 at the QoS 1 subscriber');
      for (const got of [got0, got1]) {
        assert.deepEqual(got.messages.map((m) => m.payload), expected);
        assert.ok(got.messages.every((m) => m.topic === 'unibos/v1/sensor/s1/temp' && !m.retain));
      }
      await h.waitUntil(() => internal.length >= 500, 'all 500 at the gateway');
      assert.deepEqual(internal.map((m) => m.payload), expected);
      assert.ok(internal.every((m) => m.clientId === 's1'));
      assert.ok(h.broker.stats.qos0Forwarded - forwardedBefore > 0, 'some went the fast path');

      // A retained message from the same publisher is still stored (by aedes) and delivered now without the flag [MQTT-3.3.1-9].
      await pub.publishAsync('unibos/v1/sensor/s1/temp', 'kept', { qos: 0, retain: true });
      await got0.until(() => got0.messages.length >= 501, 'the retained one');
      assert.deepEqual(got0.messages[500], { topic: 'unibos/v1/sensor/s1/temp', payload: 'kept', retain: false });
      const late = await client(hub, 'hub1:late');
      const gotLate = collect(late);
      await late.subscribeAsync('unibos/v1/sensor/s1/temp', { qos: 0 });
      await gotLate.until(() => gotLate.messages.length >= 1, 'the retained message');
      assert.deepEqual(gotLate.messages, [{ topic: 'unibos/v1/sensor/s1/temp', payload: 'kept', retain: true }]);
    } finally {
      stop();
    }
  });

  it('follows subscriptions as they come and go', async () => {
    const a = await client(hub, 'hub1:a');
    const gotA = collect(a);
    await a.subscribeAsync('unibos/v1/sensor/s1/level', { qos: 0 });
    const pub = await client(sensor, 's1:level');
    for (let i = 0; i < 50; i++) pub.publish('unibos/v1/sensor/s1/level', `a${i}`);
    await gotA.until(() => gotA.messages.length >= 50, 'the first 50 at a');
    const forwardedBefore = h.broker.stats.qos0Forwarded;

    const b = await client(hub, 'hub1:b');
    const gotB = collect(b);
    await b.subscribeAsync('unibos/v1/sensor/+/level', { qos: 0 });
    for (let i = 0; i < 50; i++) pub.publish('unibos/v1/sensor/s1/level', `b${i}`);
    await gotB.until(() => gotB.messages.length >= 50, 'the next 50 at b, subscribed since');
    assert.deepEqual(gotB.messages.map((m) => m.payload), Array.from({ length: 50 }, (_, i) => `b${i}`));

    await b.unsubscribeAsync('unibos/v1/sensor/+/level');
    await b.subscribeAsync('unibos/v1/sensor/s1/level-marker', { qos: 0 });
    for (let i = 0; i < 50; i++) pub.publish('unibos/v1/sensor/s1/level', `c${i}`);
    pub.publish('unibos/v1/sensor/s1/level-marker', 'end');
    await gotA.until(() => gotA.messages.length >= 150, 'all 150 at a');
    // Everything the publisher sent b before the marker came before it: none of the c's.
    await gotB.until(() => gotB.messages.length >= 51, 'the marker at b');
    assert.deepEqual(gotB.messages.slice(50).map((m) => m.payload), ['end']);
    assert.deepEqual(gotA.messages.map((m) => m.payload).slice(50), [...Array.from({ length: 50 }, (_, i) => `b${i}`), ...Array.from({ length: 50 }, (_, i) => `c${i}`)]);
    assert.ok(h.broker.stats.qos0Forwarded - forwardedBefore > 0, 'some went the fast path');
  });

  it('takes packets cut anywhere and packed together', async () => {
    const sub = await client(hub, 'hub1:cuts');
    const got = collect(sub);
    await sub.subscribeAsync('unibos/v1/sensor/s1/cut/#', { qos: 0 });
    const raw = await RawPublisher.connect(h.port, { ...sensor, clientId: 's1:cuts' });
    raws.push(raw);
    const forwardedBefore = h.broker.stats.qos0Forwarded;
    const frames = Array.from({ length: 40 }, (_, i) => qos0(`unibos/v1/sensor/s1/cut/${i % 3}`, `m${i}`.repeat(1 + (i % 5) * 40)));
    const bytes = Buffer.concat(frames);
    // One byte at a time for the first half, then everything else in one write.
    const half = Buffer.concat(frames.slice(0, 20)).length;
    for (let i = 0; i < half; i++) await raw.write(bytes.subarray(i, i + 1));
    await raw.write(bytes.subarray(half));
    await got.until(() => got.messages.length >= 40, 'all 40');
    assert.deepEqual(
      got.messages.map((m) => `${m.topic} ${m.payload}`),
      frames.map((_, i) => `unibos/v1/sensor/s1/cut/${i % 3} ${`m${i}`.repeat(1 + (i % 5) * 40)}`),
    );
    assert.ok(h.broker.stats.qos0Forwarded - forwardedBefore > 0, 'some went the fast path');
  });

  it('does not take the inside of a packet that came in pieces for a packet of its own', async () => {
    const sub = await client(hub, 'hub1:pieces');
    const got = collect(sub);
    await sub.subscribeAsync('unibos/v1/sensor/s1/pieces/#', { qos: 0 });
    const raw = await RawPublisher.connect(h.port, { ...sensor, clientId: 's1:pieces' });
    raws.push(raw);
    // A QoS 1 PUBLISH whose topic is 0x307f bytes long and starts with the rest of a QoS 0 PUBLISH
    // to an allowed topic: read from its variable header on, it looks like that QoS 0 PUBLISH.
    const inner = Buffer.concat([qos0('unibos/v1/sensor/s1/pieces/forged', 'never sent'.padEnd(60, '.')).subarray(2)]);
    const innerFrame = Buffer.concat([inner, Buffer.alloc(0x7f - inner.length, 0x61)]);
    const topic = Buffer.concat([innerFrame, Buffer.alloc(0x307f - innerFrame.length, 0x61)]);
    const body = Buffer.concat([Buffer.from([0x30, 0x7f]), topic, Buffer.from([0, 1]), Buffer.from('real')]);
    const header = mqttPacket.generate({ cmd: 'publish', topic: 'x', payload: Buffer.alloc(body.length - 5), qos: 1, messageId: 1, retain: false, dup: false }).subarray(0, 3);
    assert.equal(header[0], 0x32);
    // Its fixed header alone first, so the broker's parser is inside the packet with nothing buffered.
    await raw.write(header);
    // A round trip on another connection: the broker has read those bytes by the time it ends.
    await sub.publishAsync('unibos/v1/sensor/s1/pieces/barrier', 'barrier');
    await got.until(() => got.messages.some((m) => m.payload === 'barrier'), 'the barrier');
    await raw.write(body);
    // The whole packet is one publish, to a topic with a U+0000 in it: refused, the connection closed.
    await raw.hangup();
    await sub.publishAsync('unibos/v1/sensor/s1/pieces/barrier', 'end');
    await got.until(() => got.messages.some((m) => m.payload === 'end'), 'the end marker');
    assert.deepEqual(got.messages.map((m) => m.payload), ['barrier', 'end']);
  });

  it('keeps denying what the ACL and `$` topics deny, and refusing what the size limit refuses, after the same client was forwarded', async () => {
    // A Tasmota-style plug with its own rules, and a panel that may read every stat/ topic.
    const plug = { username: 'plug1', password: await h.credentials.add('plug1', 'sensor', { allow: ['write stat/plug1/#'], deny: ['stat/plug1/secret'] }), clientId: 'plug1' };
    const panel = { username: 'panel', password: await h.credentials.add('panel', 'sensor', { allow: ['read stat/#'], deny: [] }) };
    const sub = await client(panel, 'panel');
    const got = collect(sub);
    await sub.subscribeAsync('stat/#', { qos: 0 });
    const raw = await RawPublisher.connect(h.port, plug);
    raws.push(raw);
    const forwardedBefore = h.broker.stats.qos0Forwarded;
    await raw.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => qos0('stat/plug1/POWER', `${i}`))));
    await got.until(() => got.messages.length >= 20, 'the allowed 20');
    assert.ok(h.broker.stats.qos0Forwarded - forwardedBefore > 0, 'some went the fast path');

    // Denied by the device's own rule, and another device's topic: acknowledged (QoS 0: nothing to
    // send) and dropped, counted and logged; what the client sends after them still goes through.
    const deniedBefore = h.broker.stats.denials.publish;
    await raw.write(Buffer.concat([qos0('stat/plug1/POWER', 'ok'), qos0('stat/plug1/secret', 'no'), qos0('stat/plug1/POWER', 'after rule')]));
    await got.until(() => got.messages.some((m) => m.payload === 'after rule'), 'the publish after the one denied by rule');
    await h.waitForEvent('denied', (e) => e.clientId === 'plug1' && e.topic === 'stat/plug1/secret', 'the refusal by rule');
    const forger = await RawPublisher.connect(h.port, { ...plug, clientId: 'plug1:forger' });
    raws.push(forger);
    await forger.write(Buffer.concat([qos0('stat/plug1/POWER', 'a'), qos0('stat/plug2/POWER', 'forged'), qos0('stat/plug1/POWER', 'after forgery')]));
    await got.until(() => got.messages.some((m) => m.payload === 'after forgery'), 'the publish after the forged one');
    await h.waitForEvent('denied', (e) => e.clientId === 'plug1:forger' && e.topic === 'stat/plug2/POWER', 'the refusal of another device topic');
    assert.equal(h.broker.stats.denials.publish, deniedBefore + 2);
    assert.equal(raw.closed || forger.closed, false, 'neither connection closed');

    // `$` topics (dropped the same way) and an oversized payload (closes), each after forwarded messages on the same connection.
    const reservedBefore = h.broker.stats.reservedTopicRefusals;
    const dollar = await RawPublisher.connect(h.port, { ...plug, clientId: 'plug1:dollar' });
    raws.push(dollar);
    await dollar.write(Buffer.concat([qos0('stat/plug1/POWER', 'b'), qos0('stat/plug1/POWER', 'c'), qos0('$SYS/broker/uptime', 'forged'), qos0('stat/plug1/POWER', 'after dollar')]));
    await got.until(() => got.messages.some((m) => m.payload === 'after dollar'), 'the publish after the $ one');
    assert.equal(h.broker.stats.reservedTopicRefusals, reservedBefore + 1);
    const oversizedBefore = h.broker.stats.oversizedDrops;
    const big = await RawPublisher.connect(h.port, { ...plug, clientId: 'plug1:big' });
    raws.push(big);
    await big.write(Buffer.concat([qos0('stat/plug1/POWER', 'd'), qos0('stat/plug1/POWER', Buffer.alloc(300 * 1024, 0x2e))]));
    await big.hangup();
    assert.equal(h.broker.stats.oversizedDrops, oversizedBefore + 1);

    const marker = await RawPublisher.connect(h.port, { ...plug, clientId: 'plug1:marker' });
    raws.push(marker);
    await marker.write(qos0('stat/plug1/POWER', 'end'));
    await got.until(() => got.messages.some((m) => m.payload === 'end'), 'the marker');
    assert.deepEqual(got.messages.map((m) => m.payload).slice(20), ['ok', 'after rule', 'a', 'after forgery', 'b', 'c', 'after dollar', 'd', 'end']);
  });

  it('drops a message the hub would refuse, as the aedes path does: nobody gets it, it is counted, and the publisher goes on', async () => {
    const stop = h.broker.subscribe('unibos/v1/sensor/s1/refuse', (_topic, payload) => {
      if (payload.toString() === 'too much') throw Object.assign(new Error('the hub would refuse it'), { refusal: 'too_large' });
    });
    try {
      const sub = await client(hub, 'hub1:refuse');
      const got = collect(sub);
      await sub.subscribeAsync('unibos/v1/sensor/s1/refuse', { qos: 0 });
      const raw = await RawPublisher.connect(h.port, { ...sensor, clientId: 's1:refuse' });
      raws.push(raw);
      await raw.write(qos0('unibos/v1/sensor/s1/refuse', 'first'));
      await got.until(() => got.messages.length >= 1, 'the first');
      const forwardedBefore = h.broker.stats.qos0Forwarded;
      const refusalsBefore = h.broker.stats.hubRefusals.too_large ?? 0;
      await raw.write(Buffer.concat([qos0('unibos/v1/sensor/s1/refuse', 'second'), qos0('unibos/v1/sensor/s1/refuse', 'too much'), qos0('unibos/v1/sensor/s1/refuse', 'after')]));
      await got.until(() => got.messages.some((m) => m.payload === 'after'), 'the message after the refused one');
      assert.equal(h.broker.stats.hubRefusals.too_large, refusalsBefore + 1);
      assert.ok(h.broker.stats.qos0Forwarded - forwardedBefore > 0, 'some went the fast path');
      assert.equal(raw.closed, false, 'the publisher was not cut off');
      await sub.publishAsync('unibos/v1/sensor/s1/refuse', 'end');
      await got.until(() => got.messages.some((m) => m.payload === 'end'), 'the marker');
      assert.deepEqual(got.messages.map((m) => m.payload), ['first', 'second', 'after', 'end']);
    } finally {
      stop();
    }
  });
});
