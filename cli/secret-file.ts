// Credentials a claim returns, written whole or not at all (the claim token is spent by then):
// a 0600 temp file, fsync'd, renamed over the old one.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

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
