// The module host as a hub feature: builds the ModuleHost from what the hub shares (database,
// events, fleet, downlink), raises `module.state` when a module changes, mounts the modules API,
// and sets up enabled modules once every hub feature is ready; they are unloaded before the
// features they use close.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { detectHostPlatform, type HostPlatform } from './host-platform.ts';
import { ModuleDocStore } from './module-doc-store.ts';
import { ModuleHost } from './module-host.ts';
import { moduleRoutes, publicStatus } from './module-routes.ts';
import { ModuleStateStore } from './module-state-store.ts';

export interface ModulesOptions {
  /** Where `*\/module.json` are looked for (default: the repository's modules/). */
  root?: string;
  /** The fetch modules get (tests inject one; default: the global fetch). */
  fetch?: typeof fetch;
  host?: HostPlatform;
  retry?: { minMs: number; maxMs: number };
}

export const DEFAULT_MODULES_ROOT = fileURLToPath(new URL('../../../modules/', import.meta.url));
const CORE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

declare module 'fastify' {
  interface FastifyInstance {
    modules: ModuleHost;
  }
}

export const modulesPlugin = fp<ModulesOptions>(
  async (app, options) => {
    const orgs = new Set<string>();
    const fleetOrgs = app.db.prepare<[], { org_id: string }>('SELECT DISTINCT org_id FROM fleet_nodes');
    const host = new ModuleHost({
      root: options.root ?? DEFAULT_MODULES_ROOT,
      coreVersion: CORE_VERSION,
      host: options.host ?? detectHostPlatform(),
      state: await ModuleStateStore.open(app.config.dataDir),
      services: { db: app.db, events: app.events, fleet: app.fleet.store, downlink: app.downlink, docs: new ModuleDocStore(app.db), fetch: options.fetch ?? globalThis.fetch, now: app.now, hubOrgId: () => app.auth.hubOrgId() },
      logger: app.log as unknown as Logger,
      retry: options.retry ?? { minMs: 2_000, maxMs: 300_000 },
      onChange: (status) => {
        // Module state is hub-wide; each org that has a fleet or has looked at modules hears it,
        // without the settings, which are for the hub's own admins (module-routes.ts).
        for (const r of fleetOrgs.all()) orgs.add(r.org_id);
        const data = publicStatus(status);
        for (const orgId of orgs) app.events.append({ orgId, type: 'module.state', data });
      },
    });
    app.decorate('modules', host);
    await app.register(moduleRoutes, { modules: host, guard: app.guard, hubOrgId: () => app.auth.hubOrgId(), sawOrg: (orgId) => orgs.add(orgId) });
    app.addHook('onReady', async () => {
      await host.start();
    });
    app.addHook('onClose', async () => {
      await host.close();
    });
  },
  {
    name: 'hub-modules',
    dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-fleet', 'hub-messages'],
    decorators: { fastify: ['db', 'now', 'config', 'auth', 'guard', 'events', 'fleet', 'downlink'] },
  },
);
