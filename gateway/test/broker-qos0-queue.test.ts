// A subscriber that cannot keep up (issue 14): its QoS 0 deliveries wait in a bounded queue and,
// beyond the bound, the oldest are dropped and counted, while a subscriber that keeps up loses
// nothing and the publishers are not held back; QoS 1 deliveries are never dropped. The slow
// subscriber is a raw socket that stops reading, so the broker's writes to it back up for real.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { EventWaiter } from '@unibos/test-support';
import { BrokerHarness } from './support/broker-harness.ts';

const BOUND = 20;
/** Big enough that a few hundred fill the loopback socket buffers of a subscriber that stopped reading. */
const PAYLOAD_BYTES = 64 * 1024;
const TOPIC = 'unibos/v1/q/pump';

function payload(seq: number): Buffer {
  const b = Buffer.alloc(PAYLOAD_BYTES, 0x2e);
  b.writeUInt32BE(seq, 0);
  return b;
}

/** A subscriber over a bare socket that can stop reading: what a stalled device looks like to the broker. */
class RawSubscriber {
  readonly seqs: number[] = [];
  closed = false;
  private readonly waiter = new EventWaiter();
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private subacked = false;

  private constructor(private readonly socket: Socket) {
    this.parser.on('packet', (p: mqttPacket.Packet) => {
      if (p.cmd === 'suback') this.subacked = true;
      if (p.cmd === 'publish') {
        this.seqs.push((p.payload as Buffer).readUInt32BE(0));
        if (p.qos === 1) this.socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId! }));
      }
      this.waiter.wake();
    });
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, login: { username: string; password: string; clientId: string }, qos: 0 | 1): Promise<RawSubscriber> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const s = new RawSubscriber(socket);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: login.clientId, keepalive: 0, username: login.username, password: Buffer.from(login.password) }));
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'unibos/v1/q/#', qos }] }));
    await s.waiter.until(() => s.subacked || s.closed, 'SUBACK', 5000);
    assert.ok(s.subacked, 'subscribed');
    return s;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async until(cond: () => boolean, what: () => string): Promise<void> {
    await this.waiter.until(() => cond() || this.closed, what, 20_000);
    assert.ok(!this.closed, `connection closed while waiting: ${what()}`);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('bounded QoS 0 queue per subscriber', () => {
  let h: BrokerHarness;
  let login: { username: string; password: string };
  const cleanup: Array<() => unknown> = [];

  before(async () => {
    h = await BrokerHarness.start({ wsPort: null, maxQueuedQos0: BOUND });
    login = await h.device('hubdev', 'hub');
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  after(async () => {
    await h.stop();
  });

  it('a slow QoS 0 subscriber loses the oldest beyond the bound, counted; a fast one gets everything', { timeout: 60_000 }, async () => {
    const slow = await RawSubscriber.connect(h.port, { ...login, clientId: 'hubdev:slow' }, 0);
    cleanup.push(() => slow.destroy());
    const fast = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, clientId: 'hubdev:fast', protocolVersion: 4, reconnectPeriod: 0 });
    cleanup.push(() => fast.endAsync(true));
    const fastSeqs: number[] = [];
    const fastWaiter = new EventWaiter();
    fast.on('message', (_t, p) => {
      fastSeqs.push(p.readUInt32BE(0));
      fastWaiter.wake();
    });
    await fast.subscribeAsync('unibos/v1/q/#', { qos: 0 });
    slow.pause();

    // Publish until the slow subscriber's queue overflows, then as many again as the bound.
    const before = h.broker.stats.qos0Dropped;
    let sent = 0;
    while (h.broker.stats.qos0Dropped === before) {
      assert.ok(sent < 3000, `no QoS 0 drop after ${sent} messages of ${PAYLOAD_BYTES} bytes to a subscriber that stopped reading`);
      await h.broker.publish(TOPIC, payload(sent++), { qos: 0 });
    }
    for (let i = 0; i < BOUND; i++) await h.broker.publish(TOPIC, payload(sent++), { qos: 0 });

    await fastWaiter.until(() => fastSeqs.length >= sent, () => `fast subscriber got ${fastSeqs.length}/${sent}`, 20_000);
    assert.deepEqual(fastSeqs, Array.from({ length: sent }, (_, i) => i), 'the subscriber that keeps up loses nothing, in order');

    slow.resume();
    const dropped = (): number => h.broker.stats.qos0Dropped - before;
    await slow.until(() => slow.seqs.length + dropped() >= sent, () => `slow subscriber got ${slow.seqs.length}, dropped ${dropped()}, of ${sent}`);
    assert.equal(slow.seqs.length + dropped(), sent, 'every message is either delivered or counted as dropped');
    assert.ok(dropped() >= BOUND, `dropped ${dropped()}`);
    assert.deepEqual([...slow.seqs].sort((a, b) => a - b), slow.seqs, 'what arrives is in order');
    // Oldest dropped: the newest `BOUND` messages are the ones that waited and arrived.
    assert.deepEqual(slow.seqs.slice(-BOUND), Array.from({ length: BOUND }, (_, i) => sent - BOUND + i));
    const gap = slow.seqs.findIndex((s, i) => s !== i);
    assert.ok(gap > 0, 'the first messages (already in the socket when it stalled) arrived, then a gap');
    assert.ok(h.logs.some((l) => l.clientId === 'hubdev:slow' && /QoS 0/.test(String(l.msg))), 'the drop is logged with the client');
  });

  it('QoS 1 deliveries to a slow subscriber are never dropped', { timeout: 60_000 }, async () => {
    const slow = await RawSubscriber.connect(h.port, { ...login, clientId: 'hubdev:slow1' }, 1);
    cleanup.push(() => slow.destroy());
    const fast = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, clientId: 'hubdev:fast1', protocolVersion: 4, reconnectPeriod: 0 });
    cleanup.push(() => fast.endAsync(true));
    let fastCount = 0;
    const fastWaiter = new EventWaiter();
    fast.on('message', () => {
      fastCount++;
      fastWaiter.wake();
    });
    await fast.subscribeAsync('unibos/v1/q/#', { qos: 1 });
    slow.pause();
    const before = h.broker.stats.qos0Dropped;
    const count = BOUND * 15;
    // Not awaited one by one: a QoS 1 delivery to a full socket waits for it to drain.
    const published = Array.from({ length: count }, (_, i) => h.broker.publish(TOPIC, payload(i), { qos: 1 }));
    // Once the subscriber that reads has them all, the stalled one holds far more than its bound in waiting.
    await fastWaiter.until(() => fastCount >= count, () => `fast QoS 1 subscriber got ${fastCount}/${count}`, 20_000);
    slow.resume();
    await Promise.all(published);
    await slow.until(() => new Set(slow.seqs).size >= count, () => `QoS 1 subscriber got ${new Set(slow.seqs).size}/${count}`);
    assert.deepEqual([...new Set(slow.seqs)].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
    assert.equal(h.broker.stats.qos0Dropped, before);
  });
});

describe('with the QoS 0 bound off (maxQueuedQos0: 0)', () => {
  it('clients connect and aedes delivers everything, QoS 0 and 1, with nothing forwarded below it', async () => {
    const h = await BrokerHarness.start({ wsPort: null, maxQueuedQos0: 0 });
    const clients: mqtt.MqttClient[] = [];
    try {
      const login = await h.device('hubdev', 'hub');
      const connect = async (clientId: string) => {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, clientId, protocolVersion: 4, reconnectPeriod: 0 });
        clients.push(c);
        return c;
      };
      const sub = await connect('hubdev:sub');
      const got: string[] = [];
      const waiter = new EventWaiter();
      sub.on('message', (_t, p) => {
        got.push(p.toString());
        waiter.wake();
      });
      await sub.subscribeAsync('unibos/v1/q/#', { qos: 1 });
      const pub = await connect('hubdev:pub');
      const expected = Array.from({ length: 100 }, (_, i) => `m${i}`);
      for (const [i, m] of expected.entries()) pub.publish(TOPIC, m, { qos: i % 2 ? 1 : 0 });
      await waiter.until(() => got.length >= expected.length, () => `got ${got.length}/${expected.length}`, 10_000);
      assert.deepEqual([...got].sort(), [...expected].sort());
      assert.equal(h.broker.stats.qos0Forwarded + h.broker.stats.qos1Forwarded, 0);
    } finally {
      for (const c of clients) await c.endAsync(true);
      await h.stop();
    }
  });
});
