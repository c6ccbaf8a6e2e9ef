// unibos.json, the file a person puts on a flashed card's boot partition: parsed into a typed value
// or a list of problems, each naming the key (the rules of pi-gen-config/unibos.schema.json, plus
// the few the schema cannot say, such as the name's length in bytes on the air).

import { LORA_PRESETS, NODE_NAME_MAX_BYTES, REGIONS } from '@unibos/mesh-protocol';
import { MIN_PASSWORD_LENGTH } from '@unibos/credentials';
import { BOARDS as SPI_BOARDS, checkNodeConfig } from '@unibos/firmware';
import { say, sayMessage } from '../cli-language.ts';
import { deviceConfigFor } from './device-config.ts';

export const DEVICE_ROLES = ['node', 'gateway', 'hub', 'gateway+hub'] as const;
/** The RAK3172 modem on the HAT's UART or on USB, every SPI board the runtime knows (`unibos radio boards`), and the simulated air. */
export const BOARDS: readonly string[] = ['rak3172-hat', 'rak3172-usb', ...SPI_BOARDS.map((b) => b.name), 'sim'];
export type DeviceRole = (typeof DEVICE_ROLES)[number];
export type Board = string;
/** A region a card may be set up for: NONE (no limits at all) is only for the simulator and tests, never a real radio. */
export const BOOT_REGIONS = Object.keys(REGIONS).filter((r) => r !== 'NONE');

export interface BootConfig {
  version: 1;
  role: DeviceRole;
  name?: string;
  hostname?: string;
  meshRole?: 'CLIENT' | 'ROUTER';
  /** No region (only in the image's own defaults, built without one): the device puts nothing on air. */
  radio: { board: Board; region?: string; preset?: string; txPowerDbm?: number; air?: string };
  channel?: { name: string; key?: string };
  hub?: { url?: string; claimToken?: string; admin?: { email: string; password: string; org?: string } };
  wifi?: { country: string; ssid?: string; password?: string };
}

export interface BootConfigProblem {
  /** JSON path of the offending key, e.g. `radio.region` (`(file)` for the whole file). */
  key: string;
  message: string;
}

export type BootConfigResult = { ok: true; config: BootConfig } | { ok: false; code: 'E_BOOT_CONFIG'; problems: BootConfigProblem[] };

/** The keys whose values are secrets: moved off the boot partition on first boot. */
export const SECRET_KEYS = ['channel.key', 'hub.claimToken', 'hub.admin', 'wifi.password'] as const;

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const HOST_PORT = /^[^:\s]+:[0-9]{1,5}$/;

/**
 * JSON.parse's complaint without the file's words: V8 quotes up to 20 characters around the error
 * (`Unexpected token 'h', ..."password": hunter2-"... is not valid JSON`), which for a quote
 * forgotten around a Wi-Fi password or claim token would put the secret into the journal, kept on
 * the card. Where instead: line and column.
 */
function jsonSyntaxReason(text: string, message: string): string {
  let pos: number | undefined;
  const at = /at position (\d+)/.exec(message);
  if (at) pos = Number(at[1]);
  else {
    // `Unexpected token 'c', ..."<10 before><10 after>"... is not valid JSON`, or the whole text when short.
    const quoted = /^Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON$/.exec(message);
    if (quoted) {
      const [, token, before, snippet] = quoted;
      const start = text.indexOf(snippet!);
      if (start >= 0) pos = start + (before ? 10 : snippet!.indexOf(token!));
    }
  }
  const what = message
    .replace(/\s*in JSON at position \d+[\s\S]*$/, '')
    .replace(/^Unexpected token '.'[\s\S]*$/, 'Unexpected character')
    .replace(/,\s*(\.\.\.)?"[\s\S]*$/, '');
  if (pos === undefined) return what;
  const lines = text.replace(/^\uFEFF/, '').slice(0, pos).split('\n');
  return `${what} at line ${lines.length}, column ${lines.at(-1)!.length + 1}`;
}

/** A string from the file as a message quotes it: cut short (a name may be a megabyte long). */
function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * A value from the file as a message shows it: a string quoted and cut short, an array or object
 * only as `[…]` or `{…}`. Never serialised: one nested deep enough overflows the stack.
 */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(clip(v));
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? '[…]' : '{…}';
  return String(v);
}

/**
 * `imageDefaults`: the image's own /etc/unibos/unibos.defaults.json, which may name no region (then
 * nothing goes on air). Never throws: whatever the file holds, it is a config or the problems.
 */
export function parseBootConfig(text: string, imageDefaults = false): BootConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, code: 'E_BOOT_CONFIG', problems: [{ key: '(file)', message: say('not valid JSON: {reason}', { reason: jsonSyntaxReason(text, (err as Error).message) }) }] };
  }
  try {
    return checkBootConfig(raw, imageDefaults);
  } catch (err) {
    // A bug met by some file, not the file's words (the message may hold them): said by its kind.
    return { ok: false, code: 'E_BOOT_CONFIG', problems: [{ key: '(file)', message: say('cannot read {file}: {reason}', { file: imageDefaults ? 'unibos.defaults.json' : 'unibos.json', reason: err instanceof Error ? err.name : typeof err }) }] };
  }
}

function checkBootConfig(raw: unknown, imageDefaults: boolean): BootConfigResult {
  const problems: BootConfigProblem[] = [];
  const bad = (key: string, message: string): void => void problems.push({ key, message });
  const obj = (v: unknown, key: string, allowed: readonly string[], required: readonly string[]): Record<string, unknown> | undefined => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      bad(key, say('must be an object'));
      return undefined;
    }
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(key ? `${key}.${k}` : k, say('is not a known key (check the spelling against unibos.schema.json)'));
    for (const k of required) if (o[k] === undefined) bad(key ? `${key}.${k}` : k, say('is required'));
    return o;
  };
  const str = (o: Record<string, unknown>, k: string, key: string, check?: (s: string) => string | undefined): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0) {
      bad(key, say('must be a non-empty string'));
      return undefined;
    }
    const why = check?.(v);
    if (why) {
      bad(key, why);
      return undefined;
    }
    return v;
  };
  const oneOf = (values: readonly string[]) => (s: string) => (values.includes(s) ? undefined : say('must be one of {allowed} (got "{value}")', { allowed: values.join(', '), value: clip(s) }));
  const matches = (re: RegExp, why: (s: string) => string) => (s: string) => (re.test(s) ? undefined : why(clip(s)));
  const length = (min: number, max: number) => (s: string) => (s.length >= min && s.length <= max ? undefined : say('must be {min} to {max} characters long', { min, max }));

  const top = obj(raw, '', ['$schema', 'version', 'role', 'name', 'hostname', 'meshRole', 'radio', 'channel', 'hub', 'wifi'], ['version', 'role', 'radio']);
  if (!top) return { ok: false, code: 'E_BOOT_CONFIG', problems };
  if (top.version !== undefined && top.version !== 1) bad('version', say('must be 1 (got {value})', { value: shown(top.version) }));
  const role = str(top, 'role', 'role', oneOf(DEVICE_ROLES)) as DeviceRole | undefined;
  const name = str(top, 'name', 'name', (s) => (Buffer.byteLength(s) <= NODE_NAME_MAX_BYTES ? undefined : say('must be at most {max} bytes of UTF-8 (it travels in every announcement); got {bytes}', { max: NODE_NAME_MAX_BYTES, bytes: Buffer.byteLength(s) })));
  const hostname = str(top, 'hostname', 'hostname', matches(HOSTNAME, (value) => say('must be a host name: lower-case letters, digits and inner hyphens, at most 63 (got "{value}")', { value })));
  const meshRole = str(top, 'meshRole', 'meshRole', oneOf(['CLIENT', 'ROUTER'])) as 'CLIENT' | 'ROUTER' | undefined;

  let radio: BootConfig['radio'] | undefined;
  if (top.radio !== undefined) {
    const r = obj(top.radio, 'radio', ['board', 'region', 'preset', 'txPowerDbm', 'air'], imageDefaults ? ['board'] : ['board', 'region']);
    if (r) {
      const board = str(r, 'board', 'radio.board', oneOf(BOARDS));
      const region = str(r, 'region', 'radio.region', oneOf(BOOT_REGIONS));
      const preset = str(r, 'preset', 'radio.preset', oneOf(Object.keys(LORA_PRESETS)));
      const air = str(r, 'air', 'radio.air', matches(HOST_PORT, (value) => say('must be host:port (got "{value}")', { value })));
      let txPowerDbm: number | undefined;
      if (r.txPowerDbm !== undefined) {
        if (typeof r.txPowerDbm !== 'number' || !Number.isInteger(r.txPowerDbm) || r.txPowerDbm < -9 || r.txPowerDbm > 30) bad('radio.txPowerDbm', say('must be a whole number of dBm from -9 to 30 (got {value})', { value: shown(r.txPowerDbm) }));
        else txPowerDbm = r.txPowerDbm;
      }
      if (air !== undefined && board !== 'sim') bad('radio.air', say('is only for board "sim"'));
      if (board && (region || (imageDefaults && r.region === undefined))) radio = { board, ...(region ? { region } : {}), ...(preset ? { preset } : {}), ...(txPowerDbm !== undefined ? { txPowerDbm } : {}), ...(air ? { air } : {}) };
    }
  }

  let channel: BootConfig['channel'];
  if (top.channel !== undefined) {
    const c = obj(top.channel, 'channel', ['name', 'key'], ['name']);
    if (c) {
      const cname = str(c, 'name', 'channel.name', length(1, 200));
      const key = str(c, 'key', 'channel.key', (s) => {
        if (!BASE64.test(s)) return say('must be base64');
        const n = Buffer.from(s, 'base64').length;
        return [1, 16, 32].includes(n) ? undefined : say('must be 16 or 32 random bytes in base64 (or AQ==, the public key); it decodes to {bytes} bytes', { bytes: n });
      });
      if (cname) channel = { name: cname, ...(key ? { key } : {}) };
    }
  }

  let hub: BootConfig['hub'];
  if (top.hub !== undefined) {
    const h = obj(top.hub, 'hub', ['url', 'claimToken', 'admin'], []);
    if (h) {
      const url = str(h, 'url', 'hub.url', matches(/^https?:\/\/\S+$/, (value) => say('must be the hub\'s http(s):// address, e.g. http://hub.local:8000 (got "{value}")', { value })));
      const claimToken = str(h, 'claimToken', 'hub.claimToken', length(8, 200));
      let admin: NonNullable<BootConfig['hub']>['admin'];
      if (h.admin !== undefined) {
        const a = obj(h.admin, 'hub.admin', ['email', 'password', 'org'], ['email', 'password']);
        if (a) {
          const email = str(a, 'email', 'hub.admin.email', matches(/^[^@\s]+@[^@\s]+$/, (value) => say('must be an e-mail address (got "{value}")', { value })));
          // The hub's own minimum: a password the hub would refuse is refused here, and no other.
          const password = str(a, 'password', 'hub.admin.password', length(MIN_PASSWORD_LENGTH, 200));
          const org = str(a, 'org', 'hub.admin.org', length(1, 100));
          if (email && password) admin = { email, password, ...(org ? { org } : {}) };
        }
      }
      hub = { ...(url ? { url } : {}), ...(claimToken ? { claimToken } : {}), ...(admin ? { admin } : {}) };
      if (claimToken && !url && role !== 'gateway+hub') bad('hub.url', say('is needed with hub.claimToken: where should the device claim itself?'));
      if (admin && role !== 'hub' && role !== 'gateway+hub') bad('hub.admin', say('is only for role hub or gateway+hub (the first admin of the hub on this device)'));
    }
  }

  let wifi: BootConfig['wifi'];
  if (top.wifi !== undefined) {
    const w = obj(top.wifi, 'wifi', ['country', 'ssid', 'password'], ['country']);
    if (w) {
      const country = str(w, 'country', 'wifi.country', matches(/^[A-Z]{2}$/, (value) => say('must be a two-letter country code in capitals, e.g. DE (got "{value}")', { value })));
      const ssid = str(w, 'ssid', 'wifi.ssid', length(1, 32));
      const password = str(w, 'password', 'wifi.password', length(8, 63));
      if (password && !ssid) bad('wifi.password', say('needs wifi.ssid'));
      if (country) wifi = { country, ...(ssid ? { ssid } : {}), ...(password ? { password } : {}) };
    }
  }

  if (problems.length || !role || !radio) {
    if (!problems.length) bad('(file)', say('role and radio are required'));
    return { ok: false, code: 'E_BOOT_CONFIG', problems };
  }
  const config: BootConfig = { version: 1, role, radio };
  // What the device's node would refuse at every start (LongFast under US915's dwell limit, power
  // over the region's limit or the modem's range) is refused here, on the laptop or at first boot,
  // never found by a service in a restart loop.
  try {
    checkNodeConfig(deviceConfigFor(config), 'unibos.json');
  } catch (err) {
    // Named by this file's key where the node's is one of radio's (`config key preset:` is radio.preset).
    const nodeKey = /^config key (preset|txPowerDbm|region)\b/.exec((err as Error).message)?.[1];
    return { ok: false, code: 'E_BOOT_CONFIG', problems: [{ key: nodeKey ? `radio.${nodeKey}` : 'radio', message: sayMessage((err as Error).message) }] };
  }
  if (name) config.name = name;
  if (hostname) config.hostname = hostname;
  if (meshRole) config.meshRole = meshRole;
  if (channel) config.channel = channel;
  if (hub && Object.keys(hub).length) config.hub = hub;
  if (wifi) config.wifi = wifi;
  return { ok: true, config };
}

/** The file as kept on the boot partition after first boot: everything but the secrets. */
export function redactBootConfig(config: BootConfig): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, any>;
  if (copy.channel) delete copy.channel.key;
  if (copy.hub) {
    delete copy.hub.claimToken;
    delete copy.hub.admin;
  }
  if (copy.wifi) delete copy.wifi.password;
  return copy;
}

export function formatProblems(problems: BootConfigProblem[]): string {
  return problems.map((p) => `${p.key}: ${p.message}`).join('; ');
}

/** The LoRa regions a Wi-Fi country's devices use (CEPT countries, the FCC's, ...); a country not listed says nothing. */
const REGIONS_OF_COUNTRY: Array<[readonly string[], readonly string[]]> = [
  [['US', 'CA', 'MX', 'PR', 'GU', 'VI', 'AS', 'MP', 'UM'], ['US915']],
  [['AU', 'NZ'], ['ANZ']],
  [['IN'], ['IN865']],
  [
    ['AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU', 'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'GB', 'NO', 'IS', 'LI', 'CH', 'TR', 'RS', 'ME', 'MK', 'AL', 'BA', 'MD', 'AD', 'MC', 'SM', 'VA'],
    ['EU868', 'EU433'],
  ],
];

/**
 * A warning when the Wi-Fi country and the LoRa region do not go together (US with EU868: 869.525
 * MHz is in the US cellular band), undefined when they do or the country is not one we know. Not a
 * refusal: a device may sit near a border, or the Wi-Fi country may be the wrong one.
 */
export function regionCountryMismatch(config: BootConfig): string | undefined {
  const country = config.wifi?.country;
  const region = config.radio.region;
  if (!country || !region) return undefined;
  const expected = REGIONS_OF_COUNTRY.find(([countries]) => countries.includes(country))?.[1];
  if (!expected || expected.includes(region)) return undefined;
  return say('the Wi-Fi country is {country} but the LoRa region is {region} ({expected} is used there): check radio.region, a wrong region transmits where it may not', { country, region, expected: expected.join(' or ') });
}
