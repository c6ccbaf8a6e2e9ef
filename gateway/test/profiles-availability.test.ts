// Devices' availability on the running broker: what each family says about being reachable (a
// Tasmota's last will on tele/<t>/LWT, a Shelly's <id>/online, a Zigbee2MQTT device's
// <name>/availability in both its payload forms, the availability topics a device's Home Assistant
// discovery names, with their payloads and mode) becomes `unibos/v1/sensor/{sensor}/$availability`
// in the hub outbox under the sensor id its readings have, in a shape the hub takes. Unreadable
// availability is a counted drop, still acknowledged.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import pino from 'pino';
import { hubWouldRefuse, parseTopic } from '@unibos/mesh-protocol';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';
import { GatewayBroker } from '../src/broker/gateway-broker.ts';
import { HubOutbox } from '../src/uplink/hub-outbox.ts';
import { openGatewayDb } from '../src/run-gateway.ts';
import { ProfileRouter } from '../src/profiles/profile-router.ts';

describe('device availability on the gateway broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-availability-'));
  const db = openGatewayDb(dir);
  const credentials = new DeviceCredentials(db);
  const outbox = new HubOutbox(db);
  let broker: GatewayBroker;
  let router: ProfileRouter;
  const logins: Record<string, string> = {};
  const clients: mqtt.MqttClient[] = [];

  before(async () => {
    broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: 'gwtest', logger: pino({ level: 'silent' }), port: 0, wsPort: null, db });
    router = new ProfileRouter({ broker, uplink: { forward: (m) => void outbox.add({ source: m.source, topic: m.topic, payload: m.payload, retain: false, lane: m.lane, msgId: m.msgId }) }, logger: pino({ level: 'silent' }) });
    router.start();
    // As the README sets them up.
    logins.plug1 = await credentials.add('plug1', 'sensor', { allow: ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#'], deny: [] });
    logins['shelly1-AB12'] = await credentials.add('shelly1-AB12', 'sensor', { allow: ['readwrite shellies/%u/#', 'write shellies/announce', 'read shellies/command'], deny: [] });
    logins['shellyplus1-a8'] = await credentials.add('shellyplus1-a8', 'sensor', { allow: ['write %u/status/#', 'write %u/events/#', 'write %u/online', 'read %u/rpc'], deny: [] });
    logins.z2m = await credentials.add('z2m', 'sensor', { allow: ['readwrite zigbee2mqtt/#', 'write homeassistant/#'], deny: [] });
    logins.esp1 = await credentials.add('esp1', 'sensor', { allow: ['write esp1/#', 'write homeassistant/+/esp1/#', 'read esp1/#'], deny: [] });
    logins.esp2 = await credentials.add('esp2', 'sensor', { allow: ['write esp2/#', 'read esp2/#'], deny: [] });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
  });
  after(async () => {
    router.stop();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (id: string, will?: mqtt.IClientOptions['will']): Promise<mqtt.MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: id, password: logins[id], clientId: id, protocolVersion: 4, reconnectPeriod: 0, ...(will ? { will } : {}) });
    clients.push(c);
    return c;
  };
  /** Availability rows for the hub since `afterSeq`: [sensor, state, profile]. */
  const availability = (afterSeq: number) =>
    outbox
      .peek(1000, afterSeq)
      .filter((m) => parseTopic(m.topic)?.kind === 'sensorAvailability')
      .map((m) => {
        assert.equal(hubWouldRefuse({ topic: m.topic, payload: m.payload, msgId: m.msgId, source: m.source, format: 'json' }), null, 'the hub takes it');
        const body = JSON.parse(m.payload.toString()) as { state: string; profile: string };
        return [m.topic.split('/')[3], body.state, body.profile];
      });
  const lastSeq = () => outbox.peek(100_000).at(-1)?.seq ?? 0;
  /** Resolves once `n` availability reports were made. */
  const reports = (n: number) =>
    new Promise<void>((resolve) => {
      let left = n;
      const on = (): void => {
        if (--left === 0) {
          router.off('availability', on);
          resolve();
        }
      };
      router.on('availability', on);
    });

  it('a Tasmota plug: Online when it connects, Offline from its last will when its connection dies', async () => {
    const seq = lastSeq();
    const plug = await connect('plug1', { topic: 'tele/plug1/LWT', payload: Buffer.from('Offline'), qos: 1, retain: true });
    await plug.publishAsync('tele/plug1/LWT', 'Online', { qos: 1, retain: true });
    assert.deepEqual(availability(seq), [['plug1', 'online', 'tasmota']]);
    // Power cut: the broker notices the connection gone and publishes the will for it.
    const will = reports(1);
    plug.stream.destroy();
    await will;
    assert.deepEqual(availability(seq), [['plug1', 'online', 'tasmota'], ['plug1', 'offline', 'tasmota']]);
  });

  it('Shelly Gen1 and Gen2: <id>/online true and false', async () => {
    const seq = lastSeq();
    const gen1 = await connect('shelly1-AB12');
    await gen1.publishAsync('shellies/shelly1-AB12/online', 'true', { qos: 1, retain: true });
    await gen1.publishAsync('shellies/shelly1-AB12/online', 'false', { qos: 1, retain: true });
    const gen2 = await connect('shellyplus1-a8');
    await gen2.publishAsync('shellyplus1-a8/online', 'false', { qos: 1, retain: true });
    assert.deepEqual(availability(seq), [
      ['shelly1-AB12', 'online', 'shelly'],
      ['shelly1-AB12', 'offline', 'shelly'],
      ['shellyplus1-a8', 'offline', 'shelly-gen2'],
    ]);
  });

  it('ESPHome without discovery: <node>/status online (its birth message) and offline (its last will), under the sensor id of its readings', async () => {
    const seq = lastSeq();
    const esp = await connect('esp2', { topic: 'esp2/status', payload: Buffer.from('offline'), qos: 1, retain: true });
    await esp.publishAsync('esp2/status', 'online', { qos: 1, retain: true });
    await esp.publishAsync('esp2/sensor/soil_moisture/state', '41', { qos: 1 });
    assert.deepEqual(availability(seq), [['esp2', 'online', 'esphome']]);
    const will = reports(1);
    esp.stream.destroy();
    await will;
    assert.deepEqual(availability(seq), [['esp2', 'online', 'esphome'], ['esp2', 'offline', 'esphome']]);
    assert.ok(outbox.peek(1000, seq).some((m) => m.topic === 'unibos/v1/sensor/esp2/soil_moisture'), 'its reading under the same sensor id');
  });

  it('Zigbee2MQTT: <name>/availability as JSON and as the legacy plain word, under the device\u2019s own sensor id; its bridge state as its login\u2019s; a device named "online" is still a device', async () => {
    const seq = lastSeq();
    const z2m = await connect('z2m');
    await z2m.publishAsync('zigbee2mqtt/kitchen', JSON.stringify({ temperature: 21.5 }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/kitchen/availability', JSON.stringify({ state: 'offline' }), { qos: 1, retain: true });
    await z2m.publishAsync('zigbee2mqtt/garden/pump/availability', 'online', { qos: 1, retain: true });
    const drops = router.stats.drops.zigbee2mqtt ?? 0;
    await z2m.publishAsync('zigbee2mqtt/kitchen/availability', JSON.stringify({ state: 'sleepy' }), { qos: 1 });
    assert.equal(router.stats.drops.zigbee2mqtt, drops + 1, 'neither online nor offline: a counted drop, still acknowledged');
    // Its friendly name "online": a device message (a reading), not a Shelly's availability.
    await z2m.publishAsync('zigbee2mqtt/online', JSON.stringify({ temperature: 19 }), { qos: 1 });
    // Zigbee2MQTT itself stops (its last will, on its bridge state): the login's own availability,
    // which the hub applies to every z2m:<name>.
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'offline' }), { qos: 1, retain: true });
    await z2m.publishAsync('zigbee2mqtt/bridge/state', 'online', { qos: 1, retain: true });
    assert.deepEqual(availability(seq), [
      ['z2m:kitchen', 'offline', 'zigbee2mqtt'],
      ['z2m:garden_pump', 'online', 'zigbee2mqtt'],
      ['z2m', 'offline', 'zigbee2mqtt'],
      ['z2m', 'online', 'zigbee2mqtt'],
    ]);
    assert.ok(outbox.peek(1000, seq).some((m) => m.topic === 'unibos/v1/sensor/z2m:online/temperature'));
  });

  it('Home Assistant discovery: its availability_topic with its own payloads (ESPHome), and Zigbee2MQTT\u2019s list with its bridge, mode all', async () => {
    const seq = lastSeq();
    const esp = await connect('esp1');
    const config = { '~': 'esp1/sensor/soil', name: 'Soil', stat_t: '~/state', avty_t: 'esp1/status', pl_avail: 'up', pl_not_avail: 'down', dev: { ids: 'a4cf12', name: 'esp1' } };
    await esp.publishAsync('homeassistant/sensor/esp1/soil/config', JSON.stringify(config), { qos: 1 });
    await esp.publishAsync('esp1/status', 'up', { qos: 1 });
    await esp.publishAsync('esp1/status', 'down', { qos: 1 });
    assert.deepEqual(availability(seq), [['esp1', 'online', 'discovery'], ['esp1', 'offline', 'discovery']]);

    // Zigbee2MQTT's own discovery: the device is reachable only while its bridge and it both are.
    const seq2 = lastSeq();
    const z2m = await connect('z2m');
    const z2mConfig = {
      availability: [{ topic: 'zigbee2mqtt/bridge/state', value_template: '{{ value_json.state }}' }, { topic: 'zigbee2mqtt/hall/availability', value_template: '{{ value_json.state }}' }],
      availability_mode: 'all',
      device: { identifiers: ['zigbee2mqtt_0x00158d0001'], name: 'hall' },
      state_topic: 'zigbee2mqtt/hall',
      value_template: '{{ value_json.temperature }}',
      unit_of_measurement: '°C',
      object_id: 'hall_temperature',
    };
    await z2m.publishAsync('homeassistant/sensor/0x00158d0001/temperature/config', JSON.stringify(z2mConfig), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'online' }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall/availability', JSON.stringify({ state: 'online' }), { qos: 1 });
    // Zigbee2MQTT itself stops (its last will): every device behind it is out of reach.
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'offline' }), { qos: 1 });
    // Back, but the device has not answered yet: still offline (mode all).
    await z2m.publishAsync('zigbee2mqtt/hall/availability', JSON.stringify({ state: 'offline' }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/bridge/state', JSON.stringify({ state: 'online' }), { qos: 1 });
    await z2m.publishAsync('zigbee2mqtt/hall/availability', JSON.stringify({ state: 'online' }), { qos: 1 });
    const rows = availability(seq2);
    assert.deepEqual(
      rows.filter(([sensor]) => sensor === 'z2m').map(([, state]) => state),
      ['online', 'offline', 'online'],
      'the bridge state is also the Zigbee2MQTT login’s own, for the devices the hub knows without discovery',
    );
    assert.deepEqual(
      rows.filter(([sensor]) => sensor !== 'z2m').map(([sensor, state]) => [sensor, state]),
      [
        ['z2m:hall', 'online'],
        ['z2m:hall', 'online'],
        ['z2m:hall', 'offline'],
        ['z2m:hall', 'offline'],
        ['z2m:hall', 'offline'],
        ['z2m:hall', 'online'],
      ],
    );
  });
});
