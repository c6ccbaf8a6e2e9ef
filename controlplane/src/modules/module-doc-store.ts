// A module's own data: named collections of JSON documents in hub.db (one table for every module,
// each row keyed by module, collection, org and id). SQLite, because modules write per event
// (a quake, a check-in); a module sees only its own rows.

import type { ModuleCollection, StoredDoc } from '@unibos/module-api';
import type { HubDb } from '../storage/hub-db.ts';

interface DocRow {
  id: string;
  org_id: string;
  updated_at: number;
  doc: string;
}

const HUB_WIDE = '';

export class ModuleDocStore {
  private readonly stmt;

  constructor(db: HubDb) {
    db.exec(`CREATE TABLE IF NOT EXISTS module_docs (
      module TEXT NOT NULL,
      collection TEXT NOT NULL,
      org_id TEXT NOT NULL,
      id TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      doc TEXT NOT NULL,
      PRIMARY KEY (module, collection, org_id, id)
    );
    CREATE INDEX IF NOT EXISTS module_docs_recent ON module_docs (module, collection, org_id, updated_at);`);
    this.stmt = {
      put: db.prepare<[string, string, string, string, number, string]>(
        'INSERT INTO module_docs (module, collection, org_id, id, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (module, collection, org_id, id) DO UPDATE SET updated_at = excluded.updated_at, doc = excluded.doc',
      ),
      get: db.prepare<[string, string, string, string], DocRow>('SELECT * FROM module_docs WHERE module = ? AND collection = ? AND org_id = ? AND id = ?'),
      list: db.prepare<[string, string, string, number, number], DocRow>(
        'SELECT * FROM module_docs WHERE module = ? AND collection = ? AND org_id = ? AND updated_at >= ? ORDER BY updated_at DESC, id DESC LIMIT ?',
      ),
      delete: db.prepare<[string, string, string, string]>('DELETE FROM module_docs WHERE module = ? AND collection = ? AND org_id = ? AND id = ?'),
    };
  }

  collection<T>(module: string, collection: string, now: () => number): ModuleCollection<T> {
    const s = this.stmt;
    const org = (orgId: string | null): string => orgId ?? HUB_WIDE;
    return {
      put: (orgId, id, doc) => void s.put.run(module, collection, org(orgId), id, now(), JSON.stringify(doc)),
      get: (orgId, id) => {
        const row = s.get.get(module, collection, org(orgId), id);
        return row ? (JSON.parse(row.doc) as T) : null;
      },
      list: (orgId, q = {}) =>
        s.list.all(module, collection, org(orgId), q.sinceMs ?? 0, Math.min(q.limit ?? 100, 10_000)).map(
          (r): StoredDoc<T> => ({ id: r.id, orgId: r.org_id === HUB_WIDE ? null : r.org_id, updatedAt: r.updated_at, doc: JSON.parse(r.doc) as T }),
        ),
      delete: (orgId, id) => s.delete.run(module, collection, org(orgId), id).changes > 0,
    };
  }
}
