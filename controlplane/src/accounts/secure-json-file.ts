// A lowdb adapter for files holding secrets' hashes: the JSON is written to a temporary file
// created 0600, fsync'd, renamed over the target and the directory fsync'd, so a crash leaves
// either the old or the new file, never a torn or world-readable one.

import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readFile, rename, chmod } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

export class SecureJsonFile<T> implements Adapter<T> {
  private readonly tempPath: string;

  constructor(private readonly path: string) {
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    // A file someone copied in with looser permissions is tightened on first read.
    await chmod(this.path, 0o600);
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    const handle = await open(this.tempPath, 'w', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.tempPath, this.path);
    syncDir(dirname(this.path));
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  }
}
