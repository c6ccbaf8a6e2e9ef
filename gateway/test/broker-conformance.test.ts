// MQTT 3.1.1 points the gateway broker got wrong, each shown with raw packets (mqtt-packet, so
// the DUP bit and the clean-session flag are the test's to set and see) and with Debian's
// mosquitto_pub/mosquitto_sub:
//   [MQTT-3.1.2-6]  a clean-session CONNECT discards the earlier persistent session, queue included;
//   [MQTT-3.3.1-1]  a PUBLISH resent on a new connection carries DUP=1;
//   [MQTT-3.3.1-3]  ... while a first delivery carries DUP=0, whatever the publisher's DUP was;
//   a publish to a `$` topic is refused, counted and logged.

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { BrokerHarness } from './support/broker-harness.ts';
import { PacketClient, type PacketLogin, type PublishPacket } from './support/packet-client.ts';
import { ProcessPool, connectArgs } from './support/broker-client-process.ts';

const TOPIC = 'unibos/v1/sensor/s1/t';
const procs = new ProcessPool();
afterEach(() => procs.stopAll());

describe('MQTT 3.1.1 conformance of the gateway broker', () => {
  let h: BrokerHarness;
  let s1: PacketLogin;
  const open: PacketClient[] = [];

  before(async () => {
    h = await BrokerHarness.start();
    s1 = await h.device('s1', 'sensor');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.destroy();
  });
  after(() => h.stop());

  const as = (clientId: string): PacketLogin => ({ ...s1, clientId });
  async function connect(clientId: string, clean: boolean) {
    const r = await PacketClient.connect(h.port, as(clientId), clean);
    open.push(r.client);
    assert.equal(r.connack.returnCode, 0);
    return r;
  }
  /** A QoS 2 publish, finished: once PUBCOMP is back the broker has queued it for offline sessions. */
  async function publishStored(publisher: PacketClient, payload: string, messageId: number): Promise<void> {
    publisher.publish(TOPIC, payload, 2, messageId);
    await publisher.next((p) => p.cmd === 'pubrec' && p.messageId === messageId, 'PUBREC');
    publisher.send({ cmd: 'pubrel', messageId });
    await publisher.next((p) => p.cmd === 'pubcomp' && p.messageId === messageId, 'PUBCOMP');
  }

  it('[MQTT-3.1.2-6] a clean connect discards the messages queued for the earlier persistent session', async () => {
    const { client: first } = await connect('s1:q', false);
    await first.subscribe(TOPIC, 1, 1);
    await first.disconnect();
    const { client: pub } = await connect('s1:q-pub', true);
    await publishStored(pub, 'queued before the clean connect', 10);

    const { client: clean, connack } = await connect('s1:q', true);
    assert.equal(connack.sessionPresent, false);
    await clean.disconnect();
    assert.deepEqual(clean.publishes().map((p) => p.payload.toString()), [], 'a clean session is given nothing of the old one');

    const { client: again, connack: againAck } = await connect('s1:q', false);
    assert.equal(againAck.sessionPresent, false, 'the persistent session was ended by the clean connect');
    await again.subscribe(TOPIC, 1, 2);
    await publishStored(pub, 'marker', 11);
    const first1 = (await again.next((p) => p.cmd === 'publish', 'a PUBLISH')) as PublishPacket;
    assert.equal(first1.payload.toString(), 'marker', 'the message queued before the clean connect is gone');
  });

  it('[MQTT-3.3.1-1] a QoS 1 or 2 PUBLISH resent on reconnect carries DUP=1; a first delivery DUP=0', async () => {
    for (const qos of [1, 2] as const) {
      const id = `s1:dup${qos}`;
      const { client: sub } = await connect(id, false);
      await sub.subscribe(TOPIC, qos, 1);
      const { client: pub } = await connect(`${id}-pub`, true);
      // The publisher says DUP=1 (its own resend): that flag is not the subscriber's business [MQTT-3.3.1-3].
      pub.publish(TOPIC, `sent once qos${qos}`, qos, 5, true);
      const firstTry = (await sub.next((p) => p.cmd === 'publish', 'the first delivery')) as PublishPacket;
      assert.equal(firstTry.dup, false, 'a first delivery is not a duplicate');
      sub.destroy(); // no PUBACK / PUBREC: the broker must send it again

      await publishStored(pub, `queued qos${qos}`, 6);
      const { client: back } = await connect(id, false);
      const resent = (await back.next((p) => p.cmd === 'publish' && p.payload.toString() === `sent once qos${qos}`, 'the resend')) as PublishPacket;
      assert.equal(resent.dup, true, `QoS ${qos} resend carries DUP=1`);
      assert.equal(resent.messageId, firstTry.messageId, 'with the same packet id');
      const queued = (await back.next((p) => p.cmd === 'publish' && p.payload.toString() === `queued qos${qos}`, 'the queued message')) as PublishPacket;
      assert.equal(queued.dup, false, 'a message first sent now is not a duplicate');
      await back.disconnect();
      await pub.disconnect();
    }
  });

  it('denies a publish to a $ topic: acknowledged and dropped, counted and logged', async () => {
    const before = h.broker.stats.reservedTopicRefusals;
    const deniedBefore = h.broker.stats.publishDenials.reserved_topic;
    const { client } = await connect('s1:dollar', true);
    client.publish('$SYS/broker/uptime', 'forged', 1, 3);
    // MQTT 3.1.1 has no negative PUBACK; closing instead would have a persistent session resend it forever.
    await client.next((p) => p.cmd === 'puback' && p.messageId === 3, 'the PUBACK');
    assert.equal(h.broker.stats.publishDenials.reserved_topic, deniedBefore + 1);
    assert.equal(h.broker.stats.reservedTopicRefusals, before + 1);
    assert.ok(h.logs.some((l) => l.level === 40 && l.topic === '$SYS/broker/uptime' && /reserved/.test(String(l.reason))), 'logged with the topic and the reason');
    await client.disconnect();
  });

  it('mosquitto_sub: a clean connect ends the persistent session and its queue', async () => {
    const sub = (clean: boolean, count: number) =>
      procs.spawn('mosquitto_sub', [...connectArgs(h.port, as('s1:mq')), ...(clean ? [] : ['-c']), '-q', '1', '-t', TOPIC, '-C', String(count), '-F', '%p']);
    const subscribed = (n: number) => h.waitUntil(() => h.of('subscribed').filter((e) => e.clientId === 's1:mq').length >= n, `SUBACK #${n} to s1:mq`);
    const pub = (message: string) => procs.spawn('mosquitto_pub', [...connectArgs(h.port, as('s1:mq-pub')), '-q', '2', '-t', TOPIC, '-m', message]);
    const persistent = sub(false, 1);
    await subscribed(1);
    await pub('live').waitForExit();
    assert.deepEqual(await persistent.waitForLines(1), ['live']);
    await persistent.waitForExit();
    assert.equal((await pub('queued while away').waitForExit()).code, 0);
    const clean = sub(true, 1);
    await subscribed(2);
    // However it ends, a clean session ends with its connection; SIGKILL ends it at once, whatever the load.
    clean.kill('SIGKILL');
    await clean.waitForExit();
    const again = sub(false, 1);
    await subscribed(3);
    await pub('marker').waitForExit();
    assert.deepEqual(await again.waitForLines(1), ['marker']);
  });

  it('mosquitto_pub: a publish to $SYS is refused and counted', async () => {
    const before = h.broker.stats.reservedTopicRefusals;
    const p = procs.spawn('mosquitto_pub', [...connectArgs(h.port, as('s1:mq-dollar')), '-q', '1', '-t', '$SYS/forged', '-m', 'x']);
    await p.waitForExit();
    await h.waitUntil(() => h.broker.stats.reservedTopicRefusals === before + 1, 'the $ refusal to be counted');
  });
});
