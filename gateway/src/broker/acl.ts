// Who may publish and subscribe where on the gateway broker: pure decisions, no I/O, so the rules can
// be read in one place and checked exhaustively by property tests.
//
// | subject                    | publish                          | subscribe (filter must lie inside) |
// |----------------------------|----------------------------------|------------------------------------|
// | sensor {id}                | unibos/v1/sensor/{id}/#          | unibos/v1/sensor/{id}/#            |
// | hub, gateway               | unibos/v1/#, homeassistant/#     | unibos/v1/#, homeassistant/#       |
// | anonymous (loopback only)  | unibos/v1/sensor/anonymous/#     | unibos/v1/sensor/anonymous/#       |
// | everyone                   | never '$...' topics, never wildcards, never U+0000              |
//
// Consequences: only the hub (and gateway-role clients) can write unibos/v1/gw/# and
// unibos/v1/mesh/#; the gateway process itself publishes through GatewayBroker.publish, which no
// ACL sees. A filter is judged by its literal leading levels, so 'unibos/v1/sensor/+/x' or '#' are
// refused to a sensor even though some topics they match would be its own.
//
// Anonymous clients are treated as one shared sensor called 'anonymous' rather than given read
// access: anonymous is a convenience for local scripts (and only ever accepted from loopback), and
// anything more would let any local user read every sensor and forge gateway traffic. The id
// 'anonymous' is reserved so no registered device can share that prefix.

//
// Beyond the table, a device may carry topic rules (topic-rules.ts, mosquitto's ACL format) for
// topics outside unibos/v1/: a Tasmota plug writing tele/plug1/#, a Zigbee2MQTT bridge its own
// tree. Inside unibos/v1/ (and for any filter that could match a topic there) the table alone decides.
// The gateway's own Home Assistant discovery configs (`homeassistant/<component>/unibos_.../config`,
// one per mesh node and sensor metric) are not a rule's to grant either: a Zigbee2MQTT bridge given
// `write homeassistant/#` for its own devices must not rename a mesh node's battery or point its
// location at another topic.

import { HOME_ASSISTANT_ROOT, TOPIC_ROOT, topics } from '@unibos/mesh-protocol';
import { filtersOverlap, isInsidePrefix, isValidTopicFilter, isValidTopicName } from '@unibos/mesh-protocol';
import { GATEWAY_DISCOVERY_PREFIX } from '../bridge/ha-discovery.ts';
import { rulesAllowPublish, rulesAllowSubscribe, type BoundRule } from './topic-rules.ts';

export const DEVICE_ROLES = ['sensor', 'hub', 'gateway'] as const;
export type DeviceRole = (typeof DEVICE_ROLES)[number];

/** The id anonymous clients share for their topic prefix; never a valid device id. */
export const ANONYMOUS_ID = 'anonymous';

/** `rules`: the device's topic rules bound to this connection (%u, %c filled in); none by default. */
export type AclSubject =
  | { readonly role: DeviceRole; readonly id: string; readonly rules?: readonly BoundRule[] }
  | { readonly role: 'anonymous'; readonly rules?: readonly BoundRule[] };

export type AclDecision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

const ALLOW: AclDecision = { allow: true };

function deny(reason: string): AclDecision {
  return { allow: false, reason };
}

/** Device ids double as MQTT usernames and as a topic level, so they must be one plain level. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isDeviceRole(value: unknown): value is DeviceRole {
  return typeof value === 'string' && (DEVICE_ROLES as readonly string[]).includes(value);
}

/** The topic prefix a sensor owns, as levels: unibos/v1/sensor/{id}. */
export function sensorPrefix(id: string): readonly string[] {
  return topics.sensorPrefix(id).split('/').slice(0, -1);
}

// Prefixes below are kept as isInsidePrefix takes them: the levels joined by '/'.
const TRUSTED_PREFIXES: readonly string[] = [TOPIC_ROOT, HOME_ASSISTANT_ROOT];
const ANONYMOUS_PREFIXES: readonly string[] = [sensorPrefix(ANONYMOUS_ID).join('/')];

function prefixesOf(subject: AclSubject): readonly string[] {
  switch (subject.role) {
    case 'hub':
    case 'gateway':
      return TRUSTED_PREFIXES;
    case 'sensor':
      return [sensorPrefix(subject.id).join('/')];
    case 'anonymous':
      return ANONYMOUS_PREFIXES;
  }
}

/** `homeassistant/<component>/unibos_...`: a discovery topic of the gateway's own (only the role table grants it). */
function isGatewayDiscovery(topic: string): boolean {
  const levels = topic.split('/', 3);
  return levels[0] === HOME_ASSISTANT_ROOT && levels[2] !== undefined && levels[2].startsWith(GATEWAY_DISCOVERY_PREFIX);
}

function isInsideAny(topicOrFilter: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) if (isInsidePrefix(topicOrFilter, prefix)) return true;
  return false;
}

function describe(prefixes: readonly string[]): string {
  return prefixes.map((p) => `${p}/#`).join(', ');
}

export function canPublish(subject: AclSubject, topic: string): AclDecision {
  if (!isValidTopicName(topic)) return deny('not a valid topic name');
  if (topic.startsWith('$')) return deny('$ topics are reserved for the broker');
  const prefixes = prefixesOf(subject);
  if (isInsideAny(topic, prefixes)) return ALLOW;
  if (isGatewayDiscovery(topic)) return deny(`${HOME_ASSISTANT_ROOT}/<component>/${GATEWAY_DISCOVERY_PREFIX}... discovery configs are the gateway's own`);
  if (subject.rules && subject.rules.length > 0 && !isInsidePrefix(topic, TOPIC_ROOT)) {
    const verdict = rulesAllowPublish(subject.rules, topic);
    return verdict.allow ? ALLOW : deny(`${verdict.reason}; without a rule, publish only under ${describe(prefixes)}`);
  }
  return deny(`publish allowed only under ${describe(prefixes)}`);
}

/** A filter some unibos/v1 topic could match: only the role table may grant it. */
function reachesUnibos(filter: string): boolean {
  return filtersOverlap(filter, `${TOPIC_ROOT}/#`);
}

export function canSubscribe(subject: AclSubject, filter: string): AclDecision {
  if (!isValidTopicFilter(filter)) return deny('not a valid topic filter');
  if (filter.startsWith('$')) return deny('$ topics are reserved for the broker');
  const prefixes = prefixesOf(subject);
  if (isInsideAny(filter, prefixes)) return ALLOW;
  if (subject.rules && subject.rules.length > 0 && !reachesUnibos(filter)) {
    const verdict = rulesAllowSubscribe(subject.rules, filter);
    return verdict.allow ? ALLOW : deny(`${verdict.reason}; without a rule, subscribe only inside ${describe(prefixes)}`);
  }
  return deny(`subscribe allowed only inside ${describe(prefixes)}`);
}

/** Longest client id accepted: a device id, ':' and a suffix of the same size. */
export const MAX_CLIENT_ID_LENGTH = 129;

/**
 * Whether a client may use `clientId`. A session (queued messages, subscriptions, a will) belongs to
 * its client id, and connecting with an id that is in use takes over that session and disconnects
 * its owner; so a device may use only its own id or '{id}:{suffix}' (':' cannot occur in a device
 * id, so no device can reach into another's space), anonymous clients may use neither, and an id
 * the broker assigned to an empty one is always fine.
 */
export function canUseClientId(
  subject: AclSubject,
  clientId: string,
  context: { readonly serverAssigned: boolean; readonly isDeviceId: (id: string) => boolean },
): AclDecision {
  if (context.serverAssigned) return ALLOW;
  if (clientId.length > MAX_CLIENT_ID_LENGTH) return deny(`client id longer than ${MAX_CLIENT_ID_LENGTH} characters`);
  if (subject.role === 'anonymous') {
    const owner = clientId.split(':', 1)[0]!;
    return context.isDeviceId(owner) ? deny(`client id belongs to device ${owner}`) : ALLOW;
  }
  if (clientId === subject.id || clientId.startsWith(`${subject.id}:`)) return ALLOW;
  return deny(`client id must be ${subject.id} or ${subject.id}:<suffix>`);
}
