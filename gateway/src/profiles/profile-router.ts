// Turns what devices publish on the gateway broker into UNIBOS readings and hands them to the hub
// through the same door as sensors' own messages (refused before the PUBACK when the hub would
// refuse them). A state topic a device announced with Home Assistant discovery is read through that
// announcement (its own messages only); anything else through the first family profile whose topic
// shape fits. Every reading is named inside its publisher's own sensor ids (sensor-ownership.ts),
// and carries a time only when the device gave a plausible one; one without is dated by when the
// gateway took it (its outbox row, sent to the hub in the envelope), not passed off as the device's.
// A message that cannot be read is a counted drop with its reason, never an error for the device.
// A device's availability (its family's topic for it, mostly its MQTT last will, or the
// availability topics its discovery names) goes to the hub the same way, on the sensor's
// `$availability` level, so the hub can tell last known values from current ones.

import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { HOME_ASSISTANT_ROOT, TOPIC_ROOT, isDeviceClass, isSensorUnit, topics } from '@unibos/mesh-protocol';
import type { BrokerMessageHandler } from '../broker/gateway-broker.ts';
import type { UplinkSink } from '../bridge/mesh-bridge.ts';
import { FAMILY_PROFILES, MAX_READINGS_PER_MESSAGE, type DeviceProfile, type ProfileName } from './device-profiles.ts';
import { combinedAvailability, readDiscoveredAvailability, readDiscoveredState, readDiscovery, type DiscoveredEntity } from './ha-discovery-reader.ts';
import { hubName, plausibleTimeMs, type Reading } from './reading.ts';
import { ownedSensorId } from './sensor-ownership.ts';
import { LruMap } from '../bridge/lru-map.ts';
import { topicMatches as matchesFilter } from '@unibos/mesh-protocol';

export type UplinkMessage = Parameters<UplinkSink['forward']>[0];

/** A message the sink would not take, because the hub would refuse it: `refusal` says why (hubWouldRefuse's reason). */
export type ForwardRefusal = { readonly index: number; readonly error: Error & { readonly refusal?: string | undefined } };

/** Where readings go for the hub; forwardMany, when there, takes all of one message's at once. */
export interface ReadingSink extends UplinkSink {
  /**
   * One durable write for them all (a message of 256 values is one commit, not 256); each one the
   * hub would refuse is left out alone and returned, the rest accepted.
   */
  forwardMany?(messages: readonly UplinkMessage[]): readonly ForwardRefusal[];
}

export interface ProfileRouterOptions {
  readonly broker: { subscribe(filter: string, handler: BrokerMessageHandler): () => void };
  readonly uplink?: ReadingSink | undefined;
  readonly logger: Logger;
  /** Default: every family profile. Generic profiles (genericProfile) go here too. */
  readonly profiles?: readonly DeviceProfile[];
}

export interface ProfileRouterStats {
  messages: number;
  readings: number;
  /** Availability reports (online or offline) sent for the hub. */
  availability: number;
  /** Discovery entities understood (current count). */
  discovered: number;
  /** Messages that could not be read, by reason kind. */
  readonly drops: Record<string, number>;
}

export interface ProfileRouterEvents {
  /** `reading.sensor` is the id the hub gets: inside the publisher's own (sensor-ownership.ts). */
  reading: [{ readonly reading: Reading; readonly profile: ProfileName | 'discovery'; readonly clientId: string }];
  dropped: [{ readonly topic: string; readonly clientId: string; readonly reason: string }];
  /** A device said it can (online) or cannot be reached; `sensor` as for readings. */
  availability: [{ readonly sensor: string; readonly online: boolean; readonly profile: ProfileName | 'discovery'; readonly clientId: string }];
}

/** A retained message as the broker keeps it, with the login that published it (null or absent: the gateway's own, or not known). */
export interface RetainedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly owner?: string | null;
}

/** Which family, and which name in its topics, a hub sensor id stands for: what a switch command needs. */
export interface KnownDevice {
  readonly profile: DeviceProfile;
  /** The device level of the family's topics (Tasmota topic, Shelly id, Zigbee friendly name). */
  readonly device: string;
}

const DISCOVERY_FILTER = `${HOME_ASSISTANT_ROOT}/#`;

/** Sensor ids whose family is kept (a gateway's devices have tens). */
const MAX_KNOWN_DEVICES = 4096;

/** A discovered entity and the device (login) that announced it: it reads only that device's messages. */
interface OwnedEntity {
  readonly owner: string;
  readonly entity: DiscoveredEntity;
  /** The last word of each of its availability topics (online: true). */
  readonly availability: Map<string, boolean>;
}

export class ProfileRouter extends EventEmitter<ProfileRouterEvents> {
  /**
   * Discovered entities kept per device (a large Zigbee2MQTT network announces a few thousand):
   * each costs memory and may cost the broker an internal subscription every message is matched
   * against, so a device announcing without end must not get them without end.
   */
  static readonly MAX_ENTITIES_PER_DEVICE = 4096;
  readonly stats: ProfileRouterStats = { messages: 0, readings: 0, availability: 0, discovered: 0, drops: {} };
  private readonly profiles: readonly DeviceProfile[];
  /** By owner and config topic: one device's announcement never replaces or removes another's. */
  private readonly entities = new Map<string, OwnedEntity>();
  /** How many of `entities` each owner has. */
  private readonly entitiesByOwner = new Map<string, number>();
  /** State topic -> the discovered entities reading it (a Tasmota SENSOR topic has several). */
  private readonly byStateTopic = new Map<string, OwnedEntity[]>();
  /** Availability topic -> the discovered entities it speaks for (Zigbee2MQTT's bridge state: all of them). */
  private readonly byAvailabilityTopic = new Map<string, OwnedEntity[]>();
  /** Subscriptions of their own for announced state and availability topics no profile listens to. */
  private readonly ownSubscriptions = new Map<string, () => void>();
  /** Sensor ids' families, for switch commands: bounded, as a device may invent names. */
  private readonly known = new LruMap<string, KnownDevice>(MAX_KNOWN_DEVICES);
  private readonly unsubscribes: Array<() => void> = [];
  private readonly filters: string[] = [];
  /** While restore() runs: the configs announced live meanwhile, newer than what the store gave it. */
  private announcedLive: Set<string> | undefined;

  constructor(private readonly options: ProfileRouterOptions) {
    super();
    this.profiles = options.profiles ?? FAMILY_PROFILES;
  }

  start(): void {
    this.unsubscribes.push(this.options.broker.subscribe(DISCOVERY_FILTER, (topic, payload, clientId, _msgId, deviceId) => this.onDiscovery(topic, payload, clientId, deviceId)));
    // Several profile filters can match one topic; the first in order takes it, the rest pass.
    const filters = [...new Set(this.profiles.flatMap((p) => [...(p.availability ?? []), ...p.topics].map((t) => t.pattern.filter)))];
    this.filters.push(...filters);
    for (const filter of filters) {
      this.unsubscribes.push(this.options.broker.subscribe(filter, (topic, payload, clientId, msgId, deviceId) => this.onMessage(filter, topic, payload, clientId, msgId, deviceId)));
    }
  }

  /**
   * Takes up the discovery configs devices announced in earlier runs, kept retained by the broker
   * with the login that published each, as if announced again by that login: a device announces
   * at its own boot (Tasmota, ESPHome, Zigbee2MQTT), not at the gateway's, so without this its
   * readings went unread after a gateway restart. Call after start(), so nothing announced
   * meanwhile is missed; a config announced live meanwhile wins over the stored one. Returns how
   * many were taken up.
   */
  async restore(retained: (filter: string) => AsyncIterable<RetainedMessage>): Promise<number> {
    const live = new Set<string>();
    this.announcedLive = live;
    let n = 0;
    try {
      for await (const m of retained(DISCOVERY_FILTER)) {
        // The gateway's own configs (of mesh nodes) have no owner and are no device's state.
        if (!m.owner || m.payload.length === 0 || live.has(entityKey(m.owner, m.topic))) continue;
        this.onDiscovery(m.topic, m.payload, m.owner, m.owner);
        n++;
      }
    } finally {
      this.announcedLive = undefined;
    }
    return n;
  }

  stop(): void {
    for (const u of this.unsubscribes.splice(0)) u();
    for (const u of this.ownSubscriptions.values()) u();
    this.ownSubscriptions.clear();
  }

  /** The family and device name behind a hub sensor id, once a reading of it was seen. */
  knownDevice(sensor: string): KnownDevice | null {
    return this.known.touch(sensor) ?? null;
  }

  private onDiscovery(topic: string, payload: Buffer, clientId: string | null, owner: string | null): void {
    // The gateway's own announcements (of mesh nodes and unibos sensors) are not devices' state.
    if (clientId === null || owner === null) return;
    this.announcedLive?.add(entityKey(owner, topic));
    const levels = topic.split('/').slice(1);
    const parsed = readDiscovery(topic, levels, payload);
    if (!parsed.ok) return this.dropped(topic, clientId, `discovery: ${parsed.reason}`);
    if (parsed.entity === null) {
      if (parsed.removed) this.forget(owner, topic);
      return;
    }
    const entity = parsed.entity;
    if (entity.stateTopic.startsWith(`${TOPIC_ROOT}/`)) return;
    const key = entityKey(owner, topic);
    if (!this.entities.has(key) && (this.entitiesByOwner.get(owner) ?? 0) >= ProfileRouter.MAX_ENTITIES_PER_DEVICE) {
      return this.dropped(topic, clientId, `discovery: ${owner} already has ${ProfileRouter.MAX_ENTITIES_PER_DEVICE} announced entities; remove one (an empty config) to announce another`);
    }
    this.forget(owner, topic);
    const owned: OwnedEntity = { owner, entity, availability: new Map() };
    this.entities.set(key, owned);
    this.entitiesByOwner.set(owner, (this.entitiesByOwner.get(owner) ?? 0) + 1);
    const uses: Array<[Map<string, OwnedEntity[]>, string]> = [[this.byStateTopic, entity.stateTopic], ...[...new Set(entity.availability.map((a) => a.topic))].map((t): [Map<string, OwnedEntity[]>, string] => [this.byAvailabilityTopic, t])];
    for (const [map, listened] of uses) {
      map.set(listened, [...(map.get(listened) ?? []), owned]);
      this.listen(listened);
    }
    this.stats.discovered = this.entities.size;
    this.options.logger.info({ configTopic: topic, owner, stateTopic: entity.stateTopic, sensor: entity.sensor, metric: entity.metric, unit: entity.unit, deviceClass: entity.deviceClass }, 'device announced itself with Home Assistant discovery');
  }

  private forget(owner: string, configTopic: string): void {
    const key = entityKey(owner, configTopic);
    const old = this.entities.get(key);
    if (!old) return;
    this.entities.delete(key);
    const left = (this.entitiesByOwner.get(owner) ?? 1) - 1;
    if (left > 0) this.entitiesByOwner.set(owner, left);
    else this.entitiesByOwner.delete(owner);
    const unlisten = (map: Map<string, OwnedEntity[]>, listened: string): void => {
      const rest = (map.get(listened) ?? []).filter((e) => e !== old);
      if (rest.length > 0) map.set(listened, rest);
      else map.delete(listened);
      if (!this.byStateTopic.has(listened) && !this.byAvailabilityTopic.has(listened)) {
        this.ownSubscriptions.get(listened)?.();
        this.ownSubscriptions.delete(listened);
      }
    };
    unlisten(this.byStateTopic, old.entity.stateTopic);
    for (const t of new Set(old.entity.availability.map((a) => a.topic))) unlisten(this.byAvailabilityTopic, t);
    this.stats.discovered = this.entities.size;
  }

  /** An announced topic no profile listens to gets its own subscription. */
  private listen(topic: string): void {
    if (this.filters.some((f) => matchesFilter(f, topic)) || this.ownSubscriptions.has(topic)) return;
    this.ownSubscriptions.set(topic, this.options.broker.subscribe(topic, (t, p, c, m, d) => this.onMessage(null, t, p, c, m, d)));
  }

  private onMessage(filter: string | null, topic: string, payload: Buffer, clientId: string | null, msgId: string | undefined, owner: string | null): void {
    if (clientId === null || owner === null || topic.startsWith(`${TOPIC_ROOT}/`)) return;
    // Taken once: by the first profile filter that matches, or by an announced topic's own subscription.
    if (filter !== (this.filters.find((f) => matchesFilter(f, topic)) ?? null)) return;
    if (this.onAvailability(topic, payload, clientId, owner, msgId)) return;
    // Another device's announcement of this topic says nothing about how to read this one's messages.
    const entities = this.byStateTopic.get(topic)?.filter((e) => e.owner === owner);
    if (entities && entities.length > 0) {
      this.stats.messages++;
      const readings: Reading[] = [];
      for (const { entity } of entities) {
        const r = readDiscoveredState(entity, payload);
        if (!r.ok) this.dropped(topic, clientId, `discovery: ${r.reason}`);
        else if (r.reading) readings.push(r.reading);
      }
      // Read through discovery, the topic still says which family's device sent it and so how to
      // switch it (ESPHome announces every switch by default, and would otherwise never be switchable).
      this.forward(topic, readings, 'discovery', this.familyOf(topic), clientId, owner, msgId);
      return;
    }
    if (filter === null) return;
    this.stats.messages++;
    for (const profile of this.profiles) {
      for (const t of profile.topics) {
        const vars = t.pattern.match(topic);
        if (!vars) continue;
        const result = t.read(vars, payload);
        if (!result.ok) return this.dropped(topic, clientId, `${profile.name}: ${result.reason}`);
        this.forward(topic, result.readings, profile.name, { profile, device: vars.device ?? '' }, clientId, owner, msgId);
        return;
      }
    }
  }

  /**
   * A message on an availability topic (an announced one of this device's, or its family's):
   * sent for the hub as each sensor it speaks for going online or offline. False when `topic` is
   * no availability topic (it may be a state topic).
   */
  private onAvailability(topic: string, payload: Buffer, clientId: string, owner: string, msgId: string | undefined): boolean {
    /** By the device's own name for it (before ownership). */
    const said = new Map<string, { online: boolean; profile: ProfileName | 'discovery' }>();
    let problem: string | null = null;
    const announced = this.byAvailabilityTopic.get(topic)?.filter((e) => e.owner === owner) ?? [];
    for (const e of announced) {
      const words = e.entity.availability.filter((a) => a.topic === topic).map((a) => readDiscoveredAvailability(a, payload));
      const online = words.find((w) => w !== null) ?? null;
      if (online === null) {
        problem = `discovery: availability ${JSON.stringify(payload.toString('utf8').slice(0, 40))} on ${topic} is neither its payload_available nor its payload_not_available`;
        continue;
      }
      e.availability.set(topic, online);
      const combined = combinedAvailability(e.entity.availabilityMode, e.availability, online);
      if (combined !== null) said.set(e.entity.sensor, { online: combined, profile: 'discovery' });
    }
    let family = false;
    // The family's own availability topic, unless a profile before it reads this topic as state.
    search: for (const profile of this.profiles) {
      for (const a of profile.availability ?? []) {
        const vars = a.pattern.match(topic);
        const r = vars ? a.read(vars, payload) : null;
        if (r === null) continue;
        family = true;
        if (!r.ok) {
          problem ??= `${profile.name}: ${r.reason}`;
          break search;
        }
        // No device level: the publishing device itself (a Zigbee2MQTT bridge). What its discovery
        // says of a device wins over the family's reading of the same topic.
        const name = r.device === null ? owner : hubName(r.device);
        if (!said.has(name)) said.set(name, { online: r.online, profile: profile.name });
        break search;
      }
      if (profile.topics.some((t) => t.pattern.match(topic))) break;
    }
    if (announced.length === 0 && !family) return false;
    this.stats.messages++;
    if (said.size === 0) {
      if (problem) this.dropped(topic, clientId, problem);
      return true;
    }
    let i = 0;
    for (const [name, { online, profile }] of said) {
      const id = ownedSensorId(owner, name);
      if (!id.ok) {
        this.dropped(topic, clientId, id.reason);
        continue;
      }
      const body = { state: online ? 'online' : 'offline', profile };
      this.options.uplink?.forward({ source: `sensor:${owner}`, topic: topics.sensorAvailability(id.sensor), payload: Buffer.from(JSON.stringify(body)), lane: 'routine', ...(msgId ? { msgId: `${msgId}:${i++}` } : {}) });
      this.stats.availability++;
      this.emit('availability', { sensor: id.sensor, online, profile, clientId });
    }
    return true;
  }

  /** The family (with a switch) whose topic shape `topic` has, and its device level; null if none. */
  private familyOf(topic: string): KnownDevice | null {
    for (const profile of this.profiles) {
      for (const t of profile.topics) {
        const vars = t.pattern.match(topic);
        if (vars) return profile.command && vars.device ? { profile, device: vars.device } : null;
      }
    }
    return null;
  }

  /**
   * Each reading to the hub, as `unibos/v1/sensor/{sensor}/{metric}` with `sensor` inside the ids
   * `owner` owns (a name it cannot have there is a counted drop, and so is a reading the hub would
   * refuse, by its reason: `hub_bad_payload`, `hub_too_large`, ..., or the outbox: `outbox`); the rest go on.
   */
  private forward(topic: string, all: readonly Reading[], profile: ProfileName | 'discovery', family: KnownDevice | null, clientId: string, owner: string, msgId: string | undefined): void {
    const named = all.length > MAX_READINGS_PER_MESSAGE ? all.slice(0, MAX_READINGS_PER_MESSAGE) : all;
    if (named !== all) this.dropped(topic, clientId, `too_many_readings: more than ${MAX_READINGS_PER_MESSAGE} values in one message; the first ${MAX_READINGS_PER_MESSAGE} kept`);
    const readings: Reading[] = [];
    const refused = new Set<string>();
    for (const r of named) {
      const id = ownedSensorId(owner, r.sensor);
      if (id.ok) {
        // A time no clock could have given (unset, or `last_seen: 1e20`) is dropped; the value stays.
        const { timeMs, ...rest } = r;
        const plausible = plausibleTimeMs(timeMs);
        readings.push({ ...rest, sensor: id.sensor, ...(plausible !== undefined ? { timeMs: plausible } : {}) });
      } else if (!refused.has(r.sensor)) {
        refused.add(r.sensor);
        this.dropped(topic, clientId, id.reason);
      }
    }
    const source = `sensor:${owner}`;
    const messages = readings.map((r, i): UplinkMessage => {
      // A unit or class the hub could not keep (a device's own discovery can say anything) is left out; the value still goes.
      const body = { value: r.value, ...(isSensorUnit(r.unit) ? { unit: r.unit } : {}), ...(isDeviceClass(r.deviceClass) ? { deviceClass: r.deviceClass } : {}), ...(r.timeMs !== undefined ? { time: new Date(r.timeMs).toISOString() } : {}), profile };
      return { source, topic: topics.sensor(r.sensor, r.metric), payload: Buffer.from(JSON.stringify(body)), lane: 'routine', ...(msgId ? { msgId: `${msgId}:${i}` } : {}) };
    });
    const sink = this.options.uplink;
    const refusals = sink?.forwardMany ? sink.forwardMany(messages) : sink ? forwardEach(sink, messages) : [];
    const left = new Set<number>();
    for (const { index, error } of refusals) {
      left.add(index);
      // By the hub's reason (hub_bad_payload, hub_too_large, ...), or `outbox` for one past the outbox's own bounds.
      this.dropped(topic, clientId, `${error.refusal ? `hub_${error.refusal}` : 'outbox'}: ${messages[index]!.topic}: ${error.message}`);
    }
    for (const [i, r] of readings.entries()) {
      if (left.has(i)) continue;
      this.stats.readings++;
      if (family && family.device) this.known.set(r.sensor, family);
      this.emit('reading', { reading: r, profile, clientId });
    }
  }

  private dropped(topic: string, clientId: string, reason: string): void {
    const kind = reason.split(':', 1)[0]!;
    this.stats.drops[kind] = (this.stats.drops[kind] ?? 0) + 1;
    this.options.logger.warn({ topic, clientId, reason }, 'device message not understood: dropped');
    this.emit('dropped', { topic, clientId, reason });
  }
}

function entityKey(owner: string, configTopic: string): string {
  return `${owner}\u0000${configTopic}`;
}

/** One at a time to a sink that takes one at a time: a message the hub would refuse is left out alone, anything else thrown. */
function forwardEach(sink: UplinkSink, messages: readonly UplinkMessage[]): ForwardRefusal[] {
  const refusals: ForwardRefusal[] = [];
  for (const [index, m] of messages.entries()) {
    try {
      sink.forward(m);
    } catch (err) {
      if (typeof (err as { refusal?: unknown } | null)?.refusal !== 'string') throw err;
      refusals.push({ index, error: err as ForwardRefusal['error'] });
    }
  }
  return refusals;
}
