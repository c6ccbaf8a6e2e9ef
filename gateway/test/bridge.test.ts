// The mesh<->MQTT bridge on simulated time: a gateway node G and a field node N on the simulated
// medium; what G publishes locally and hands to the hub uplink, and what `tx` commands do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROADCAST, ChannelSet, DEFAULT_CHANNEL, MeshRouter, SeededRandom, SimMedium, SimScheduler, decodeEnvelope, encodeEnvelope } from '@unibos/mesh-protocol';
import { MAX_ANNOUNCED_SENSORS, MeshBridge, type MqttPublisher, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { topics } from '@unibos/mesh-protocol';
import { HubOutbox } from '../src/uplink/hub-outbox.ts';
import { BrokerHarness } from './support/broker-harness.ts';

interface Published {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const { scheduler, medium, make } = simMesh(t, { seed: 5, link: { rssi: -100.4, snr: 4.25 }, prefix: 'unibos-bridge' });
  const g = make('G', 'GATEWAY').device;
  const n = make('N', 'CLIENT').device;
  const published: Published[] = [];
  const uplinked: Array<{ source: string; topic: string; payload: Buffer }> = [];
  const local: MqttPublisher = {
    publish: async (topic, payload, o) => void published.push({ topic, payload: Buffer.from(payload), retain: o.retain }),
  };
  const uplink: UplinkSink = { forward: (m) => void uplinked.push(m) };
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g, params, local, uplink, logger: silent });
  await g.start();
  await n.start();
  scheduler.runUntil(30_000);
  return { scheduler, medium, g, n, bridge, published, uplinked, run: (ms: number) => scheduler.runUntil(scheduler.now() + ms) };
}


type TxReport = { ref: string; status: string; packetId?: number };

/**
 * A bridge on `s`'s gateway node whose txstatus reports to the hub are collected; `outcome`
 * settles at the first report that is not "queued" (a switch's result), or when `settle()` is called.
 */
function reportingBridge(s: Awaited<ReturnType<typeof setup>>, options: Partial<ConstructorParameters<typeof MeshBridge>[0]> = {}) {
  const reports: TxReport[] = [];
  let settle: () => void = () => undefined;
  const outcome = new Promise<void>((resolve) => (settle = resolve));
  const bridge = new MeshBridge({
    gatewayId: 'gw1',
    device: s.g,
    params,
    local: { publish: async () => undefined },
    uplink: {
      forward: (m) => {
        if (m.topic !== 'unibos/v1/gw/gw1/txstatus') return;
        const report = JSON.parse(m.payload.toString()) as TxReport;
        reports.push(report);
        if (report.status !== 'queued') settle();
      },
    },
    logger: silent,
    ...options,
  });
  return { bridge, reports, outcome, settle: () => settle() };
}

test('a heard text goes out as the envelope and as JSON, locally and towards the hub, with discovery for its node', async (t) => {
  const s = await setup(t);
  s.n.sendText('river is rising');
  s.run(60_000);
  const nid = `!${s.n.nodeId.toString(16).padStart(8, '0')}`;
  const text = s.published.find((p) => p.topic === `unibos/v1/mesh/${nid}/text`);
  assert.ok(text, 'JSON on the mesh topic');
  const doc = JSON.parse(text.payload.toString());
  assert.equal(doc.text, 'river is rising');
  assert.equal(doc.from, nid);
  assert.equal(doc.hops, 0);
  assert.equal(doc.gatewayId, 'gw1');
  const rx = s.published.filter((p) => p.topic === 'unibos/v1/gw/gw1/rx').map((p) => decodeEnvelope(new Uint8Array(p.payload)));
  assert.ok(rx.some((e) => e.gatewayId === 'gw1' && e.sf === params.sf && e.frame.length > 28), 'the frame exactly as heard, in an envelope');
  assert.ok(s.published.some((p) => p.topic === `unibos/v1/mesh/${nid}/link` && p.retain));
  assert.ok(s.uplinked.some((u) => u.source === `mesh:${nid}` && u.topic === `unibos/v1/mesh/${nid}/text`));
  assert.ok(s.uplinked.some((u) => u.topic === 'unibos/v1/gw/gw1/rx'));
  const disco = s.published.filter((p) => p.topic.startsWith('homeassistant/') && p.topic.includes(nid.slice(1)));
  assert.ok(disco.length >= 5 && disco.every((p) => p.retain), 'retained Home Assistant discovery for the node');
  assert.ok(disco.some((p) => p.topic === `homeassistant/device_tracker/unibos_${nid.slice(1)}/config`));
});

test('tx commands reach the mesh: a text, an alert, and a frame another gateway heard (never uplinked again)', async (t) => {
  const s = await setup(t);
  const nid = `!${s.n.nodeId.toString(16).padStart(8, '0')}`;
  assert.equal(s.bridge.handleTx(Buffer.from(JSON.stringify({ text: 'meet at the school', to: nid })), 'hub').ok, true);
  assert.equal(s.bridge.handleTx(Buffer.from(JSON.stringify({ alert: { level: 'EARTHQUAKE', text: 'M5.4 nearby', magnitude: 5.4 } })), 'hub').ok, true);

  // A frame from a node far away, heard by another gateway and forwarded over MQTT.
  const farScheduler = new SimScheduler();
  const farMedium = new SimMedium({ params, scheduler: farScheduler, random: new SeededRandom(9), link: () => ({ rssi: -90, snr: 5 }) });
  const far = new MeshRouter({ nodeId: 0x0f0f0f0f, radio: farMedium.radio(0x0f0f0f0f), scheduler: farScheduler, random: new SeededRandom(10), channels: new ChannelSet([DEFAULT_CHANNEL]) });
  const heard: Uint8Array[] = [];
  farMedium.radio(0x0e0e0e0e).attach({ onReceive: (p) => heard.push(p.bytes), onTransmitDone: () => undefined });
  far.send(BROADCAST, { text: 'hello from the next valley' });
  farScheduler.runUntilIdle();
  const envelope = Buffer.from(encodeEnvelope({ frame: heard[0]!, gatewayId: 'gw2', rssi: -90, snr: 5, rxTimeMs: 0, frequencyHz: params.frequencyHz, sf: params.sf, bandwidthHz: params.bandwidthHz }));
  s.uplinked.length = 0;
  assert.equal(s.bridge.handleTx(envelope, 'hub').ok, true);
  assert.equal(s.bridge.handleTx(envelope, 'hub').ok, false, 'the same frame twice is refused');
  s.run(120_000);

  const inbox = s.n.inbox.since();
  assert.deepEqual(inbox.map((m) => m.text).sort(), ['M5.4 nearby', 'hello from the next valley', 'meet at the school']);
  assert.equal(inbox.find((m) => m.kind === 'alert')?.level, 'EARTHQUAKE');
  assert.equal(s.uplinked.filter((u) => u.source === 'mesh:!0f0f0f0f').length, 0, 'a frame that came over MQTT is not sent up again');
  assert.ok(s.bridge.stats.notUplinkedViaMqtt >= 1);
});

test('bad tx payloads are refused with a reason and counted; nothing reaches the mesh', async (t) => {
  const s = await setup(t);
  for (const bad of ['{"text": 5}', '{"alert": {"level": "PARTY", "text": "x"}}', '{"text": "x", "to": "someone"}', '{nope', '\u0001\u0002garbage', '']) {
    const r = s.bridge.handleTx(Buffer.from(bad), 'local');
    assert.equal(r.ok, false, bad);
  }
  assert.equal(s.bridge.stats.txRejected, 6);
  s.run(60_000);
  assert.equal(s.n.inbox.since().length, 0);
});

test('sensor readings go to the hub and are announced to Home Assistant once', async (t) => {
  const s = await setup(t);
  s.bridge.handleSensor('unibos/v1/sensor/tank1/level', Buffer.from('42.5'));
  s.bridge.handleSensor('unibos/v1/sensor/tank1/level', Buffer.from('41.9'));
  assert.equal(s.uplinked.filter((u) => u.source === 'sensor:tank1').length, 2);
  const disco = s.published.filter((p) => p.topic === 'homeassistant/sensor/unibos_sensor_tank1_level/config');
  assert.equal(disco.length, 1);
  assert.equal(JSON.parse(disco[0]!.payload.toString()).state_topic, 'unibos/v1/sensor/tank1/level');
});

test('the bridge keeps only its most recently heard sensors announced: one long silent is cleared, and announced again when it comes back', async (t) => {
  const s = await setup(t);
  const announced = (id: string) => s.published.filter((p) => p.topic === `homeassistant/sensor/unibos_sensor_${id}_level/config` && p.payload.length > 0).length;
  const reading = (id: string) => s.bridge.handleSensor(`unibos/v1/sensor/${id}/level`, Buffer.from('1'));
  reading('quiet');
  reading('busy');
  // More sensors than the bridge remembers; busy keeps reporting meanwhile, quiet does not.
  for (let i = 0; i < MAX_ANNOUNCED_SENSORS; i++) {
    reading(`s${i}`);
    reading('busy');
  }
  reading('quiet');
  reading('busy');
  assert.equal(announced('quiet'), 2, 'forgotten, so announced again');
  assert.equal(announced('busy'), 1, 'a sensor heard all along is not announced again');
  // Forgetting it cleared its retained config (an empty retained message), so the broker's store stays bounded.
  const quiet = s.published.filter((p) => p.topic === 'homeassistant/sensor/unibos_sensor_quiet_level/config');
  assert.deepEqual(quiet.map((p) => [p.retain, p.payload.length > 0]), [[true, true], [true, false], [true, true]], 'announced, cleared, announced again');
  assert.ok(s.bridge.stats.sensorsForgotten >= 2);
  assert.equal(s.published.filter((p) => p.topic.startsWith('homeassistant/sensor/unibos_sensor_') && p.payload.length === 0).length, s.bridge.stats.sensorsForgotten);
});

test('a hub command with a ref is reported with its packet id; the same ref again is not sent twice; a refused one says why', async (t) => {
  const s = await setup(t);
  const nid = `!${s.n.nodeId.toString(16).padStart(8, '0')}`;
  const command = Buffer.from(JSON.stringify({ ref: 'msg-1', text: 'storm coming', to: nid }));
  assert.equal(s.bridge.handleTx(command, 'hub').ok, true);
  assert.equal(s.bridge.handleTx(command, 'hub').ok, true, 'a repeat (the hub had not seen our report) is answered, not refused');
  assert.equal(s.bridge.handleTx(Buffer.from(JSON.stringify({ ref: 'msg-2', text: '' })), 'hub').ok, false);
  const reports = s.uplinked.filter((u) => u.topic === 'unibos/v1/gw/gw1/txstatus').map((u) => JSON.parse(u.payload.toString()) as { ref: string; packetId?: number; status: string; error?: string });
  assert.equal(reports.length, 3);
  assert.equal(reports[0]!.status, 'queued');
  assert.deepEqual(reports[1], reports[0], 'the repeat gets the same packet id');
  assert.deepEqual([reports[2]!.ref, reports[2]!.status], ['msg-2', 'refused']);
  assert.match(reports[2]!.error!, /text/);
  s.run(120_000);
  assert.deepEqual(s.n.inbox.since().map((m) => m.text), ['storm coming'], 'the node gets it once');
});

/** A bridge wired to a real broker as `unibos gateway` wires it: sensor topics to handleSensor, the outbox in the broker's own database. */
async function sensorDoor(t: { after(fn: () => Promise<void>): void }) {
  const s = await setup(t);
  const dir = mkdtempSync(join(tmpdir(), 'unibos-bridge-outbox-'));
  const db = new Database(join(dir, 'gateway.db'));
  const h = await BrokerHarness.start({ db });
  t.after(async () => {
    await h.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const outbox = new HubOutbox(db);
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: s.g, params, local: { publish: async () => undefined }, uplink: { forward: (m) => void outbox.add(m) }, logger: silent });
  h.broker.subscribe(topics.sensorFilter, (topic, payload, _clientId, msgId) => bridge.handleSensor(topic, payload, msgId));
  return { h, outbox, bridge, queued: () => outbox.peek(100).map((m) => [m.topic, Buffer.from(m.payload).toString()]) };
}

/** A sensor with a persistent session (clean false) that reconnects as devices do; `closes` counts the connections it lost. */
async function persistentSensor(t: { after(fn: () => Promise<void>): void }, h: BrokerHarness, id: string) {
  const login = await h.device(id, 'sensor');
  const c = await connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, protocolVersion: 4, clean: false, reconnectPeriod: 200 });
  c.on('error', () => {});
  const sensor = { c, closes: 0 };
  c.on('close', () => sensor.closes++);
  t.after(async () => void (await c.endAsync(true)));
  return sensor;
}

test('a sensor publish with no metric level (unibos/v1/sensor/{id}) is refused at the door and counted, acknowledged and dropped: not lost without a trace, not a reason to cut the sensor off', { timeout: 15_000 }, async (t) => {
  const { h, outbox, bridge } = await sensorDoor(t);
  const sensor = await persistentSensor(t, h, 'tank1');
  let acked = false;
  void sensor.c.publishAsync('unibos/v1/sensor/tank1', '42.5', { qos: 1 }).then(() => (acked = true));
  await h.waitUntil(() => acked, () => `the PUBACK; the sensor lost its connection ${sensor.closes} times`);
  assert.equal(outbox.size, 0, 'the hub would refuse the topic (no metric): not queued');
  assert.deepEqual(h.broker.stats.hubRefusals, { topic_shape: 1 });
  assert.equal(bridge.stats.uplinkRefused, 1);
  await sensor.c.publishAsync('unibos/v1/sensor/tank1/level', '42.5', { qos: 1 });
  assert.equal(outbox.size, 1);
  assert.equal(sensor.closes, 0);
});

test('a reading the hub would refuse, from a persistent QoS 1 session, is acknowledged and dropped with its reason: the session goes on and the readings after it reach the outbox', { timeout: 15_000 }, async (t) => {
  const { h, outbox, bridge, queued } = await sensorDoor(t);
  const dashboard = await connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...(await h.device('dash', 'hub')), protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  t.after(async () => void (await dashboard.endAsync(true)));
  const routed: string[] = [];
  dashboard.on('message', (topic, payload) => routed.push(`${topic} ${payload.toString()}`));
  await dashboard.subscribeAsync('unibos/v1/sensor/#', { qos: 1 });
  const sensor = await persistentSensor(t, h, 'tank1');
  // As a device sends them, one after the other without waiting: the first one's time is no date.
  const acks = Promise.all([
    sensor.c.publishAsync('unibos/v1/sensor/tank1/temp', '{"value":21.5,"time":"yesterday"}', { qos: 1, retain: true }),
    sensor.c.publishAsync('unibos/v1/sensor/tank1/level', '22.0', { qos: 1 }),
    // Home-made payloads: an empty unit, a Unix time in seconds.
    sensor.c.publishAsync('unibos/v1/sensor/tank1/count', '{"value":40,"unit":""}', { qos: 1 }),
    sensor.c.publishAsync('unibos/v1/sensor/tank1/temp', '{"value":21.5,"time":1733480000}', { qos: 1 }),
  ]);
  await h.waitUntil(() => outbox.size >= 3, () => `the three good readings in the outbox; it has ${JSON.stringify(queued())}, the sensor lost its connection ${sensor.closes} times`);
  await acks;
  assert.deepEqual(queued(), [
    ['unibos/v1/sensor/tank1/level', '22.0'],
    ['unibos/v1/sensor/tank1/count', '{"value":40,"unit":""}'],
    ['unibos/v1/sensor/tank1/temp', '{"value":21.5,"time":1733480000}'],
  ]);
  assert.equal(sensor.closes, 0, 'the connection was never dropped');
  assert.deepEqual(h.of('clientConnected').filter((c) => c.clientId === 'tank1').length, 1);
  assert.deepEqual(h.broker.stats.hubRefusals, { bad_payload: 1 });
  assert.equal(bridge.stats.uplinkRefused, 1);
  const denial = h.of('denied').find((d) => d.clientId === 'tank1');
  assert.equal(denial?.topic, 'unibos/v1/sensor/tank1/temp');
  assert.match(denial?.reason ?? '', /\(bad_payload\).*"time"/);
  assert.ok(h.logs.some((l) => l.level === 40 && l.clientId === 'tank1' && /bad_payload/.test(String(l.reason))), 'the refusal is logged with its reason');
  // Dropped, not only kept from the hub: no subscriber got it (it came before the good ones), nothing retained it.
  await h.waitUntil(() => routed.length >= 3, () => `the good readings routed; got ${JSON.stringify(routed)}`);
  assert.deepEqual(routed, ['unibos/v1/sensor/tank1/level 22.0', 'unibos/v1/sensor/tank1/count {"value":40,"unit":""}', 'unibos/v1/sensor/tank1/temp {"value":21.5,"time":1733480000}']);
  const retained: string[] = [];
  for await (const m of h.broker.retained('unibos/v1/sensor/tank1/#')) retained.push(m.payload.toString());
  assert.deepEqual(retained, []);
});

test('clearing a retained reading (a zero-length retained publish) clears it on the broker and is no reading for the hub: not queued, counted', { timeout: 15_000 }, async (t) => {
  const { h, outbox, bridge, queued } = await sensorDoor(t);
  const sensor = await persistentSensor(t, h, 'tank1');
  const retainedTemp = async () => {
    const out: string[] = [];
    for await (const m of h.broker.retained('unibos/v1/sensor/tank1/temp')) out.push(m.payload.toString());
    return out;
  };
  // QoS 2: aedes sends a QoS 1 PUBACK before it stores the retained copy, its PUBREC after.
  await sensor.c.publishAsync('unibos/v1/sensor/tank1/temp', '21.5', { qos: 2, retain: true });
  assert.deepEqual(await retainedTemp(), ['21.5']);
  await sensor.c.publishAsync('unibos/v1/sensor/tank1/temp', '', { qos: 2, retain: true });
  assert.deepEqual(await retainedTemp(), [], 'the retained reading is gone from the broker');
  await sensor.c.publishAsync('unibos/v1/sensor/tank1/temp', '22', { qos: 1 });
  assert.deepEqual(queued(), [['unibos/v1/sensor/tank1/temp', '21.5'], ['unibos/v1/sensor/tank1/temp', '22']], 'no null reading overwrote the latest value at the hub');
  assert.equal(bridge.stats.sensorClears, 1);
  assert.deepEqual(h.broker.stats.hubRefusals, {});
  assert.equal(sensor.closes, 0);
});

test('a switch command the hub delivers again (same ref: our PUBACK was lost) is not run twice: a TOGGLE stays one toggle', async (t) => {
  const s = await setup(t);
  const runs: string[] = [];
  const { bridge, reports, outcome: confirmed } = reportingBridge(s, {
    switches: { run: async (req) => (runs.push(req.state), { status: 'confirmed', state: runs.length % 2 === 1 ? 'ON' : 'OFF' }) },
  });
  const command = Buffer.from(JSON.stringify({ ref: 'sw-1', switch: { sensor: 'plug1', state: 'TOGGLE', channel: 1 } }));
  assert.equal(bridge.handleTx(command, 'hub').ok, true);
  assert.equal(bridge.handleTx(command, 'hub').ok, true, 'a repeat is answered, not refused');
  await confirmed;
  assert.deepEqual(runs, ['TOGGLE'], 'the relay was toggled once');
  assert.ok(reports.every((r) => r.ref === 'sw-1'));
  assert.deepEqual(reports.map((r) => r.status).filter((st) => st !== 'queued'), ['confirmed']);
});

test('a switch whose ref cannot be settled in gateway.db (a full card) still reports its outcome to the hub, and the gateway does not crash', async (t) => {
  const s = await setup(t);
  const db = new Database(':memory:');
  t.after(async () => void db.close());
  const crashes: unknown[] = [];
  const { bridge, reports, outcome, settle } = reportingBridge(s, { db, switches: { run: async () => ({ status: 'confirmed', state: 'ON' }) } });
  // What the process would die of: an unhandled rejection.
  const onUnhandled = (err: unknown): void => {
    crashes.push(err);
    settle();
  };
  process.on('unhandledRejection', onUnhandled);
  t.after(async () => void process.off('unhandledRejection', onUnhandled));
  // The ref is recorded; settling it afterwards fails as a full disk makes an UPDATE fail.
  db.exec("CREATE TRIGGER full_card BEFORE UPDATE ON bridge_taken_refs BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");
  assert.equal(bridge.handleTx(Buffer.from(JSON.stringify({ ref: 'sw-full', switch: { sensor: 'plug1', state: 'ON', channel: 1 } })), 'hub').ok, true);
  await outcome;
  assert.deepEqual(crashes, [], 'no unhandled rejection (it ends the gateway process)');
  assert.deepEqual(reports.map((r) => r.status), ['queued', 'confirmed'], 'the hub hears the switch was confirmed');
});

test('a text whose ref cannot be settled in gateway.db (a full card) is still reported queued with its packet id, and nothing is thrown into the broker or uplink', async (t) => {
  const s = await setup(t);
  const db = new Database(':memory:');
  t.after(async () => void db.close());
  const { bridge, reports } = reportingBridge(s, { db });
  db.exec("CREATE TRIGGER full_card BEFORE UPDATE ON bridge_taken_refs BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END");
  const command = Buffer.from(JSON.stringify({ text: 'su okulda', to: '!0000abcd', ref: 'txt-full' }));
  let result: ReturnType<MeshBridge['handleTx']> | undefined;
  assert.doesNotThrow(() => (result = bridge.handleTx(command, 'hub')));
  assert.equal(result?.ok, true);
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.status, 'queued');
  assert.equal(typeof reports[0]!.packetId, 'number', 'the hub learns the packet id the text got');
});
