// Every MQTT topic UNIBOS speaks (ARCHITECTURE.md, "MQTT topics (v1)"), built and parsed here and
// nowhere else, so the gateway, the hub and the tests cannot drift apart on a name.

import { nodeIdHex, normalizeNodeId, type NodeIdText } from '../core/node-id.ts';
import type { DataKind } from '../frame/schema.ts';

export const TOPIC_ROOT = 'unibos/v1';
/** Home Assistant's discovery prefix (its default). */
export const HOME_ASSISTANT_ROOT = 'homeassistant';

/** What a gateway publishes about itself, and the commands it takes. */
export type GatewayLeaf = 'status' | 'rx' | 'tx' | 'txstatus';
export const GATEWAY_LEAVES: readonly GatewayLeaf[] = ['status', 'rx', 'tx', 'txstatus'];

/** The topic word for each payload kind of a heard frame (`unibos/v1/mesh/{node}/{word}`; hub events are `mesh.{word}`). */
export const MESH_TOPIC_KIND = {
  text: 'text',
  position: 'position',
  telemetry: 'telemetry',
  alert: 'alert',
  routing: 'ack',
  nodeInfo: 'info',
  neighborInfo: 'neighbors',
  traceroute: 'traceroute',
  direct: 'direct',
} as const satisfies Record<DataKind, string>;
export type MeshTopicKind = (typeof MESH_TOPIC_KIND)[DataKind];

/**
 * The level under a sensor's prefix where it says whether it can be reached (`online`/`offline`,
 * usually its MQTT last will). `$` cannot occur in a metric, so no reading can land there; the
 * `$` for a device's own attributes is the Homie convention's (`$state`).
 */
export const SENSOR_AVAILABILITY_LEAF = '$availability';

/** The characters of a sensor id or metric (a regular-expression class body), one topic level each. */
export const SENSOR_NAME_CHARS = 'A-Za-z0-9_.:-';
/** The longest sensor id or metric the hub stores. */
export const SENSOR_NAME_MAX = 64;
/** One sensor id or metric level: what the hub stores and the UI shows (as a JSON-schema `pattern` too). */
export const SENSOR_NAME_PATTERN = `^[${SENSOR_NAME_CHARS}]{1,${SENSOR_NAME_MAX}}$`;
const SENSOR_PART = new RegExp(SENSOR_NAME_PATTERN);
const GATEWAY_HEX = /^[0-9a-f]{8}$/;

/** Gateways are named in topics by their 8 hex digits (their MQTT user name), taken as a number or that text. */
function gw(gatewayId: number | string): string {
  if (typeof gatewayId === 'number') return nodeIdHex(gatewayId);
  const hex = gatewayId.startsWith('!') ? gatewayId.slice(1) : gatewayId;
  return hex;
}

export const topics = {
  /** `unibos/v1/gw/{gatewayId}/{leaf}`: status (retained, with a last will), rx, tx, txstatus. */
  gateway: (gatewayId: number | string, leaf: GatewayLeaf): string => `${TOPIC_ROOT}/gw/${gw(gatewayId)}/${leaf}`,
  /** `unibos/v1/mesh/{nodeId}/{kind}`: a heard frame decoded to JSON (kind: text, position, ..., and link). */
  mesh: (nodeId: NodeIdText | 'broadcast', kind: string): string => `${TOPIC_ROOT}/mesh/${nodeId}/${kind}`,
  /** `unibos/v1/sensor/{sensorId}/{metric}`. */
  sensor: (sensorId: string, metric: string): string => `${TOPIC_ROOT}/sensor/${sensorId}/${metric}`,
  /** `unibos/v1/sensor/{sensorId}/$availability`: the sensor online or offline (its last will, or its family's availability topic read by the gateway). */
  sensorAvailability: (sensorId: string): string => `${TOPIC_ROOT}/sensor/${sensorId}/${SENSOR_AVAILABILITY_LEAF}`,
  /** A sensor's own prefix, as the gateway's ACL grants it. */
  sensorPrefix: (sensorId: string): string => `${TOPIC_ROOT}/sensor/${sensorId}/`,
  /** Every sensor message. */
  sensorFilter: `${TOPIC_ROOT}/sensor/#`,
  /** What every sensor topic starts with. */
  sensorRoot: `${TOPIC_ROOT}/sensor/`,
  /** What every mesh topic starts with. */
  meshRoot: `${TOPIC_ROOT}/mesh/`,
  /** Everything UNIBOS publishes. */
  allFilter: `${TOPIC_ROOT}/#`,
  /** Home Assistant MQTT discovery: `homeassistant/{component}/{objectId}/config`. */
  homeAssistantConfig: (component: string, objectId: string): string => `${HOME_ASSISTANT_ROOT}/${component}/${objectId}/config`,
} as const;

export type ParsedTopic =
  | { kind: 'gateway'; gatewayHex: string; leaf: GatewayLeaf }
  | { kind: 'mesh'; nodeId: NodeIdText; leaf: string }
  | { kind: 'sensor'; sensorId: string; metric: string }
  | { kind: 'sensorAvailability'; sensorId: string };

/**
 * A topic under `unibos/v1/` read back into its parts, or null when it is none of ours (or a
 * part is malformed: a gateway id that is not 8 lowercase hex digits, a node id that is not one,
 * a sensor id or metric outside 1-64 of `A-Za-z0-9_.:-`, or extra levels). A sensor's
 * `$availability` level is its availability, not a metric.
 */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'unibos' || parts[1] !== 'v1') return null;
  const [, , family, id, leaf] = parts as [string, string, string, string, string];
  if (family === 'gw') {
    return GATEWAY_HEX.test(id) && (GATEWAY_LEAVES as readonly string[]).includes(leaf) ? { kind: 'gateway', gatewayHex: id, leaf: leaf as GatewayLeaf } : null;
  }
  if (family === 'mesh') {
    const nodeId = id.startsWith('!') ? normalizeNodeId(id) : null;
    return nodeId === id && leaf.length > 0 ? { kind: 'mesh', nodeId, leaf } : null;
  }
  if (family === 'sensor') {
    if (leaf === SENSOR_AVAILABILITY_LEAF) return SENSOR_PART.test(id) ? { kind: 'sensorAvailability', sensorId: id } : null;
    return SENSOR_PART.test(id) && SENSOR_PART.test(leaf) ? { kind: 'sensor', sensorId: id, metric: leaf } : null;
  }
  return null;
}

/** `unibos/v1/sensor/{sensorId}/{metric}` as the hub reads it, or null when it is not that shape. */
export function parseSensorTopic(topic: string): { sensorId: string; metric: string } | null {
  const t = parseTopic(topic);
  return t?.kind === 'sensor' ? { sensorId: t.sensorId, metric: t.metric } : null;
}
