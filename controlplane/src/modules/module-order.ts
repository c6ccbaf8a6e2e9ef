// Dependency order of the discovered modules: each after the modules it needs, with a clear
// reason for every module that cannot be set up (a missing or wrong-version dependency, a cycle,
// a core version it does not support).

import semver from 'semver';
import { moduleReason, type ModuleManifest, type ModuleReason } from '@unibos/module-api';

export interface ModuleOrder {
  /** Names, dependencies first (only modules whose whole dependency tree is satisfiable). */
  order: string[];
  /** Why a module cannot be set up (in English and by code). */
  errors: Map<string, ModuleReason>;
}

export function resolveModuleOrder(manifests: ModuleManifest[], coreVersion: string): ModuleOrder {
  const byName = new Map(manifests.map((m) => [m.name, m]));
  const errors = new Map<string, ModuleReason>();
  for (const m of manifests) {
    if (!semver.satisfies(coreVersion, m.dependencies.core, { includePrerelease: true })) {
      errors.set(m.name, moduleReason('host.core_version', { range: m.dependencies.core, version: coreVersion }, `needs UNIBOS core ${m.dependencies.core}; this is ${coreVersion}`));
      continue;
    }
    for (const [dep, range] of Object.entries(m.dependencies.modules ?? {})) {
      const d = byName.get(dep);
      if (!d) errors.set(m.name, moduleReason('host.dependency_missing', { module: dep, range }, `depends on module "${dep}" (${range}), which is not installed`));
      else if (!semver.satisfies(d.version, range, { includePrerelease: true })) errors.set(m.name, moduleReason('host.dependency_version', { module: dep, range, installed: d.version }, `depends on "${dep}" ${range}; installed is ${d.version}`));
      if (errors.has(m.name)) break;
    }
  }
  // Depth-first: a grey node met again is a cycle; every module on it gets the whole loop named.
  const order: string[] = [];
  const mark = new Map<string, 'grey' | 'black'>();
  const visit = (name: string, path: string[]): boolean => {
    const state = mark.get(name);
    if (state === 'black') return !errors.has(name);
    if (state === 'grey') {
      const loop = [...path.slice(path.indexOf(name)), name];
      for (const n of loop) errors.set(n, moduleReason('host.dependency_cycle', { cycle: loop.join(' -> ') }, `dependency cycle: ${loop.join(' -> ')}`));
      return false;
    }
    mark.set(name, 'grey');
    let ok = !errors.has(name);
    for (const dep of Object.keys(byName.get(name)?.dependencies.modules ?? {})) {
      if (!byName.has(dep)) continue;
      if (!visit(dep, [...path, name])) {
        ok = false;
        if (!errors.has(name)) errors.set(name, moduleReason('host.dependency_blocked', { module: dep }, `depends on "${dep}", which cannot be set up: ${errors.get(dep)?.message ?? 'see it'}`));
      }
    }
    mark.set(name, 'black');
    if (ok && !errors.has(name)) order.push(name);
    return ok && !errors.has(name);
  };
  for (const m of [...manifests].sort((a, b) => a.name.localeCompare(b.name))) visit(m.name, []);
  return { order, errors };
}
