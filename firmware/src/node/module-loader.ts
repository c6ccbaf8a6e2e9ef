// Loads the device-side handlers of the modules a node is configured with (`modules`, from
// `modulesDir`): each manifest is validated with @unibos/module-api, checked against this node's
// platform and hardware, its `entry.device` imported and started with a permission-checked
// DeviceSide (module-device-side.ts). A module that cannot load is reported (file and field) and
// left out; one that throws later is unloaded; the node runs on either way. This file and
// module-api are imported only by a node that names a module.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { DeviceHandler, DeviceHandlerFactory } from '@unibos/module-api';
import type { Device } from './device.ts';
import { ModuleDeviceSide } from './module-device-side.ts';
import { nodeAbilities, unsupportedOnNode, type NodeAbilities } from './module-platform.ts';
import type { ModuleStatus } from './module-status.ts';
import type { NodeConfig } from './node-config.ts';

/** modules/ beside firmware/ — in the checkout and in a bundle, which keeps the checkout's layout. */
export const DEFAULT_MODULES_DIR = fileURLToPath(new URL('../../../modules/', import.meta.url));

interface Loaded {
  status: ModuleStatus;
  side?: ModuleDeviceSide;
  handler?: DeviceHandler;
}

export interface NodeModules {
  status(): ModuleStatus[];
  stop(): void;
}

export interface LoadModulesOptions {
  device: Device;
  config: Pick<NodeConfig, 'modules' | 'modulesDir' | 'moduleOptions' | 'dataDir' | 'gps'>;
  log: Logger;
  abilities?: NodeAbilities;
  /** How long a handler's file may take to load (its top-level code) before the module is left out. */
  importTimeoutMs?: number;
}

/**
 * A handler whose top-level code never finishes (an await on a network or a device that does not
 * answer) must not hold the node's start: systemd would kill it for never saying it is ready (90 s
 * by default). Long enough for a big handler's first import from a Pi Zero's SD card.
 */
export const MODULE_IMPORT_TIMEOUT_MS = 30_000;

export async function loadNodeModules(options: LoadModulesOptions): Promise<NodeModules> {
  const { config, device } = options;
  const log = options.log.child({ component: 'modules' });
  const dir = config.modulesDir ?? DEFAULT_MODULES_DIR;
  const abilities = options.abilities ?? nodeAbilities(config as NodeConfig);
  const loaded: Loaded[] = [];
  let api: typeof import('@unibos/module-api');
  try {
    api = await import('@unibos/module-api');
  } catch (err) {
    // A runtime built without module-api still runs as a node, without its modules.
    for (const name of config.modules) loaded.push({ status: { name, version: null, state: 'failed', reason: `@unibos/module-api does not load: ${(err as Error).message}`, refused: 0, failed: 0, errors: 0 } });
    log.error({ err }, 'modules not loaded: @unibos/module-api does not load');
    return { status: () => loaded.map((e) => ({ ...e.status })), stop: () => {} };
  }

  for (const name of config.modules) {
    const file = join(dir, name, 'module.json');
    const entry: Loaded = { status: { name, version: null, state: 'failed', reason: null, refused: 0, failed: 0, errors: 0 } };
    loaded.push(entry);
    const fail = (code: string, reason: string): void => {
      entry.status.state = 'failed';
      entry.status.reason = reason;
      log.error({ module: name, code }, `module ${name} not loaded: ${reason}`);
    };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      fail('E_MODULE_NOT_FOUND', `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `no such module in ${dir}` : (err as Error).message}`);
      continue;
    }
    const r = api.validateManifestText(text, file);
    if (!r.ok) {
      fail('E_MODULE_MANIFEST', r.problems.map(api.formatProblem).join('; '));
      continue;
    }
    const m = r.manifest;
    entry.status.version = m.version;
    if (m.name !== name) {
      fail('E_MODULE_MANIFEST', `${file}: name: is "${m.name}", but the folder is "${name}"`);
      continue;
    }
    if (!m.entry.device) {
      fail('E_MODULE_MANIFEST', `${file}: entry.device: the module has no device-side handler`);
      continue;
    }
    const unsupported = unsupportedOnNode(m, abilities);
    if (unsupported) {
      fail('E_MODULE_UNSUPPORTED', unsupported);
      continue;
    }
    let settings: Record<string, unknown>;
    try {
      settings = nodeSettings(api, m.settings?.schema, config.moduleOptions[name] ?? {});
    } catch (err) {
      fail('E_MODULE_SETTINGS', `config.json moduleOptions.${name}: ${(err as Error).message.replace(/^settings: /, '')}`);
      continue;
    }
    const handlerPath = compiledOrSource(join(dir, name, m.entry.device));
    if (!handlerPath) {
      fail('E_MODULE_MANIFEST', `${file}: entry.device: ${join(dir, name, m.entry.device)} does not exist`);
      continue;
    }
    let factory: unknown;
    try {
      factory = ((await withTimeout(import(pathToFileURL(handlerPath).href), options.importTimeoutMs ?? MODULE_IMPORT_TIMEOUT_MS)) as { default?: unknown }).default;
    } catch (err) {
      fail('E_MODULE_MANIFEST', `${file}: entry.device: ${handlerPath} does not load: ${(err as Error).message}`);
      continue;
    }
    if (typeof factory !== 'function') {
      fail('E_MODULE_MANIFEST', `${file}: entry.device: ${handlerPath} has no default export that is a device handler factory`);
      continue;
    }

    const unload = (err: unknown, where: string): void => {
      if (entry.status.state !== 'loaded') return;
      entry.status.errors++;
      entry.status.state = 'unloaded';
      entry.status.reason = `${where} threw: ${(err as Error)?.message ?? String(err)}`;
      log.error({ module: name, err, where }, `module ${name} unloaded: its ${entry.status.reason}`);
      entry.side?.revoke();
      stopHandler(entry, log);
    };
    const side = new ModuleDeviceSide({ name, manifest: m, device, dataDir: config.dataDir, log, onThrow: unload });
    entry.side = side;
    entry.status.state = 'loaded';
    let handler: unknown;
    side.guard('setup', () => {
      handler = (factory as DeviceHandlerFactory)(side.side, settings);
    });
    if (entry.status.state !== 'loaded') {
      entry.status.state = 'failed';
      continue;
    }
    if (typeof handler !== 'object' || handler === null || typeof (handler as DeviceHandler).stop !== 'function') {
      side.revoke();
      fail('E_MODULE_MANIFEST', `${file}: entry.device: the factory in ${handlerPath} did not return a handler with stop()`);
      continue;
    }
    entry.handler = handler as DeviceHandler;
    log.info({ module: name, version: m.version }, `module ${name} ${m.version} loaded`);
  }

  return {
    status: () =>
      loaded.map((e) => ({ ...e.status, reason: e.status.state === 'loaded' ? handlerStatus(e) : e.status.reason, refused: e.side?.counters.refused ?? 0, failed: e.side?.counters.failed ?? 0 })),
    stop: () => {
      for (const e of loaded) {
        if (e.status.state !== 'loaded') continue;
        e.side?.revoke();
        stopHandler(e, log);
        e.status.state = 'stopped';
      }
    },
  };
}

/**
 * The module's options checked with the hub's own tool against the manifest's settings schema,
 * defaults filled in. Options the schema does not name pass on: a device handler may take its own
 * (birlikteyiz's `answer`, `delayMs`), which the hub never stores.
 */
function nodeSettings(api: typeof import('@unibos/module-api'), schema: Record<string, unknown> | undefined, options: Record<string, unknown>): Record<string, unknown> {
  if (!schema) return structuredClone(options);
  return api.validateSettings(schema.additionalProperties === false ? { ...schema, additionalProperties: true } : schema, options);
}

/** The promise's value, or an error once `ms` passed without one (the promise is left to itself). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not finish loading within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A bundle holds the compiled .js where the manifest names the .ts source. */
function compiledOrSource(path: string): string | null {
  if (existsSync(path)) return path;
  const js = path.replace(/\.ts$/, '.js');
  return js !== path && existsSync(js) ? js : null;
}

/** What a loaded handler says of itself (its status() is optional; one that throws says nothing). */
function handlerStatus(e: Loaded): string | null {
  try {
    const s = e.handler?.status?.();
    return typeof s === 'string' ? s.slice(0, 500) : null;
  } catch {
    return null;
  }
}

function stopHandler(e: Loaded, log: Logger): void {
  const h = e.handler;
  e.handler = undefined;
  try {
    h?.stop();
  } catch (err) {
    log.warn({ module: e.status.name, err }, `module ${e.status.name}: stop() threw`);
  }
}
