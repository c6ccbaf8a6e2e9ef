// The hub's own SQLite file (hub-db.ts: WAL, synchronous=FULL, private files) in a fresh folder,
// closed and removed after the test.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHubDb, type HubDb } from '../../src/storage/hub-db.ts';

export function tempHubDb(t: { after(fn: () => void): void }, name: string): HubDb {
  const dir = mkdtempSync(join(tmpdir(), `unibos-${name}-`));
  const db = openHubDb(dir);
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return db;
}
