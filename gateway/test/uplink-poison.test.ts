// No message can stall the uplink: a row the hub refuses (it ends the connection, as MQTT 3.1.1
// leaves it no other way) is isolated and moved to the dead-letter table while everything behind
// it arrives; urgent rows (SOS, alerts) overtake a routine backlog; the gateway refuses at its door
// what the hub would refuse, from the shared definition of the hub's limits.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { HUB_UPLINK_LIMITS, hubEnvelopeBytes, encodeHubEnvelope } from '@unibos/mesh-protocol';
import { HubOutbox, type HubOutboxOptions, type NewHubMessage } from '../src/uplink/hub-outbox.ts';
import { HubUplink } from '../src/uplink/hub-uplink.ts';
import { UplinkError } from '../src/uplink/uplink-error.ts';
import { BrokerHarness } from './support/broker-harness.ts';
import { TestHub } from './support/uplink-hub.ts';
import { trafficMessage } from './support/uplink-traffic.ts';
import { teardown, type Cleanup } from './support/teardown.ts';
import { waitUntil } from '@unibos/test-support';

const logger = pino({ level: process.env.UNIBOS_LOG_LEVEL ?? 'silent' });


function openOutbox(onEnd: (fn: Cleanup) => void, options?: HubOutboxOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-poison-'));
  const db = new Database(join(dir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  onEnd(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, outbox: new HubOutbox(db, { logger, ...options }) };
}

async function startHub(onEnd: (fn: Cleanup) => void): Promise<TestHub> {
  const hub = new TestHub();
  await hub.up();
  onEnd(() => hub.down());
  return hub;
}

function startUplink(onEnd: (fn: Cleanup) => void, hub: TestHub, outbox: HubOutbox, gatewayId: string, windowSize = 64) {
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId, outbox, logger, windowSize, reconnectMinMs: 20, reconnectMaxMs: 200, strikeSpacingMs: 0 });
  const events = new EventEmitter();
  uplink.onState(() => events.emit('state'));
  outbox.onDeadLetter(() => events.emit('state'));
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  return { uplink, changed: [{ emitter: events, event: 'state' }, { emitter: hub.events, event: 'change' }] };
}

const POISON = 'POISON';

test('a message the hub refuses every time is dead-lettered after a bounded number of tries; everything behind it arrives once', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes(POISON);
  const { outbox } = openOutbox(onEnd);
  const gatewayId = 'gwpoison';
  const receipts = outbox.addMany(Array.from({ length: 300 }, (_, n) => trafficMessage(n, gatewayId)));
  // Queued as an older gateway (or a hub with stricter rules) would have let it in: the door cannot catch it.
  const poison = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: JSON.stringify({ n: -1, note: POISON }) });
  outbox.addMany(Array.from({ length: 300 }, (_, n) => trafficMessage(300 + n, gatewayId)));
  const good = 600;

  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId);
  await waitUntil(() => outbox.deadLetterCount === 1 && hub.accepted.unique.length === good, 'every good message at the hub and the poison out of the queue', changed, 30_000);

  const letters = outbox.deadLetters();
  assert.equal(letters.length, 1, 'exactly the poison message is dead-lettered');
  assert.equal(letters[0]!.msgId, poison.msgId);
  assert.match(letters[0]!.reason, /ended the connection each time/);
  assert.equal(letters[0]!.attempts, 3);
  assert.equal(outbox.stats.deadLettered, 1);
  assert.equal(uplink.stats.deadLettered, 1);
  assert.ok(!hub.accepted.has(poison.msgId), 'the hub never took the poison');
  assert.ok(receipts.every((r) => hub.accepted.has(r.msgId)), 'nothing queued before the poison was lost');
  // Three strikes: the hub ended the connection three times, no more.
  assert.equal(hub.refused, 3);
  assert.equal(uplink.stats.reconnects, 3);

  // The admin hears of it: the gateway's retained status counts it and names the last one.
  await hub.waitFor(() => hub.statusesOf(gatewayId).some((s) => s.body.deadLetters === 1), 'a status that counts the dead letter');
  const status = hub.statusesOf(gatewayId).find((s) => s.body.deadLetters === 1)!.body;
  assert.equal((status.lastDeadLetter as { msgId: string }).msgId, poison.msgId);
  // Rows leave the outbox on their PUBACKs, a moment after the hub took them: stopping records the last.
  await uplink.stop({ timeoutMs: 2000 });
  assert.equal(outbox.size, 0, 'nothing is left behind the poison');
});

test('a dead letter can be put back in the queue once the hub takes it again; it keeps its id', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes(POISON);
  const { outbox } = openOutbox(onEnd);
  const poison = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: JSON.stringify({ note: POISON }) });
  const { uplink, changed } = startUplink(onEnd, hub, outbox, 'gwrequeue');
  await waitUntil(() => outbox.deadLetterCount === 1, 'the poison dead-lettered', changed);
  hub.refuse = undefined;
  assert.equal(outbox.requeueDeadLetters('all'), 1);
  await waitUntil(() => hub.accepted.has(poison.msgId), 'the requeued message at the hub', changed);
  assert.equal(outbox.deadLetterCount, 0);
  // The row leaves the outbox on the PUBACK, a moment after the hub took it: stopping records it.
  await uplink.stop({ timeoutMs: 2000 });
  assert.equal(outbox.size, 0);
});

test('a dead letter put back by another process (unibos gateway outbox --requeue) reaches the hub within seconds on a quiet gateway', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes(POISON);
  const { outbox, db } = openOutbox(onEnd);
  const gatewayId = 'gwrequeueoutside';
  const poison = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: JSON.stringify({ note: POISON }) });
  const { uplink, changed } = startUplink(onEnd, hub, outbox, gatewayId);
  await waitUntil(() => outbox.deadLetterCount === 1 && uplink.connected && uplink.stats.inFlight === 0 && outbox.size === 0, 'the poison dead-lettered, nothing else to send', changed, 30_000);
  await hub.waitFor(() => hub.statusesOf(gatewayId).some((s) => s.body.deadLetters === 1), 'the hub told of the dead letter');
  hub.refuse = undefined;
  // The CLI opens the same gateway.db with a connection of its own: its requeue's listeners fire there, not in the gateway.
  const cli = new Database(db.name);
  onEnd(() => cli.close());
  assert.equal(new HubOutbox(cli, { logger }).requeueDeadLetters('all'), 1);
  await waitUntil(() => hub.accepted.has(poison.msgId), 'the requeued message at the hub, with nothing else queued to wake the uplink', changed, 15_000);
  assert.equal(outbox.deadLetterCount, 0);
});

test('an SOS queued behind a 5,000-message routine backlog goes out first', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  await hub.closePublic();
  const { outbox } = openOutbox(onEnd);
  const gatewayId = 'gwbacklog';
  outbox.addMany(Array.from({ length: 5000 }, (_, n) => trafficMessage(n, gatewayId)));
  const sos = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ level: 'SOS' }), lane: 'urgent' });
  const { changed } = startUplink(onEnd, hub, outbox, gatewayId);
  await hub.openPublic();
  await waitUntil(() => hub.accepted.has(sos.msgId), 'the SOS at the hub', changed);
  assert.equal(hub.accepted.unique[0]!.envelope.id, sos.msgId, 'the SOS is the first message the hub gets');
});

test('an SOS raised while a routine backlog drains overtakes it within one in-flight window', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  const { outbox } = openOutbox(onEnd);
  const gatewayId = 'gwlive';
  const windowSize = 16;
  outbox.addMany(Array.from({ length: 20_000 }, (_, n) => trafficMessage(n, gatewayId)));
  const { changed } = startUplink(onEnd, hub, outbox, gatewayId, windowSize);
  await waitUntil(() => hub.accepted.unique.length >= 500, 'the backlog draining', changed);
  const arrivedBefore = hub.accepted.unique.length;
  const sos = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ level: 'SOS' }), lane: 'urgent' });
  await waitUntil(() => hub.accepted.has(sos.msgId), 'the SOS at the hub', changed);
  const position = hub.accepted.unique.findIndex((a) => a.envelope.id === sos.msgId);
  const overtakenBy = position - arrivedBefore;
  assert.ok(overtakenBy <= windowSize, `routine messages that reached the hub after the SOS was queued and before it: ${overtakenBy} (window ${windowSize})`);
  assert.ok(outbox.size > 10_000, 'the backlog was still there when the SOS went through');
});

test('an SOS waiting for the hub cuts a long reconnect backoff short', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  await hub.closePublic();
  const { outbox } = openOutbox(onEnd);
  outbox.add(trafficMessage(1, 'gwhurry'));
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId: 'gwhurry', outbox, logger, reconnectMinMs: 20_000, reconnectMaxMs: 60_000, urgentReconnectMaxMs: 400 });
  const events = new EventEmitter();
  uplink.onState(() => events.emit('state'));
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  const changed = [{ emitter: events, event: 'state' }, { emitter: hub.events, event: 'change' }];
  await waitUntil(() => uplink.stats.reconnectDelayMs !== undefined, 'the first attempt to fail', changed);
  assert.ok(uplink.stats.reconnectDelayMs! >= 10_000, `routine backlog: the backoff stands (${uplink.stats.reconnectDelayMs} ms)`);

  const sos = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ level: 'SOS' }), lane: 'urgent' });
  assert.ok(uplink.stats.reconnectDelayMs! <= 400, `an SOS waiting: the next attempt comes within the urgent bound (${uplink.stats.reconnectDelayMs} ms)`);
  await hub.openPublic();
  await waitUntil(() => hub.accepted.has(sos.msgId), 'the SOS at the hub', changed);
});

test('when the outbox is full, routine messages make room before any urgent one', (t) => {
  const onEnd = teardown(t);
  const { outbox } = openOutbox(onEnd, { maxMessages: 10 });
  const urgent = outbox.addMany(Array.from({ length: 3 }, (_, n) => ({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ n }), lane: 'urgent' as const })));
  outbox.addMany(Array.from({ length: 20 }, (_, n) => trafficMessage(n, 'gwfull')));
  assert.equal(outbox.size, 10);
  const kept = new Set(outbox.peek(10).map((m) => m.msgId));
  assert.ok(urgent.every((r) => kept.has(r.msgId)), 'every urgent message is still queued');
  assert.equal(outbox.stats.droppedFull, 13);
});

test('when the outbox is full, the source holding the most bytes makes room: a flooding sensor cannot push out other devices\u2019 readings or people\u2019s mesh messages', (t) => {
  const onEnd = teardown(t);
  const { outbox } = openOutbox(onEnd, { maxBytes: 100_000 });
  // Queued first (the oldest rows): people's texts and a private message from the mesh, another device's readings.
  const people = outbox.addMany([
    { source: 'mesh:!1a2b3c4d', topic: 'unibos/v1/mesh/!1a2b3c4d/text', payload: JSON.stringify({ from: '!1a2b3c4d', text: 'water is rising at the school' }) },
    { source: 'mesh:!1a2b3c4d', topic: 'unibos/v1/mesh/!1a2b3c4d/direct', payload: JSON.stringify({ from: '!1a2b3c4d', to: '!5e6f7a8b', direct: { sender: '!1a2b3c4d', sealed: 'x'.repeat(200) } }) },
    { source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/text', payload: JSON.stringify({ from: '!0000beef', text: 'we are at the mosque, all well' }) },
  ]);
  const tank = outbox.addMany(Array.from({ length: 20 }, (_, n) => ({ source: 'sensor:tank1', topic: 'unibos/v1/sensor/tank1/level', payload: String(40 + n) })));
  const drops: number[] = [];
  outbox.onDrop((d) => drops.push(d.urgent));
  // One sensor then sends 1000 texts of 1000 characters: ten times the whole bound.
  const flood = Array.from({ length: 1000 }, (_, n) => outbox.add({ source: 'sensor:junk', topic: 'unibos/v1/sensor/junk/log', payload: `${n} ${'A'.repeat(995)}` }));
  assert.ok(outbox.bytes <= 100_000);
  assert.ok(outbox.stats.droppedFull > 900, `dropped ${outbox.stats.droppedFull}`);
  const kept = new Set(outbox.peek(1000).map((m) => m.msgId));
  assert.ok(people.every((r) => kept.has(r.msgId)), 'every mesh message from people is still queued');
  assert.ok(tank.every((r) => kept.has(r.msgId)), 'every reading of the other sensor is still queued');
  assert.ok(kept.has(flood.at(-1)!.msgId) && !kept.has(flood[0]!.msgId), 'the flooding sensor lost its own oldest');
  assert.ok(drops.every((urgent) => urgent === 0));
});

test('when the outbox is full, forged mesh addresses count as one: thousands of one-row mesh sources cannot push out a sensor\u2019s readings', (t) => {
  const onEnd = teardown(t);
  const { outbox } = openOutbox(onEnd, { maxMessages: 3_000 });
  // A device's readings, and a gateway report, queued first (the oldest rows).
  const pump = outbox.addMany(Array.from({ length: 500 }, (_, n) => ({ source: 'sensor:pump', topic: 'unibos/v1/sensor/pump/level', payload: JSON.stringify({ value: n }) })));
  const plug = outbox.addMany(Array.from({ length: 100 }, (_, n) => ({ source: 'sensor:bridge1:plug', topic: 'unibos/v1/sensor/bridge1:plug/power', payload: JSON.stringify({ value: n }) })));
  // Anyone with the channel's public key forges frames from as many `from` addresses as they like:
  // 6,000 of them, one text each, twice the whole bound, in bursts as the radio hears them.
  const node = (n: number): string => `!${(0x10000000 + n).toString(16)}`;
  const forged = (n: number): NewHubMessage => ({ source: `mesh:${node(n)}`, topic: `unibos/v1/mesh/${node(n)}/text`, payload: JSON.stringify({ from: node(n), text: 'x' }) });
  for (let k = 0; k < 6_000; k += 100) outbox.addMany(Array.from({ length: 100 }, (_, i) => forged(k + i)));
  for (let n = 6_000; n < 6_050; n++) outbox.add(forged(n));
  assert.equal(outbox.size, 3_000);
  const kept = new Set(outbox.peek(3_000).map((m) => m.msgId));
  assert.ok(pump.every((r) => kept.has(r.msgId)), `every reading of the pump is still queued (${pump.filter((r) => kept.has(r.msgId)).length} of 500)`);
  assert.ok(plug.every((r) => kept.has(r.msgId)), 'and of the bridge\u2019s plug');
  assert.equal(outbox.stats.droppedFull, 600 + 6_050 - 3_000, 'the mesh lost its own oldest');
});

test('the outbox refuses what the hub would refuse, by the shared limits, with the reason', (t) => {
  const onEnd = teardown(t);
  const { outbox } = openOutbox(onEnd);
  const refused = (m: Parameters<HubOutbox['add']>[0], reason: string) =>
    assert.throws(() => outbox.add(m), (err: unknown) => err instanceof UplinkError && err.refusal === reason, reason);
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/a/b/c/d/e', payload: '1' }, 'topic_depth');
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/a/b', payload: '1' }, 'topic_shape');
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/t', payload: '1e999' }, 'bad_payload');
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/t', payload: '['.repeat(40) + ']'.repeat(40) }, 'bad_payload');
  // A payload as large as the gateway broker accepts no longer fits once wrapped for the hub.
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/t', payload: Buffer.alloc(HUB_UPLINK_LIMITS.maxPublishBytes, 0x61) }, 'too_large');
  assert.equal(outbox.size, 0);
  // Sensor text longer than the hub keeps (it would have cut it) is refused, not queued.
  refused({ source: 'sensor:x', topic: 'unibos/v1/sensor/x/t', payload: 'A'.repeat(HUB_UPLINK_LIMITS.maxSensorTextChars + 1) }, 'bad_payload');
  // The largest payload that fits is taken (a mesh frame heard, in the binary envelope), and its envelope is exactly at the hub's limit.
  const msgId = 'fits';
  const room = HUB_UPLINK_LIMITS.maxPublishBytes - hubEnvelopeBytes({ msgId, source: 'mesh:!0000beef', format: 'binary', payloadBytes: 0 });
  outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/gw/gwx/rx', payload: Buffer.alloc(room, 0x00), msgId });
  const row = outbox.peek(1)[0]!;
  assert.equal(encodeHubEnvelope(row).length, HUB_UPLINK_LIMITS.maxPublishBytes);
});

test('the gateway broker refuses at its door a sensor message the hub would refuse: acknowledged and dropped, counted with the reason, the connection kept', { timeout: 15_000 }, async (t) => {
  const onEnd = teardown(t);
  const h = await BrokerHarness.start();
  onEnd(() => h.stop());
  const { outbox } = openOutbox(onEnd);
  h.broker.subscribe('unibos/v1/sensor/#', (topic, payload) => void outbox.add({ source: 'sensor:tank1', topic, payload }));
  const login = await h.device('tank1', 'sensor');
  const c = await connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, protocolVersion: 4, reconnectPeriod: 0, clean: true });
  c.on('error', () => {});
  onEnd(() => c.end(true));
  let closed = false;
  c.once('close', () => (closed = true));
  // MQTT 3.1.1 has no negative PUBACK: unacknowledged, a persistent session would resend it forever.
  await c.publishAsync('unibos/v1/sensor/tank1/a/b/c/d/e', '1', { qos: 1 });
  await c.publishAsync('unibos/v1/sensor/tank1/level', Buffer.alloc(256 * 1024, 0x31), { qos: 1 });
  // Text the hub would not keep (250 kB where it keeps 1024 characters) is refused too, not queued to be cut there.
  await c.publishAsync('unibos/v1/sensor/tank1/junk', 'A'.repeat(250_000), { qos: 1 });
  assert.equal(outbox.size, 0, 'nothing refused was queued');
  const denials = h.of('denied').filter((d) => d.kind === 'publish');
  assert.deepEqual(
    denials.map((d) => /\((\w+)\)/.exec(d.reason)?.[1]),
    ['topic_depth', 'too_large', 'bad_payload'],
  );
  assert.match(denials[2]!.reason, /text of 250000 characters exceeds 1024/);
  assert.deepEqual(h.broker.stats.hubRefusals, { topic_depth: 1, too_large: 1, bad_payload: 1 });
  // The same connection's next good message goes through.
  await c.publishAsync('unibos/v1/sensor/tank1/level', '42.5', { qos: 1 });
  assert.equal(outbox.size, 1);
  assert.equal(closed, false, 'the sensor was not cut off');
});

test('a hub that takes the connection but ends it before storing anything (it refuses our status) is not hammered: the backoff grows', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  // A hub whose storage fails refuses every publish, the status first: CONNACK, then the connection ends.
  hub.refuse = (topic, payload) => topic.endsWith('/status') && payload.includes('"online"');
  const { outbox } = openOutbox(onEnd);
  outbox.add(trafficMessage(1, 'gwstorm'));
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${hub.port}`, gatewayId: 'gwstorm', outbox, logger, reconnectMinMs: 50, reconnectMaxMs: 5000 });
  const events = new EventEmitter();
  const delays: number[] = [];
  uplink.onState((state) => {
    if (state === 'disconnected') delays.push(uplink.stats.reconnectDelayMs!);
    events.emit('state');
  });
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  await waitUntil(() => delays.length >= 4, 'four connections ended by the hub', [{ emitter: events, event: 'state' }, { emitter: hub.events, event: 'change' }]);
  assert.ok(hub.refused >= 3, `the hub ended connections after taking them (${hub.refused} refusals)`);
  assert.ok(delays[3]! >= 4 * 50, `the fourth wait is well above the first (${delays.join(', ')} ms): a connection that stored nothing is no success`);
});

test('the last dead letter the hub is told of, and the ones kept, are the last to fail, whatever their place in the queue', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  hub.refuse = (_topic, payload) => payload.includes(POISON);
  const { outbox } = openOutbox(onEnd);
  const gatewayId = 'gwlast';
  // Queued first, but routine: the urgent one behind it is sent, and dead-lettered, before it.
  const routine = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: JSON.stringify({ note: POISON }) });
  const urgent = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ level: 'SOS', note: POISON }), lane: 'urgent' });
  const failed: string[] = [];
  outbox.onDeadLetter((letter) => failed.push(letter.msgId));
  const { changed } = startUplink(onEnd, hub, outbox, gatewayId);
  await waitUntil(() => outbox.deadLetterCount === 2, 'both dead-lettered', changed, 30_000);
  // The urgent one failed first, and again at its retry, which goes at once when the hub stores our next status.
  assert.deepEqual(failed, [urgent.msgId, urgent.msgId, routine.msgId], 'the urgent one failed first');
  assert.deepEqual(outbox.deadLetters().map((l) => l.msgId), [routine.msgId, urgent.msgId], 'newest dead letter first');
  // The next connection's retained status names the last one that failed.
  await hub.waitFor(() => hub.statusesOf(gatewayId).some((s) => s.body.deadLetters === 2), 'a status that counts both');
  const status = hub.statusesOf(gatewayId).find((s) => s.body.deadLetters === 2)!.body;
  assert.equal((status.lastDeadLetter as { msgId: string }).msgId, routine.msgId);
});

test('when the dead-letter table is full, the oldest dead letter goes, not the one that just failed', (t) => {
  const onEnd = teardown(t);
  let now = 1_000;
  const { outbox } = openOutbox(onEnd, { maxDeadLetters: 1, now: () => now });
  const routine = outbox.add({ source: 'sensor:k1', topic: 'unibos/v1/sensor/k1/temp', payload: '1' });
  const urgent = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: '{}', lane: 'urgent' });
  // In the order the uplink meets them: urgent lane first.
  assert.ok(outbox.deadLetter(urgent.seq, 'refused'));
  now += 1000;
  assert.ok(outbox.deadLetter(routine.seq, 'refused'));
  assert.deepEqual(outbox.deadLetters().map((l) => l.msgId), [routine.msgId], 'the letter that just failed is kept (it can still be requeued)');
  assert.equal(outbox.requeueDeadLetters('all'), 1);
  assert.equal(outbox.peek(1)[0]!.msgId, routine.msgId);
});

/**
 * A TCP relay to the hub that goes silent, as a radio or cellular link that drops every packet
 * does: once a connection carries a chunk for which `silence` says so, nothing more passes either
 * way on it (the sockets stay open), until the gateway gives up on it. Not even the hub's own
 * giving up passes: its keepalive runs out about when the gateway's does, and on a silent link
 * its hang-up never reaches the gateway.
 */
async function silentLink(onEnd: (fn: Cleanup) => void, hubPort: number, silence: (chunk: Buffer) => boolean): Promise<{ port: number; silenced: () => number }> {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  let silenced = 0;
  const server = createServer((gateway) => {
    const hub = connect(hubPort, '127.0.0.1');
    let silent = false;
    for (const s of [gateway, hub]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    gateway.on('close', () => {
      sockets.delete(gateway);
      hub.destroy();
    });
    hub.on('close', () => {
      sockets.delete(hub);
      if (!silent) gateway.destroy();
    });
    gateway.on('data', (chunk: Buffer) => {
      if (!silent && silence(chunk)) {
        silent = true;
        silenced++;
      }
      if (!silent) hub.write(chunk);
    });
    hub.on('data', (chunk: Buffer) => {
      if (!silent) gateway.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onEnd(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as import('node:net').AddressInfo).port, silenced: () => silenced };
}

test('an SOS in flight each time the network goes silent is not taken for a message the hub refuses: it arrives once the link answers again', async (t) => {
  const onEnd = teardown(t);
  const hub = await startHub(onEnd);
  // Four connections in a row go silent just as the SOS is sent (no PUBACK, no ping answered); the fifth works.
  const link = await silentLink(onEnd, hub.port, (chunk) => chunk.includes('"SOS"') && link.silenced() < 4);
  const { outbox } = openOutbox(onEnd);
  const sos = outbox.add({ source: 'mesh:!0000beef', topic: 'unibos/v1/mesh/!0000beef/alert', payload: JSON.stringify({ level: 'SOS' }), lane: 'urgent' });
  const uplink = new HubUplink({ url: `mqtt://127.0.0.1:${link.port}`, gatewayId: 'gwsilent', outbox, logger, keepaliveS: 1, reconnectMinMs: 20, reconnectMaxMs: 200 });
  const events = new EventEmitter();
  uplink.onState(() => events.emit('state'));
  outbox.onDeadLetter(() => events.emit('state'));
  uplink.start();
  onEnd(() => uplink.stop({ timeoutMs: 500 }));
  await waitUntil(() => hub.accepted.has(sos.msgId) || outbox.deadLetterCount > 0, 'the SOS at the hub (or dead-lettered)', [{ emitter: events, event: 'state' }, { emitter: hub.events, event: 'change' }], 60_000);
  assert.equal(link.silenced(), 4, 'the link went silent four times with the SOS in flight');
  assert.equal(outbox.deadLetterCount, 0, 'the SOS was not dead-lettered');
  assert.ok(hub.accepted.has(sos.msgId), 'the SOS reached the hub');
});
