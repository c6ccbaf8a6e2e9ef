// Profiles on the running broker: a Tasmota-style device (mosquitto_pub, with topic rules) and an
// ESPHome-style device announcing itself with discovery become readings in the hub outbox, as the
// hub will store them; a bad message is a counted drop and still acknowledged; a switch command
// reaches the device's command topic and is confirmed only when the device reports the new state.
// Devices set up as the README says cannot make readings under another's sensor id (by discovery,
// by a broad topic rule, by announcing another's state topic), and a device clock gone wrong costs
// the reading's time, never the message or the connection.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pino from 'pino';
import { parseSensorTopic, readSensorPayload } from '@unibos/mesh-protocol';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';
import { GatewayBroker } from '../src/broker/gateway-broker.ts';
import { HubOutbox } from '../src/uplink/hub-outbox.ts';
import { openGatewayDb, outboxSink } from '../src/run-gateway.ts';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import { SwitchCommander } from '../src/profiles/switch-commander.ts';
import { parseTxCommand } from '../src/bridge/tx-command.ts';
import { ProcessPool, connectArgs } from './support/broker-client-process.ts';

describe('sensor profiles and switches on the gateway broker', () => {
  const procs = new ProcessPool();
  const dir = mkdtempSync(join(tmpdir(), 'unibos-profiles-'));
  const db = openGatewayDb(dir);
  const credentials = new DeviceCredentials(db);
  const outbox = new HubOutbox(db);
  let broker: GatewayBroker;
  let router: ProfileRouter;
  let commander: SwitchCommander;
  const logins: Record<string, string> = {};
  const clients: mqtt.MqttClient[] = [];

  before(async () => {
    broker = await GatewayBroker.start({ dataDir: dir, credentials, gatewayId: 'gwtest', logger: pino({ level: 'silent' }), port: 0, wsPort: null, db });
    // As runGateway wires it.
    router = new ProfileRouter({ broker, uplink: outboxSink(outbox), logger: pino({ level: 'silent' }) });
    router.start();
    commander = new SwitchCommander({ router, source: 'unibos-gwtest', publish: (t, p) => broker.publish(t, p, { qos: 1 }), confirmWithinMs: 1500 });
    logins.plug1 = await credentials.add('plug1', 'sensor', { allow: ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#'], deny: [] });
    logins.esp1 = await credentials.add('esp1', 'sensor', { allow: ['write esp1/#', 'read esp1/switch/+/command', 'write homeassistant/sensor/esp1/#'], deny: [] });
    // As the README sets them up: Tasmota with discovery on, Shelly Gen2, Zigbee2MQTT.
    logins.plug2 = await credentials.add('plug2', 'sensor', { allow: ['write tele/%u/#', 'readwrite stat/%u/#', 'read cmnd/%u/#', 'write homeassistant/#'], deny: [] });
    logins.shellyplus1 = await credentials.add('shellyplus1', 'sensor', { allow: ['write +/status/#', 'write +/events/#', 'write +/online', 'read +/rpc'], deny: [] });
    logins.z2m = await credentials.add('z2m', 'sensor', { allow: ['readwrite zigbee2mqtt/#', 'write homeassistant/#'], deny: [] });
    // A native UNIBOS sensor: its readings are unibos/v1/sensor/kitchen-temp/..., and only its own.
    logins['kitchen-temp'] = await credentials.add('kitchen-temp', 'sensor');
  });
  afterEach(async () => {
    await procs.stopAll();
    for (const c of clients.splice(0)) await c.endAsync(true);
  });
  after(async () => {
    router.stop();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pub = async (id: string, topic: string, message: string) => {
    const p = procs.spawn('mosquitto_pub', [...connectArgs(broker.ports.mqtt, { username: id, password: logins[id], clientId: `${id}:pub` }), '-q', '1', '-t', topic, '-m', message]);
    return (await p.waitForExit()).code;
  };
  const rows = () => outbox.peek(1000).map((m) => ({ topic: m.topic, createdMs: m.createdMs, body: JSON.parse(m.payload.toString()) as { value: number; unit?: string; deviceClass?: string; time?: string } }));
  const connect = async (id: string): Promise<mqtt.MqttClient> => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: id, password: logins[id], clientId: id, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };
  /** A QoS 1 publish: 'acked' on the PUBACK, 'closed' when the broker ends the connection instead. */
  const publish1 = (c: mqtt.MqttClient, topic: string, payload: unknown): Promise<'acked' | 'closed'> =>
    new Promise((resolve, reject) => {
      const onClose = (): void => resolve('closed');
      c.once('close', onClose);
      c.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 }).then(() => {
        c.off('close', onClose);
        resolve('acked');
      }, reject);
    });

  it('a Tasmota SENSOR message becomes readings in the hub outbox that the hub stores as numbers', async () => {
    assert.equal(await pub('plug1', 'tele/plug1/SENSOR', JSON.stringify({ Time: '2024-03-28T19:15:01', ENERGY: { Power: 27, Voltage: 234 } })), 0);
    const got = rows().filter((r) => r.topic.includes('/plug1/'));
    assert.deepEqual(got.map((r) => [r.topic, r.body.value, r.body.unit, r.body.deviceClass]), [
      ['unibos/v1/sensor/plug1/energy_power', 27, 'W', 'power'],
      ['unibos/v1/sensor/plug1/energy_voltage', 234, 'V', 'voltage'],
    ]);
    for (const r of got) {
      assert.ok(parseSensorTopic(r.topic));
      assert.equal(readSensorPayload({ json: r.body }).ok, true);
    }
  });

  it('one message of thousands of values makes at most 256 readings, the rest a counted drop, still acknowledged', async () => {
    const before = outbox.size;
    const drops = router.stats.drops.too_many_readings ?? 0;
    const flood = { ENERGY: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`v${i}`, i])) };
    assert.equal(await pub('plug1', 'tele/plug1/SENSOR', JSON.stringify(flood)), 0, 'acknowledged: the connection goes on');
    assert.equal(outbox.size - before, 256);
    assert.equal(router.stats.drops.too_many_readings, drops + 1);
  });

  it('a message of 256 values goes into the hub outbox in one commit (one fsync, not one per reading, while every other device waits)', async () => {
    const before = outbox.size;
    let commits = 0;
    const off = outbox.onAdded(() => commits++);
    const doc = { ENERGY: Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`V${i}`, i])) };
    try {
      assert.equal(await pub('plug1', 'tele/plug1/SENSOR', JSON.stringify(doc)), 0);
    } finally {
      off();
    }
    assert.equal(outbox.size - before, 256, 'every reading queued');
    assert.equal(commits, 1, 'in one transaction');
  });

  it('a reading the outbox refuses is dropped alone, counted with its reason; the message\u2019s other readings are queued, in one commit', async () => {
    // An outbox that takes no payload over 48 bytes: {"value":27,"unit":"W","deviceClass":"power",...} is over, {"value":5,"profile":"tasmota"} is not.
    const small = new HubOutbox(new Database(':memory:'), { maxPayloadBytes: 48 });
    const own = new ProfileRouter({ broker, uplink: outboxSink(small), logger: pino({ level: 'silent' }) });
    own.start();
    let commits = 0;
    small.onAdded(() => commits++);
    try {
      const c = await connect('plug1');
      assert.equal(await publish1(c, 'tele/plug1/SENSOR', { Count: 5, ENERGY: { Power: 27 }, Level: 7 }), 'acked');
      assert.deepEqual(
        small.peek(10).map((m) => [m.topic, (JSON.parse(m.payload.toString()) as { value: number }).value]),
        [['unibos/v1/sensor/plug1/count', 5], ['unibos/v1/sensor/plug1/level', 7]],
      );
      assert.equal(commits, 1, 'the rest in one transaction');
      assert.deepEqual(own.stats.drops, { outbox: 1 });
      assert.equal(own.stats.readings, 2);
    } finally {
      own.stop();
    }
  });

  it('an ESPHome device is read through its own discovery message; a bad message is a counted drop, still acknowledged', async () => {
    const config = { '~': 'esp1/sensor/soil', name: 'Soil', stat_t: '~/state', unit_of_meas: '%', dev_cla: 'moisture', dev: { ids: 'a4cf12', name: 'esp1' } };
    assert.equal(await pub('esp1', 'homeassistant/sensor/esp1/soil/config', JSON.stringify(config)), 0);
    assert.equal(await pub('esp1', 'esp1/sensor/soil/state', '37.5'), 0);
    const soil = rows().find((r) => r.topic === 'unibos/v1/sensor/esp1/soil');
    assert.deepEqual(soil?.body && [soil.body.value, soil.body.unit, soil.body.deviceClass], [37.5, '%', 'moisture']);
    const drops = router.stats.drops.esphome ?? 0;
    assert.equal(await pub('esp1', 'esp1/sensor/other/state', 'warm'), 0, 'acknowledged: the device did nothing wrong at MQTT level');
    assert.equal(router.stats.drops.esphome, drops + 1);
  });

  it('a switch command reaches cmnd/<topic>/POWER and is confirmed from stat/<topic>/POWER; a silent device is unconfirmed', async () => {
    const plug = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: 'plug1', password: logins.plug1, clientId: 'plug1', protocolVersion: 4 });
    clients.push(plug);
    await plug.subscribeAsync('cmnd/plug1/#', { qos: 1 });
    const commands: string[] = [];
    let answering = true;
    plug.on('message', (topic, payload) => {
      commands.push(`${topic} ${payload.toString()}`);
      if (answering) void plug.publishAsync('stat/plug1/POWER', payload.toString() === 'OFF' ? 'OFF' : 'ON', { qos: 1 });
    });
    // The gateway learns the plug's family from its readings.
    assert.equal(await pub('plug1', 'stat/plug1/POWER', 'OFF'), 0);
    assert.ok(router.knownDevice('plug1'), 'taken before the PUBACK');
    assert.deepEqual(await commander.run({ sensor: 'plug1', state: 'ON', channel: null }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(commands, ['cmnd/plug1/POWER ON']);
    answering = false;
    const silent = await commander.run({ sensor: 'plug1', state: 'OFF', channel: null });
    assert.equal(silent.status, 'unconfirmed');
    assert.deepEqual(await commander.run({ sensor: 'nobody', state: 'ON', channel: null }), { status: 'refused', error: 'no readings seen from nobody on this gateway: its family is not known yet' });
    const named = await commander.run({ sensor: 'plug1', state: 'ON', channel: null, name: 'pump' });
    assert.equal(named.status, 'refused', 'Tasmota numbers its relays: a switch name is refused, not ignored');
    // A TOGGLE of the plug that is ON: its periodic report of the old state comes before its answer.
    plug.removeAllListeners('message');
    plug.on('message', (topic, payload) => {
      commands.push(`${topic} ${payload.toString()}`);
      void plug.publishAsync('tele/plug1/STATE', JSON.stringify({ POWER: 'ON' }), { qos: 1 }).then(() => plug.publishAsync('stat/plug1/RESULT', JSON.stringify({ POWER: 'OFF' }), { qos: 1 }));
    });
    assert.equal(await pub('plug1', 'stat/plug1/POWER', 'ON'), 0);
    assert.deepEqual(await commander.run({ sensor: 'plug1', state: 'TOGGLE', channel: null }), { status: 'confirmed', state: 'OFF' }, 'confirmed by the new state, not the old one reported before it');
  });

  it('an ESPHome switch is set by its name on <node>/switch/<name>/command and confirmed from its state topic', async () => {
    const esp = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.mqtt}`, { username: 'esp1', password: logins.esp1, clientId: 'esp1', protocolVersion: 4 });
    clients.push(esp);
    await esp.subscribeAsync('esp1/switch/+/command', { qos: 1 });
    const commands: string[] = [];
    esp.on('message', (topic, payload) => {
      commands.push(`${topic} ${payload.toString()}`);
      const name = topic.split('/')[2];
      void esp.publishAsync(`esp1/switch/${name}/state`, payload.toString(), { qos: 1 });
    });
    assert.equal(await pub('esp1', 'esp1/switch/pump/state', 'OFF'), 0);
    assert.deepEqual(await commander.run({ sensor: 'esp1', state: 'ON', channel: null, name: 'pump' }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(commands, ['esp1/switch/pump/command ON']);
    const unnamed = await commander.run({ sensor: 'esp1', state: 'ON', channel: 1 });
    assert.equal(unnamed.status, 'refused');
    assert.match(unnamed.status === 'refused' ? unnamed.error : '', /by name/);
  });

  it('a Shelly Gen2 set up as the README says is switched and confirmed, and its RPC answer costs it neither a denial nor its connection', async () => {
    const id = 'shellyplus1pm-a8032ab12345';
    logins[id] = await credentials.add(id, 'sensor', { allow: ['write %u/status/#', 'write %u/events/#', 'write %u/online', 'read %u/rpc'], deny: [] });
    const shelly = await connect(id);
    await shelly.subscribeAsync(`${id}/rpc`, { qos: 1 });
    let closed = false;
    shelly.on('close', () => (closed = true));
    shelly.on('message', (_topic, payload) => {
      const req = JSON.parse(payload.toString()) as { id: number; src: string; params: { id: number; on: boolean } };
      // As the device does: the answer goes to <src>/rpc, then the new state as NotifyStatus.
      void shelly.publishAsync(`${req.src}/rpc`, JSON.stringify({ id: req.id, src: id, dst: req.src, result: { was_on: !req.params.on } }), { qos: 1 }).catch(() => undefined);
      void shelly.publishAsync(`${id}/events/rpc`, JSON.stringify({ src: id, dst: `${id}/events`, method: 'NotifyStatus', params: { ts: 1700000000.5, 'switch:0': { id: 0, output: req.params.on, source: 'MQTT' } } }), { qos: 1 }).catch(() => undefined);
    });
    assert.equal(await publish1(shelly, `${id}/status/switch:0`, { id: 0, output: false }), 'acked');
    const denied = broker.stats.denials.publish;
    assert.deepEqual(await commander.run({ sensor: id, state: 'ON', channel: 0 }), { status: 'confirmed', state: 'ON' });
    // The answer and the notification are in order on one connection: a PUBACK for a later publish says the earlier ones were judged.
    assert.equal(await publish1(shelly, `${id}/online`, 'true'), 'acked');
    assert.equal(broker.stats.denials.publish, denied, 'the RPC answer was not refused');
    assert.equal(closed, false, 'the Shelly kept its connection');
  });

  it('a Zigbee2MQTT device (its friendly name may hold a slash) is switched on zigbee2mqtt/<name>/set and confirmed from its state', async () => {
    const z2m = await connect('z2m');
    await z2m.subscribeAsync('zigbee2mqtt/+/+/set', { qos: 1 });
    const commands: string[] = [];
    z2m.on('message', (topic, payload) => {
      commands.push(`${topic} ${payload.toString()}`);
      const wanted = (JSON.parse(payload.toString()) as { state: string }).state;
      void z2m.publishAsync('zigbee2mqtt/garden/pump', JSON.stringify({ state: wanted, linkquality: 90 }), { qos: 1 }).catch(() => undefined);
    });
    assert.equal(await publish1(z2m, 'zigbee2mqtt/garden/pump', { state: 'OFF', linkquality: 90 }), 'acked');
    const sensor = rows().map((r) => r.topic.split('/')[3]!).find((s) => s.includes('pump'));
    assert.ok(sensor, `a reading of the pump: ${rows().map((r) => r.topic).join(', ')}`);
    assert.deepEqual(await commander.run({ sensor, state: 'ON', channel: null }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(commands, ['zigbee2mqtt/garden/pump/set {"state":"ON"}']);
  });

  it('the hub\'s switch command names an ESPHome switch by one topic level, never with a channel too', () => {
    const parse = (sw: unknown) => parseTxCommand(Buffer.from(JSON.stringify({ switch: sw })));
    assert.deepEqual(parse({ sensor: 'esp1', state: 'on', name: 'pump' }), { ok: true, command: { kind: 'switch', sensor: 'esp1', state: 'ON', channel: null, name: 'pump' } });
    for (const bad of [{ sensor: 'esp1', state: 'ON', name: 'a/b' }, { sensor: 'esp1', state: 'ON', name: '#' }, { sensor: 'esp1', state: 'ON', name: 'pump', channel: 1 }, { sensor: 'esp1', state: 'ON', name: 7 }]) {
      assert.equal(parse(bad).ok, false, JSON.stringify(bad));
    }
  });

  it('a device cannot make readings under a sensor id it does not own: discovery names, broad topic rules and switch routing stay its own', async () => {
    const plug = await connect('plug2');
    await plug.subscribeAsync('cmnd/plug2/#', { qos: 1 });
    const commands: string[] = [];
    plug.on('message', (topic, payload) => {
      commands.push(`${topic} ${payload.toString()}`);
      // Its PUBACK may still be on the way when the test ends the connection.
      plug.publishAsync('stat/plug2/POWER', payload.toString() === 'OFF' ? 'OFF' : 'ON', { qos: 1 }).catch(() => undefined);
    });
    assert.equal(await publish1(plug, 'stat/plug2/POWER', 'OFF'), 'acked');
    // The plug announces an entity of "device" kitchen-temp (a native sensor), read from its own tele tree.
    const forged = { state_topic: 'tele/plug2/FAKE', device: { name: 'kitchen-temp' }, unit_of_measurement: '°C', device_class: 'temperature' };
    assert.equal(await publish1(plug, 'homeassistant/sensor/plug2/temperature/config', forged), 'acked');
    assert.equal(await publish1(plug, 'tele/plug2/FAKE', '99'), 'acked');
    // A Shelly Gen2 with the README's `write +/status/#` reports a "status" of the native sensor and of the plug.
    const shelly = await connect('shellyplus1');
    assert.equal(await publish1(shelly, 'kitchen-temp/status/temperature:0', { id: 0, tC: 99 }), 'acked');
    assert.equal(await publish1(shelly, 'plug2/status/switch:0', { id: 0, output: true }), 'acked');

    const got = rows();
    assert.deepEqual(got.filter((r) => r.topic.startsWith('unibos/v1/sensor/kitchen-temp/')), [], 'nothing under the native sensor\'s id');
    assert.deepEqual(got.filter((r) => r.topic.startsWith('unibos/v1/sensor/plug2/')).map((r) => [r.topic, r.body.value]), [['unibos/v1/sensor/plug2/power', 0]], 'the plug\'s id carries only what the plug reported of itself');
    // What they did send arrives, under ids of their own.
    assert.deepEqual(got.filter((r) => r.topic === 'unibos/v1/sensor/plug2:kitchen-temp/temperature').map((r) => [r.body.value, r.body.unit]), [[99, '°C']]);
    assert.ok(got.some((r) => r.topic === 'unibos/v1/sensor/shellyplus1:kitchen-temp/temperature_0_tc'));
    assert.ok(got.some((r) => r.topic === 'unibos/v1/sensor/shellyplus1:plug2/switch_0_output'));

    // The hub's switch command for the plug still reaches the plug, not the Shelly's RPC topic.
    assert.deepEqual(await commander.run({ sensor: 'plug2', state: 'ON', channel: null }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(commands, ['cmnd/plug2/POWER ON']);
    assert.equal((await commander.run({ sensor: 'kitchen-temp', state: 'ON', channel: null })).status, 'refused', 'nobody made kitchen-temp a switch');
  });

  it("another device's discovery of a state topic does not change how its owner's messages are read", async () => {
    const z2m = await connect('z2m');
    // z2m may write homeassistant/#: it announces the plug's SENSOR topic as its own entity.
    const hijack = { stat_t: 'tele/plug2/SENSOR', val_tpl: '{{ value_json.ENERGY.Power | float * 1000 }}', dev: { name: 'plug2' } };
    assert.equal(await publish1(z2m, 'homeassistant/sensor/plug2/energy_power/config', hijack), 'acked');
    const plug = await connect('plug2');
    assert.equal(await publish1(plug, 'tele/plug2/SENSOR', { ENERGY: { Power: 27 } }), 'acked');
    const got = rows().filter((r) => r.topic.includes('/plug2') && r.topic.includes('energy_power'));
    assert.deepEqual(got.map((r) => [r.topic, r.body.value]), [['unibos/v1/sensor/plug2/energy_power', 27]]);
  });

  it("a device granted homeassistant/# cannot overwrite the gateway's discovery config of a mesh node: denied (acknowledged and dropped), counted, the config kept", async () => {
    const topic = 'homeassistant/sensor/unibos_1a2b3c4d/battery/config';
    const own = JSON.stringify({ unique_id: 'unibos_1a2b3c4d_battery', name: 'Battery', state_topic: 'unibos/v1/mesh/!1a2b3c4d/telemetry' });
    await broker.publish(topic, own, { qos: 1, retain: true });
    const denied = broker.stats.denials.publish;
    const z2m = await connect('z2m');
    assert.equal(await publish1(z2m, topic, { name: 'Battery', state_topic: 'zigbee2mqtt/fake' }), 'acked');
    assert.equal(broker.stats.denials.publish, denied + 1);
    const kept: string[] = [];
    for await (const m of broker.retained(topic)) kept.push(m.payload.toString());
    assert.deepEqual(kept, [own]);
    // Its own devices' configs still go through.
    const again = await connect('z2m');
    assert.equal(await publish1(again, 'homeassistant/sensor/0x00158d0001a2b3c4/temperature/config', { stat_t: 'zigbee2mqtt/0x00158d0001a2b3c4', val_tpl: '{{ value_json.temperature }}' }), 'acked');
  });

  it('a bridge for many devices owns the ids under its login; a name too long to be one of them is a counted drop, still acknowledged', async () => {
    const z2m = await connect('z2m');
    assert.equal(await publish1(z2m, 'zigbee2mqtt/kitchen', { temperature: 21.5 }), 'acked');
    assert.deepEqual(rows().filter((r) => r.topic === 'unibos/v1/sensor/z2m:kitchen/temperature').map((r) => r.body.value), [21.5]);
    const drops = router.stats.drops.ownership ?? 0;
    const before = rows().length;
    assert.equal(await publish1(z2m, `zigbee2mqtt/${'x'.repeat(62)}`, { temperature: 1 }), 'acked');
    assert.equal(router.stats.drops.ownership, drops + 1);
    assert.equal(rows().length, before);
  });

  it('a device time no clock could give is left out (the reading is dated by when the gateway took it): the message is acknowledged, the connection stays, every time', async () => {
    const z2m = await connect('z2m');
    const shelly = await connect('shellyplus1');
    for (let attempt = 1; attempt <= 2; attempt++) {
      const from = Date.now();
      assert.equal(await publish1(z2m, 'zigbee2mqtt/cellar', { temperature: 12.5, last_seen: 1e20 }), 'acked', `attempt ${attempt}`);
      // A Shelly without time sync counts seconds since boot; another with a broken clock far ahead.
      assert.equal(await publish1(shelly, 'shellyplus1/events/rpc', { method: 'NotifyStatus', params: { ts: 1234.5, 'switch:0': { id: 0, apower: 5 } } }), 'acked');
      assert.equal(await publish1(shelly, 'shellyplus1/events/rpc', { method: 'NotifyStatus', params: { ts: 1e300, 'switch:0': { id: 0, apower: 6 } } }), 'acked');
      const to = Date.now();
      const got = rows();
      const cellar = got.filter((r) => r.topic === 'unibos/v1/sensor/z2m:cellar/temperature').at(-1)!;
      const power = got.filter((r) => r.topic === 'unibos/v1/sensor/shellyplus1/switch_0_apower').slice(-2);
      assert.deepEqual([cellar.body.value, ...power.map((r) => r.body.value)], [12.5, 5, 6]);
      for (const r of [cellar, ...power]) {
        assert.equal(r.body.time, undefined, `${r.topic}: no time passed off as the device's`);
        // The envelope carries this to the hub as when the gateway took it.
        assert.ok(r.createdMs >= from && r.createdMs <= to, `${r.topic} taken on arrival, not at ${r.createdMs}`);
      }
    }
    // A plausible device time is still the reading's.
    assert.equal(await publish1(z2m, 'zigbee2mqtt/cellar', { temperature: 12.6, last_seen: '2024-03-28T19:15:01Z' }), 'acked');
    assert.equal(rows().filter((r) => r.topic === 'unibos/v1/sensor/z2m:cellar/temperature').at(-1)!.body.time, '2024-03-28T19:15:01.000Z');
  });
});
