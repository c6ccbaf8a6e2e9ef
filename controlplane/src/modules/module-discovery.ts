// Finds modules: every `{dir}/*/module.json`, each validated on its own. A bad manifest becomes
// a problem naming the file and the field; the others are still returned.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateManifestText, type ManifestProblem, type ModuleManifest } from '@unibos/module-api';

export interface DiscoveredModule {
  name: string;
  dir: string;
  manifest: ModuleManifest;
}

export interface Discovery {
  modules: DiscoveredModule[];
  /** Folders whose manifest did not validate, by folder name. */
  invalid: Map<string, ManifestProblem[]>;
}

export function discoverModules(root: string): Discovery {
  const modules: DiscoveredModule[] = [];
  const invalid = new Map<string, ManifestProblem[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync(root).sort();
  } catch {
    return { modules, invalid };
  }
  for (const folder of entries) {
    const dir = join(root, folder);
    const file = join(dir, 'module.json');
    if (!statSync(dir).isDirectory() || !existsSync(file)) continue;
    const result = validateManifestText(readFileSync(file, 'utf8'), file);
    if (!result.ok) {
      invalid.set(folder, result.problems);
      continue;
    }
    if (result.manifest.name !== folder) {
      invalid.set(folder, [{ file, field: 'name', message: `"${result.manifest.name}" must match its folder name "${folder}"` }]);
      continue;
    }
    modules.push({ name: folder, dir, manifest: result.manifest });
  }
  return { modules, invalid };
}
