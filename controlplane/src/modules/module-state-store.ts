// Which modules are enabled and their settings, in `modules.json` (lowdb): small, rarely
// written, and a file an operator may read or edit with the hub stopped. Written by an atomic
// rename (lowdb's JSONFile), so a crash leaves the old or the new file.

import { join } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

export interface StoredModuleState {
  enabled: boolean;
  settings: Record<string, unknown>;
  settingsVersion: number;
}

interface ModulesFile {
  version: 1;
  modules: Record<string, StoredModuleState>;
}

export const MODULES_STATE_FILE = 'modules.json';

export class ModuleStateStore {
  private constructor(private readonly db: Low<ModulesFile>) {}

  static async open(dataDir: string): Promise<ModuleStateStore> {
    const db = new Low<ModulesFile>(new JSONFile<ModulesFile>(join(dataDir, MODULES_STATE_FILE)), { version: 1, modules: {} });
    await db.read();
    if (typeof db.data !== 'object' || db.data === null || typeof db.data.modules !== 'object') db.data = { version: 1, modules: {} };
    return new ModuleStateStore(db);
  }

  get(name: string): StoredModuleState | null {
    return this.db.data.modules[name] ?? null;
  }

  async put(name: string, state: StoredModuleState): Promise<void> {
    this.db.data.modules[name] = state;
    await this.db.write();
  }
}
