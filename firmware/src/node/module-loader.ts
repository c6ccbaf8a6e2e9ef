// Loads the device-side handlers of the modules a node is configured with (`modules`, from
// `modulesDir`): each manifest is validated with @unibos/module-api, checked against this node's
// platform and hardware, and its `entry.device` started in its own thread (module-thread.ts) with a
// permission-checked DeviceSide (module-device-side.ts). A module that cannot load is reported
// (file and field) and left out; one that throws later is unloaded; one stuck in a loop or out of
// memory has its thread ended; the node runs on either way. This file and module-api are imported
// only by a node that names a module.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Device } from './device.ts';
import { moduleChildMark, moduleMark } from './module-child-group.ts';
import { ModuleDeviceSide } from './module-device-side.ts';
import { MODULE_LIMITS, ModuleThread, type ModuleFault, type ModuleLimits } from './module-thread.ts';
import { nodeAbilities, unsupportedOnNode, type NodeAbilities } from './module-platform.ts';
import type { ModuleStatus } from './module-status.ts';
import type { NodeConfig } from './node-config.ts';

/** modules/ beside firmware/ — in the checkout and in a bundle, which keeps the checkout's layout. */
export const DEFAULT_MODULES_DIR = fileURLToPath(new URL('../../../modules/', import.meta.url));

interface Loaded {
  status: ModuleStatus;
  side?: ModuleDeviceSide;
  thread?: ModuleThread;
}

export interface NodeModules {
  status(): ModuleStatus[];
  /** Stops every running handler; resolves once their threads have ended. */
  stop(): Promise<void>;
}

export interface LoadModulesOptions {
  device: Device;
  config: Pick<NodeConfig, 'modules' | 'modulesDir' | 'moduleOptions' | 'dataDir' | 'gps'> & Partial<Pick<NodeConfig, 'moduleLimits'>>;
  log: Logger;
  abilities?: NodeAbilities;
  /** How long a handler's file may take to load (its top-level code) before the module is left out. */
  importTimeoutMs?: number;
  /** Each module thread's bounds (by default config.moduleLimits, or MODULE_LIMITS without them). */
  limits?: ModuleLimits;
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
  const configured = config.moduleLimits;
  const limits: ModuleLimits = options.limits ?? (configured ? { heapMb: configured.memoryMb, bufferMb: configured.memoryMb, stuckAfterS: configured.stuckAfterS } : MODULE_LIMITS);
  const loaded: Loaded[] = [];
  let api: typeof import('@unibos/module-api');
  try {
    api = await import('@unibos/module-api');
  } catch (err) {
    // A runtime built without module-api still runs as a node, without its modules.
    for (const name of config.modules) loaded.push({ status: { name, version: null, state: 'failed', reason: `@unibos/module-api does not load: ${(err as Error).message}`, refused: 0, failed: 0, errors: 0, ended: 0 } });
    log.error({ err }, 'modules not loaded: @unibos/module-api does not load');
    return { status: () => loaded.map((e) => ({ ...e.status })), stop: async () => {} };
  }

  const nodeMark = moduleChildMark(config.dataDir);
  for (const name of config.modules) {
    const file = join(dir, name, 'module.json');
    const entry: Loaded = { status: { name, version: null, state: 'failed', reason: null, refused: 0, failed: 0, errors: 0, ended: 0 } };
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

    // A fault after start: a throw unloads the module (its stop() still runs); a thread the node
    // had to end (stuck, out of memory) or that exited leaves it failed. Either way it is not
    // started again until the node restarts: a module that loops at once would loop again.
    const onFault = (fault: ModuleFault): void => {
      if (entry.status.state !== 'loaded') return;
      entry.status.state = fault.kind === 'threw' ? 'unloaded' : 'failed';
      entry.status.reason = fault.reason;
      if (fault.kind === 'stuck' || fault.kind === 'memory') entry.status.ended++;
      else entry.status.errors++;
      if (fault.kind === 'threw') log.error({ module: name }, `module ${name} unloaded: its ${fault.reason}`);
      entry.side?.revoke();
      void entry.thread?.stop();
    };
    const side = new ModuleDeviceSide({ name, manifest: m, device, dataDir: config.dataDir, log, onThrow: (err, where) => onFault({ kind: 'threw', reason: `${where} threw: ${(err as Error)?.message ?? String(err)}` }) });
    const thread = new ModuleThread({ name, side, handlerPath, options: settings, log, importTimeoutMs: options.importTimeoutMs ?? MODULE_IMPORT_TIMEOUT_MS, limits, onFault, childMark: moduleMark(nodeMark, name) });
    const started = await thread.start();
    if (started.outcome !== 'started') {
      side.revoke();
      switch (started.outcome) {
        case 'import-failed':
          fail('E_MODULE_MANIFEST', `${file}: entry.device: ${handlerPath} does not load: ${started.message}`);
          break;
        case 'no-factory':
          fail('E_MODULE_MANIFEST', `${file}: entry.device: ${handlerPath} has no default export that is a device handler factory`);
          break;
        case 'no-stop':
          fail('E_MODULE_MANIFEST', `${file}: entry.device: the factory in ${handlerPath} did not return a handler with stop()`);
          break;
        case 'setup-failed':
          if (started.fault.kind === 'stuck' || started.fault.kind === 'memory') entry.status.ended++;
          else entry.status.errors++;
          fail(started.fault.kind === 'threw' ? 'E_MODULE_SETUP' : 'E_MODULE_THREAD', started.fault.reason);
          break;
      }
      continue;
    }
    entry.side = side;
    entry.thread = thread;
    entry.status.state = 'loaded';
    log.info({ module: name, version: m.version }, `module ${name} ${m.version} loaded`);
  }

  return {
    status: () =>
      loaded.map((e) => ({ ...e.status, reason: e.status.state === 'loaded' ? (e.thread?.status ?? null) : e.status.reason, refused: e.side?.counters.refused ?? 0, failed: e.side?.counters.failed ?? 0 })),
    stop: async () => {
      const ending: Promise<void>[] = [];
      for (const e of loaded) {
        if (e.status.state === 'loaded') {
          e.side?.revoke();
          e.status.state = 'stopped';
        }
        // A thread still finishing (a module unloaded a moment ago) is waited for too.
        if (e.thread) ending.push(e.thread.stop());
      }
      await Promise.all(ending);
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

/** A bundle holds the compiled .js where the manifest names the .ts source. */
function compiledOrSource(path: string): string | null {
  if (existsSync(path)) return path;
  const js = path.replace(/\.ts$/, '.js');
  return js !== path && existsSync(js) ? js : null;
}
