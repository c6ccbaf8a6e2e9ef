// The device's one SQLite file (WAL): everything written per event — the frame counter
// reservation, the outbox, the node database and the inbox. Each table has its own small
// repository class; this file only opens the database and brings its schema up to date.
// Its folder is 0700 and node.db, -wal and -shm 0600 (it holds the frame counter and messages),
// fixed at every start if found wider.

import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { formatMode, makePrivate, sqliteFileNames, type ModeFix } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import { FirmwareError } from '../firmware-error.ts';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  `CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     packet_id INTEGER NOT NULL,
     dest INTEGER NOT NULL,
     payload BLOB NOT NULL,
     want_ack INTEGER NOT NULL,
     hop_limit INTEGER,
     supersedes TEXT,
     priority INTEGER NOT NULL,
     created_ms INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_ms INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX outbox_supersedes ON outbox (supersedes) WHERE supersedes IS NOT NULL;
   CREATE TABLE peers (
     node_id INTEGER PRIMARY KEY,
     long_name TEXT, short_name TEXT, role TEXT,
     last_heard_ms INTEGER NOT NULL,
     hops_away INTEGER NOT NULL,
     snr REAL, rssi REAL,
     latitude REAL, longitude REAL, altitude_m REAL, position_ms INTEGER,
     battery_level INTEGER, voltage REAL
   );
   CREATE TABLE inbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     sender INTEGER NOT NULL,
     dest INTEGER NOT NULL,
     packet_id INTEGER NOT NULL,
     request_id INTEGER NOT NULL,
     kind TEXT NOT NULL,
     level TEXT,
     text TEXT NOT NULL,
     rx_ms INTEGER NOT NULL,
     hops INTEGER NOT NULL,
     rssi REAL, snr REAL,
     latitude REAL, longitude REAL,
     UNIQUE (sender, packet_id)
   );`,
  // A peer that raised an SOS and has not said it is safe is never forgotten (peer-store.ts); the
  // index keeps finding the least recently heard evictable peer cheap at 2,000 peers.
  `ALTER TABLE peers ADD COLUMN sos_open INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX peers_by_last_heard ON peers (last_heard_ms);`,
  // Private messages (private-messages.ts): why one could not be opened, and the identity keys
  // peers announced (a first private message to a node needs its key).
  `ALTER TABLE inbox ADD COLUMN decrypt_error TEXT;
   CREATE TABLE direct_peer_keys (node_id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, heard_ms INTEGER NOT NULL);`,
  // A private message that arrived before the one starting its chain is kept, and opened later.
  `CREATE TABLE direct_held (sender INTEGER NOT NULL, packet_id INTEGER NOT NULL, sealed BLOB NOT NULL, inbox_seq INTEGER NOT NULL, PRIMARY KEY (sender, packet_id));`,
  // Hub users' messenger devices this node heard from (through a gateway): no radio answers for them.
  `CREATE TABLE hub_devices (node_id INTEGER PRIMARY KEY, heard_ms INTEGER NOT NULL);`,
  // When the position of a stored alert was taken: a later copy of the same SOS with a newer one moves it (inbox.ts).
  `ALTER TABLE inbox ADD COLUMN position_ms INTEGER;`,
];

export function openNodeDb(path: string, logger?: Pick<Logger, 'warn'>): Db {
  const dir = dirname(path);
  const files = sqliteFileNames(basename(path));
  const report = (fixes: ModeFix[]): void => {
    for (const f of fixes) logger?.warn({ path: f.path, oldMode: formatMode(f.oldMode), newMode: formatMode(f.newMode) }, 'node data was readable by others: permissions fixed');
  };
  let db: Db;
  try {
    report(makePrivate(dir, files, { create: basename(path) }));
    db = new Database(path);
  } catch (err) {
    throw new FirmwareError('E_STORAGE', `cannot open the node database ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  // FULL: a write the node acknowledged (a queued message, a counter reservation) survives power loss.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 2000');
  report(makePrivate(dir, files));
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    db.close();
    throw new FirmwareError('E_STORAGE', `${path} was written by a newer UNIBOS (schema ${version}); upgrade this node`);
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}
