// A device's own Home Assistant MQTT discovery message, understood: its state topic (with the `~`
// base and the abbreviated keys expanded), value template, unit and device class, so readings of a
// device nobody wrote a profile for still arrive named, with units. Handles sensor, binary_sensor
// and switch components; the rest (lights, covers, ...) are not readings and are ignored.

import { compileTemplate, type CompiledTemplate } from './value-template.ts';
import { hubName, isObject, metricName, numberValue, parseJson, switchValue, type Reading } from './reading.ts';

/** The abbreviations Home Assistant accepts for the keys read here (its ABBREVIATIONS table). */
const ABBREVIATIONS: Record<string, string> = {
  stat_t: 'state_topic',
  val_tpl: 'value_template',
  unit_of_meas: 'unit_of_measurement',
  dev_cla: 'device_class',
  uniq_id: 'unique_id',
  obj_id: 'object_id',
  dev: 'device',
  pl_on: 'payload_on',
  pl_off: 'payload_off',
  stat_on: 'state_on',
  stat_off: 'state_off',
  cmd_t: 'command_topic',
  stat_cla: 'state_class',
  json_attr_t: 'json_attributes_topic',
  avty_t: 'availability_topic',
  avty: 'availability',
  avty_mode: 'availability_mode',
  avty_tpl: 'availability_template',
  pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available',
};
/** The keys of one entry of an `availability` list. */
const AVAILABILITY_ABBREVIATIONS: Record<string, string> = { t: 'topic', pl_avail: 'payload_available', pl_not_avail: 'payload_not_available', val_tpl: 'value_template' };

/** Availability topics one entity may name (Zigbee2MQTT names two: its bridge's and the device's). */
const MAX_AVAILABILITY_TOPICS = 8;

/** One topic telling whether the entity's device can be reached. */
export interface DiscoveredAvailability {
  readonly topic: string;
  readonly template: CompiledTemplate | null;
  readonly payloadAvailable: string;
  readonly payloadNotAvailable: string;
}
const DEVICE_ABBREVIATIONS: Record<string, string> = { ids: 'identifiers', mf: 'manufacturer', mdl: 'model' };

export const DISCOVERY_COMPONENTS = new Set(['sensor', 'binary_sensor', 'switch']);

export interface DiscoveredEntity {
  /** `homeassistant/<component>/[<node>/]<object>/config`, which owns this entity. */
  readonly configTopic: string;
  readonly component: string;
  readonly stateTopic: string;
  readonly sensor: string;
  readonly metric: string;
  readonly unit?: string | undefined;
  readonly deviceClass?: string | undefined;
  readonly template: CompiledTemplate | null;
  readonly payloadOn: string;
  readonly payloadOff: string;
  readonly commandTopic?: string | undefined;
  /** Where it says whether the device can be reached; none when it does not say. */
  readonly availability: readonly DiscoveredAvailability[];
  /** Home Assistant's `availability_mode`: the latest message decides, or all must be online, or any. */
  readonly availabilityMode: 'latest' | 'all' | 'any';
}

export type DiscoveryParse = { ok: true; entity: DiscoveredEntity } | { ok: true; entity: null; removed: boolean } | { ok: false; reason: string };

function expand(doc: Record<string, unknown>, table: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) out[table[k] ?? k] = v;
  return out;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** An on/off payload: Zigbee2MQTT gives JSON booleans (a contact sensor: `payload_on: false`), compared as the template's value prints. */
function payloadText(v: unknown): string | undefined {
  return typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : text(v);
}

/**
 * Reads a discovery config. `levels` are the discovery topic's levels after the prefix:
 * [component, node?, object, 'config']. An empty payload removes the entity (null, removed).
 */
export function readDiscovery(configTopic: string, levels: readonly string[], payload: Buffer): DiscoveryParse {
  if (levels.length < 3 || levels.length > 4 || levels[levels.length - 1] !== 'config') return { ok: false, reason: 'not a discovery config topic' };
  const component = levels[0]!;
  if (payload.length === 0) return { ok: true, entity: null, removed: true };
  if (!DISCOVERY_COMPONENTS.has(component)) return { ok: true, entity: null, removed: false };
  const raw = parseJson(payload);
  if (!isObject(raw)) return { ok: false, reason: 'discovery config is not a JSON object' };
  const doc = expand(raw, ABBREVIATIONS);
  const base = text(doc['~']);
  const topicOf = (v: unknown): string | undefined => {
    const t = text(v);
    if (!t || base === undefined) return t;
    if (t.startsWith('~')) return base + t.slice(1);
    if (t.endsWith('~')) return t.slice(0, -1) + base;
    return t;
  };
  const stateTopic = topicOf(doc.state_topic);
  if (!stateTopic) return { ok: false, reason: 'discovery config without a state_topic' };
  if (/[+#\u0000]/.test(stateTopic) || stateTopic.startsWith('$')) return { ok: false, reason: `state_topic ${JSON.stringify(stateTopic)} is not a topic name` };
  let template: CompiledTemplate | null = null;
  const tpl = text(doc.value_template);
  if (tpl) {
    try {
      template = compileTemplate(tpl);
    } catch (err) {
      return { ok: false, reason: `unsupported value_template ${JSON.stringify(tpl.slice(0, 80))}: ${(err as Error).message}` };
    }
  }
  const availability = readAvailabilityConfig(doc, topicOf);
  const mode = doc.availability_mode === 'all' || doc.availability_mode === 'any' ? doc.availability_mode : 'latest';
  const device = isObject(doc.device) ? expand(doc.device, DEVICE_ABBREVIATIONS) : {};
  const ids = Array.isArray(device.identifiers) ? text(device.identifiers[0]) : text(device.identifiers);
  const node = levels.length === 4 ? levels[1] : undefined;
  const objectId = levels[levels.length - 2]!;
  const sensor = hubName(text(device.name) ?? node ?? ids ?? stateTopic.split('/')[0]!);
  // Tasmota's object ids carry the device id in front (218FF9_ENERGY_Total): the metric is the rest.
  const local = text(doc.object_id) ?? (node ? objectId : undefined) ?? stripPrefix(text(doc.unique_id) ?? objectId, ids) ?? text(doc.name) ?? objectId;
  return {
    ok: true,
    entity: {
      configTopic,
      component,
      stateTopic,
      sensor,
      metric: metricName([local]),
      unit: text(doc.unit_of_measurement)?.trim() || undefined,
      deviceClass: text(doc.device_class) ?? (component === 'switch' ? 'switch' : undefined),
      template,
      payloadOn: payloadText(doc.state_on) ?? payloadText(doc.payload_on) ?? 'ON',
      payloadOff: payloadText(doc.state_off) ?? payloadText(doc.payload_off) ?? 'OFF',
      commandTopic: topicOf(doc.command_topic),
      availability,
      availabilityMode: mode,
    },
  };
}

/**
 * `availability_topic` (with `payload_available`, ...) and the `availability` list, as Home
 * Assistant reads them. One that cannot be used (a wildcard, a template we do not read) is left
 * out, not the entity: its readings still come, only what it says of being reachable does not.
 */
function readAvailabilityConfig(doc: Record<string, unknown>, topicOf: (v: unknown) => string | undefined): DiscoveredAvailability[] {
  const entries: Array<Record<string, unknown>> = [];
  if (doc.availability_topic !== undefined) entries.push({ topic: doc.availability_topic, payload_available: doc.payload_available, payload_not_available: doc.payload_not_available, value_template: doc.availability_template });
  if (Array.isArray(doc.availability)) for (const e of doc.availability) if (isObject(e)) entries.push(expand(e, AVAILABILITY_ABBREVIATIONS));
  const out: DiscoveredAvailability[] = [];
  for (const e of entries.slice(0, MAX_AVAILABILITY_TOPICS)) {
    const topic = topicOf(e.topic);
    if (!topic || /[+#\u0000]/.test(topic) || topic.startsWith('$')) continue;
    let template: CompiledTemplate | null = null;
    const tpl = text(e.value_template);
    if (tpl) {
      try {
        template = compileTemplate(tpl);
      } catch {
        continue;
      }
    }
    out.push({ topic, template, payloadAvailable: payloadText(e.payload_available) ?? 'online', payloadNotAvailable: payloadText(e.payload_not_available) ?? 'offline' });
  }
  return out;
}

/** An availability message read through one of an entity's availability topics: online, offline, or null (neither). */
export function readDiscoveredAvailability(a: DiscoveredAvailability, payload: Buffer): boolean | null {
  const raw = payload.toString('utf8');
  const value = a.template ? a.template(raw, parseJson(payload)) : raw;
  if (value === null) return null;
  const v = String(value);
  return v === a.payloadAvailable ? true : v === a.payloadNotAvailable ? false : null;
}

/** The entity's device reachable or not, from each availability topic's last word (`states`), by its mode; null while none has spoken. */
export function combinedAvailability(mode: DiscoveredEntity['availabilityMode'], states: ReadonlyMap<string, boolean>, latest: boolean): boolean | null {
  if (states.size === 0) return null;
  if (mode === 'all') return [...states.values()].every(Boolean);
  if (mode === 'any') return [...states.values()].some(Boolean);
  return latest;
}

function stripPrefix(id: string, prefix: string | undefined): string {
  return prefix && id.startsWith(`${prefix}_`) && id.length > prefix.length + 1 ? id.slice(prefix.length + 1) : id;
}

/** A state message read through a discovered entity: a reading, null when it carries no value now, or why not. */
export function readDiscoveredState(entity: DiscoveredEntity, payload: Buffer): { ok: true; reading: Reading | null } | { ok: false; reason: string } {
  const raw = payload.toString('utf8');
  const value = entity.template ? entity.template(raw, parseJson(payload)) : raw;
  if (value === null) return { ok: true, reading: null };
  let n: number | null;
  if (entity.component === 'sensor') n = typeof value === 'boolean' ? (value ? 1 : 0) : numberValue(value);
  else n = String(value) === entity.payloadOn ? 1 : String(value) === entity.payloadOff ? 0 : switchValue(value);
  if (n === null) {
    // A sensor whose state is text (an enum, a firmware version) is not a reading the hub can chart.
    return entity.component === 'sensor' ? { ok: true, reading: null } : { ok: false, reason: `${entity.component} state ${JSON.stringify(String(value).slice(0, 40))} is neither on nor off` };
  }
  return { ok: true, reading: { sensor: entity.sensor, metric: entity.metric, value: n, unit: entity.unit, deviceClass: entity.deviceClass } };
}
