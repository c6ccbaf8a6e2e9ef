// The modules API: list and inspect modules, enable, disable and configure them (admins), the
// module's own routes under /api/v1/modules/{name}/ (forwarded into its own Fastify instance with
// the authenticated caller), and its browser UI script (public, code only: no data).
// `enable`, `disable` and `settings` under a module's path are the hub's, not the module's.

import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { ModuleError } from '@unibos/module-api';
import { can, type AuthContext } from '../auth/auth-context.ts';
import type { Guard } from '../auth/guard.ts';
import { HubError } from '../hub-error.ts';
import { CALLER_HEADER } from './module-context-factory.ts';
import type { ModuleStatus } from '@unibos/mesh-protocol';
import type { ModuleHost } from './module-host.ts';
import { hideSecrets, keepSecrets } from './settings-secrets.ts';

export interface ModuleRoutesOptions {
  modules: ModuleHost;
  guard: Guard;
  /** The hub's own org (AuthServices.hubOrgId): modules are the whole hub's, its admins manage them. */
  hubOrgId(): string | undefined;
  /** An org whose member used the modules API (it gets module.state events). */
  sawOrg(orgId: string): void;
}

const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{1,39}$' } } } as const;
const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json' };

/** A module's status as someone who may not manage modules sees it: no settings (camera addresses, feed URLs). */
export function publicStatus(status: ModuleStatus): ModuleStatus {
  const { settings: _settings, ...rest } = status;
  return rest;
}

export const moduleRoutes: FastifyPluginAsync<ModuleRoutesOptions> = async (app, { modules, guard, hubOrgId, sawOrg }) => {
  const seen = async (request: { auth: { orgId: string } | null }): Promise<void> => {
    if (request.auth) sawOrg(request.auth.orgId);
  };
  // Any user can make an org of their own and be its owner: the fleet permission alone would let
  // anyone switch the emergency module off for every org, or point its feed elsewhere.
  const mayManage = (auth: AuthContext | null): boolean => auth !== null && can(auth, 'fleet') && auth.orgId === hubOrgId();
  const manage = [
    guard('fleet'),
    async (request: { auth: AuthContext | null }): Promise<void> => {
      if (!mayManage(request.auth)) throw new HubError('E_FORBIDDEN', "modules run for the whole hub: only admins of the hub's own org (the one made at setup) may enable, disable or configure them");
    },
  ];
  // Even the admins' browsers get settings without their passwords (settings-secrets.ts).
  const schema = (name: string): unknown => modules.manifest(name)?.settings?.schema;
  const shown = (status: ModuleStatus, auth: AuthContext | null) => (mayManage(auth) ? { ...status, settings: hideSecrets(status.settings, schema(status.name)) } : publicStatus(status));
  /** Settings from the browser with the secrets it was shown as *** put back (settings-secrets.ts). */
  const submitted = (name: string, settings: Record<string, unknown>) => keepSecrets(settings, modules.status(name).settings, schema(name));

  app.get('/api/v1/modules', { preHandler: [guard('read'), seen], schema: { tags: ['modules'], summary: 'Installed modules with their state (settings only for those who may manage them)' } }, async (request) => ({
    modules: modules.list().map((s) => shown(s, request.auth)),
    canManage: mayManage(request.auth),
  }));

  app.get<{ Params: { name: string } }>('/api/v1/modules/:name', { preHandler: [guard('read'), seen], schema: { tags: ['modules'], params: nameParam } }, async (request) => {
    const { name } = request.params;
    return { ...shown(modules.status(name), request.auth), manifest: modules.manifest(name) };
  });

  app.post<{ Params: { name: string }; Body: { settings?: Record<string, unknown> } | undefined }>(
    '/api/v1/modules/:name/enable',
    { preHandler: manage, schema: { tags: ['modules'], params: nameParam, body: { type: ['object', 'null'], properties: { settings: { type: 'object' } } } } },
    async (request) => {
      const { name } = request.params;
      const settings = request.body?.settings;
      return shown(await modules.enable(name, settings === undefined ? undefined : submitted(name, settings)), request.auth);
    },
  );

  app.post<{ Params: { name: string } }>('/api/v1/modules/:name/disable', { preHandler: manage, schema: { tags: ['modules'], params: nameParam } }, async (request) => shown(await modules.disable(request.params.name), request.auth));

  app.put<{ Params: { name: string }; Body: Record<string, unknown> }>(
    '/api/v1/modules/:name/settings',
    { preHandler: manage, schema: { tags: ['modules'], params: nameParam, body: { type: 'object' } } },
    async (request) => shown(await modules.configure(request.params.name, submitted(request.params.name, request.body)), request.auth),
  );

  app.get<{ Params: { name: string; '*': string } }>('/modules/:name/ui/*', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    const entry = modules.has(name) ? modules.manifest(name)?.entry.ui : undefined;
    const dir = modules.dir(name);
    if (!entry || !dir) throw new ModuleError('E_NOT_FOUND', `module ${name} has no UI`);
    const base = join(dir, dirname(entry));
    const file = normalize(join(base, request.params['*']));
    if (!file.startsWith(base + sep) || !CONTENT_TYPES[extname(file)]) throw new ModuleError('E_NOT_FOUND', 'not found');
    const body = await readFile(file).catch(() => {
      throw new ModuleError('E_NOT_FOUND', 'not found');
    });
    return reply.type(CONTENT_TYPES[extname(file)]!).header('cache-control', 'no-cache').send(body);
  });

  app.all<{ Params: { name: string; '*': string } }>('/api/v1/modules/:name/*', { preHandler: [guard(), seen], schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    if (!modules.has(name)) throw new ModuleError('E_MODULE_NOT_FOUND', `no module named "${name}"`);
    const target = modules.app(name);
    if (!target) throw new ModuleError('E_MODULE_UNLOADED', `module ${name} is not loaded (${modules.status(name).state})`);
    const auth = request.auth!;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers)) if (typeof v === 'string' && k !== 'authorization' && k !== CALLER_HEADER && k !== 'content-length') headers[k] = v;
    headers[CALLER_HEADER] = JSON.stringify({ orgId: auth.orgId, userId: auth.userId, role: auth.role, permissions: auth.permissions });
    const res = await target.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      ...(request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
    });
    void reply.status(res.statusCode);
    const type = res.headers['content-type'];
    if (typeof type === 'string') void reply.type(type);
    return reply.send(res.rawPayload);
  });
};
