// What a LoRa board on a Raspberry Pi header is, as the SPI radio needs it: the chip, the SPI
// device, the GPIO lines (BCM numbers on the header's GPIO chip), TCXO and RF switch, and the
// power limits. Built-in boards are one file each beside this one; a custom board is a JSON file
// with the same fields, parsed here.

import { readFileSync } from 'node:fs';
import { FirmwareError } from '../firmware-error.ts';

export type ChipModel = 'sx1262' | 'sx1268' | 'sx1276';

export interface BoardProfile {
  /** What `--board` takes: "waveshare-sx1262-hat". */
  name: string;
  /** What people call it. */
  title: string;
  chip: ChipModel;
  spi: {
    /** /dev/spidev<bus>.<chipSelect>. */
    bus: number;
    chipSelect: number;
    speedHz: number;
    /**
     * A board whose NSS is not on CE0/CE1 needs the kernel to drive that GPIO as chip select:
     * the config.txt line that does it (probe prints it when the device is missing).
     */
    overlay?: string;
  };
  /** The GPIO chip with the header's lines; "auto" finds it by label (pinctrl-bcm2835/2711, pinctrl-rp1). */
  gpioChip: string;
  pins: {
    reset: number;
    /** SX126x only. */
    busy?: number;
    /** The interrupt line: DIO1 on an SX126x, DIO0 on an SX127x. */
    irq: number;
    /** External RF switch lines driven by the host (E22 modules): high while sending / receiving. */
    txEnable?: number;
    rxEnable?: number;
    /** Lines held high while the radio is in use (power or antenna-switch supply). */
    enable?: number[];
  };
  /** TCXO supply voltage through DIO3 (SX126x), or undefined for a crystal. */
  tcxoVoltage?: number;
  /** DIO2 drives the RF switch (SX126x). */
  dio2AsRfSwitch: boolean;
  /** Highest power to ask of the chip itself, dBm. */
  maxChipPowerDbm: number;
  /** Gain of an external power amplifier after the chip, dB (0 when there is none). */
  paGainDb: number;
  /** What the board's filter and matching are built for, MHz. */
  frequencyRangeMhz: [number, number];
  /** Where the numbers come from. */
  sources: string[];
  /** Where sources disagree, and what we chose. */
  notes: string[];
}

const CHIPS: readonly ChipModel[] = ['sx1262', 'sx1268', 'sx1276'];

/**
 * The chip's own setting for `requestedDbm` out of the board: less the PA's gain, rounded down (never
 * more than asked), within what the chip can do: -9 dBm at least on an SX126x, +2 (PA_BOOST) on an
 * SX127x, and the board's maximum at most.
 */
export function chipPowerDbm(board: BoardProfile, requestedDbm: number): number {
  const lowest = board.chip === 'sx1276' ? 2 : -9;
  return Math.max(lowest, Math.min(board.maxChipPowerDbm, Math.floor(requestedDbm - board.paGainDb)));
}

/** What the board actually puts out for `requestedDbm`: more than asked when its PA's gain is above what the chip can turn down. */
export function boardOutputDbm(board: BoardProfile, requestedDbm: number): number {
  return chipPowerDbm(board, requestedDbm) + board.paGainDb;
}

/** Reads a custom board profile; throws E_CONFIG naming the field that is wrong. */
export function loadBoardFile(path: string): BoardProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FirmwareError('E_CONFIG', `board profile ${path}: ${(err as Error).message}`);
  }
  return parseBoardProfile(raw, path);
}

export function parseBoardProfile(raw: unknown, source: string): BoardProfile {
  const fail = (field: string, expected: string): never => {
    throw new FirmwareError('E_CONFIG', `board profile ${source}: ${field} must be ${expected}`);
  };
  if (!isObject(raw)) return fail('the file', 'a JSON object');
  const line = (v: unknown, field: string): number => (Number.isInteger(v) && (v as number) >= 0 && (v as number) < 512 ? (v as number) : fail(field, 'a GPIO line number 0..511'));
  const optLine = (v: unknown, field: string): number | undefined => (v === undefined ? undefined : line(v, field));
  const str = (v: unknown, field: string): string => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : fail(field, 'a non-empty string'));
  const num = (v: unknown, field: string, min: number, max: number): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : fail(field, `a number ${min}..${max}`);
  const strings = (v: unknown, field: string): string[] => (v === undefined ? [] : Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : fail(field, 'a list of strings'));

  const chip = raw.chip;
  if (typeof chip !== 'string' || !CHIPS.includes(chip as ChipModel)) fail('chip', `one of ${CHIPS.join(', ')}`);
  const spi = isObject(raw.spi) ? raw.spi : fail('spi', 'an object {bus, chipSelect, speedHz}');
  const pins = isObject(raw.pins) ? raw.pins : fail('pins', 'an object {reset, irq, busy?, ...}');
  const enable = pins.enable === undefined ? undefined : Array.isArray(pins.enable) ? pins.enable.map((p, i) => line(p, `pins.enable[${i}]`)) : fail('pins.enable', 'a list of GPIO lines');
  const range = Array.isArray(raw.frequencyRangeMhz) && raw.frequencyRangeMhz.length === 2 ? raw.frequencyRangeMhz : fail('frequencyRangeMhz', 'two numbers [min, max]');
  const profile: BoardProfile = {
    name: str(raw.name, 'name'),
    title: raw.title === undefined ? str(raw.name, 'name') : str(raw.title, 'title'),
    chip: chip as ChipModel,
    spi: {
      bus: num(spi.bus, 'spi.bus', 0, 6),
      chipSelect: num(spi.chipSelect, 'spi.chipSelect', 0, 3),
      speedHz: spi.speedHz === undefined ? 2_000_000 : num(spi.speedHz, 'spi.speedHz', 100_000, 16_000_000),
      ...(spi.overlay === undefined ? {} : { overlay: str(spi.overlay, 'spi.overlay') }),
    },
    gpioChip: raw.gpioChip === undefined ? 'auto' : str(raw.gpioChip, 'gpioChip'),
    pins: {
      reset: line(pins.reset, 'pins.reset'),
      irq: line(pins.irq, 'pins.irq'),
      ...(pins.busy === undefined ? {} : { busy: line(pins.busy, 'pins.busy') }),
      ...(pins.txEnable === undefined ? {} : { txEnable: optLine(pins.txEnable, 'pins.txEnable')! }),
      ...(pins.rxEnable === undefined ? {} : { rxEnable: optLine(pins.rxEnable, 'pins.rxEnable')! }),
      ...(enable === undefined ? {} : { enable }),
    },
    ...(raw.tcxoVoltage === undefined ? {} : { tcxoVoltage: num(raw.tcxoVoltage, 'tcxoVoltage', 1.6, 3.3) }),
    dio2AsRfSwitch: raw.dio2AsRfSwitch === undefined ? false : typeof raw.dio2AsRfSwitch === 'boolean' ? raw.dio2AsRfSwitch : fail('dio2AsRfSwitch', 'true or false'),
    maxChipPowerDbm: num(raw.maxChipPowerDbm, 'maxChipPowerDbm', -9, 22),
    paGainDb: raw.paGainDb === undefined ? 0 : num(raw.paGainDb, 'paGainDb', 0, 20),
    frequencyRangeMhz: [num(range[0], 'frequencyRangeMhz[0]', 137, 1020), num(range[1], 'frequencyRangeMhz[1]', 137, 1020)],
    sources: strings(raw.sources, 'sources'),
    notes: strings(raw.notes, 'notes'),
  };
  checkBoard(profile, source);
  return profile;
}

/** Rules every profile, built in or custom, must keep. */
export function checkBoard(p: BoardProfile, source: string): void {
  const fail = (why: string): never => {
    throw new FirmwareError('E_CONFIG', `board profile ${source}: ${why}`);
  };
  if (p.chip !== 'sx1276' && p.pins.busy === undefined) fail(`an ${p.chip.toUpperCase()} needs pins.busy: every command waits for BUSY to go low`);
  if (p.chip === 'sx1276' && p.maxChipPowerDbm > 20) fail('an SX1276 gives at most +20 dBm (PA_BOOST): maxChipPowerDbm <= 20');
  if (p.chip !== 'sx1276' && p.tcxoVoltage !== undefined && ![1.6, 1.7, 1.8, 2.2, 2.4, 2.7, 3.0, 3.3].some((v) => Math.abs(v - p.tcxoVoltage!) < 0.01)) {
    fail('tcxoVoltage must be one the SX126x can supply: 1.6, 1.7, 1.8, 2.2, 2.4, 2.7, 3.0 or 3.3');
  }
  if (p.frequencyRangeMhz[0] >= p.frequencyRangeMhz[1]) fail('frequencyRangeMhz must be [low, high]');
  const used = [p.pins.reset, p.pins.irq, p.pins.busy, p.pins.txEnable, p.pins.rxEnable, ...(p.pins.enable ?? [])].filter((x): x is number => x !== undefined);
  const dup = used.find((x, i) => used.indexOf(x) !== i);
  if (dup !== undefined) fail(`GPIO ${dup} is used for two jobs`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
