// Switch commands from the hub against devices answering the way their firmware does: the status
// the gateway reports ("confirmed") must follow what the device said, whatever form it said it in.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import { SwitchCommander } from '../src/profiles/switch-commander.ts';
import { FakeBroker } from './support/fake-profile-broker.ts';

function rig() {
  const broker = new FakeBroker();
  const router = new ProfileRouter({ broker, logger: pino({ level: 'silent' }) });
  router.start();
  const sent: string[] = [];
  const commander = new SwitchCommander({
    router,
    source: 'unibos-gwtest',
    confirmWithinMs: 2000,
    publish: async (topic, payload) => {
      sent.push(`${topic} ${payload}`);
      // The device answers after the command left, as a real one does.
      setImmediate(() => broker.respond(topic, payload));
    },
  });
  return { broker, router, commander, sent };
}

describe('switch confirmations as devices really answer', () => {
  it('a single-relay Tasmota told POWER1 answers POWER (no index): confirmed, not unconfirmed', async () => {
    const { broker, router, commander, sent } = rig();
    broker.publish('stat/plug1/POWER', 'OFF', 'plug1');
    // Tasmota with one relay (SetOption26 0, the default) reports POWER whichever index it was sent.
    broker.respond = (_topic, payload) => {
      broker.publish('stat/plug1/RESULT', { POWER: payload }, 'plug1');
      broker.publish('stat/plug1/POWER', payload, 'plug1');
    };
    assert.deepEqual(await commander.run({ sensor: 'plug1', state: 'ON', channel: 1 }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(sent, ['cmnd/plug1/POWER1 ON']);
    router.stop();
  });

  it('a multi-relay Tasmota told POWER (no index) switches relay 1 and answers POWER1: confirmed', async () => {
    const { broker, router, commander } = rig();
    broker.publish('stat/dual/RESULT', { POWER1: 'OFF', POWER2: 'OFF' }, 'dual');
    broker.respond = (_topic, payload) => broker.publish('stat/dual/RESULT', { POWER1: payload }, 'dual');
    assert.deepEqual(await commander.run({ sensor: 'dual', state: 'ON', channel: null }), { status: 'confirmed', state: 'ON' });
    // Relay 2 reporting is not relay 1's confirmation.
    broker.respond = () => broker.publish('stat/dual/RESULT', { POWER2: 'OFF' }, 'dual');
    const other = await commander.run({ sensor: 'dual', state: 'OFF', channel: 1 });
    assert.equal(other.status, 'unconfirmed');
    router.stop();
  });

  it('an ESPHome device with discovery on (its default) can be switched by name and is confirmed', async () => {
    const { broker, router, commander, sent } = rig();
    // What ESPHome announces for `switch: - name: Pump` on node esp1 (topic_prefix esp1).
    broker.publish('homeassistant/switch/esp1/pump/config', { name: 'Pump', stat_t: 'esp1/switch/pump/state', cmd_t: 'esp1/switch/pump/command', avty_t: 'esp1/status', uniq_id: 'ESPswitchpump', dev: { ids: 'a4cf12b3c4d5', name: 'esp1', sw: 'esphome v2024.2.0', mdl: 'esp32dev', mf: 'espressif' } }, 'esp1');
    broker.publish('esp1/switch/pump/state', 'OFF', 'esp1');
    broker.respond = (topic, payload) => broker.publish(topic.replace(/\/command$/, '/state'), payload, 'esp1');
    assert.deepEqual(await commander.run({ sensor: 'esp1', state: 'ON', channel: null, name: 'pump' }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(sent, ['esp1/switch/pump/command ON']);
    router.stop();
  });

  it('Zigbee devices whose names differ only in letters outside ASCII stay two sensors, and each is switched by its own id', async () => {
    const { broker, router, commander, sent } = rig();
    const seen = new Map<string, number>();
    router.on('reading', ({ reading }: { reading: { sensor: string; metric: string; value: number } }) => seen.set(`${reading.sensor}/${reading.metric}`, reading.value));
    broker.publish('zigbee2mqtt/Кухня', { temperature: 30.5 }, 'z2m');
    broker.publish('zigbee2mqtt/Спальня', { temperature: 17 }, 'z2m');
    broker.publish('zigbee2mqtt/Göl evi pompa', { state: 'OFF' }, 'z2m');
    broker.publish('zigbee2mqtt/Gül evi pompa', { state: 'OFF' }, 'z2m');
    const temperatures = [...seen].filter(([key]) => key.endsWith('/temperature')).map(([, v]) => v);
    assert.deepEqual(temperatures.sort(), [17, 30.5], 'the kitchen and the bedroom are two sensors');
    const pumps = [...seen.keys()].filter((key) => key.endsWith('/state')).map((key) => key.split('/')[0]!);
    assert.equal(new Set(pumps).size, 2, `two pumps: ${pumps.join(', ')}`);
    const gol = pumps.find((id) => id.startsWith('z2m:Gol_evi_pompa'));
    assert.ok(gol, `the pump's id keeps its name readable: ${pumps.join(', ')}`);
    broker.respond = (topic, payload) => broker.publish(topic.replace(/\/set$/, ''), payload, 'z2m');
    assert.deepEqual(await commander.run({ sensor: gol, state: 'ON', channel: null }), { status: 'confirmed', state: 'ON' });
    assert.deepEqual(sent, ['zigbee2mqtt/Göl evi pompa/set {"state":"ON"}'], 'the command reaches the pump it names, not the one that reported last');
    router.stop();
  });
});

