// Sensor profiles for the device families people already own, as data plus small readers: which
// topics each family publishes, how its payloads turn into readings (metric, value, unit, device
// class, time), and how its switches are commanded and confirmed. Payload shapes follow each
// family's documentation (Tasmota MQTT and JSON status, ESPHome MQTT, Shelly Gen1 MQTT and Gen2
// RPC/NotifyStatus, Zigbee2MQTT device messages); fixtures: gateway/test/fixtures/devices.

import { topicPattern, type TopicPattern } from './topic-pattern.ts';
import { drop, hubName, isObject, metricName, noReadings, numberValue, parseJson, switchValue, type ProfileResult, type Reading } from './reading.ts';

export type ProfileName = 'tasmota' | 'esphome' | 'shelly' | 'shelly-gen2' | 'zigbee2mqtt' | 'generic';

export interface SwitchCommand {
  readonly topic: string;
  readonly payload: string;
}

/** Which switch of a device: families number their relays (`channel`), ESPHome names its switches (`name`). */
export interface SwitchTarget {
  readonly channel: number | null;
  readonly name: string | null;
}

/**
 * What a family's availability topic says: which device (the device level of its topics; null:
 * the publishing device itself, e.g. a Zigbee2MQTT bridge, whose devices go with it) is reachable
 * or not; null when the topic is not one of its availability topics after all.
 */
export type AvailabilityResult = { readonly ok: true; readonly device: string | null; readonly online: boolean } | { readonly ok: false; readonly reason: string } | null;

export interface DeviceProfile {
  readonly name: ProfileName;
  /**
   * Topics on which this family says whether a device can be reached (mostly its MQTT last will:
   * Tasmota `tele/<t>/LWT`, Shelly `<id>/online`, Zigbee2MQTT `<name>/availability`). Checked before `topics`.
   */
  readonly availability?: ReadonlyArray<{ readonly pattern: TopicPattern; readonly read: (vars: Record<string, string>, payload: Buffer) => AvailabilityResult }>;
  /** Topics this family publishes, first match wins (within the profile). */
  readonly topics: ReadonlyArray<{ readonly pattern: TopicPattern; readonly read: (vars: Record<string, string>, payload: Buffer) => ProfileResult }>;
  /** How to set a switch of `device` (channel: Tasmota POWER<n>, Shelly relay/switch id, Zigbee endpoint; name: ESPHome); absent: it has none. Throws when the target is not this family's kind. */
  readonly command?: (device: string, target: SwitchTarget, state: 'ON' | 'OFF' | 'TOGGLE', src: string) => SwitchCommand;
  /** The metrics a confirmed switch state may appear under in this family's readings (any one confirms). */
  readonly switchMetrics?: (target: SwitchTarget) => readonly string[];
}

/** Units and Home Assistant device classes by the (lower-cased) key devices use for them. */
const QUANTITIES: Record<string, { unit?: string; deviceClass?: string }> = {
  temperature: { unit: '°C', deviceClass: 'temperature' },
  dewpoint: { unit: '°C', deviceClass: 'temperature' },
  tc: { unit: '°C', deviceClass: 'temperature' },
  humidity: { unit: '%', deviceClass: 'humidity' },
  rh: { unit: '%', deviceClass: 'humidity' },
  pressure: { unit: 'hPa', deviceClass: 'pressure' },
  power: { unit: 'W', deviceClass: 'power' },
  apower: { unit: 'W', deviceClass: 'power' },
  apparentpower: { unit: 'VA', deviceClass: 'apparent_power' },
  reactivepower: { unit: 'var', deviceClass: 'reactive_power' },
  factor: { deviceClass: 'power_factor' },
  voltage: { unit: 'V', deviceClass: 'voltage' },
  current: { unit: 'A', deviceClass: 'current' },
  total: { unit: 'kWh', deviceClass: 'energy' },
  today: { unit: 'kWh', deviceClass: 'energy' },
  yesterday: { unit: 'kWh', deviceClass: 'energy' },
  energy: { unit: 'kWh', deviceClass: 'energy' },
  illuminance: { unit: 'lx', deviceClass: 'illuminance' },
  illuminance_lux: { unit: 'lx', deviceClass: 'illuminance' },
  lux: { unit: 'lx', deviceClass: 'illuminance' },
  co2: { unit: 'ppm', deviceClass: 'carbon_dioxide' },
  carbondioxide: { unit: 'ppm', deviceClass: 'carbon_dioxide' },
  battery: { unit: '%', deviceClass: 'battery' },
  percent: { unit: '%', deviceClass: 'battery' },
  linkquality: { unit: 'lqi' },
  rssi: { unit: 'dBm', deviceClass: 'signal_strength' },
  soil_moisture: { unit: '%', deviceClass: 'moisture' },
  pm25: { unit: 'µg/m³', deviceClass: 'pm25' },
  frequency: { unit: 'Hz', deviceClass: 'frequency' },
  freq: { unit: 'Hz', deviceClass: 'frequency' },
};

function quantity(key: string): { unit?: string; deviceClass?: string } {
  return QUANTITIES[key.toLowerCase()] ?? {};
}

function reading(sensor: string, path: readonly string[], value: number, extra: { unit?: string | undefined; deviceClass?: string | undefined; timeMs?: number | undefined } = {}): Reading {
  // An on/off state is not the quantity its key names (Tasmota's POWER is a relay, not watts).
  const q = extra.deviceClass === 'switch' ? {} : quantity(path[path.length - 1]!);
  const unit = extra.unit ?? q.unit;
  const deviceClass = extra.deviceClass ?? q.deviceClass;
  return {
    sensor: hubName(sensor),
    metric: metricName(path),
    value,
    ...(unit !== undefined ? { unit } : {}),
    ...(deviceClass !== undefined ? { deviceClass } : {}),
    ...(extra.timeMs !== undefined ? { timeMs: extra.timeMs } : {}),
  };
}

/** Numeric leaves (and ON/OFF states) of a JSON document, at most `depth` objects deep, as readings. */
/**
 * Readings one device message may make: a real one makes tens (a Tasmota SENSOR, a Zigbee2MQTT
 * device). One 200 KB message of numbers made 15,000 rows in the hub outbox, pushing other sensors'
 * readings out of it. The walk stops one past this, so the router can count the rest as dropped.
 */
export const MAX_READINGS_PER_MESSAGE = 256;

function leaves(sensor: string, doc: Record<string, unknown>, options: { skip?: ReadonlySet<string>; depth?: number; timeMs?: number | undefined; unitOf?: (path: string[]) => string | undefined } = {}): Reading[] {
  const out: Reading[] = [];
  const walk = (o: Record<string, unknown>, path: string[], depth: number): void => {
    for (const [key, v] of Object.entries(o)) {
      if (out.length > MAX_READINGS_PER_MESSAGE) return;
      if (path.length === 0 && options.skip?.has(key)) continue;
      const p = [...path, key];
      const unit = options.unitOf?.(p);
      const n = numberValue(v);
      if (n !== null && typeof v === 'number') out.push(reading(sensor, p, n, { unit, timeMs: options.timeMs }));
      else if (Array.isArray(v)) v.forEach((x, i) => typeof x === 'number' && Number.isFinite(x) && out.push(reading(sensor, [...p, String(i + 1)], x, { ...quantity(key), unit: unit ?? quantity(key).unit, timeMs: options.timeMs })));
      else if (isObject(v) && depth > 0) walk(v, p, depth - 1);
      else if (typeof v === 'string' || typeof v === 'boolean') {
        const s = /^(power\d*|state(_l\d+)?|contact|occupancy|water_leak|output)$/i.test(key) ? switchValue(v) : null;
        if (s !== null) out.push(reading(sensor, p, s, { deviceClass: 'switch', timeMs: options.timeMs }));
      }
    }
  };
  walk(doc, [], options.depth ?? 2);
  return out;
}

function jsonObject(payload: Buffer): Record<string, unknown> | null {
  const v = parseJson(payload);
  return isObject(v) ? v : null;
}

const POWER_KEY = /^POWER(\d*)$/;

/** `payload` as one of two words (compared without case); null for anything else. */
function availabilityWord(payload: string, online: string, offline: string): boolean | null {
  const p = payload.trim().toLowerCase();
  return p === online.toLowerCase() ? true : p === offline.toLowerCase() ? false : null;
}

function availability(device: string | null, online: boolean | null, family: string, payload: string): AvailabilityResult {
  return online === null ? { ok: false, reason: `${family} availability ${JSON.stringify(payload.slice(0, 40))} is neither online nor offline` } : { ok: true, device, online };
}

// --- Tasmota: tele/<topic>/SENSOR|STATE|LWT, stat/<topic>/RESULT|POWER<n>, cmnd/<topic>/POWER<n>

const TASMOTA_META = new Set(['Time', 'TempUnit', 'PressureUnit', 'SpeedUnit', 'Epoch']);

function tasmotaPower(device: string, doc: Record<string, unknown>): Reading[] {
  const out: Reading[] = [];
  for (const [key, v] of Object.entries(doc)) {
    const m = POWER_KEY.exec(key);
    const s = m ? switchValue(v) : null;
    if (s !== null) out.push(reading(device, [key], s, { deviceClass: 'switch' }));
  }
  return out;
}

export const tasmota: DeviceProfile = {
  name: 'tasmota',
  // Its last will, retained: `Offline` when the broker lost it, `Online` once it is back.
  availability: [{ pattern: topicPattern('tele/{device}/LWT'), read: ({ device }, payload) => availability(device!, availabilityWord(payload.toString('utf8'), 'Online', 'Offline'), 'tasmota LWT', payload.toString('utf8')) }],
  topics: [
    {
      pattern: topicPattern('tele/{device}/SENSOR'),
      read: ({ device }, payload) => {
        const doc = jsonObject(payload);
        if (!doc) return drop('tasmota SENSOR is not a JSON object');
        const tempUnit = doc.TempUnit === 'F' ? '°F' : undefined;
        const pressureUnit = typeof doc.PressureUnit === 'string' ? doc.PressureUnit : undefined;
        return { ok: true, readings: leaves(device!, doc, { skip: TASMOTA_META, unitOf: (p) => (/^(temperature|dewpoint)$/i.test(p[p.length - 1]!) ? tempUnit : /^pressure$/i.test(p[p.length - 1]!) ? pressureUnit : undefined) }) };
      },
    },
    {
      pattern: topicPattern('tele/{device}/STATE'),
      read: ({ device }, payload) => {
        const doc = jsonObject(payload);
        if (!doc) return drop('tasmota STATE is not a JSON object');
        const readings = tasmotaPower(device!, doc);
        const rssi = isObject(doc.Wifi) ? numberValue(doc.Wifi.Signal) : null;
        if (rssi !== null) readings.push(reading(device!, ['wifi', 'rssi'], rssi));
        return { ok: true, readings };
      },
    },
    {
      pattern: topicPattern('stat/{device}/RESULT'),
      read: ({ device }, payload) => {
        const doc = jsonObject(payload);
        return doc ? { ok: true, readings: tasmotaPower(device!, doc) } : drop('tasmota RESULT is not a JSON object');
      },
    },
    {
      pattern: topicPattern('stat/{device}/{key}'),
      read: ({ device, key }, payload) => {
        if (!POWER_KEY.test(key!)) return noReadings;
        const s = switchValue(payload.toString('utf8'));
        return s === null ? drop(`tasmota ${key} is neither ON nor OFF`) : { ok: true, readings: [reading(device!, [key!], s, { deviceClass: 'switch' })] };
      },
    },
    { pattern: topicPattern('tele/{device}/{key}'), read: () => noReadings },
  ],
  command: (device, target, state) => ({ topic: topicPattern('cmnd/{device}/{key}').fill({ device, key: `POWER${numbered(target, 'Tasmota') ?? ''}` }), payload: state }),
  // Relay 1 answers as POWER on a single-relay device (whether told POWER or POWER1; SetOption26 0,
  // the default) and as POWER1 on a multi-relay one (told POWER too): either is relay 1's state.
  switchMetrics: ({ channel }) => (channel === null || channel === 1 ? [metricName(['POWER']), metricName(['POWER1'])] : [metricName([`POWER${channel}`])]),
};

// --- ESPHome: <node>/sensor|binary_sensor|switch/<name>/state, <node>/switch/<name>/command,
// <node>/status online (its birth message) and offline (its last will), with or without discovery

export const esphome: DeviceProfile = {
  name: 'esphome',
  // Any two-level topic ending in /status fits: only ESPHome's own online/offline is its availability;
  // anything else there (a generic sensor's `boiler/status 3`) is no availability topic, and goes on as
  // a reading. Home Assistant's own birth message (`homeassistant/status online`) is no device's.
  availability: [
    {
      pattern: topicPattern('{device}/status'),
      read: ({ device }, payload) => {
        const online = device === 'homeassistant' ? null : availabilityWord(payload.toString('utf8'), 'online', 'offline');
        return online === null ? null : availability(device!, online, 'esphome status', payload.toString('utf8'));
      },
    },
  ],
  topics: [
    {
      pattern: topicPattern('{device}/sensor/{name}/state'),
      read: ({ device, name }, payload) => {
        const text = payload.toString('utf8');
        if (text === 'nan' || text === 'NaN') return noReadings; // ESPHome's "no value yet"
        const n = numberValue(text);
        return n === null ? drop(`esphome sensor state ${JSON.stringify(text.slice(0, 40))} is not a number`) : { ok: true, readings: [reading(device!, [name!], n)] };
      },
    },
    ...(['binary_sensor', 'switch'] as const).map((kind) => ({
      pattern: topicPattern(`{device}/${kind}/{name}/state`),
      read: ({ device, name }: Record<string, string>, payload: Buffer): ProfileResult => {
        const s = switchValue(payload.toString('utf8'));
        return s === null ? drop(`esphome ${kind} state is neither ON nor OFF`) : { ok: true, readings: [reading(device!, [name!], s, { deviceClass: kind === 'switch' ? 'switch' : undefined })] };
      },
    })),
  ],
  command: (device, { name }, state) => {
    if (name === null) throw new Error('ESPHome switches are set by name (the switch\'s object id, as in <node>/switch/<name>/state), not by channel');
    return { topic: topicPattern('{device}/switch/{name}/command').fill({ device, name }), payload: state };
  },
  switchMetrics: ({ name }) => [metricName([name ?? ''])],
};

/** The relay number of a family that numbers its relays; a switch name is refused, not ignored. */
function numbered(target: SwitchTarget, family: string): number | null {
  if (target.name !== null) throw new Error(`${family} switches are set by channel number, not by name`);
  return target.channel;
}

// --- Shelly Gen1: shellies/<id>/relay/<n>[/power|/energy], sensor/<kind>, emeter/<n>/<quantity>, temperature

const GEN1_SENSOR_UNITS: Record<string, string> = { temperature: '°C', humidity: '%', battery: '%', lux: 'lx' };

export const shelly: DeviceProfile = {
  name: 'shelly',
  // Retained `true`, and `false` as its last will.
  availability: [{ pattern: topicPattern('shellies/{device}/online'), read: ({ device }, payload) => availability(device!, availabilityWord(payload.toString('utf8'), 'true', 'false'), 'shelly online', payload.toString('utf8')) }],
  topics: [
    {
      pattern: topicPattern('shellies/{device}/relay/{n}'),
      read: ({ device, n }, payload) => {
        const text = payload.toString('utf8');
        const s = switchValue(text);
        if (s === null) return text === 'overpower' ? noReadings : drop(`shelly relay state ${JSON.stringify(text.slice(0, 40))}`);
        return { ok: true, readings: [reading(device!, ['relay', n!], s, { deviceClass: 'switch' })] };
      },
    },
    {
      pattern: topicPattern('shellies/{device}/relay/{n}/{quantity}'),
      read: ({ device, n, quantity: q }, payload) => {
        const v = numberValue(payload.toString('utf8'));
        if (q === 'command') return noReadings;
        if (v === null) return drop(`shelly relay ${q} is not a number`);
        // Gen1 reports energy in watt-minutes.
        if (q === 'energy') return { ok: true, readings: [reading(device!, ['relay', n!, 'energy'], v / 60, { unit: 'Wh', deviceClass: 'energy' })] };
        return { ok: true, readings: [reading(device!, ['relay', n!, q!], v)] };
      },
    },
    {
      pattern: topicPattern('shellies/{device}/emeter/{n}/{quantity}'),
      read: ({ device, n, quantity: q }, payload) => {
        const v = numberValue(payload.toString('utf8'));
        if (v === null) return drop(`shelly emeter ${q} is not a number`);
        // energy and returned_energy count watt-minutes (total and total_returned are Wh).
        if (q === 'energy' || q === 'returned_energy') return { ok: true, readings: [reading(device!, ['emeter', n!, q], v / 60, { unit: 'Wh', deviceClass: 'energy' })] };
        const unit = q === 'total' || q === 'total_returned' ? 'Wh' : undefined;
        return { ok: true, readings: [reading(device!, ['emeter', n!, q!], v, { unit })] };
      },
    },
    {
      pattern: topicPattern('shellies/{device}/sensor/{kind}'),
      read: ({ device, kind }, payload) => {
        const text = payload.toString('utf8');
        const v = numberValue(text) ?? (kind === 'state' || kind === 'flood' || kind === 'motion' ? switchValue(text) : null);
        if (v === null) return text.length === 0 ? noReadings : drop(`shelly sensor ${kind} ${JSON.stringify(text.slice(0, 40))}`);
        return { ok: true, readings: [reading(device!, [kind!], v, { unit: GEN1_SENSOR_UNITS[kind!] })] };
      },
    },
    {
      pattern: topicPattern('shellies/{device}/temperature'),
      read: ({ device }, payload) => {
        const v = numberValue(payload.toString('utf8'));
        return v === null ? drop('shelly temperature is not a number') : { ok: true, readings: [reading(device!, ['temperature'], v)] };
      },
    },
    { pattern: topicPattern('shellies/{rest...}'), read: () => noReadings },
  ],
  command: (device, target, state) => ({ topic: topicPattern('shellies/{device}/relay/{n}/command').fill({ device, n: String(numbered(target, 'Shelly') ?? 0) }), payload: state.toLowerCase() }),
  switchMetrics: ({ channel }) => [metricName(['relay', String(channel ?? 0)])],
};

// --- Shelly Gen2+: <id>/status/<component> (switch:0, temperature:0, ...), <id>/events/rpc NotifyStatus, <id>/rpc

function gen2Component(device: string, component: string, status: unknown, timeMs: number | undefined): Reading[] {
  if (!isObject(status)) return [];
  const [kind, id = '0'] = component.split(':');
  const base = [kind!, id];
  const out: Reading[] = [];
  const num = (path: string[], v: unknown, extra: { unit?: string; deviceClass?: string } = {}): void => {
    const n = typeof v === 'number' && Number.isFinite(v) ? v : null;
    if (n !== null) out.push(reading(device, path, n, { ...extra, timeMs }));
  };
  if (typeof status.output === 'boolean') out.push(reading(device, [...base, 'output'], status.output ? 1 : 0, { deviceClass: 'switch', timeMs }));
  if (typeof status.state === 'boolean') out.push(reading(device, [...base, 'state'], status.state ? 1 : 0, { timeMs }));
  for (const key of ['apower', 'voltage', 'current', 'freq', 'pf', 'tC', 'rh', 'lux']) num([...base, key], status[key], key === 'pf' ? { deviceClass: 'power_factor' } : {});
  if (isObject(status.aenergy)) num([...base, 'energy'], status.aenergy.total, { unit: 'Wh', deviceClass: 'energy' });
  if (isObject(status.temperature)) num([...base, 'temperature'], status.temperature.tC, { unit: '°C', deviceClass: 'temperature' });
  if (isObject(status.battery)) num([...base, 'battery'], status.battery.percent, { unit: '%', deviceClass: 'battery' });
  return out;
}

const GEN2_COMPONENT = /^[a-z0-9_]+(:\d+)?$/;

export const shellyGen2: DeviceProfile = {
  name: 'shelly-gen2',
  // Any two-level topic ending in /online fits: only Gen2's own true/false is its availability; anything
  // else there (a generic sensor's `boiler/online 1`) is no availability topic, and goes on as a reading.
  availability: [{ pattern: topicPattern('{device}/online'), read: ({ device }, payload) => { const online = availabilityWord(payload.toString('utf8'), 'true', 'false'); return online === null ? null : availability(device!, online, 'shelly online', payload.toString('utf8')); } }],
  topics: [
    {
      pattern: topicPattern('{device}/status/{component}'),
      read: ({ device, component }, payload) => {
        if (!GEN2_COMPONENT.test(component!)) return drop(`shelly component ${JSON.stringify(component)} is not <type>[:<id>]`);
        const doc = jsonObject(payload);
        return doc ? { ok: true, readings: gen2Component(device!, component!, doc, undefined) } : drop('shelly status is not a JSON object');
      },
    },
    {
      pattern: topicPattern('{device}/events/rpc'),
      read: ({ device }, payload) => {
        const doc = jsonObject(payload);
        if (!doc) return drop('shelly event is not a JSON object');
        if (doc.method !== 'NotifyStatus' && doc.method !== 'NotifyFullStatus') return noReadings;
        if (!isObject(doc.params)) return drop('shelly NotifyStatus without params');
        const ts = typeof doc.params.ts === 'number' && Number.isFinite(doc.params.ts) ? Math.round(doc.params.ts * 1000) : undefined;
        const readings: Reading[] = [];
        for (const [component, status] of Object.entries(doc.params)) if (component !== 'ts' && GEN2_COMPONENT.test(component)) readings.push(...gen2Component(device!, component, status, ts));
        return { ok: true, readings };
      },
    },
  ],
  command: (device, target, state, src) => {
    const id = numbered(target, 'Shelly') ?? 0;
    // The device publishes its answer on `<src>/rpc`. A bare source would be a topic outside the
    // device's own tree, which its rules do not let it write: the broker would refuse the answer and
    // cut the device off after every switch. Under its events tree (which it writes for NotifyStatus
    // anyway) the answer is allowed, and no profile reads it.
    const answerTo = topicPattern('{device}/events/{src}').fill({ device, src });
    return {
      topic: topicPattern('{device}/rpc').fill({ device }),
      payload: JSON.stringify({ id: Date.now() % 1_000_000, src: answerTo, method: state === 'TOGGLE' ? 'Switch.Toggle' : 'Switch.Set', params: state === 'TOGGLE' ? { id } : { id, on: state === 'ON' } }),
    };
  },
  switchMetrics: ({ channel }) => [metricName(['switch', String(channel ?? 0), 'output'])],
};

// --- Zigbee2MQTT: zigbee2mqtt/<friendly name> (JSON), zigbee2mqtt/<friendly name>/set, bridge/...

const Z2M_NOT_STATE = /(^bridge(\/|$))|(\/(set|get|availability)(\/.*)?$)/;
/**
 * Zigbee2MQTT reports a battery device's voltage in mV, and a mains meter's (a plug reporting
 * power or current) in V, under the same key.
 */
function z2mUnits(doc: Record<string, unknown>): Record<string, string> {
  return typeof doc.power === 'number' || typeof doc.current === 'number' ? {} : { voltage: 'mV' };
}

const Z2M_DEVICE = topicPattern('zigbee2mqtt/{device...}');

const Z2M_AVAILABILITY = /^(.+)\/availability$/;

export const zigbee2mqtt: DeviceProfile = {
  name: 'zigbee2mqtt',
  // With `availability` on in its configuration: `{"state":"online"}` (plain `online` before 2.0, or
  // with `legacy_availability_payload`), per device; the friendly name may hold slashes. Its bridge's
  // state (Zigbee2MQTT's own last will) is the login's: the hub takes every `<login>:<name>` with it.
  availability: [
    {
      pattern: Z2M_DEVICE,
      read: ({ device }, payload) => {
        const m = device === 'bridge/state' ? null : Z2M_AVAILABILITY.exec(device!);
        if (device !== 'bridge/state' && (!m || /^bridge(\/|$)/.test(m[1]!))) return null;
        const v = parseJson(payload);
        const text = isObject(v) ? (typeof v.state === 'string' ? v.state : '') : typeof v === 'string' ? v : payload.toString('utf8');
        return availability(m ? m[1]! : null, availabilityWord(text, 'online', 'offline'), 'zigbee2mqtt', text);
      },
    },
  ],
  topics: [
    {
      pattern: Z2M_DEVICE,
      read: ({ device }, payload) => {
        if (Z2M_NOT_STATE.test(device!)) return noReadings;
        const doc = jsonObject(payload);
        if (!doc) return drop('zigbee2mqtt device message is not a JSON object');
        const seen = typeof doc.last_seen === 'string' ? Date.parse(doc.last_seen) : typeof doc.last_seen === 'number' ? doc.last_seen : NaN;
        const units = z2mUnits(doc);
        return { ok: true, readings: leaves(device!, doc, { skip: new Set(['last_seen', 'update', 'device']), depth: 0, timeMs: Number.isFinite(seen) ? seen : undefined, unitOf: (p) => units[p[0]!] }) };
      },
    },
  ],
  command: (device, target, state) => {
    const channel = numbered(target, 'Zigbee2MQTT');
    // A friendly name may hold slashes ("garden/pump"), so it is the rest of the topic, and /set follows it.
    return { topic: `${Z2M_DEVICE.fill({ device })}/set`, payload: JSON.stringify({ [channel === null ? 'state' : `state_l${channel}`]: state }) };
  },
  switchMetrics: ({ channel }) => [metricName([channel === null ? 'state' : `state_l${channel}`])],
};

/**
 * The generic profile: a topic pattern of the operator's (`home/{device}/{metric}` or
 * `meters/{device}`) whose payload is a number, ON/OFF, or a JSON object of numbers.
 */
export function genericProfile(patternText: string): DeviceProfile {
  const pattern = topicPattern(patternText);
  if (!patternText.includes('{device}')) throw new Error(`generic pattern ${patternText} needs a {device} level`);
  return {
    name: 'generic',
    topics: [
      {
        pattern,
        read: ({ device, metric }, payload) => {
          const text = payload.toString('utf8');
          const n = numberValue(text) ?? switchValue(text);
          if (n !== null) return { ok: true, readings: [reading(device!, [metric ?? 'value'], n)] };
          const doc = jsonObject(payload);
          if (!doc) return drop('neither a number, ON/OFF, nor a JSON object');
          if (typeof doc.value === 'number' && Number.isFinite(doc.value)) {
            return { ok: true, readings: [reading(device!, [metric ?? 'value'], doc.value, { unit: typeof doc.unit === 'string' ? doc.unit : undefined })] };
          }
          return { ok: true, readings: leaves(device!, doc, { depth: 1 }).map((r) => (metric ? { ...r, metric: hubName(`${metric}_${r.metric}`) } : r)) };
        },
      },
    ],
  };
}

/** The families, most specific topic shapes first (Shelly Gen2's `<id>/status/...` would otherwise swallow others). */
export const FAMILY_PROFILES: readonly DeviceProfile[] = [tasmota, shelly, zigbee2mqtt, esphome, shellyGen2];
