// Home Assistant discovery of sensors on the running broker, as Home Assistant sees it: sensors
// whose id and metric only differ in where an '_' or '.' falls each get their own retained config,
// pointing at their own state topic, and a Home Assistant started later finds all of them; mesh
// nodes' retained messages stay within a bound however many node ids the air makes up.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import mqtt from 'mqtt';
import pino from 'pino';
import { loraParams, topics, type MeshRouter } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import { sensorDiscovery, sensorDiscoveryKey } from '../src/bridge/ha-discovery.ts';
import { MAX_ANNOUNCED_SENSORS, MAX_METRICS_PER_SENSOR, MeshBridge, type MqttPublisher } from '../src/bridge/mesh-bridge.ts';
import { BrokerHarness } from './support/broker-harness.ts';

interface Config {
  readonly topic: string;
  readonly stateTopic: string;
}

describe('Home Assistant discovery of sensors on the gateway broker', () => {
  let h: BrokerHarness;
  const clients: mqtt.MqttClient[] = [];
  let homeAssistant: { username: string; password: string; clientId: string };

  before(async () => {
    h = await BrokerHarness.start({ wsPort: null });
    const unused = (): never => {
      throw new Error('no mesh in this test');
    };
    // No radio here: the bridge only hears sensors, wired to the broker as run-gateway.ts does.
    const router = { on: () => router } as unknown as MeshRouter;
    const bridge = new MeshBridge({ gatewayId: 'gw-test', device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params: loraParams('LongFast'), local: h.broker, logger: pino({ level: 'silent' }) });
    h.broker.subscribe(topics.sensorFilter, (topic, payload, _clientId, msgId) => bridge.handleSensor(topic, payload, msgId));
    homeAssistant = await h.device('homeassistant', 'hub');
  });
  after(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await h.stop();
  });

  const connect = async (login: { username: string; password: string; clientId: string }): Promise<mqtt.MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...login, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  /** A Home Assistant: every sensor config it is sent, live or retained. */
  const listen = async (clientId: string): Promise<{ configs: Config[]; waitFor(n: number, what: string): Promise<void> }> => {
    const c = await connect({ ...homeAssistant, clientId });
    const configs: Config[] = [];
    const waiter = new EventWaiter();
    c.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      configs.push({ topic, stateTopic: (JSON.parse(payload.toString()) as { state_topic: string }).state_topic });
      waiter.wake();
    });
    await c.subscribeAsync('homeassistant/sensor/+/config', { qos: 1 });
    return { configs, waitFor: (n, what) => waiter.until(() => configs.length >= n, () => `${what}; got ${JSON.stringify(configs)}`, 5000) };
  };

  it('sensor a metric b_c and sensor a_b metric c are two entities, each reading its own topic, for a Home Assistant started before and after', async () => {
    const live = await listen('homeassistant:live');
    const sensors = await Promise.all(['a', 'a_b'].map(async (id) => connect(await h.device(id, 'sensor'))));
    await sensors[0]!.publishAsync('unibos/v1/sensor/a/b_c', '1', { qos: 1 });
    await sensors[1]!.publishAsync('unibos/v1/sensor/a_b/c', '2', { qos: 1 });
    await live.waitFor(2, 'a config for each sensor');
    const expected = ['unibos/v1/sensor/a/b_c', 'unibos/v1/sensor/a_b/c'];
    assert.deepEqual(live.configs.map((c) => c.stateTopic).sort(), expected);
    assert.equal(new Set(live.configs.map((c) => c.topic)).size, 2, `two config topics, not one overwritten: ${JSON.stringify(live.configs)}`);
    // Home Assistant started now finds both retained configs.
    const later = await listen('homeassistant:later');
    await later.waitFor(2, 'both retained configs');
    assert.deepEqual(later.configs.map((c) => c.stateTopic).sort(), expected);
  });

  it('no two (sensor, metric) pairs share a config key, even one made to look like another\'s', () => {
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '_', '.', ':', '-', '0', 'é'), minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(part, part, part, part, (s1, m1, s2, m2) => {
        const k1 = sensorDiscoveryKey(s1, m1);
        assert.match(k1, /^[A-Za-z0-9_-]+$/);
        if (s1 !== s2 || m1 !== m2) assert.notEqual(k1, sensorDiscoveryKey(s2, m2), `${s1}/${m1} and ${s2}/${m2}`);
      }),
      { numRuns: 20_000 },
    );
    assert.equal(sensorDiscoveryKey('tank1', 'soil_moisture'), 'tank1_soil_moisture', 'plain names keep their plain key');
    // Sensor a choosing the metric whose plain key would be a_b's hashed one.
    const hashed = sensorDiscoveryKey('a_b', 'c');
    assert.notEqual(sensorDiscoveryKey('a', hashed.slice('a_'.length)), hashed);
  });
});

describe('mesh nodes on the gateway broker', () => {
  let h: BrokerHarness;
  before(async () => {
    h = await BrokerHarness.start({ wsPort: null });
  });
  after(() => h.stop());

  /** The retained messages in the broker's store: what a Home Assistant subscribing now is sent. */
  const retainedTopics = async (): Promise<string[]> => {
    const found: string[] = [];
    for await (const packet of h.broker.retained('#')) found.push(packet.topic);
    return found.sort();
  };

  // The bridges' clock: every frame heard a second after the one before, across restarts.
  let clockMs = Date.UTC(2026, 11, 5);
  /** A bridge on the harness's broker whose local publishes are all awaited before the store is read, and a way to make it hear a frame. */
  const bridgeOnBroker = (bounds: { maxMeshNodes?: number; maxSensorMetrics?: number; maxMetricsPerSensor?: number } = { maxMeshNodes: 3 }) => {
    const heard = new EventEmitter();
    const router = heard as unknown as MeshRouter;
    const unused = (): never => {
      throw new Error('no radio in this test');
    };
    const pending: Promise<void>[] = [];
    const local: MqttPublisher = {
      publish: (topic, payload, o) => {
        const done = h.broker.publish(topic, payload, o);
        pending.push(done);
        return done;
      },
    };
    const bridge = new MeshBridge({ gatewayId: 'gw-test', device: { router, sendText: unused, sendAlert: unused, answerSos: unused, requestNodeInfo: unused }, params: loraParams('LongFast'), local, logger: pino({ level: 'silent' }), ...bounds, clock: () => (clockMs += 1000) });
    // A frame as the router reports one it heard and authenticated (the public channel's key is public).
    const hear = (from: number) => heard.emit('heard', { header: { from, to: 0xffffffff, id: from, hopStart: 3, hopLimit: 3, viaMqtt: true }, data: { text: 'hi' }, bytes: new Uint8Array(40), rssi: -100, snr: 5 });
    return { bridge, hear, settled: () => Promise.all(pending) };
  };
  const perNode = (from: number) => {
    const hex = from.toString(16).padStart(8, '0');
    return (topic: string) => topic.includes(`unibos_${hex}`) || topic === `unibos/v1/mesh/!${hex}/link`;
  };

  it('node ids made up on the public channel cannot grow the retained store: the least recently heard node is forgotten and cleared, across restarts too', async () => {
    const { bridge, hear, settled } = bridgeOnBroker();

    hear(0x0a000001);
    for (let id = 0x0b000001; id <= 0x0b000004; id++) {
      hear(id);
      hear(0x0a000001); // a real node keeps talking meanwhile
    }
    await settled();
    const stored = await retainedTopics();
    const kept = [0x0a000001, 0x0b000003, 0x0b000004];
    for (const id of kept) assert.equal(stored.filter(perNode(id)).length, 7, `node ${id.toString(16)}: six discovery configs and its link`);
    assert.equal(stored.length, 3 * 7, `only the three most recently heard nodes: ${stored.join(' ')}`);
    assert.equal(bridge.stats.nodesForgotten, 2);

    // A forgotten node heard again is announced again (and the least recent now is forgotten).
    hear(0x0b000001);
    await settled();
    const again = await retainedTopics();
    assert.equal(again.filter(perNode(0x0b000001)).length, 7);
    assert.equal(again.filter(perNode(0x0b000003)).length, 0);
    assert.equal(again.filter(perNode(0x0a000001)).length, 7, 'the node heard all along stays');

    // A device's own discovery config is not the bridge's to forget.
    await h.broker.publish('homeassistant/sensor/plug1_218FF9_energy/config', '{"state_topic":"tele/plug1/SENSOR"}', { retain: true });
    // The gateway restarts: the store still holds what the last run announced, and the bound holds on.
    await h.restart();
    const restarted = bridgeOnBroker();
    await restarted.bridge.restore((filter) => h.broker.retained(filter));
    restarted.hear(0x0c000001);
    restarted.hear(0x0c000002);
    await restarted.settled();
    const afterRestart = await retainedTopics();
    for (const id of [0x0b000001, 0x0c000001, 0x0c000002]) assert.equal(afterRestart.filter(perNode(id)).length, 7, `node ${id.toString(16)} kept`);
    assert.deepEqual(afterRestart.filter((t) => !t.includes('unibos')), ['homeassistant/sensor/plug1_218FF9_energy/config']);
    assert.equal(afterRestart.length, 3 * 7 + 1, `the three most recently heard nodes and the device's config: ${afterRestart.join(' ')}`);
  });

  it('at start the bridge takes up the sensor configs it made itself, and only those: the bound holds across a restart, and configs planted under its names cannot push the real ones out', async () => {
    const before = bridgeOnBroker({ maxSensorMetrics: 2 });
    for (const id of ['well1', 'well2']) before.bridge.handleSensor(`unibos/v1/sensor/${id}/level`, Buffer.from('1'));
    await before.settled();
    // A device allowed to write homeassistant/# plants configs named like the bridge's (sorting after the real ones), for sensors that do not exist.
    for (const fake of ['x1', 'x2']) await h.broker.publish(`homeassistant/sensor/unibos_sensor_zz_planted_${fake}/config`, JSON.stringify({ state_topic: `unibos/v1/sensor/${fake}/level` }), { retain: true });
    await h.restart();
    const after = bridgeOnBroker({ maxSensorMetrics: 2 });
    await after.bridge.restore((filter) => h.broker.retained(filter));
    await after.settled();
    const stored = await retainedTopics();
    for (const id of ['well1', 'well2']) assert.ok(stored.includes(sensorDiscovery(id, 'level').topic), `${id}'s config is still there: ${stored.join(' ')}`);
    assert.equal(after.bridge.stats.sensorsForgotten, 0);
    // And the real ones count against the bound after the restart: a third sensor pushes the first out.
    after.bridge.handleSensor('unibos/v1/sensor/well3/level', Buffer.from('1'));
    await after.settled();
    const now = await retainedTopics();
    assert.deepEqual(['well1', 'well2', 'well3'].map((id) => now.includes(sensorDiscovery(id, 'level').topic)), [false, true, true]);
    assert.equal(after.bridge.stats.sensorsForgotten, 1);
  });
  it("one sensor publishing more metrics than the bound cannot clear another sensor's discovery config: its metrics beyond its own limit are not announced, and counted", async () => {
    // The reviewer's discovery-evict: one sensor's 4100 metrics pushed every other sensor's config out of a gateway-wide LRU (cleared: Home Assistant deletes the entity).
    const { bridge, settled } = bridgeOnBroker({});
    // As runGateway wires the bridge to the broker.
    const off = h.broker.subscribe('unibos/v1/sensor/#', (topic, payload, _clientId, msgId) => bridge.handleSensor(topic, payload, msgId));
    const sensor = async (id: string) => mqtt.connectAsync(`mqtt://127.0.0.1:${h.port}`, { ...(await h.device(id, 'sensor')), protocolVersion: 4, reconnectPeriod: 0 });
    const victim = await sensor('victim');
    const noisy = await sensor('noisy');
    try {
      await victim.publishAsync('unibos/v1/sensor/victim/temperature', '21.5', { qos: 1 });
      const metrics = MAX_ANNOUNCED_SENSORS + 4;
      for (let i = 0; i < metrics; i += 256) {
        await Promise.all(Array.from({ length: Math.min(256, metrics - i) }, (_, k) => noisy.publishAsync(`unibos/v1/sensor/noisy/m${i + k}`, '1', { qos: 1 })));
      }
      await settled();
      const stored = await retainedTopics();
      assert.ok(stored.includes(sensorDiscovery('victim', 'temperature').topic), "the other sensor's config is kept");
      assert.equal(stored.filter((t) => t.startsWith('homeassistant/sensor/unibos_sensor_noisy_')).length, MAX_METRICS_PER_SENSOR, 'the noisy sensor has its own limit announced');
      assert.equal(bridge.stats.sensorsForgotten, 0);
      assert.equal(bridge.stats.sensorMetricsNotAnnounced, metrics - MAX_METRICS_PER_SENSOR);
      // Its readings all went on as readings; only the announcements stopped.
      assert.equal(bridge.stats.sensorMessages, metrics + 1);
    } finally {
      off();
      await victim.endAsync(true);
      await noisy.endAsync(true);
    }
  });
});
