// The hub's SQLite file for everything written per event (fleet state, records, messages, the
// event log, sessions). WAL and synchronous=FULL: a row that acknowledges data is on disk first.
// The data dir is 0700 and hub.db, its -wal and -shm 0600, fixed at every start if found wider.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatMode, makePrivate, sqliteFileNames } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';

export type HubDb = Database.Database;

export function openHubDb(dataDir: string, logger?: Pick<Logger, 'warn'>): HubDb {
  const files = sqliteFileNames('hub.db');
  const report = (fixes: ReturnType<typeof makePrivate>): void => {
    for (const f of fixes) logger?.warn({ path: f.path, oldMode: formatMode(f.oldMode), newMode: formatMode(f.newMode) }, 'hub data was readable by others: permissions fixed');
  };
  report(makePrivate(dataDir, files, { create: 'hub.db' }));
  const db = new Database(join(dataDir, 'hub.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The -wal and -shm exist from here on; they take the database's mode, checked all the same.
  report(makePrivate(dataDir, files));
  return db;
}
