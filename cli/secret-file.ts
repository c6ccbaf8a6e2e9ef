// Credentials a claim returns, written whole or not at all (the claim token is spent by then):
// a 0600 temp file, fsync'd, renamed over the old one.

import { chownSync, closeSync, fsyncSync, openSync, renameSync, statSync, writeSync } from 'node:fs';

export function writeSecretFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Files root wrote into a data folder (`sudo unibos gateway claim --data-dir /var/lib/unibos/device`
 * on a flashed card) are given to the folder's owner, the user its service runs as: owned by root
 * and 0600, the service could not read them, and the claim token was spent.
 */
export function giveToFolderOwner(dir: string, files: string[]): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(dir);
  if (uid === 0) return;
  for (const f of files) chownSync(f, uid, gid);
}
