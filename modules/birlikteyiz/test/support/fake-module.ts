// A stand-in for the module API (no hub) for birlikteyiz's tests: an in-memory store, a fleet, and
// what the module published and sent into the mesh.

import type { ModuleCollection, ModuleContext, StoredDoc } from '@unibos/module-api';
import type { FleetNode } from '@unibos/mesh-protocol';
import type { BirlikteyizSettings } from '../../src/birlikteyiz-settings.ts';

export const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

export function memoryCollection<T>(): ModuleCollection<T> {
  const docs = new Map<string, StoredDoc<T>>();
  let tick = 0;
  const key = (orgId: string | null, id: string): string => `${orgId ?? ''}\u0000${id}`;
  return {
    put: (orgId, id, doc) => void docs.set(key(orgId, id), { id, orgId, updatedAt: ++tick, doc: structuredClone(doc) }),
    get: (orgId, id) => (docs.has(key(orgId, id)) ? structuredClone(docs.get(key(orgId, id))!.doc) : null),
    list: (orgId, q) =>
      [...docs.values()]
        .filter((d) => d.orgId === orgId)
        .sort((a, b) => b.updatedAt - a.updatedAt)
        .slice(0, q?.limit ?? 100)
        .map((d) => structuredClone(d)),
    delete: (orgId, id) => docs.delete(key(orgId, id)),
  };
}

export function node(id: string, latitude: number, longitude: number): FleetNode {
  return { id, name: id, kind: 'node', online: true, lastSeen: null, battery: null, voltage: null, snr: null, rssi: null, position: { latitude, longitude } as FleetNode['position'], capabilities: { radio: true, gps: true, camera: false, modules: [] }, heardBy: [], claimed: true };
}

export function fakeModule(fleet: Record<string, FleetNode[]>): { m: ModuleContext; published: Array<{ orgId: string; type: string; data: any }>; sent: Array<{ orgId: string; body: unknown }> } {
  const published: Array<{ orgId: string; type: string; data: any }> = [];
  const sent: Array<{ orgId: string; body: unknown }> = [];
  const collections = new Map<string, ModuleCollection<unknown>>();
  const m = {
    name: 'birlikteyiz',
    log: { debug() {}, info() {}, warn() {}, error() {} },
    settings: {},
    now: () => NOW,
    events: { publish: (orgId: string, type: string, data: unknown) => void published.push({ orgId, type, data }), subscribe() {} },
    mesh: {
      send: (orgId: string, _to: string, body: unknown) => {
        sent.push({ orgId, body });
        return { id: `msg-${sent.length}`, status: 'queued' };
      },
    },
    mqtt: { subscribe() {} },
    fleet: { orgs: () => Object.keys(fleet), hubOrg: () => Object.keys(fleet)[0] ?? null, list: (orgId: string) => fleet[orgId] ?? [], get: () => null },
    jobs: { every: () => ({ runNow() {}, setInterval() {}, cancel() {} }) },
    store: {
      collection: <T>(name: string) => {
        if (!collections.has(name)) collections.set(name, memoryCollection<unknown>());
        return collections.get(name) as ModuleCollection<T>;
      },
    },
    fetch: () => Promise.reject(new Error('no network here')),
    caller: (request: any) => ({ orgId: request.headers['x-org'], userId: 'u', role: 'admin', can: () => true }),
    require: (request: any) => ({ orgId: request.headers['x-org'], userId: 'u', role: 'admin', can: () => true }),
  } as unknown as ModuleContext;
  return { m, published, sent };
}

export const SETTINGS: BirlikteyizSettings = { minMagnitude: 4, maxAgeMinutes: 60, pollIntervalS: 60, regionMode: 'fleet', radiusKm: 150, polygon: [], meshAlerts: true, checkInRounds: true, roundMinutes: 60, usgsUrl: '', emscUrl: '', afadUrl: '', kandilliUrl: '', language: 'en' };
