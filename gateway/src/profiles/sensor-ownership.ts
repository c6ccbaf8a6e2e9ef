// Whose readings a device may make: the sensor ids it owns are its own login and `{login}:{name}`.
// ':' never occurs in a login (acl.ts DEVICE_ID_PATTERN), so no device can reach into another's
// ids, nor into a native UNIBOS sensor's (whose id is its login), whatever a topic or payload says.

/** Between a device's login and the name of one of the devices it speaks for (Zigbee2MQTT, discovery). */
export const OWNER_SEPARATOR = ':';

/** The hub's longest sensor id. */
const MAX_SENSOR_ID = 64;

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
  if (sensor.length > MAX_SENSOR_ID) {
    return { ok: false, reason: `ownership: sensor id ${JSON.stringify(sensor)} (${owner}'s device ${JSON.stringify(name)}) is longer than ${MAX_SENSOR_ID} characters` };
  }
  return { ok: true, sensor };
}
