// The device's typed configuration: defaults < config file < environment < command-line flags.
// Every key is declared once below with its type, limits, environment variable and flag; a bad
// value anywhere stops start-up with a message naming the key and where the value came from.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_HOP_LIMIT, FRAME_OVERHEAD, LORA_PRESETS, MAX_HOP_LIMIT, NODE_NAME_MAX_BYTES, NODE_ROLES, REGIONS, loraParams, timeOnAirMs, type RegionRules } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { BOARDS, panelPinsTaken, resolveBoard } from '../boards/board-catalog.ts';
import { boardOutputDbm } from '../boards/board-profile.ts';
import { p2pSettings } from '../radio/rui3-at.ts';

type Spec =
  | { type: 'int'; min: number; max: number; optional?: true }
  | { type: 'number'; min: number; max: number; optional?: true }
  | { type: 'string'; optional?: true; pattern?: RegExp; hint?: string; maxBytes?: number }
  | { type: 'enum'; values: readonly string[] }
  /** Names (a JSON array in the file, comma-separated in env, a repeatable flag), kept joined by commas. */
  | { type: 'list'; pattern: RegExp; hint: string }
  /** A JSON object (file, or JSON text in env), kept as its JSON text. */
  | { type: 'object' };

interface KeyDef {
  spec: Spec;
  default: string | number | undefined;
  env?: string;
  flag?: string;
  help: string;
}

const int = (min: number, max: number, optional?: true): Spec => (optional ? { type: 'int', min, max, optional } : { type: 'int', min, max });
const num = (min: number, max: number, optional?: true): Spec => (optional ? { type: 'number', min, max, optional } : { type: 'number', min, max });
const oneOf = (values: readonly string[]): Spec => ({ type: 'enum', values });
const str = (optional?: true): Spec => (optional ? { type: 'string', optional } : { type: 'string' });
const HOST_PORT = /^[^:\s]+:\d{1,5}$/;

/** Every configuration key; dotted names mirror the JSON file's nesting. */
export const CONFIG_KEYS = {
  dataDir: { spec: str(), default: undefined, env: 'UNIBOS_DATA_DIR', flag: 'data-dir', help: 'state folder (identity, database, control socket)' },
  name: { spec: { type: 'string', optional: true, maxBytes: NODE_NAME_MAX_BYTES }, default: undefined, env: 'UNIBOS_NAME', flag: 'name', help: 'long name shown to others, up to 39 bytes (default: UNIBOS + node id)' },
  role: { spec: oneOf(NODE_ROLES), default: 'CLIENT', env: 'UNIBOS_ROLE', flag: 'role', help: 'CLIENT, ROUTER or GATEWAY (a gateway acknowledges SOS)' },
  region: { spec: oneOf(Object.keys(REGIONS)), default: 'EU868', env: 'UNIBOS_REGION', flag: 'region', help: 'regulatory region (band, duty cycle, dwell time, transmit power; NONE only for a simulated radio)' },
  preset: { spec: oneOf(Object.keys(LORA_PRESETS)), default: undefined, env: 'UNIBOS_PRESET', flag: 'preset', help: "LoRa modem preset (default: LongFast, MediumFast in US915, whose dwell limit LongFast's frames exceed)" },
  frequencyHz: { spec: int(137_000_000, 1_020_000_000, true), default: undefined, env: 'UNIBOS_FREQUENCY_HZ', flag: 'frequency', help: "centre frequency, Hz (default: the region's usual channel)" },
  txPowerDbm: { spec: int(-9, 30, true), default: undefined, env: 'UNIBOS_TX_POWER_DBM', flag: 'tx-power', help: "transmit power at the radio's output, dBm, at most the region's limit (default: 14, or the limit where lower)" },
  hopLimit: { spec: int(0, MAX_HOP_LIMIT), default: DEFAULT_HOP_LIMIT, env: 'UNIBOS_HOP_LIMIT', flag: 'hop-limit', help: 'hops our frames may travel' },
  'channel.name': { spec: str(), default: 'Public', env: 'UNIBOS_CHANNEL', flag: 'channel', help: 'channel name' },
  'channel.psk': { spec: { type: 'string', pattern: /^[A-Za-z0-9+/]+={0,2}$/, hint: 'base64' }, default: 'AQ==', env: 'UNIBOS_CHANNEL_PSK', help: 'channel key, base64 (AQ== is the well-known public key; 16 or 32 random bytes for a private channel)' },
  'beacons.positionIntervalS': { spec: int(30, 86_400), default: 900, env: 'UNIBOS_POSITION_INTERVAL_S', help: 'send our position at least this often' },
  'beacons.positionMinMoveM': { spec: int(1, 100_000), default: 100, help: 'or sooner, once we moved this far' },
  'beacons.positionPrecisionBits': { spec: int(10, 32), default: 32, help: 'bits of latitude/longitude shared (32 = full, 13 = ~3 km)' },
  'beacons.telemetryIntervalS': { spec: int(60, 86_400), default: 1800, help: 'battery and temperature report interval' },
  'beacons.nodeInfoIntervalS': { spec: int(600, 86_400), default: 10_800, help: 'name and key announcement interval' },
  'beacons.neighborInfoIntervalS': { spec: int(60, 86_400), default: 900, help: 'neighbour-info beacon interval (feeds relay decisions)' },
  'sos.retryIntervalS': { spec: int(5, 3600), default: 10, env: 'UNIBOS_SOS_RETRY_S', help: 'first SOS (and "I am safe") resend interval; doubles up to the maximum' },
  'sos.maxRetryIntervalS': { spec: int(5, 86_400), default: 600, help: 'longest wait between SOS resends' },
  'outbox.maxMessages': { spec: int(100, 100_000), default: 2000, env: 'UNIBOS_OUTBOX_MAX_MESSAGES', help: 'own messages kept waiting at most; past it a new text is refused and an alert or SOS pushes out the oldest text (SOS messages always go)' },
  'radio.type': { spec: oneOf(['sim', 'serial', 'spi', 'spi-twin', 'none']), default: 'sim', env: 'UNIBOS_RADIO', flag: 'radio', help: 'sim (joins `unibos air`), serial (RAK3172 modem), spi (SX1262/SX1276 board, see --board), spi-twin (that board\'s chip emulated on `unibos air`) or none (nothing goes on air: a flashed card no one has set up yet)' },
  'radio.board': { spec: str(true), default: undefined, env: 'UNIBOS_RADIO_BOARD', flag: 'board', help: 'LoRa board for --radio spi: a name (`unibos radio boards`) or the path of a JSON board profile' },
  'radio.air': { spec: { type: 'string', pattern: HOST_PORT, hint: 'host:port' }, default: '127.0.0.1:7300', env: 'UNIBOS_AIR', flag: 'air', help: 'simulated air to join' },
  'radio.serialPath': { spec: str(), default: '/dev/serial0', env: 'UNIBOS_RADIO_PATH', flag: 'radio-path', help: 'modem serial port' },
  'radio.baudRate': { spec: int(1200, 921_600), default: 115_200, help: 'modem baud rate' },
  'gps.type': { spec: oneOf(['none', 'sim', 'gpsd', 'nmea']), default: 'none', env: 'UNIBOS_GPS', flag: 'gps', help: 'position source' },
  'gps.latitude': { spec: num(-90, 90, true), default: undefined, env: 'UNIBOS_LAT', flag: 'lat', help: 'fixed position (sim GPS), degrees' },
  'gps.longitude': { spec: num(-180, 180, true), default: undefined, env: 'UNIBOS_LON', flag: 'lon', help: 'fixed position (sim GPS), degrees' },
  'gps.altitudeM': { spec: num(-500, 10_000), default: 0, help: 'fixed altitude (sim GPS), m' },
  'gps.gpsd': { spec: { type: 'string', pattern: HOST_PORT, hint: 'host:port' }, default: '127.0.0.1:2947', env: 'UNIBOS_GPSD', flag: 'gpsd', help: 'gpsd to read' },
  'gps.serialPath': { spec: str(), default: '/dev/ttyAMA3', env: 'UNIBOS_GPS_PATH', flag: 'gps-path', help: 'NMEA receiver serial port' },
  'gps.baudRate': { spec: int(1200, 921_600), default: 9600, help: 'NMEA receiver baud rate' },
  'gpio.type': { spec: oneOf(['none', 'virtual', 'gpiod', 'raspi']), default: 'none', env: 'UNIBOS_GPIO', flag: 'gpio', help: 'button/LED/buzzer: none, virtual, gpiod (libgpiod tools, no root) or raspi (pigpio, as root)' },
  'http.port': { spec: int(0, 65_535, true), default: 8001, env: 'UNIBOS_HTTP_PORT', flag: 'http-port', help: 'loopback health and metrics port (0 = any free port, off = none)' },
  modules: { spec: { type: 'list', pattern: /^[a-z][a-z0-9-]{1,39}$/, hint: 'module names' }, default: '', env: 'UNIBOS_MODULES', flag: 'module', help: 'a module whose device-side handler this node runs, repeatable (default: none; env: comma-separated)' },
  modulesDir: { spec: str(true), default: undefined, env: 'UNIBOS_MODULES_DIR', flag: 'modules-dir', help: "folder of modules/NAME/module.json (default: the modules/ folder next to the runtime)" },
  moduleOptions: { spec: { type: 'object' }, default: '{}', env: 'UNIBOS_MODULE_OPTIONS', help: 'options per module handed to its device handler, e.g. {"birlikteyiz": {"answer": "safe"}}' },
  'moduleLimits.memoryMb': { spec: int(32, 1024), default: 64, env: 'UNIBOS_MODULE_MEMORY_MB', help: "each module thread's V8 heap, and separately its Buffers, MB: past either the thread is ended" },
  'moduleLimits.stuckAfterS': { spec: int(2, 120), default: 5, env: 'UNIBOS_MODULE_STUCK_AFTER_S', help: "seconds a module thread may leave the node's pings unanswered before it is called stuck and ended" },
} satisfies Record<string, KeyDef>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export type ConfigValues = { [K in ConfigKey]: string | number | undefined };

export interface NodeConfig {
  dataDir: string;
  name: string | undefined;
  role: (typeof NODE_ROLES)[number];
  region: keyof typeof REGIONS;
  preset: keyof typeof LORA_PRESETS;
  frequencyHz: number;
  txPowerDbm: number;
  hopLimit: number;
  channel: { name: string; psk: Uint8Array };
  beacons: {
    positionIntervalS: number;
    positionMinMoveM: number;
    positionPrecisionBits: number;
    telemetryIntervalS: number;
    nodeInfoIntervalS: number;
    neighborInfoIntervalS: number;
  };
  sos: { retryIntervalS: number; maxRetryIntervalS: number };
  outbox: { maxMessages: number };
  radio: { type: 'sim' | 'serial' | 'spi' | 'spi-twin' | 'none'; board: string | undefined; air: { host: string; port: number }; serialPath: string; baudRate: number };
  gps: { type: 'none' | 'sim' | 'gpsd' | 'nmea'; latitude: number | undefined; longitude: number | undefined; altitudeM: number; gpsd: { host: string; port: number }; serialPath: string; baudRate: number };
  gpio: { type: 'none' | 'virtual' | 'gpiod' | 'raspi' };
  /** null = no loopback HTTP listener. */
  http: { port: number | null };
  /** Modules whose device-side handlers run here (module-loader.ts), from `modulesDir` (undefined: the runtime's own). */
  modules: string[];
  modulesDir: string | undefined;
  moduleOptions: Record<string, Record<string, unknown>>;
  /** Each module thread's bounds (module-thread.ts): its heap and, apart, its Buffers; how long it may leave pings unanswered. */
  moduleLimits: { memoryMb: number; stuckAfterS: number };
}

export interface ConfigSources {
  /** Path of a JSON config file; default `<dataDir>/config.json` if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by flag name (`data-dir`, `radio`, ...). */
  flags?: Record<string, string | undefined>;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UNIBOS_DATA_DIR ?? join(env.HOME ?? homedir(), '.unibos', 'node');
}

export function loadNodeConfig(sources: ConfigSources = {}): NodeConfig {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const values = defaults();
  values.dataDir = defaultDataDir(env);
  // The data dir decides where the default config file is, so it is resolved first.
  const dataDirFlag = flags['data-dir'];
  if (dataDirFlag !== undefined) values.dataDir = dataDirFlag;

  const filePath = sources.file ?? join(String(values.dataDir), 'config.json');
  const fromFile = readConfigFile(filePath, sources.file !== undefined);
  for (const [key, raw] of Object.entries(fromFile)) values[key] = check(key, raw, `${filePath}`);
  for (const [key, def] of Object.entries(CONFIG_KEYS) as Array<[ConfigKey, KeyDef]>) {
    const e = def.env && env[def.env];
    if (e !== undefined && e !== '') values[key] = check(key, e, `environment variable ${def.env}`);
    const f = def.flag && flags[def.flag];
    if (f !== undefined) values[key] = check(key, f, `--${def.flag}`);
  }
  return build(values as ConfigValues);
}

function readConfigFile(path: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new FirmwareError('E_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FirmwareError('E_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FirmwareError('E_CONFIG', `config file ${path} must hold a JSON object`);
  return flatten(parsed as Record<string, unknown>, path);
}

/** Every key's default value. */
function defaults(): Record<string, string | number | undefined> {
  return Object.fromEntries((Object.entries(CONFIG_KEYS) as Array<[ConfigKey, KeyDef]>).map(([key, def]) => [key, def.default]));
}

/** A config file's nesting as dotted keys (`radio.type`); an unknown key is refused. */
function flatten(parsed: Record<string, unknown>, source: string): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix + k;
      const known = Object.hasOwn(CONFIG_KEYS, key);
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && !known) walk(v as Record<string, unknown>, `${key}.`);
      else if (!known) throw new FirmwareError('E_CONFIG', `${source}: unknown key "${key}"`);
      else flat[key] = v;
    }
  };
  walk(parsed, '');
  return flat;
}

/**
 * Checks a config.json's contents as a node would at start, with no environment or flags: throws
 * E_CONFIG with the node's own words. For what writes config files (a flashed card's first boot),
 * so a device is never set up to a config its node refuses.
 */
export function checkNodeConfig(contents: Record<string, unknown>, source = 'config.json'): NodeConfig {
  const values = defaults();
  values.dataDir = '.';
  for (const [key, raw] of Object.entries(flatten(contents, source))) values[key] = check(key, raw, source);
  return build(values as ConfigValues);
}

/** Parses one value for `key`; throws E_CONFIG naming the key and the source. */
function check(key: string, raw: unknown, source: string): string | number | undefined {
  const def = Object.hasOwn(CONFIG_KEYS, key) ? (CONFIG_KEYS as Record<string, KeyDef>)[key] : undefined;
  if (!def) throw new FirmwareError('E_CONFIG', `${source}: unknown key "${key}"`);
  const spec = def.spec;
  const fail = (expected: string): never => {
    throw new FirmwareError('E_CONFIG', `config key ${key} (from ${source}): expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  if ((raw === null || raw === 'off') && 'optional' in spec && spec.optional) return undefined;
  switch (spec.type) {
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const range = `${spec.type === 'int' ? 'an integer' : 'a number'} ${spec.min}..${spec.max}`;
      if (!Number.isFinite(n) || n < spec.min || n > spec.max || (spec.type === 'int' && !Number.isInteger(n))) return fail(range);
      return n;
    }
    case 'enum':
      if (typeof raw !== 'string' || !spec.values.includes(raw)) return fail(`one of ${spec.values.join(', ')}`);
      return raw;
    case 'list': {
      const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((x) => x.trim()).filter((x) => x !== '') : null;
      if (!items || !items.every((x): x is string => typeof x === 'string' && spec.pattern.test(x))) return fail(`${spec.hint} (each matching ${spec.pattern})`);
      return [...new Set(items)].join(',');
    }
    case 'object': {
      let o: unknown = raw;
      if (typeof raw === 'string') {
        try {
          o = JSON.parse(raw);
        } catch {
          return fail('a JSON object');
        }
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o) || !Object.values(o).every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) return fail('a JSON object of objects');
      return JSON.stringify(o);
    }
    case 'string':
      if (typeof raw !== 'string' || raw.length === 0 || raw.length > 200) return fail('a non-empty string');
      if (spec.pattern && !spec.pattern.test(raw)) return fail(spec.hint ?? `a string matching ${spec.pattern}`);
      if (spec.maxBytes && Buffer.byteLength(raw) > spec.maxBytes) return fail(`at most ${spec.maxBytes} bytes of UTF-8 (it travels in every announcement)`);
      return raw;
  }
}

/** The channel each region's devices use unless told otherwise (the usual LongFast slot there). */
const REGION_DEFAULT_FREQUENCY_HZ: Record<NodeConfig['region'], number> = {
  EU868: 869_525_000,
  EU433: 433_875_000,
  US915: 906_875_000,
  ANZ: 919_875_000,
  IN865: 865_462_500,
  NONE: 869_525_000,
};

/** The transmit power unless one is set: 14 dBm, or the region's limit where that is lower. */
const DEFAULT_TX_POWER_DBM = 14;

/**
 * A radio set up outside its region's band, over its power limit, or with frames longer than its
 * dwell limit, must not start; nor a real radio in region NONE, which has no limits at all.
 */
function checkRegion(config: NodeConfig): void {
  const rules = REGIONS[config.region];
  if (config.region === 'NONE' && config.radio.type !== 'sim' && config.radio.type !== 'spi-twin' && config.radio.type !== 'none') {
    throw new FirmwareError('E_CONFIG', `config key region: NONE has no band, power or duty-cycle limits and is only for a simulated radio (sim, spi-twin); a ${config.radio.type} radio needs the region it is in (${Object.keys(REGIONS).filter((r) => r !== 'NONE').join(', ')})`);
  }
  if (config.txPowerDbm > rules.maxTxPowerDbm) {
    throw new FirmwareError('E_CONFIG', `config key txPowerDbm: ${config.txPowerDbm} dBm is over ${config.region}'s limit of ${rules.maxTxPowerDbm} dBm`);
  }
  const params = loraParams(config.preset, { frequencyHz: config.frequencyHz, txPowerDbm: config.txPowerDbm });
  const low = params.frequencyHz - params.bandwidthHz / 2;
  const high = params.frequencyHz + params.bandwidthHz / 2;
  if (low < rules.minFrequencyHz || high > rules.maxFrequencyHz) {
    throw new FirmwareError(
      'E_CONFIG',
      `config key frequencyHz: ${params.frequencyHz} Hz with ${params.bandwidthHz / 1000} kHz bandwidth leaves the ${config.region} band (${rules.minFrequencyHz / 1e6}-${rules.maxFrequencyHz / 1e6} MHz)`,
    );
  }
  const shortest = timeOnAirMs(params, FRAME_OVERHEAD + 2);
  if ('maxDwellMs' in rules && shortest > rules.maxDwellMs) {
    throw new FirmwareError(
      'E_CONFIG',
      `config key preset: ${config.preset} frames take at least ${Math.round(shortest)} ms on air, over ${config.region}'s ${rules.maxDwellMs} ms dwell limit; choose a faster preset (MediumFast or ShortFast)`,
    );
  }
}

/** An SPI radio needs a board that exists and whose RF front end is built for the configured frequency. */
function checkBoardChoice(config: NodeConfig): void {
  const { type, board } = config.radio;
  if (type !== 'spi' && type !== 'spi-twin') return;
  if (board === undefined) throw new FirmwareError('E_CONFIG', `config key radio.board: --radio ${type} needs --board NAME (${BOARDS.map((b) => b.name).join(', ')}) or the path of a JSON board profile`);
  const profile = resolveBoard(board);
  const shared = panelPinsTaken(profile);
  if (config.gpio.type !== 'none' && shared.length > 0) {
    throw new FirmwareError('E_CONFIG', `config key gpio.type: the ${profile.title} drives ${shared.join(', ')} of the SOS panel; set gpio.type none (--gpio none)`);
  }
  // A PA the chip cannot turn down far enough puts out more than asked: what counts is what leaves the board.
  const out = boardOutputDbm(profile, config.txPowerDbm);
  const limit = REGIONS[config.region].maxTxPowerDbm;
  if (out > limit) {
    throw new FirmwareError('E_CONFIG', `config key txPowerDbm: the ${profile.title} puts out ${out} dBm for ${config.txPowerDbm} (its chip's lowest setting or more, plus its PA's ${profile.paGainDb} dB), over ${config.region}'s limit of ${limit} dBm`);
  }
  const [low, high] = profile.frequencyRangeMhz;
  const mhz = config.frequencyHz / 1e6;
  if (mhz < low || mhz > high) {
    throw new FirmwareError('E_CONFIG', `config key frequencyHz: ${mhz} MHz is outside what the ${profile.title} is built for (${low}-${high} MHz)`);
  }
}

function hostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
}

function build(v: ConfigValues): NodeConfig {
  const s = (k: ConfigKey): string => String(v[k]);
  const n = (k: ConfigKey): number => Number(v[k]);
  const psk = new Uint8Array(Buffer.from(s('channel.psk'), 'base64'));
  if (![1, 16, 32].includes(psk.length)) {
    throw new FirmwareError('E_CONFIG', `config key channel.psk: expected 1 (well-known), 16 or 32 bytes of base64, got ${psk.length} bytes`);
  }
  const config: NodeConfig = {
    dataDir: resolve(s('dataDir')),
    name: v.name === undefined ? undefined : s('name'),
    role: s('role') as NodeConfig['role'],
    region: s('region') as NodeConfig['region'],
    preset: v.preset === undefined ? (REGIONS[s('region') as NodeConfig['region']] as RegionRules).defaultPreset ?? 'LongFast' : (s('preset') as NodeConfig['preset']),
    frequencyHz: v.frequencyHz === undefined ? REGION_DEFAULT_FREQUENCY_HZ[s('region') as NodeConfig['region']] : n('frequencyHz'),
    txPowerDbm: v.txPowerDbm === undefined ? Math.min(DEFAULT_TX_POWER_DBM, REGIONS[s('region') as NodeConfig['region']].maxTxPowerDbm) : n('txPowerDbm'),
    hopLimit: n('hopLimit'),
    channel: { name: s('channel.name'), psk },
    beacons: {
      positionIntervalS: n('beacons.positionIntervalS'),
      positionMinMoveM: n('beacons.positionMinMoveM'),
      positionPrecisionBits: n('beacons.positionPrecisionBits'),
      telemetryIntervalS: n('beacons.telemetryIntervalS'),
      nodeInfoIntervalS: n('beacons.nodeInfoIntervalS'),
      neighborInfoIntervalS: n('beacons.neighborInfoIntervalS'),
    },
    sos: { retryIntervalS: n('sos.retryIntervalS'), maxRetryIntervalS: n('sos.maxRetryIntervalS') },
    outbox: { maxMessages: n('outbox.maxMessages') },
    radio: { type: s('radio.type') as NodeConfig['radio']['type'], board: v['radio.board'] === undefined ? undefined : s('radio.board'), air: hostPort(s('radio.air')), serialPath: s('radio.serialPath'), baudRate: n('radio.baudRate') },
    gps: {
      type: s('gps.type') as NodeConfig['gps']['type'],
      latitude: v['gps.latitude'] === undefined ? undefined : n('gps.latitude'),
      longitude: v['gps.longitude'] === undefined ? undefined : n('gps.longitude'),
      altitudeM: n('gps.altitudeM'),
      gpsd: hostPort(s('gps.gpsd')),
      serialPath: s('gps.serialPath'),
      baudRate: n('gps.baudRate'),
    },
    gpio: { type: s('gpio.type') as NodeConfig['gpio']['type'] },
    http: { port: v['http.port'] === undefined ? null : n('http.port') },
    modules: s('modules').split(',').filter((x) => x !== ''),
    modulesDir: v.modulesDir === undefined ? undefined : resolve(s('modulesDir')),
    moduleOptions: JSON.parse(s('moduleOptions')) as NodeConfig['moduleOptions'],
    moduleLimits: { memoryMb: n('moduleLimits.memoryMb'), stuckAfterS: n('moduleLimits.stuckAfterS') },
  };
  checkRegion(config);
  checkBoardChoice(config);
  // What the RAK3172 would refuse when the radio opens is refused here, before anything starts.
  if (config.radio.type === 'serial') {
    try {
      p2pSettings(loraParams(config.preset, { frequencyHz: config.frequencyHz, txPowerDbm: config.txPowerDbm }));
    } catch (err) {
      throw new FirmwareError('E_CONFIG', `config for radio.type serial (a RAK3172 modem): ${(err as Error).message}`);
    }
  }
  if (config.sos.maxRetryIntervalS < config.sos.retryIntervalS) {
    throw new FirmwareError('E_CONFIG', 'config key sos.maxRetryIntervalS must be at least sos.retryIntervalS');
  }
  if ((config.gps.latitude === undefined) !== (config.gps.longitude === undefined)) {
    throw new FirmwareError('E_CONFIG', 'config keys gps.latitude and gps.longitude go together: set both or neither');
  }
  if (config.gps.type === 'sim' && config.gps.latitude === undefined) {
    throw new FirmwareError('E_CONFIG', 'gps.type sim needs a position: set gps.latitude and gps.longitude (--lat, --lon)');
  }
  return config;
}
