// Home Assistant discovery of sensors on the running broker, as Home Assistant sees it: sensors
// whose id and metric only differ in where an '_' or '.' falls each get their own retained config,
// pointing at their own state topic, and a Home Assistant started later finds all of them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import mqtt from 'mqtt';
import pino from 'pino';
import { loraParams, topics, type MeshRouter } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import { sensorDiscoveryKey } from '../src/bridge/ha-discovery.ts';
import { MeshBridge } from '../src/bridge/mesh-bridge.ts';
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
