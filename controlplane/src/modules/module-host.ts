// The module registry and lifecycle, after Home Assistant's config entries: discovers modules,
// orders them by dependency, checks each against this machine, and moves each enabled one
// through setup_in_progress -> loaded, or setup_error (with the reason), or setup_retry (with a
// growing backoff: ModuleNotReady, or a runtime error after it had loaded), or migration_error;
// setup_error is settled (no retry): a module that finds something missing that will not appear
// while the hub runs throws ModuleUnavailable. Every reason goes out in English (`error`) and as a
// code with values (`problem`, module-problem.ts) that the admin UI says in the reader's language;
// disabling unloads it (unloaded). A loaded module is its own Fastify instance (its encapsulated
// context) that the hub forwards /api/v1/modules/{name}/ to, so enabling and disabling need no
// restart and a module that throws never reaches the hub's own plugins.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ModuleLifecycleState, ModuleStatus } from '@unibos/mesh-protocol';
import { ModuleError, ModuleNotReady, ModuleUnavailable, formatProblem, moduleReason, problemOf, validateSettings, type ManifestProblem, type ModuleManifest, type ModulePlugin, type ModuleProblem, type ModuleReason, type SettingsMigration } from '@unibos/module-api';
import { createModuleContext, type HubServices, type ModuleContextHandle } from './module-context-factory.ts';
import { discoverModules } from './module-discovery.ts';
import { resolveModuleOrder } from './module-order.ts';
import { unsupportedReason, type HostPlatform } from './host-platform.ts';
import type { ModuleStateStore, StoredModuleState } from './module-state-store.ts';

export interface ModuleHostOptions {
  root: string;
  coreVersion: string;
  host: HostPlatform;
  state: ModuleStateStore;
  services: HubServices;
  logger: Logger;
  /** Backoff of setup_retry: first delay, doubled per attempt up to max. */
  retry: { minMs: number; maxMs: number };
  onChange(status: ModuleStatus): void;
}

interface Entry {
  name: string;
  dir: string | null;
  manifest: ModuleManifest | null;
  /** Why it can never load here (manifest, dependency, platform). */
  blocked: { state: ModuleLifecycleState; reason: ModuleReason } | null;
  state: ModuleLifecycleState;
  error: ModuleReason | null;
  attempt: number;
  retryAt: number | null;
  retryTimer: NodeJS.Timeout | undefined;
  runtimeErrors: number;
  app: FastifyInstance | null;
  ctx: ModuleContextHandle | null;
  /** Serialises load/unload of this module. */
  busy: Promise<void>;
}

export class ModuleHost {
  private readonly entries = new Map<string, Entry>();
  private order: string[] = [];
  private closed = false;

  constructor(private readonly o: ModuleHostOptions) {}

  /** Discovers the modules and sets up every enabled one, dependencies first. */
  async start(): Promise<void> {
    const { modules, invalid } = discoverModules(this.o.root);
    for (const [folder, problems] of invalid) this.entries.set(folder, this.entry(folder, join(this.o.root, folder), null, { state: 'invalid', reason: manifestReason(problems) }));
    const { order, errors } = resolveModuleOrder(
      modules.map((m) => m.manifest),
      this.o.coreVersion,
    );
    for (const m of modules) {
      const unsupported = unsupportedReason(m.manifest, this.o.host);
      const blocked = errors.has(m.name) ? { state: 'setup_error' as const, reason: errors.get(m.name)! } : unsupported ? { state: 'unsupported' as const, reason: unsupported } : null;
      this.entries.set(m.name, this.entry(m.name, m.dir, m.manifest, blocked));
    }
    this.order = order;
    for (const [name, problems] of invalid) this.o.logger.warn({ module: name, problems: problems.map(formatProblem) }, 'module manifest invalid; the module is skipped');
    for (const name of this.order) if (this.stored(name).enabled) await this.load(name);
  }

  list(): ModuleStatus[] {
    return [...this.entries.keys()].sort().map((n) => this.status(n));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  manifest(name: string): ModuleManifest | null {
    return this.entries.get(name)?.manifest ?? null;
  }

  dir(name: string): string | null {
    return this.entries.get(name)?.dir ?? null;
  }

  /** The loaded module's Fastify instance, or null. */
  app(name: string): FastifyInstance | null {
    const e = this.entries.get(name);
    return e?.state === 'loaded' ? e.app : null;
  }

  status(name: string): ModuleStatus {
    const e = this.get(name);
    const stored = this.stored(name);
    return {
      name,
      version: e.manifest?.version ?? null,
      description: e.manifest?.description ?? null,
      category: e.manifest?.category ?? null,
      enabled: stored.enabled,
      state: e.blocked && e.state !== 'loaded' ? e.blocked.state : !stored.enabled && e.state === 'not_loaded' ? 'disabled' : e.state,
      error: (e.blocked?.reason ?? e.error)?.message ?? null,
      problem: (e.blocked?.reason ?? e.error)?.problem ?? null,
      retryAt: e.retryAt ? new Date(e.retryAt).toISOString() : null,
      runtimeErrors: e.runtimeErrors,
      settings: stored.settings,
      settingsSchema: e.manifest?.settings?.schema ?? null,
      translations: e.manifest?.translations ?? null,
      hasUi: Boolean(e.manifest?.entry.ui),
    };
  }

  async enable(name: string, settings?: Record<string, unknown>): Promise<ModuleStatus> {
    const e = this.get(name);
    if (e.blocked) throw new ModuleError(e.blocked.state === 'unsupported' ? 'E_MODULE_UNSUPPORTED' : e.blocked.state === 'invalid' ? 'E_MODULE_MANIFEST' : 'E_MODULE_DEPENDENCY', `${name}: ${e.blocked.reason.message}`, { problem: e.blocked.reason.problem });
    for (const dep of Object.keys(e.manifest?.dependencies.modules ?? {})) {
      if (!this.stored(dep).enabled) throw new ModuleError('E_MODULE_DEPENDENCY', `${name} needs module "${dep}": enable it first`, { problem: { code: 'host.dependency_disabled', params: { module: dep } } });
    }
    const stored = this.stored(name);
    const next = settings === undefined ? stored.settings : validateSettings(e.manifest?.settings?.schema, settings);
    await this.o.state.put(name, { ...stored, enabled: true, settings: next, settingsVersion: settings === undefined ? stored.settingsVersion : this.settingsVersion(e) });
    await this.reload(name);
    return this.status(name);
  }

  async disable(name: string): Promise<ModuleStatus> {
    this.get(name);
    // Modules that need this one go first (they stay enabled and come back with it).
    const down = new Set([name]);
    for (const other of this.order) {
      if (Object.keys(this.entries.get(other)?.manifest?.dependencies.modules ?? {}).some((d) => down.has(d))) down.add(other);
    }
    for (const other of [...this.order].reverse()) if (other !== name && down.has(other)) await this.unload(other, 'setup_error', moduleReason('host.dependency_disabled', { module: name }, `needs module "${name}", which is disabled`));
    await this.o.state.put(name, { ...this.stored(name), enabled: false });
    await this.unload(name, 'unloaded', null);
    return this.status(name);
  }

  /** New settings: validated, stored, and a loaded module reloaded with them. */
  async configure(name: string, settings: Record<string, unknown>): Promise<ModuleStatus> {
    const e = this.get(name);
    if (!e.manifest?.settings) throw new ModuleError('E_MODULE_SETTINGS', `${name} has no settings`);
    const valid = validateSettings(e.manifest.settings.schema, settings);
    const stored = this.stored(name);
    await this.o.state.put(name, { ...stored, settings: valid, settingsVersion: this.settingsVersion(e) });
    if (stored.enabled) await this.reload(name);
    else this.changed(e);
    return this.status(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.order].reverse()) await this.unload(name, 'unloaded', null, false);
  }

  // ---- lifecycle ----

  private async reload(name: string): Promise<void> {
    await this.unload(name, 'unloaded', null, false);
    await this.load(name);
    // Modules that need this one, enabled and waiting for it, follow.
    if (this.get(name).state === 'loaded') {
      for (const other of this.order) {
        const o = this.entries.get(other)!;
        if (other !== name && o.state !== 'loaded' && this.stored(other).enabled && ['host.dependency_not_loaded', 'host.dependency_disabled'].includes(o.error?.problem.code ?? '')) await this.load(other);
      }
    }
  }

  private load(name: string): Promise<void> {
    const e = this.get(name);
    e.busy = e.busy.then(() => this.setUp(e)).catch((err: unknown) => this.o.logger.error({ err, module: name }, 'module load failed unexpectedly'));
    return e.busy;
  }

  private async setUp(e: Entry): Promise<void> {
    if (this.closed || e.blocked || !e.manifest || !e.dir || e.state === 'loaded') return;
    clearTimeout(e.retryTimer);
    e.retryAt = null;
    for (const dep of Object.keys(e.manifest.dependencies.modules ?? {})) {
      if (this.entries.get(dep)?.state !== 'loaded') return this.settle(e, 'setup_error', moduleReason('host.dependency_not_loaded', { module: dep }, `needs module "${dep}", which is not loaded`));
    }
    // A retry keeps saying why the last try failed until this one settles: whoever looks in the
    // middle of it (the module page, `GET /api/v1/modules/{name}`) still sees the reason.
    this.settle(e, 'setup_in_progress', e.state === 'setup_retry' ? e.error : null);
    const log = this.o.logger.child({ module: e.name });
    let settings: Record<string, unknown>;
    let plugin: ModulePlugin;
    try {
      const entry = e.manifest.entry.hub ? ((await import(pathToFileURL(join(e.dir, e.manifest.entry.hub)).href)) as { default?: ModulePlugin; migrateSettings?: SettingsMigration }) : {};
      try {
        settings = this.currentSettings(e, entry.migrateSettings);
      } catch (err) {
        const settingsInvalid = err instanceof ModuleError && err.code === 'E_MODULE_SETTINGS';
        return this.settle(e, settingsInvalid ? 'setup_error' : 'migration_error', moduleReason(settingsInvalid ? 'host.settings_invalid' : 'host.migration_failed', { error: message(err) }, message(err)));
      }
      plugin = entry.default ?? (async () => {});
      if (typeof plugin !== 'function') return this.settle(e, 'setup_error', moduleReason('host.entry_no_plugin', { entry: e.manifest.entry.hub ?? '' }, `${e.manifest.entry.hub} has no default export plugin`));
    } catch (err) {
      return this.settle(e, 'setup_error', moduleReason('host.entry_load_failed', { entry: e.manifest.entry.hub ?? '', error: message(err) }, `cannot load ${e.manifest.entry.hub}: ${message(err)}`));
    }
    const ctx = createModuleContext(e.manifest, settings, log, this.o.services, (where, err) => this.runtimeError(e, where, err));
    const app = Fastify({ loggerInstance: log as unknown as FastifyBaseLogger, ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } } });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const statusCode = err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (statusCode >= 500) request.log.error({ err }, 'module request failed');
      const code = err.validation ? 'E_BAD_REQUEST' : statusCode >= 500 && !err.code ? 'E_INTERNAL' : (err.code ?? 'E_INTERNAL');
      void reply.status(statusCode).send({ statusCode, code, error: statusCode >= 500 ? 'Internal Server Error' : 'Error', message: statusCode >= 500 ? 'internal error' : err.message });
    });
    try {
      await app.register(plugin, { prefix: `/api/v1/modules/${e.name}`, module: ctx.context });
      await app.ready();
    } catch (err) {
      ctx.dispose();
      await app.close().catch(() => {});
      // The module's own problem code when it gives one (read by shape: it may bring its own module-api).
      const code = (err as { code?: string }).code;
      if (err instanceof ModuleNotReady || code === 'E_MODULE_NOT_READY') return this.scheduleRetry(e, { message: message(err), problem: problemOf(err) ?? { code: 'host.not_ready', params: { error: message(err) } } });
      // Expected and said in words (no OpenCV here): a warning without a stack, and no retry.
      if (err instanceof ModuleUnavailable || code === 'E_MODULE_UNAVAILABLE') log.warn({ reason: message(err) }, 'module unavailable on this machine; not retried');
      else log.error({ err }, 'module setup failed');
      return this.settle(e, 'setup_error', { message: message(err), problem: problemOf(err) ?? { code: 'host.setup_failed', params: { error: message(err) } } });
    }
    if (this.closed || !this.stored(e.name).enabled) {
      ctx.dispose();
      await app.close().catch(() => {});
      return;
    }
    e.app = app;
    e.ctx = ctx;
    e.attempt = 0;
    this.settle(e, 'loaded', null);
    log.info({ version: e.manifest.version }, 'module loaded');
  }

  private async unload(name: string, state: ModuleLifecycleState, reason: ModuleReason | null, notify = true): Promise<void> {
    const e = this.get(name);
    const run = async (): Promise<void> => {
      clearTimeout(e.retryTimer);
      e.retryAt = null;
      const { app, ctx } = e;
      e.app = null;
      e.ctx = null;
      ctx?.dispose();
      if (app) await app.close().catch((err: unknown) => this.o.logger.warn({ err, module: name }, 'module unload failed'));
      if (app || notify) this.settle(e, state, reason, notify);
    };
    e.busy = e.busy.then(run);
    await e.busy;
  }

  private runtimeError(e: Entry, where: string, err: unknown): void {
    e.runtimeErrors++;
    this.o.logger.error({ err, module: e.name, where }, 'module runtime error; unloading it and retrying');
    const reason = moduleReason('host.runtime_error', { where, error: message(err) }, `runtime error in ${where}: ${message(err)}`);
    void this.unload(e.name, 'setup_retry', reason).then(() => {
      if (this.stored(e.name).enabled && !this.closed) this.scheduleRetry(e, reason);
    });
  }

  private scheduleRetry(e: Entry, reason: ModuleReason): void {
    const delay = Math.min(this.o.retry.maxMs, this.o.retry.minMs * 2 ** e.attempt);
    e.attempt++;
    e.retryAt = Date.now() + delay;
    clearTimeout(e.retryTimer);
    e.retryTimer = setTimeout(() => void this.load(e.name), delay);
    e.retryTimer.unref?.();
    this.settle(e, 'setup_retry', reason);
  }

  private settle(e: Entry, state: ModuleLifecycleState, error: ModuleReason | null, notify = true): void {
    e.state = state;
    e.error = error;
    if (state !== 'setup_retry') e.retryAt = null;
    if (notify) this.changed(e);
  }

  private changed(e: Entry): void {
    try {
      this.o.onChange(this.status(e.name));
    } catch (err) {
      this.o.logger.warn({ err }, 'module state event failed');
    }
  }

  private currentSettings(e: Entry, migrate: SettingsMigration | undefined): Record<string, unknown> {
    const stored = this.stored(e.name);
    const target = this.settingsVersion(e);
    let settings = stored.settings;
    if (stored.settingsVersion < target && Object.keys(settings).length > 0) {
      if (!migrate) throw new Error(`settings are version ${stored.settingsVersion}, the module wants ${target}, and it has no migrateSettings`);
      settings = migrate(structuredClone(settings), stored.settingsVersion, target);
      void this.o.state.put(e.name, { ...stored, settings, settingsVersion: target });
    }
    return validateSettings(e.manifest?.settings?.schema ?? { type: 'object' }, settings);
  }

  private settingsVersion(e: Entry): number {
    return e.manifest?.settings?.version ?? 1;
  }

  private stored(name: string): StoredModuleState {
    const e = this.entries.get(name);
    return this.o.state.get(name) ?? { enabled: false, settings: {}, settingsVersion: e?.manifest?.settings?.version ?? 1 };
  }

  private get(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new ModuleError('E_MODULE_NOT_FOUND', `no module named "${name}"`);
    return e;
  }

  private entry(name: string, dir: string | null, manifest: ModuleManifest | null, blocked: Entry['blocked']): Entry {
    return { name, dir, manifest, blocked, state: 'not_loaded', error: null, attempt: 0, retryAt: null, retryTimer: undefined, runtimeErrors: 0, app: null, ctx: null, busy: Promise.resolve() };
  }
}

function manifestReason(problems: ManifestProblem[]): ModuleReason {
  const text = problems.map(formatProblem).join('; ');
  return moduleReason('host.manifest_invalid', { problems: text }, text);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export type { ManifestProblem };
