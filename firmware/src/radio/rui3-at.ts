// The RUI3 LoRa P2P AT dialect (RAK3172 and siblings) as pure functions: command lines built from
// LoRaParams, and one modem line parsed into a typed event. No I/O here, so it can be fuzzed.

import { LORA_MAX_PAYLOAD, MESH_MAX_FRAME, MESH_SYNC_WORD, sx126xSyncWord, type LoRaParams } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';

/** Status replies RUI3 documents; any other `AT_<WORD>` line is still read as an error reply. */
export const KNOWN_AT_ERRORS = [
  'AT_ERROR',
  'AT_PARAM_ERROR',
  'AT_BUSY_ERROR',
  'AT_TEST_PARAM_OVERFLOW',
  'AT_NO_CLASSB_ENABLE',
  'AT_NO_NETWORK_JOINED',
  'AT_RX_ERROR',
  'AT_COMMAND_NOT_FOUND',
  'AT_MODE_NO_SUPPORT',
  'AT_DUTYCYCLE_RESTRICTED',
] as const;

export type AtErrorCode = (typeof KNOWN_AT_ERRORS)[number] | `AT_${string}`;

/** AT+PRECV values with a special meaning (anything 1..65533 is a one-off window in ms). */
export const PRECV_STOP = 0;
export const PRECV_CONTINUOUS = 65534;

export const AT_PING = 'AT';
export const AT_QUERY_WORK_MODE = 'AT+NWM=?';
export const AT_P2P_MODE = 'AT+NWM=0';
export const AT_STOP_RX = `AT+PRECV=${PRECV_STOP}`;
export const AT_CONTINUOUS_RX = `AT+PRECV=${PRECV_CONTINUOUS}`;

/** LoRaParams translated into the units RUI3 wants, already range-checked. */
export interface P2pSettings {
  frequencyHz: number;
  sf: number;
  bandwidthKhz: 125 | 250 | 500;
  /** RUI3's coding-rate index: 0 = 4/5 .. 3 = 4/8. */
  codingRateIndex: number;
  preambleSymbols: number;
  txPowerDbm: number;
}

function configError(field: keyof LoRaParams, value: unknown, rule: string): FirmwareError {
  return new FirmwareError('E_CONFIG', `LoRa param ${field}=${String(value)} cannot be set on a RUI3 modem: ${rule}`);
}

function integerIn(field: keyof LoRaParams, value: number, min: number, max: number, unit = ''): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configError(field, value, `must be an integer ${min}..${max}${unit}`);
  }
  return value;
}

/** Checks `params` against what the RAK3172 accepts; throws E_CONFIG naming the offending field. */
export function p2pSettings(params: LoRaParams): P2pSettings {
  // The low (RAK3172-L) and high (RAK3172-H) variants together cover 150..960 MHz; the module
  // itself refuses a frequency outside its own band with AT_PARAM_ERROR.
  const frequencyHz = integerIn('frequencyHz', params.frequencyHz, 150_000_000, 960_000_000, ' Hz');
  const sf = integerIn('sf', params.sf, 5, 12);
  const bw = params.bandwidthHz;
  if (bw !== 125_000 && bw !== 250_000 && bw !== 500_000) {
    throw configError('bandwidthHz', bw, 'must be 125000, 250000 or 500000 Hz');
  }
  const codingRate = integerIn('codingRate', params.codingRate, 1, 4, ' (4/5..4/8)');
  const preambleSymbols = integerIn('preambleSymbols', params.preambleSymbols, 2, 65_535, ' symbols');
  const txPowerDbm = integerIn('txPowerDbm', params.txPowerDbm, 5, 22, ' dBm');
  // RUI3 P2P always sends an explicit header with CRC; accepting other settings here would leave
  // this node silently unable to talk to peers configured as asked.
  if (!params.explicitHeader) throw configError('explicitHeader', params.explicitHeader, 'RUI3 P2P only sends explicit headers');
  if (!params.crc) throw configError('crc', params.crc, 'RUI3 P2P always appends a CRC');
  return {
    frequencyHz,
    sf,
    bandwidthKhz: (bw / 1000) as 125 | 250 | 500,
    codingRateIndex: codingRate - 1,
    preambleSymbols,
    txPowerDbm,
  };
}

/**
 * The setting commands, one per parameter. The combined AT+P2P form is avoided on purpose: its
 * bandwidth field was an index (0/1/2) on early RUI3 builds and kHz (125/250/500) on later ones.
 */
export function p2pConfigCommands(settings: P2pSettings): string[] {
  return [
    `AT+PFREQ=${settings.frequencyHz}`,
    `AT+PSF=${settings.sf}`,
    `AT+PBW=${settings.bandwidthKhz}`,
    `AT+PCR=${settings.codingRateIndex}`,
    `AT+PPL=${settings.preambleSymbols}`,
    `AT+PTP=${settings.txPowerDbm}`,
  ];
}

/** RUI3 4.x help text lists AT+PBW as an index (0 = 125, 1 = 250, 2 = 500 kHz); the manual documents kHz. */
const BANDWIDTH_INDEX: Record<P2pSettings['bandwidthKhz'], number> = { 125: 0, 250: 1, 500: 2 };

/**
 * The index form of an `AT+PBW=<kHz>` line, to retry once when a build answers AT_PARAM_ERROR to kHz;
 * undefined for any other line.
 */
export function bandwidthIndexForm(line: string): string | undefined {
  const khz = /^AT\+PBW=(125|250|500)$/.exec(line)?.[1];
  return khz === undefined ? undefined : `AT+PBW=${BANDWIDTH_INDEX[Number(khz) as P2pSettings['bandwidthKhz']]}`;
}

/** A one-byte LoRa sync word as AT+SYNCWORD takes it: the STM32WL's two-byte form in 4 hex digits (0x12 -> 1424). */
export function rui3SyncWord(syncWord: number): string {
  return sx126xSyncWord(syncWord).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * What makes this module hear the rest of the mesh, sent after the P2P settings. RUI3 keeps these in
 * flash and defaults to the public sync word 0x3444, so a module left by a previous owner (or fresh
 * from the factory) would otherwise never hear our SPI radios, nor they it.
 */
export const MESH_LINK_COMMANDS: readonly string[] = [
  `AT+SYNCWORD=${rui3SyncWord(MESH_SYNC_WORD)}`,
  'AT+IQINVER=0',
  'AT+ENCRY=0',
];

const HEX_DIGITS = '0123456789ABCDEF';

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return out;
}

/** Strict: only an even number of hex digits decodes (Buffer.from(hex) would silently truncate). */
export function hexToBytes(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * AT+PSEND for one frame. RUI3 takes 2..500 hex digits, so at most MESH_MAX_FRAME bytes (the mesh's
 * own cap, set by this very limit); the modem has already refused others (transmitRefusal).
 */
export function psendCommand(frame: Uint8Array): string {
  if (frame.length < 1 || frame.length > MESH_MAX_FRAME) throw new FirmwareError('E_BAD_REQUEST', `AT+PSEND carries 1..${MESH_MAX_FRAME} bytes, got ${frame.length}`);
  return `AT+PSEND=${bytesToHex(frame)}`;
}

/** One line from the modem, classified. */
export type ModemLine =
  | { kind: 'blank' }
  | { kind: 'ok' }
  | { kind: 'error'; code: AtErrorCode }
  | { kind: 'tx-done' }
  | { kind: 'rx'; rssi: number; snr: number; bytes: Uint8Array }
  /** An RXP2P event whose fields or payload do not decode: the frame is lost. */
  | { kind: 'bad-rx'; reason: string }
  /** A one-off receive window (AT+PRECV=1..65535) ended: the radio stopped listening. */
  | { kind: 'rx-timeout' }
  /** Last line of the boot banner: the module has (re)started and forgotten its RX mode. */
  | { kind: 'restarted'; workMode: string }
  /** Other banner lines (vendor, version, rulers). */
  | { kind: 'banner'; text: string }
  /** `AT+XXX=<v>` or `+XXX:<v>`: a query's value on RUI3 4.x, or our own command echoed (ATE). */
  | { kind: 'value'; command: string; value: string }
  /** An asynchronous event this driver does not use. */
  | { kind: 'event'; text: string }
  | { kind: 'garbage'; text: string };

const NUMBER = /^-?\d{1,4}(?:\.\d{1,3})?$/;

function parseRx(fields: string[]): ModemLine {
  // RUI3 >= 3.2 prints +EVT:RXP2P:<rssi>:<snr>:<hex>; a few builds insert the length before the hex.
  if (fields.length !== 3 && fields.length !== 4) return { kind: 'bad-rx', reason: `expected 3 or 4 fields, got ${fields.length}` };
  const [rssiText, snrText] = fields as [string, string];
  const hex = fields[fields.length - 1]!;
  if (!NUMBER.test(rssiText) || !NUMBER.test(snrText)) return { kind: 'bad-rx', reason: 'unreadable RSSI or SNR' };
  const bytes = hexToBytes(hex);
  if (!bytes) return { kind: 'bad-rx', reason: hex.length % 2 ? `odd-length hex payload (${hex.length} digits)` : 'payload is not hex' };
  if (bytes.length === 0 || bytes.length > LORA_MAX_PAYLOAD) return { kind: 'bad-rx', reason: `payload of ${bytes.length} bytes is not a LoRa frame` };
  if (fields.length === 4 && fields[2] !== String(bytes.length)) return { kind: 'bad-rx', reason: 'length field does not match the payload' };
  return { kind: 'rx', rssi: Number(rssiText), snr: Number(snrText), bytes };
}

const BANNER = [/^RAKwireless\b/i, /^Version:\s*RUI/i, /^-{10,}$/, /^={10,}$/, /is a registered trademark/i, /^RAK\d{4}\S*\s+Version:/i];

/** Never throws: whatever the UART delivers (noise, half lines, wrong baud rate) becomes a ModemLine. */
export function parseModemLine(raw: string): ModemLine {
  const text = raw.trim();
  if (text === '') return { kind: 'blank' };
  if (text === 'OK') return { kind: 'ok' };
  if (/^AT_[A-Z0-9_]{2,40}$/.test(text)) return { kind: 'error', code: text as AtErrorCode };
  if (/^\+EVT:/i.test(text)) {
    if (/^\+EVT:TXP2P[ _]DONE$/i.test(text)) return { kind: 'tx-done' };
    if (/^\+EVT:RXP2P[ _]RECEIVE[ _]TIMEOUT$/i.test(text)) return { kind: 'rx-timeout' };
    if (/^\+EVT:RXP2P:/i.test(text)) return parseRx(text.slice('+EVT:RXP2P:'.length).split(':'));
    return { kind: 'event', text };
  }
  const workMode = /^Current Work Mode:\s*(.{1,40}?)\.?$/i.exec(text);
  if (workMode) return { kind: 'restarted', workMode: workMode[1]! };
  if (BANNER.some((re) => re.test(text))) return { kind: 'banner', text };
  const value = /^AT\+([A-Z0-9]{1,20})(?:=(.{0,600}))?$/i.exec(text) ?? /^\+([A-Z0-9]{1,20}):(.{0,600})$/i.exec(text);
  if (value) return { kind: 'value', command: value[1]!.toUpperCase(), value: value[2] ?? '' };
  if (/^ATZ?$/i.test(text)) return { kind: 'value', command: '', value: '' };
  return { kind: 'garbage', text };
}
