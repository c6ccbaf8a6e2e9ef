// Builds the module API (ModuleContext) one loaded module gets: every call checks the manifest's
// permissions first (E_MODULE_PERMISSION), every handler and job it registers runs inside a
// catch that reports to its supervisor, and dispose() removes all of it when the module unloads.

import { moduleEventType, parseModuleEventType, type HubEventType } from '@unibos/mesh-protocol';
import { ModuleError, topicFilterCovers, topicFilterMatches, type MeshBody, type ModuleCollection, type MeshPriority, type ModuleCaller, type ModuleContext, type ModuleEvent, type ModuleLogger, type ModuleManifest } from '@unibos/module-api';
import type { FastifyRequest } from 'fastify';
import type { EventLog } from '../events/event-log.ts';
import type { FleetStore } from '../fleet/fleet-store.ts';
import type { Downlink } from '../messages/downlink.ts';
import { HUB_ALERT_LEVELS } from '../messages/message-routes.ts';
import type { HubDb } from '../storage/hub-db.ts';
import type { ModuleDocStore } from './module-doc-store.ts';
import { ModuleJobs } from './module-jobs.ts';

export const CALLER_HEADER = 'x-unibos-module-caller';
const MESH_TX_TOPIC = 'gw/+/tx';
const PRIORITY_RANK: Record<MeshPriority, number> = { normal: 0, alert: 1 };

export interface HubServices {
  db: HubDb;
  events: EventLog;
  fleet: FleetStore;
  downlink: Pick<Downlink, 'send'>;
  docs: ModuleDocStore;
  fetch: typeof fetch;
  now: () => number;
  /** The hub's own org (AuthServices.hubOrgId). */
  hubOrgId: () => string | undefined;
}

export interface ModuleContextHandle {
  context: ModuleContext;
  dispose(): void;
}

export function createModuleContext(manifest: ModuleManifest, settings: Record<string, unknown>, log: ModuleLogger, hub: HubServices, onRuntimeError: (where: string, err: unknown) => void): ModuleContextHandle {
  const name = manifest.name;
  const perms = manifest.permissions;
  const disposers: Array<() => void> = [];
  let disposed = false;
  // What an unloaded instance still had running (a job awaiting a slow feed) ends on it: its late
  // errors are no runtime error of the instance loaded since, only a line in the log.
  const report = (where: string, err: unknown): void => {
    if (!disposed) onRuntimeError(where, err);
    else log.warn({ err, where }, 'after unloading');
  };
  const jobs = new ModuleJobs((job, err) => report(`job ${job}`, err));
  disposers.push(() => jobs.stop());
  const refuse = (what: string): never => {
    throw new ModuleError('E_MODULE_PERMISSION', `module ${name} may not ${what}: its module.json does not declare it`);
  };
  const live = (): void => {
    if (disposed) throw new ModuleError('E_MODULE_UNLOADED', `module ${name} is unloaded`);
  };
  const publishable = new Set((perms.events?.publish ?? []).map((e) => moduleEventType(name, e)));
  const subscribable = new Set(perms.events?.subscribe ?? []);
  const guarded = <A extends unknown[]>(where: string, fn: (...a: A) => void) => (...a: A): void => {
    if (disposed) return;
    try {
      fn(...a);
    } catch (err) {
      report(where, err);
    }
  };
  const fleetOrgs = hub.db.prepare<[], { org_id: string }>('SELECT DISTINCT org_id FROM fleet_nodes ORDER BY org_id');

  const context: ModuleContext = {
    name,
    log,
    settings: Object.freeze({ ...settings }),
    now: hub.now,
    events: {
      publish(orgId, type, data) {
        live();
        const parsed = parseModuleEventType(type);
        if (!parsed || parsed.module !== name || !publishable.has(type)) refuse(`publish event "${type}"`);
        hub.events.append({ orgId, type, data });
      },
      subscribe(type, handler) {
        live();
        const own = parseModuleEventType(type)?.module === name;
        if (!subscribable.has(type) && !own) refuse(`read "${type}" events`);
        const safe = guarded(`event ${type}`, handler as (e: ModuleEvent) => void);
        // An event with an audience (the messenger's) belongs to those users only, never to a module.
        disposers.push(hub.events.subscribe((e) => e.type === (type as HubEventType) && e.audience === undefined && safe(e as ModuleEvent)));
      },
    },
    mesh: {
      send(orgId: string, to: string, body: MeshBody, priority: MeshPriority) {
        live();
        if (!(perms.mqtt?.publish ?? []).some((f) => topicFilterCovers(f, MESH_TX_TOPIC))) refuse(`send into the mesh (publish ${MESH_TX_TOPIC})`);
        const max = perms.mesh?.max_priority;
        if (!max || PRIORITY_RANK[priority] > PRIORITY_RANK[max]) refuse(`send at priority "${priority}" (declared: ${max ?? 'none'})`);
        const isAlert = 'alert' in body;
        if (isAlert !== (priority === 'alert')) throw new ModuleError('E_BAD_REQUEST', 'an alert goes at priority "alert" and a text at "normal"');
        if (isAlert && !(HUB_ALERT_LEVELS as readonly string[]).includes(body.alert.level)) throw new ModuleError('E_BAD_REQUEST', `a module sends alerts at ${HUB_ALERT_LEVELS.join(', ')}, not ${body.alert.level}`);
        const m = hub.downlink.send(orgId, to, body, `module:${name}`);
        return { id: m.id, status: m.status };
      },
    },
    mqtt: {
      subscribe(filter, handler) {
        live();
        if (!(perms.mqtt?.subscribe ?? []).some((f) => topicFilterCovers(f, filter))) refuse(`subscribe to ${filter}`);
        const safe = guarded(`mqtt ${filter}`, handler);
        disposers.push(
          hub.events.subscribe((e) => {
            if (e.type !== 'sensor.reading') return;
            const r = e.data as ModuleEvent<'sensor.reading'>['data'];
            if (topicFilterMatches(filter, `sensor/${r.sensorId}/${r.metric}`)) safe({ ...r, orgId: e.orgId });
          }),
        );
      },
    },
    fleet: {
      orgs() {
        if (perms.fleet !== 'read') refuse('read the fleet');
        return fleetOrgs.all().map((r) => r.org_id);
      },
      hubOrg() {
        return hub.hubOrgId() ?? null;
      },
      list(orgId) {
        if (perms.fleet !== 'read') refuse('read the fleet');
        return hub.fleet.list(orgId, { limit: 10_000 });
      },
      get(orgId, nodeId) {
        if (perms.fleet !== 'read') refuse('read the fleet');
        return hub.fleet.get(orgId, nodeId);
      },
    },
    jobs: {
      every(jobName, intervalMs, run, options) {
        live();
        return jobs.every(jobName, intervalMs, run, options);
      },
    },
    store: {
      collection: <T>(collection: string): ModuleCollection<T> => {
        if (!/^[a-z][a-z0-9_-]{0,39}$/.test(collection)) throw new ModuleError('E_BAD_REQUEST', `bad collection name "${collection}"`);
        const docs = hub.docs.collection<T>(name, collection, hub.now);
        // Writes of an unloaded instance are refused: its successor owns the documents now.
        return {
          get: (orgId, id) => docs.get(orgId, id),
          list: (orgId, q) => docs.list(orgId, q),
          put: (orgId, id, doc) => (live(), docs.put(orgId, id, doc)),
          delete: (orgId, id) => (live(), docs.delete(orgId, id)),
        };
      },
    },
    fetch(input, init) {
      if (perms.network !== true) refuse('use the network');
      live();
      return hub.fetch(input, init);
    },
    caller(request: FastifyRequest): ModuleCaller {
      const raw = request.headers[CALLER_HEADER];
      if (typeof raw !== 'string') throw new ModuleError('E_FORBIDDEN', 'authentication required');
      const c = JSON.parse(raw) as { orgId: string; userId: string; role: string; permissions: string[] };
      return { orgId: c.orgId, userId: c.userId, role: c.role, can: (p) => c.permissions.includes(p) };
    },
    require(request, permission) {
      const c = context.caller(request);
      if (!c.can(permission)) throw new ModuleError('E_FORBIDDEN', `this role may not ${permission}`);
      return c;
    },
  };
  return {
    context,
    dispose() {
      disposed = true;
      for (const d of disposers.splice(0)) d();
    },
  };
}
