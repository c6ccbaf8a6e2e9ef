// Whose readings a device may make: the sensor ids it owns are its own login and `{login}:{name}`.
// ':' never occurs in a login (acl.ts DEVICE_ID_PATTERN), so no device can reach into another's
// ids, nor into a native UNIBOS sensor's (whose id is its login), whatever a topic or payload says.

import { SENSOR_NAME_MAX } from '@unibos/mesh-protocol';

/** Between a device's login and the name of one of the devices it speaks for (Zigbee2MQTT, discovery). */
export const OWNER_SEPARATOR = ':';


export type OwnedSensorId = { readonly ok: true; readonly sensor: string } | { readonly ok: false; readonly reason: string };

/**
 * The sensor id a reading named `name` (the device level of its family's topic, or the device name
 * of its discovery message) gets when `owner` published it: `owner` when it names itself (Tasmota's
 * Topic, ESPHome's prefix, a Shelly id equal to its login), else `owner:name`. Refused (a counted
 * drop) when that is longer than the hub takes.
 */
export function ownedSensorId(owner: string, name: string): OwnedSensorId {
  if (name === owner) return { ok: true, sensor: owner };
  const sensor = `${owner}${OWNER_SEPARATOR}${name}`;
  if (sensor.length > SENSOR_NAME_MAX) {
    return { ok: false, reason: `ownership: sensor id ${JSON.stringify(sensor)} (${owner}'s device ${JSON.stringify(name)}) is longer than ${SENSOR_NAME_MAX} characters` };
  }
  return { ok: true, sensor };
}
