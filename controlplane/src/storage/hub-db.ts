// The hub's SQLite file for everything written per event (fleet state, records, messages, the
// event log, sessions). WAL and synchronous=FULL: a row that acknowledges data is on disk first.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type HubDb = Database.Database;

export function openHubDb(dataDir: string): HubDb {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, 'hub.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
