// Device health from the kernel's sysfs: battery level and voltage where a fuel gauge or UPS HAT
// exposes one, and the SoC temperature. Absent files mean "not present", never an error.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceHealth {
  /** 0..100, 101 = on external power with no battery; undefined when unknown. */
  batteryLevel?: number;
  /** Volts. */
  voltage?: number;
  /** Degrees Celsius. */
  cpuTemperature?: number;
}

/** `root` is `/sys` on a device; tests point it at a folder laid out the same way. */
export function readDeviceHealth(root = '/sys'): DeviceHealth {
  const health: DeviceHealth = {};
  const supplies = join(root, 'class', 'power_supply');
  let names: string[] = [];
  try {
    names = readdirSync(supplies);
  } catch {
    // No power-supply class: nothing to report.
  }
  for (const name of names) {
    const type = readText(join(supplies, name, 'type'));
    if (type === 'Battery') {
      const capacity = readNumber(join(supplies, name, 'capacity'));
      if (capacity !== undefined) health.batteryLevel = Math.max(0, Math.min(100, Math.round(capacity)));
      const microvolts = readNumber(join(supplies, name, 'voltage_now'));
      if (microvolts !== undefined) health.voltage = microvolts / 1e6;
    } else if ((type === 'Mains' || type === 'USB') && health.batteryLevel === undefined && readNumber(join(supplies, name, 'online')) === 1) {
      health.batteryLevel = 101;
    }
  }
  const milli = readNumber(join(root, 'class', 'thermal', 'thermal_zone0', 'temp'));
  if (milli !== undefined) health.cpuTemperature = milli / 1000;
  return health;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const t = readText(path);
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
