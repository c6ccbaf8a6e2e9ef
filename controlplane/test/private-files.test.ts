// The hub's data is private however it was found: a 0755 data dir and a hub.db, -wal and -shm left
// 0644 (an older hub, a restore, a umask of 022) are 0700/0600 once the hub has started, and the
// log names each path with the mode it had.

import { it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { hubConfigDefaults, runHub } from '../src/index.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;

it('starts with a 0755 data dir and 0644 hub.db, -wal, -shm and leaves them 0700 and 0600, logged', async () => {
  process.umask(0o022);
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-private-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const seed = new Database(join(dataDir, 'hub.db'));
  seed.pragma('journal_mode = WAL');
  seed.close();
  const files = ['hub.db', 'hub.db-wal', 'hub.db-shm'].map((f) => join(dataDir, f));
  for (const f of files) {
    if (!existsSync(f)) writeFileSync(f, '');
    chmodSync(f, 0o644);
  }
  chmodSync(dataDir, 0o755);

  const lines: Array<{ msg: string; path?: string; oldMode?: string }> = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const hub = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger: pino({ level: 'info' }, sink) });
  after(() => hub.stop());

  assert.equal(mode(dataDir), 0o700, 'data dir');
  for (const f of files) assert.equal(mode(f), 0o600, f);
  for (const path of [dataDir, ...files]) {
    const line = lines.find((l) => l.path === path);
    assert.ok(line, `a log line names ${path}`);
    assert.equal(line.oldMode, path === dataDir ? '0755' : '0644');
  }
});

it('creates hub.db, -wal and -shm 0600 in a new data dir under umask 022', async () => {
  process.umask(0o022);
  const root = mkdtempSync(join(tmpdir(), 'unibos-hub-private-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'hub');
  const hub = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger: pino({ level: 'silent' }) });
  after(() => hub.stop());
  assert.equal(mode(dataDir), 0o700);
  for (const f of ['hub.db', 'hub.db-wal', 'hub.db-shm']) assert.equal(mode(join(dataDir, f)), 0o600, f);
});
