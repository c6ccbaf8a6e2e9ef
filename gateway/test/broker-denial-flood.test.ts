// A client pipelining denied publishes (each acknowledged and dropped) cannot flood the log: each
// denial is counted exactly and reported to the listeners, logged at most once a minute per client
// and reason with the topic cut short; past 100 denials within 10 s its connection is closed,
// counted, while a device publishing one denied topic every few seconds goes on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { BrokerHarness } from './support/broker-harness.ts';
import { teardown } from './support/teardown.ts';

const DENIED = `unibos/v1/sensor/s2/${'x'.repeat(60_000)}`;

async function start(t: Parameters<typeof teardown>[0], now?: () => number) {
  const cleanup = teardown(t);
  const h = await BrokerHarness.start({ wsPort: null, ...(now ? { now } : {}) });
  cleanup(() => h.stop());
  const s1 = await h.device('s1', 'sensor');
  const connect = async (clientId: string): Promise<mqtt.MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...s1, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    cleanup(() => c.endAsync(true));
    return c;
  };
  const warned = (clientId: string) => h.logs.filter((l) => l.msg === 'publish denied' && l.clientId === clientId);
  return { h, connect, warned };
}

test('100 denied publishes pipelined to a 60 kB topic: each counted and reported, one short log line, the connection kept', async (t) => {
  const { h, connect, warned } = await start(t);
  const before = h.broker.stats;
  const c = await connect('s1:noisy');
  for (let i = 0; i < 99; i++) c.publish(DENIED, 'v', { qos: 0 });
  // Acknowledged in order: once the last one is, all 100 were judged.
  await c.publishAsync(DENIED, 'v', { qos: 1 });
  const after = h.broker.stats;
  assert.equal(after.publishDenials.acl, before.publishDenials.acl + 100);
  assert.equal(after.denials.publish, before.denials.publish + 100);
  assert.equal(h.of('denied').filter((e) => e.clientId === 's1:noisy').length, 100, 'every denial reported to the listeners');
  const lines = warned('s1:noisy');
  assert.equal(lines.length, 1, 'one log line for them all');
  assert.ok(String(lines[0]!.topic).length < 300, `the topic cut short: ${String(lines[0]!.topic).length} characters`);
  assert.ok(c.connected);
  assert.equal(after.deniedFloodsCut, 0);
});

test('a client pipelining more than 100 denied publishes within 10 s is cut off, counted; it may connect again', { timeout: 60_000 }, async (t) => {
  const { h, connect, warned } = await start(t);
  const c = await connect('s1:flood');
  const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  for (let i = 0; i < 2_000; i++) c.publish(DENIED, 'v', { qos: 0 });
  await closed;
  await h.waitUntil(() => h.broker.stats.deniedFloodsCut === 1, 'the cut counted');
  assert.ok(h.broker.stats.publishDenials.acl >= 101);
  assert.equal(h.logs.filter((l) => l.msg === 'connection closed: too many denied publishes in a short time').length, 1);
  assert.ok(warned('s1:flood').length <= 1);
  const again = await connect('s1:flood');
  await again.publishAsync('unibos/v1/sensor/s1/temp', '21', { qos: 1 });
  await again.publishAsync(DENIED, 'v', { qos: 1 });
  assert.ok(again.connected);
});

test('a device publishing one denied topic every 3 s (a misconfigured Tasmota) keeps its connection, its readings taken, and logs one line a minute', async (t) => {
  let clock = 1_700_000_000_000;
  const { h, connect, warned } = await start(t, () => clock);
  const taken: string[] = [];
  h.broker.subscribe('unibos/v1/sensor/s1/#', (_topic, payload) => void taken.push(payload.toString()));
  const c = await connect('s1:tasmota');
  for (let i = 0; i < 200; i++) {
    await c.publishAsync('tele/s1/STATE', '{"POWER":"ON"}', { qos: 1 });
    await c.publishAsync('unibos/v1/sensor/s1/temp', String(i), { qos: 1 });
    clock += 3_000;
  }
  assert.equal(taken.length, 200);
  assert.ok(c.connected);
  assert.equal(h.broker.stats.publishDenials.acl, 200);
  assert.equal(h.broker.stats.deniedFloodsCut, 0);
  // The log's clock is the machine's: the 200 denials came within a minute of it.
  assert.equal(warned('s1:tasmota').length, 1);
});
