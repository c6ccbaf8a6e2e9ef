// From unibos.json's few choices (board, region, channel, role) and the Raspberry Pi model it runs
// on to the device runtime's own config.json, whose keys firmware's loadNodeConfig checks again at
// every start.

import { BOARDS as SPI_BOARDS, panelPinsTaken, resolveBoard } from '@unibos/firmware';
import type { Board, BootConfig } from './boot-config.ts';

/** Where the model is read on a Raspberry Pi (the device tree's, NUL-terminated). */
export const DEVICE_TREE_MODEL = '/proc/device-tree/model';

/** The HAT's GPS UART, named by the image's udev rule (stage-unibos/01-unibos/files/90-unibos-gps.rules). */
export const HAT_GPS_PATH = '/dev/unibos-gps';

/**
 * The UARTs on a HAT's pins, by model. GPIO 14/15 is /dev/serial0 up to the Pi 4, but on a Pi 5
 * serial0 is the debug connector (ttyAMA10) and GPIO 14/15 is ttyAMA0 (`dtparam=uart0=on`). The
 * HAT's GPS sits on GPIO 4/5 (firmware/docs/gps.md): UART3 on a Pi 4 (`dtoverlay=uart3`), UART2 of
 * the RP1 on a Pi 5 (`dtoverlay=uart2-pi5`); the overlays are in stage-unibos/02-boot/00-run.sh, and
 * the port is reached through the udev name, because its ttyAMA number differs between kernels. A
 * Pi 3 or Zero 2 W has no spare UART: the modem takes the PL011 and Bluetooth's mini UART is not on
 * those pins.
 */
export function hatUarts(model: string | undefined): { radio: string; gps?: string } {
  if (model && /^Raspberry Pi (5|500|Compute Module 5)\b/.test(model)) return { radio: '/dev/ttyAMA0', gps: HAT_GPS_PATH };
  if (model && /^Raspberry Pi (4|400|Compute Module 4)\b/.test(model)) return { radio: '/dev/serial0', gps: HAT_GPS_PATH };
  return { radio: '/dev/serial0' };
}

/** What each radio board means for the runtime: where the modem is, where positions come from, GPIO. */
function boardProfile(board: Board, model: string | undefined): Record<string, Record<string, unknown>> {
  switch (board) {
    case 'rak3172-hat':
      return { radio: { type: 'serial', serialPath: hatUarts(model).radio, baudRate: 115200 }, gps: { type: 'gpsd' }, gpio: { type: 'gpiod' } };
    case 'rak3172-usb':
      return { radio: { type: 'serial', serialPath: '/dev/ttyUSB0', baudRate: 115200 }, gps: { type: 'gpsd' }, gpio: { type: 'none' } };
    case 'sim':
      return { radio: { type: 'sim' }, gps: { type: 'none' }, gpio: { type: 'none' } };
    default: {
      // An SPI board: its chip on SPI0, GPS from gpsd (USB receivers; the board's own GNSS, if any,
      // is not wired up here), and the SOS button, LED and buzzer unless the board uses their pins.
      const panelFree = panelPinsTaken(resolveBoard(board)).length === 0;
      return { radio: { type: 'spi', board }, gps: { type: 'gpsd' }, gpio: { type: panelFree ? 'gpiod' : 'none' } };
    }
  }
}

/**
 * The config.txt line an SPI board needs (its chip select on a GPIO that is no hardware CE line),
 * if any: first boot writes it and restarts, since the kernel reads it at boot.
 */
export function bootOverlayFor(board: Board): string | undefined {
  return SPI_BOARDS.find((b) => b.name === board)?.spi.overlay;
}

/**
 * The image's fallback when unibos.json is missing or bad and the image names no default region: a
 * node that can be reached and fixed, the HAT's GPS and button working, and nothing on air, since
 * no one has said where it is (a channel legal in one country is another's cellular band).
 */
export const SAFE_DEFAULTS: BootConfig = { version: 1, role: 'node', radio: { board: 'rak3172-hat' } };

/** `model`: the device tree's model string (`Raspberry Pi 5 Model B Rev 1.0`), undefined off a Pi. */
export function deviceConfigFor(boot: BootConfig, model?: string): Record<string, unknown> {
  const profile = boardProfile(boot.radio.board, model);
  if (boot.radio.air) profile.radio!.air = boot.radio.air;
  // No region said: no radio (region NONE is then only a placeholder, never used on air).
  if (boot.radio.region === undefined) profile.radio = { type: 'none' };
  const config: Record<string, unknown> = {
    role: boot.role === 'gateway' || boot.role === 'gateway+hub' ? 'GATEWAY' : (boot.meshRole ?? 'CLIENT'),
    region: boot.radio.region ?? 'NONE',
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
