// Data directories 0700 and the files in them 0600, whatever the umask and whatever an older
// version left behind: the databases hold device secrets, sessions and messages. Shared by the
// hub, the gateway and the node (the one package all three depend on); it only stats and chmods
// paths it is given and returns what it changed, so each caller logs with its own logger.

import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** One permission fixed: modes are the permission bits only, e.g. 0o755 -> 0o700. */
export interface ModeFix {
  readonly path: string;
  readonly oldMode: number;
  readonly newMode: number;
}

/** The mode as people write it (`0755`), for log lines. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** A SQLite database's file names: the database and the write-ahead log and shared memory beside it. */
export function sqliteFileNames(dbName: string): string[] {
  return [dbName, `${dbName}-wal`, `${dbName}-shm`];
}

/**
 * Creates `dir` if missing and makes it 0700, then makes each of `files` (names inside `dir`) that
 * exists 0600; a file named in `create` that does not exist yet is created empty with 0600 first
 * (SQLite gives its -wal and -shm the mode of the database file, so creating that one private is
 * what keeps the others private). Group and other lose all access; the owner keeps read and write.
 */
export function makePrivate(dir: string, files: readonly string[] = [], options: { create?: string } = {}): ModeFix[] {
  const fixes: ModeFix[] = [];
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  fix(dir, PRIVATE_DIR_MODE, fixes);
  if (options.create !== undefined) closeSync(openSync(join(dir, options.create), 'a', PRIVATE_FILE_MODE));
  for (const name of files) fix(join(dir, name), PRIVATE_FILE_MODE, fixes);
  return fixes;
}

function fix(path: string, wanted: number, fixes: ModeFix[]): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if ((mode & 0o077) === 0 && (mode & wanted) === wanted) return;
  chmodSync(path, wanted);
  fixes.push({ path, oldMode: mode, newMode: wanted });
}
