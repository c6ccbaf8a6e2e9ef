// aedes keeps one copy per message for a client whose subscriptions overlap by remembering the
// highest message number it delivered to it, so a message that took longer through the broker
// (a retained one being stored, a QoS 1 one being queued for a persistent session that is away)
// and came out after a later one was taken for a copy and dropped: acknowledged to its publisher,
// never delivered. The gateway broker drops only true copies (the same message again, delivered
// to the same client through another of its subscriptions).

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import mqttPacket from 'mqtt-packet';
import { BrokerHarness } from './support/broker-harness.ts';
import { PacketClient, type PacketLogin } from './support/packet-client.ts';

const frame = (topic: string, payload: string, qos: 0 | 1, messageId?: number, retain = false): Buffer =>
  mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false, ...(messageId === undefined ? {} : { messageId }) });

for (const maxQueuedQos0 of [1000, 0]) {
  describe(`messages that take longer through the broker are still delivered (maxQueuedQos0 ${maxQueuedQos0})`, () => {
    let h: BrokerHarness;
    let hub: PacketLogin;
    let sensor: PacketLogin;
    const open: PacketClient[] = [];

    before(async () => {
      h = await BrokerHarness.start({ wsPort: null, maxQueuedQos0 });
      hub = await h.device('hub1', 'hub');
      sensor = await h.device('s1', 'sensor');
    });
    afterEach(() => {
      for (const c of open.splice(0)) c.destroy();
    });
    after(() => h.stop());

    const connect = (login: PacketLogin, clientId: string, clean = true): Promise<PacketClient> => PacketClient.connectAccepted(h.port, { ...login, clientId }, open, clean);

    it('a retained message followed at once by a plain one', async () => {
      const sub = await connect(hub, 'hub1:retained');
      await sub.subscribe('unibos/v1/sensor/s1/r/#', 0, 1);
      const pub = await connect(sensor, 's1:retained');
      await pub.write(Buffer.concat([frame('unibos/v1/sensor/s1/r/state', 'kept', 0, undefined, true), frame('unibos/v1/sensor/s1/r/t', 'plain', 0)]));
      await sub.until(() => sub.publishes().length >= 2, 'both messages');
      assert.deepEqual(sub.publishes().map((p) => p.payload.toString()).sort(), ['kept', 'plain']);
    });

    it('QoS 1 messages queued for a persistent session that is away, and a QoS 0 one after them', async () => {
      const away = await connect(hub, 'hub1:away', false);
      await away.subscribe('unibos/v1/sensor/s1/q/+', 1, 1);
      await away.disconnect();
      const sub = await connect(hub, 'hub1:live');
      sub.acknowledgeDeliveries = true;
      await sub.subscribe('unibos/v1/sensor/s1/q/#', 1, 1);
      const pub = await connect(sensor, 's1:q');
      const frames = Array.from({ length: 30 }, (_, i) => frame('unibos/v1/sensor/s1/q/t', `q1 ${i}`, 1, i + 1));
      frames.push(frame('unibos/v1/sensor/s1/q/status', 'q0', 0));
      await pub.write(Buffer.concat(frames));
      await pub.until(() => pub.received.filter((p) => p.cmd === 'puback').length >= 30, '30 PUBACKs');
      await sub.until(() => sub.publishes().length >= 31, 'all 31 at the clean subscriber');
      const got = sub.publishes().map((p) => p.payload.toString());
      assert.deepEqual(got.filter((p) => p !== 'q0'), Array.from({ length: 30 }, (_, i) => `q1 ${i}`), 'the QoS 1 messages in order');
      const back = await connect(hub, 'hub1:away', false);
      await back.until(() => back.publishes().length >= 30, 'the 30 queued while away');
    });

    it('a retained message and the next on the same topic arrive in the order they were sent', async () => {
      const sub = await connect(hub, 'hub1:same');
      await sub.subscribe('unibos/v1/sensor/s1/same', 0, 1);
      const pub = await connect(sensor, 's1:same');
      const topic = 'unibos/v1/sensor/s1/same';
      await pub.write(Buffer.concat([frame(topic, 'ON', 0, undefined, true), frame(topic, 'OFF', 0), frame(topic, 'ON again', 1, 1, true), frame(topic, 'OFF again', 1, 2)]));
      await sub.until(() => sub.publishes().length >= 4, 'all four');
      assert.deepEqual(sub.publishes().map((p) => p.payload.toString()), ['ON', 'OFF', 'ON again', 'OFF again'], 'the last value a subscriber sees is the last one sent');
    });

    it('one copy for a client whose subscriptions overlap', async () => {
      const sub = await connect(hub, 'hub1:overlap');
      await sub.subscribe('unibos/v1/sensor/s1/o/#', 0, 1);
      await sub.subscribe('unibos/v1/sensor/s1/o/t', 1, 2);
      await sub.subscribe('unibos/v1/sensor/+/o/t', 0, 3);
      const pub = await connect(sensor, 's1:overlap');
      await pub.write(Buffer.concat([frame('unibos/v1/sensor/s1/o/t', 'one', 1, 1), frame('unibos/v1/sensor/s1/o/t', 'two', 0), frame('unibos/v1/sensor/s1/o/u', 'end', 0)]));
      await sub.until(() => sub.publishes().some((p) => p.payload.toString() === 'end'), 'the end marker');
      assert.deepEqual(sub.publishes().map((p) => p.payload.toString()).filter((p) => p !== 'end').sort(), ['one', 'two']);
    });
  });
}
