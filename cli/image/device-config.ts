// From unibos.json's few choices (board, region, channel, role) to the device runtime's own
// config.json, whose keys firmware's loadNodeConfig checks again at every start.

import type { Board, BootConfig } from './boot-config.ts';

/** What each radio board means for the runtime: where the modem is, where positions come from, GPIO. */
const BOARD_PROFILES: Record<Board, Record<string, unknown>> = {
  'rak3172-hat': { radio: { type: 'serial', serialPath: '/dev/serial0', baudRate: 115200 }, gps: { type: 'gpsd' }, gpio: { type: 'gpiod' } },
  'rak3172-usb': { radio: { type: 'serial', serialPath: '/dev/ttyUSB0', baudRate: 115200 }, gps: { type: 'gpsd' }, gpio: { type: 'none' } },
  sim: { radio: { type: 'sim' }, gps: { type: 'none' }, gpio: { type: 'none' } },
};

/** The image's fallback when unibos.json is missing or bad: a node that can be reached and fixed. */
export const SAFE_DEFAULTS: BootConfig = { version: 1, role: 'node', radio: { board: 'rak3172-hat', region: 'EU868' } };

export function deviceConfigFor(boot: BootConfig): Record<string, unknown> {
  const profile = structuredClone(BOARD_PROFILES[boot.radio.board]) as Record<string, Record<string, unknown>>;
  if (boot.radio.air) profile.radio!.air = boot.radio.air;
  const config: Record<string, unknown> = {
    role: boot.role === 'gateway' || boot.role === 'gateway+hub' ? 'GATEWAY' : (boot.meshRole ?? 'CLIENT'),
    region: boot.radio.region,
    ...(boot.radio.preset ? { preset: boot.radio.preset } : {}),
    ...(boot.radio.txPowerDbm !== undefined ? { txPowerDbm: boot.radio.txPowerDbm } : {}),
    ...(boot.name ? { name: boot.name } : {}),
    ...profile,
    // Loopback only: `unibos status` and the metrics scrape run on the device itself.
    http: { port: 8001 },
  };
  if (boot.channel) config.channel = { name: boot.channel.name, ...(boot.channel.key ? { psk: boot.channel.key } : {}) };
  return config;
}
