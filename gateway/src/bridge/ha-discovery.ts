// Home Assistant MQTT discovery: retained config messages under `homeassistant/`, so a Home
// Assistant instance on the gateway broker shows every mesh node (position, battery, last heard,
// SNR) and every sensor without configuration. Each is announced once per gateway run (a sensor
// again when the bridge had forgotten it), each under its own config topic.

import { createHash } from 'node:crypto';
import { formatNodeId, nodeIdHex, topics } from '@unibos/mesh-protocol';

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/**
 * Every config topic the gateway publishes has an object id starting with this; the broker lets no
 * device's topic rules write there (acl.ts).
 */
export const GATEWAY_DISCOVERY_PREFIX = 'unibos_';

const ORIGIN = { name: 'UNIBOS', sw: '0.1.0' };

/** Discovery configs for a mesh node whose messages appear under `unibos/v1/mesh/{id}/...`. */
export function meshNodeDiscovery(nodeId: number, name: string | undefined): DiscoveryMessage[] {
  const id = formatNodeId(nodeId);
  const hex = nodeIdHex(nodeId);
  const stateTopic = (kind: string): string => topics.mesh(id, kind);
  const device = { identifiers: [`unibos_${hex}`], name: name ?? `UNIBOS ${id}`, manufacturer: 'UNIBOS', model: 'LoRa mesh node' };
  const sensor = (key: string, config: Record<string, unknown>): DiscoveryMessage => ({
    topic: topics.homeAssistantConfig('sensor', `${GATEWAY_DISCOVERY_PREFIX}${hex}/${key}`),
    payload: JSON.stringify({ unique_id: `unibos_${hex}_${key}`, device, origin: ORIGIN, ...config }),
  });
  return [
    sensor('battery', { name: 'Battery', state_topic: stateTopic('telemetry'), value_template: '{{ value_json.batteryLevel }}', unit_of_measurement: '%', device_class: 'battery', state_class: 'measurement' }),
    sensor('voltage', { name: 'Voltage', state_topic: stateTopic('telemetry'), value_template: '{{ value_json.voltage }}', unit_of_measurement: 'V', device_class: 'voltage', state_class: 'measurement' }),
    sensor('snr', { name: 'SNR', state_topic: stateTopic('link'), value_template: '{{ value_json.snr }}', unit_of_measurement: 'dB', state_class: 'measurement', entity_category: 'diagnostic' }),
    sensor('hops', { name: 'Hops away', state_topic: stateTopic('link'), value_template: '{{ value_json.hops }}', entity_category: 'diagnostic' }),
    sensor('last_heard', { name: 'Last heard', state_topic: stateTopic('link'), value_template: '{{ value_json.lastHeard }}', device_class: 'timestamp', entity_category: 'diagnostic' }),
    {
      topic: topics.homeAssistantConfig('device_tracker', `${GATEWAY_DISCOVERY_PREFIX}${hex}`),
      payload: JSON.stringify({
        unique_id: `unibos_${hex}_location`,
        name: 'Location',
        device,
        origin: ORIGIN,
        // The position document carries latitude/longitude; Home Assistant reads them as attributes.
        json_attributes_topic: stateTopic('position'),
        source_type: 'gps',
      }),
    },
  ];
}

const HA_ID_PART = /^[A-Za-z0-9-]+$/;
const HA_ID = /^[A-Za-z0-9_-]+$/;
const HASH_SUFFIX = /_[0-9a-f]{12}$/;

/**
 * The discovery object id of a sensor's metric, one per (sensor, metric): `{sensorId}_{metric}` when
 * that is in Home Assistant's alphabet and can be split back (the sensor id has no '_'); otherwise
 * the same with every other character made '_' and 12 hex digits of the pair's SHA-256 after it. A
 * readable key never ends like a hashed one, so `a`+`b_c`, `a_b`+`c` and `a.b`+`c` stay three configs.
 */
export function sensorDiscoveryKey(sensorId: string, metric: string): string {
  const plain = `${sensorId}_${metric}`;
  if (HA_ID_PART.test(sensorId) && HA_ID.test(metric) && !HASH_SUFFIX.test(plain)) return plain;
  const hash = createHash('sha256').update(JSON.stringify([sensorId, metric])).digest('hex').slice(0, 12);
  return `${plain.replace(/[^A-Za-z0-9_-]/g, '_')}_${hash}`;
}

/** A sensor value published on `unibos/v1/sensor/{sensorId}/{metric}` (a plain number or JSON `{"value": n}`). */
export function sensorDiscovery(sensorId: string, metric: string): DiscoveryMessage {
  const key = sensorDiscoveryKey(sensorId, metric);
  return {
    topic: topics.homeAssistantConfig('sensor', `${GATEWAY_DISCOVERY_PREFIX}sensor_${key}`),
    payload: JSON.stringify({
      unique_id: `unibos_sensor_${key}`,
      name: metric,
      state_topic: topics.sensor(sensorId, metric),
      value_template: '{{ value_json.value if value_json is mapping else value }}',
      device: { identifiers: [`unibos_sensor_${sensorId}`], name: `Sensor ${sensorId}`, manufacturer: 'UNIBOS' },
      origin: ORIGIN,
    }),
  };
}
