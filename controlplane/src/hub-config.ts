// The hub's typed configuration: defaults < <dataDir>/hub.json < UNIBOS_HUB_* environment <
// command-line flags. A bad value stops start-up with a message naming the key and its source.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { HubError } from './hub-error.ts';

export interface HubConfig {
  dataDir: string;
  /** API, admin UI, /ws, /docs, /metrics. Loopback unless the admin opens it up. */
  httpHost: string;
  httpPort: number;
  /** The hub broker gateways connect to. Always authenticated; loopback unless opened up. */
  mqttHost: string;
  mqttPort: number;
  /** The URL gateways are told to use when they claim (default: mqtt://<mqttHost>:<mqttPort>). */
  mqttPublicUrl: string | null;
  /** A node is marked offline after this much silence. */
  offlineAfterS: number;
  /**
   * Nodes an org has heard but not claimed, kept at most: anyone on the public channel can make up
   * node ids, so past it the least recently heard is forgotten (never one with an alert open).
   */
  maxHeardNodes: number;
  /** How long receptions of one frame by several gateways are collected before the event goes out. */
  dedupWindowMs: number;
  /** /ws event streams the hub holds at once (sockets still proving their token included). */
  maxStreams: number;
  /** /ws event streams one user holds at once, their API keys' included (a browser holds one per tab). */
  maxStreamsPerUser: number;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  /** Origins allowed by CORS; empty = CORS off (same-origin only). */
  corsOrigins: string[];
  /**
   * Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client. Empty = the
   * header is ignored, and every client behind a proxy shares the proxy's per-address limits.
   */
  trustedProxies: string[];
  /** Optional map tiles, e.g. a local tile server: https://tiles.example/{z}/{x}/{y}.png. null = offline map. */
  mapTileUrl: string | null;
  /** Largest encrypted messenger attachment accepted, bytes. */
  messengerMaxAttachmentBytes: number;
  /** Attachments are refused while the data disk would keep less free than this, bytes. */
  messengerMinFreeBytes: number;
  sensorMinFreeBytes: number;
  /**
   * Sensor readings older than this many days are deleted (in small batches, never holding up
   * ingest); each sensor metric's latest value is kept whatever its age.
   */
  sensorRetentionDays: number;
}

type Key = keyof HubConfig;
type Kind = 'string' | 'int' | 'list' | 'nullable';

const KEYS: Record<Key, { kind: Kind; env: string; min?: number; max?: number; help: string; each?: { test: (item: string) => boolean; what: string } }> = {
  dataDir: { kind: 'string', env: 'UNIBOS_HUB_DATA_DIR', help: 'state folder (accounts, hub.db, broker state, secrets)' },
  httpHost: { kind: 'string', env: 'UNIBOS_HUB_HOST', help: 'address the HTTP server binds' },
  httpPort: { kind: 'int', env: 'UNIBOS_HUB_PORT', min: 0, max: 65_535, help: 'HTTP port (0 = any free port)' },
  mqttHost: { kind: 'string', env: 'UNIBOS_HUB_MQTT_HOST', help: 'address the hub broker binds' },
  mqttPort: { kind: 'int', env: 'UNIBOS_HUB_MQTT_PORT', min: 0, max: 65_535, help: 'hub broker port (0 = any free port)' },
  mqttPublicUrl: { kind: 'nullable', env: 'UNIBOS_HUB_MQTT_URL', help: 'broker URL handed to gateways when they claim' },
  offlineAfterS: { kind: 'int', env: 'UNIBOS_HUB_OFFLINE_AFTER_S', min: 5, max: 30 * 86_400, help: 'silence before a node counts as offline, s' },
  maxHeardNodes: { kind: 'int', env: 'UNIBOS_HUB_MAX_HEARD_NODES', min: 1, max: 1_000_000, help: 'nodes heard but not claimed an org keeps; the least recently heard beyond it is forgotten' },
  dedupWindowMs: { kind: 'int', env: 'UNIBOS_HUB_DEDUP_WINDOW_MS', min: 0, max: 60_000, help: 'window collecting several gateways\u2019 receptions of one frame, ms' },
  maxStreams: { kind: 'int', env: 'UNIBOS_HUB_MAX_STREAMS', min: 1, max: 1_000_000, help: '/ws event streams the hub holds at once; more are refused (1013)' },
  maxStreamsPerUser: { kind: 'int', env: 'UNIBOS_HUB_MAX_STREAMS_PER_USER', min: 1, max: 1_000_000, help: '/ws event streams one user (with their API keys) holds at once; more are refused (4029)' },
  accessTokenTtlS: { kind: 'int', env: 'UNIBOS_HUB_ACCESS_TTL_S', min: 30, max: 86_400, help: 'access token lifetime, s' },
  refreshTokenTtlS: { kind: 'int', env: 'UNIBOS_HUB_REFRESH_TTL_S', min: 300, max: 365 * 86_400, help: 'refresh token lifetime, s' },
  corsOrigins: { kind: 'list', env: 'UNIBOS_HUB_CORS_ORIGINS', help: 'comma-separated origins allowed by CORS (default none)' },
  trustedProxies: {
    kind: 'list',
    env: 'UNIBOS_HUB_TRUSTED_PROXIES',
    help: 'comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client (default none)',
    each: { test: isAddressOrCidr, what: 'an IP address or CIDR' },
  },
  mapTileUrl: { kind: 'nullable', env: 'UNIBOS_HUB_MAP_TILES', help: 'tile URL template for the map (default: offline map)' },
  messengerMaxAttachmentBytes: { kind: 'int', env: 'UNIBOS_HUB_MESSENGER_MAX_ATTACHMENT_BYTES', min: 1, max: 1024 * 1024 * 1024, help: 'largest encrypted messenger attachment, bytes' },
  messengerMinFreeBytes: { kind: 'int', env: 'UNIBOS_HUB_MESSENGER_MIN_FREE_BYTES', min: 0, max: 2 ** 50, help: 'messenger attachments are refused while the data disk would keep less free, bytes' },
  sensorMinFreeBytes: { kind: 'int', env: 'UNIBOS_HUB_SENSOR_MIN_FREE_BYTES', min: 0, max: 2 ** 50, help: 'while the data disk would keep less free, sensor readings stop adding to the database: they take the place of their metric\u2019s oldest, bytes; 0: no reserve' },
  sensorRetentionDays: { kind: 'int', env: 'UNIBOS_HUB_SENSOR_RETENTION_DAYS', min: 1, max: 36_500, help: 'sensor readings older than this are deleted (each metric\u2019s latest value is kept), days' },
};

export const HUB_CONFIG_KEYS = KEYS;

export function defaultHubDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.UNIBOS_HUB_DATA_DIR ?? join(env.HOME ?? homedir(), '.unibos', 'hub');
}

export function hubConfigDefaults(dataDir: string): HubConfig {
  return {
    dataDir,
    httpHost: '127.0.0.1',
    httpPort: 8000,
    mqttHost: '127.0.0.1',
    mqttPort: 1884,
    mqttPublicUrl: null,
    offlineAfterS: 300,
    maxHeardNodes: 5000,
    dedupWindowMs: 1000,
    maxStreams: 2000,
    maxStreamsPerUser: 32,
    accessTokenTtlS: 900,
    refreshTokenTtlS: 30 * 86_400,
    corsOrigins: [],
    trustedProxies: [],
    mapTileUrl: null,
    messengerMaxAttachmentBytes: MESSENGER_LIMITS.maxAttachmentBytes,
    messengerMinFreeBytes: 256 * 1024 * 1024,
    // Above the messenger's: readings are the bulk, and stop first, so accounts, messages and alerts keep room.
    sensorMinFreeBytes: 512 * 1024 * 1024,
    sensorRetentionDays: 90,
  };
}

export interface HubConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already named by key. */
  flags?: Partial<Record<Key, string | number>>;
}

export function loadHubConfig(sources: HubConfigSources = {}): HubConfig {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const dataDir = resolve(String(flags.dataDir ?? defaultHubDataDir(env)));
  const config = hubConfigDefaults(dataDir);
  const file = readFile(join(dataDir, 'hub.json'));
  const layers: Array<[string, Partial<Record<string, unknown>>]> = [
    [join(dataDir, 'hub.json'), file],
    ['environment', Object.fromEntries(Object.entries(KEYS).filter(([, d]) => env[d.env] !== undefined).map(([k, d]) => [k, env[d.env]]))],
    ['flags', flags],
  ];
  const values = config as unknown as Record<string, unknown>;
  for (const [source, layer] of layers) {
    for (const [key, raw] of Object.entries(layer)) {
      if (key === 'dataDir' || raw === undefined) continue;
      const def = KEYS[key as Key];
      if (!def) throw new HubError('E_CONFIG', `unknown setting "${key}" in ${source}`);
      values[key] = parse(key, def, raw, source);
    }
  }
  return config;
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new HubError('E_CONFIG', `cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HubError('E_CONFIG', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HubError('E_CONFIG', `${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function parse(key: string, def: (typeof KEYS)[Key], raw: unknown, source: string): unknown {
  const bad = (why: string): never => {
    throw new HubError('E_CONFIG', `${key} (from ${source}): ${why}; ${def.help}`);
  };
  switch (def.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw.length === 0) bad('must be a non-empty string');
      return raw;
    case 'nullable':
      if (raw === null || raw === '') return null;
      if (typeof raw !== 'string') bad('must be a string');
      return raw;
    case 'list': {
      const items = Array.isArray(raw) && raw.every((x) => typeof x === 'string') ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : bad('must be a list of strings');
      const { each } = def;
      const wrong = each ? items.find((item) => !each.test(item)) : undefined;
      if (wrong !== undefined) bad(`${JSON.stringify(wrong)} is not ${each!.what}`);
      return items;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < (def.min ?? -Infinity) || n > (def.max ?? Infinity)) bad(`must be an integer ${def.min}..${def.max}, got ${JSON.stringify(raw)}`);
      return n;
    }
  }
}

/** "192.168.1.10", "10.0.0.0/8", "fd00::/8". */
function isAddressOrCidr(item: string): boolean {
  const [address = '', prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}
