// Sensor profiles driven by fixtures recorded from each device family's documented payloads
// (test/fixtures/devices/*.json): every message gives exactly the readings listed (metric, value,
// unit, device class, time) or a counted drop with its reason; Home Assistant discovery is
// understood from the device's own config message; parsers are fuzzed with fast-check.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import pino from 'pino';
import { topicMatches } from '@unibos/mesh-protocol';
import type { BrokerMessageHandler } from '../src/broker/gateway-broker.ts';
import { FAMILY_PROFILES, genericProfile } from '../src/profiles/device-profiles.ts';
import { ProfileRouter } from '../src/profiles/profile-router.ts';
import { compileTemplate } from '../src/profiles/value-template.ts';
import type { Reading } from '../src/profiles/reading.ts';
import { parseSensorTopic, readSensorPayload } from '@unibos/mesh-protocol';

interface FixtureMessage {
  topic: string;
  payload: unknown;
  readings?: Reading[];
  drop?: string;
}
interface Fixture {
  family: string;
  source: string;
  configs?: FixtureMessage[];
  messages: FixtureMessage[];
}

const FIXTURES = new URL('./fixtures/devices/', import.meta.url);
const fixtures: Fixture[] = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as Fixture);

/** The broker's internal subscriptions, without the network: each publish reaches every matching handler, as GatewayBroker does. */
class FakeBroker {
  private subs: Array<{ filter: string; handler: BrokerMessageHandler }> = [];
  subscribe(filter: string, handler: BrokerMessageHandler): () => void {
    const entry = { filter, handler };
    this.subs.push(entry);
    return () => {
      this.subs = this.subs.filter((s) => s !== entry);
    };
  }
  /** As the device logged in as `clientId` up to its first ':' (the broker allows a device no other client id). */
  publish(topic: string, payload: unknown, clientId = 'dev1'): void {
    const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const deviceId = clientId === null ? null : clientId.split(':', 1)[0]!;
    for (const s of [...this.subs]) if (topicMatches(s.filter, topic)) void s.handler(topic, body, clientId, undefined, deviceId);
  }
}

function rig(profiles = FAMILY_PROFILES) {
  const broker = new FakeBroker();
  const forwarded: Array<{ topic: string; payload: Buffer; source: string }> = [];
  const router = new ProfileRouter({ broker, uplink: { forward: (m) => void forwarded.push(m) }, logger: pino({ level: 'silent' }), profiles });
  router.start();
  const readings: Reading[] = [];
  const drops: string[] = [];
  router.on('reading', (e) => readings.push(e.reading));
  router.on('dropped', (e) => drops.push(e.reason));
  return { broker, router, readings, drops, forwarded };
}

function plain(r: Reading): Record<string, unknown> {
  return JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
}

describe('sensor profiles from recorded fixtures', () => {
  assert.ok(fixtures.length >= 6, 'a fixture file per family and one for discovery');
  for (const fx of fixtures) {
    it(`${fx.family}: ${fx.messages.length} documented messages give the listed readings or a counted drop`, () => {
      const { broker, router, readings, drops } = rig();
      for (const c of fx.configs ?? []) {
        const before = drops.length;
        broker.publish(c.topic, c.payload);
        if (c.drop) assert.match(drops[before] ?? '', new RegExp(c.drop), c.topic);
        else assert.equal(drops.length, before, `${c.topic} understood: ${drops.slice(before).join('; ')}`);
      }
      for (const m of fx.messages) {
        const r0 = readings.length;
        const d0 = drops.length;
        const counted = Object.values(router.stats.drops).reduce((a, b) => a + b, 0);
        broker.publish(m.topic, m.payload);
        if (m.drop) {
          assert.equal(readings.length, r0, `${m.topic}: no reading from a bad message`);
          assert.match(drops[d0] ?? '(no drop)', new RegExp(m.drop), m.topic);
          assert.equal(Object.values(router.stats.drops).reduce((a, b) => a + b, 0), counted + 1, 'the drop is counted');
        } else {
          // Published by a login ('dev1') other than the devices the fixtures name: each is one of dev1's.
          const owned = (m.readings ?? []).map((r) => ({ ...r, sensor: `dev1:${r.sensor}` }));
          assert.deepEqual(readings.slice(r0).map(plain), owned, `${m.topic} ${JSON.stringify(m.payload).slice(0, 60)}`);
          assert.equal(drops.length, d0, `${m.topic}: ${drops.slice(d0).join('; ')}`);
        }
      }
    });
  }

  it('forwards each reading as unibos/v1/sensor/{sensor}/{metric} with a payload the hub stores as a number', () => {
    const { broker, forwarded } = rig();
    broker.publish('tele/plug001/SENSOR', { ENERGY: { Power: 27 } }, 'plug001:tasmota');
    assert.equal(forwarded.length, 1);
    const m = forwarded[0]!;
    assert.deepEqual(parseSensorTopic(m.topic), { sensorId: 'plug001', metric: 'energy_power' });
    assert.equal(m.source, 'sensor:plug001');
    // No time: the device gave none, and the gateway's own is when its outbox took the reading (sent
    // in the envelope), not one passed off as the device's.
    assert.deepEqual(JSON.parse(m.payload.toString()), { value: 27, unit: 'W', deviceClass: 'power', profile: 'tasmota' });
    // The hub keeps what the device said about the value, not only the number.
    assert.deepEqual(readSensorPayload({ json: JSON.parse(m.payload.toString()) }), { ok: true, value: 27, unit: 'W', deviceClass: 'power' });
    for (const [body, why] of [[{ value: 1, unit: 'x'.repeat(17) }, /unit/], [{ value: 1, deviceClass: 'Power Factor' }, /deviceClass/], [{ value: 1, time: 'yesterday' }, /time/]] as const) {
      const r = readSensorPayload({ json: body });
      assert.equal(r.ok, false, JSON.stringify(body));
      assert.match(!r.ok ? r.detail : '', why);
    }
  });

  it('every drop is counted under its kind, not its text: a discovered switch saying something odd is a discovery drop', () => {
    const { broker, router, drops } = rig();
    broker.publish('homeassistant/switch/dev1/pump/config', { name: 'pump', state_topic: 'dev1/pump/state', device: { name: 'dev1' } });
    for (const state of ['MAYBE', 'HALF', 'SOMETIMES']) broker.publish('dev1/pump/state', state);
    assert.equal(drops.length, 3);
    assert.deepEqual(router.stats.drops, { discovery: 3 }, 'one kind, whatever each message said');
  });

  it("ignores the gateway's own publishes and UNIBOS topics", () => {
    const { broker, readings } = rig();
    broker.publish('tele/plug001/STATE', { POWER: 'ON' }, null as unknown as string);
    broker.publish('homeassistant/sensor/x/config', { stat_t: 'a/b' }, null as unknown as string);
    broker.publish('a/b', '1');
    assert.equal(readings.length, 0);
  });

  it('a generic profile reads numbers, ON/OFF and JSON objects on an operator-given pattern', () => {
    const { broker, readings, drops } = rig([genericProfile('home/{device}/{metric}'), genericProfile('meters/{device}')]);
    broker.publish('home/boiler/temp', '61.5', 'boiler');
    broker.publish('home/boiler/burner', 'ON', 'boiler');
    broker.publish('home/boiler/level', { value: 80, unit: '%' }, 'boiler');
    broker.publish('meters/m1', { kwh: 1200.5, flow: { now: 3 } }, 'm1');
    broker.publish('home/boiler/temp', 'hot', 'boiler');
    assert.deepEqual(readings.map((r) => `${r.sensor}/${r.metric}=${r.value}${r.unit ?? ''}`), ['boiler/temp=61.5', 'boiler/burner=1', 'boiler/level=80%', 'm1/kwh=1200.5', 'm1/flow_now=3']);
    assert.match(drops[0]!, /neither a number/);
  });

  it("a generic sensor's reading on {device}/online or {device}/status is a reading, not a Shelly Gen2's or an ESPHome's availability (only true/false, online/offline there is); Home Assistant's birth message is neither", () => {
    const { broker, readings, forwarded } = rig([...FAMILY_PROFILES, genericProfile('{device}/{metric}')]);
    broker.publish('boiler/online', '1', 'boiler');
    broker.publish('shellyplus1-a8/online', 'false', 'shellyplus1-a8');
    broker.publish('boiler/status', '3', 'boiler');
    broker.publish('esp2/status', 'offline', 'esp2');
    broker.publish('homeassistant/status', 'online', 'ha');
    assert.deepEqual(readings.map((r) => `${r.sensor}/${r.metric}=${r.value}`), ['boiler/online=1', 'boiler/status=3']);
    assert.deepEqual(forwarded.map((m) => m.topic), ['unibos/v1/sensor/boiler/online', 'unibos/v1/sensor/shellyplus1-a8/$availability', 'unibos/v1/sensor/boiler/status', 'unibos/v1/sensor/esp2/$availability']);
  });

  it('a discovery config removed (empty payload) stops its state topic being read through it', () => {
    const { broker, readings, router } = rig();
    broker.publish('homeassistant/sensor/meter1/p/config', { stat_t: 'custom/meter1/w', dev: { name: 'meter1' } });
    broker.publish('custom/meter1/w', '5');
    broker.publish('homeassistant/sensor/meter1/p/config', '');
    broker.publish('custom/meter1/w', '6');
    assert.deepEqual(readings.map((r) => r.value), [5]);
    assert.equal(router.stats.discovered, 0);
  });

  it('value templates: the common forms, Jinja precedence, and refusals', () => {
    const json = { ENERGY: { Total: 1.5 }, a: [4, 5], t: '21.5' };
    const cases: Array<[string, unknown]> = [
      ['{{ value }}', '7'],
      ['{{value_json.ENERGY.Total}}', 1.5],
      ["{{ value_json['ENERGY']['Total'] }}", 1.5],
      ['{{ value_json["ENERGY"].Total }}', 1.5],
      ['{{ value_json.a[1] }}', 5],
      ['{{ value_json.t | float }}', 21.5],
      ['{{ value | int }}', 7],
      ['{{ (value | float / 3) | round(2) }}', 2.33],
      ['{{ value_json.missing | default(0) }}', 0],
      ['{{ value_json.missing }}', null],
      ['{{ value | float * 10 + 1 }}', 71],
    ];
    for (const [t, want] of cases) assert.deepEqual(compileTemplate(t)('7', json), want, t);
    for (const bad of ['{{ states("x") }}', 'value', '{{ value_json.a | tojson }}', '{% if value %}1{% endif %}', '{{ value ~ "x" }}']) assert.throws(() => compileTemplate(bad), /./, bad);
  });
});

describe('fuzzed parsers never throw and never yield what the hub would refuse', () => {
  const topicLevel = fc.oneof(fc.constantFrom('tele', 'stat', 'cmnd', 'shellies', 'zigbee2mqtt', 'homeassistant', 'sensor', 'status', 'events', 'rpc', 'relay', 'emeter', 'SENSOR', 'STATE', 'RESULT', 'POWER1', 'config', 'switch:0', '0', 'state', 'bridge', 'set'), fc.string({ maxLength: 8 }));
  const topic = fc.array(topicLevel, { minLength: 1, maxLength: 6 }).map((ls) => ls.join('/'));
  const payload = fc.oneof(
    fc.json().map((j) => Buffer.from(j)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ POWER: 'ON', ENERGY: v, params: { 'switch:0': v, ts: 1 }, method: 'NotifyStatus', temperature: v, stat_t: 'x/y', val_tpl: '{{ value_json.a }}' }))),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.constantFrom('ON', 'off', 'nan', '1e999', '-0', '', '{', '[]').map((s) => Buffer.from(s)),
  );

  it('any topic and payload: readings are finite numbers named in the hub alphabet, or a counted drop', () => {
    const { broker, readings, forwarded } = rig([...FAMILY_PROFILES, genericProfile('g/{device}/{metric}')]);
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        broker.publish(t, p.toString('utf8'));
      }),
      { numRuns: 3000 },
    );
    for (const r of readings) assert.ok(Number.isFinite(r.value), JSON.stringify(r));
    for (const m of forwarded) {
      assert.ok(parseSensorTopic(m.topic), m.topic);
      assert.equal(readSensorPayload({ json: JSON.parse(m.payload.toString()) }).ok, true);
    }
  });

  it('templates: compiling anything either refuses it or gives a function that never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.jsonValue(), fc.string({ maxLength: 10 }), (body, json, value) => {
        let f;
        try {
          f = compileTemplate(`{{ ${body} }}`);
        } catch {
          return;
        }
        const v = f(value, json);
        assert.ok(v === null || ['number', 'string', 'boolean'].includes(typeof v));
      }),
      { numRuns: 3000 },
    );
  });
});
