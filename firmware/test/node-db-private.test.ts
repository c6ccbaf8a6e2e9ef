// The node's database is private however it was found: a 0755 data dir and a node.db, -wal and
// -shm left 0644 are 0700/0600 once opened (logged with the old mode); a new one starts private.

import { it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { openNodeDb } from '../src/node/node-db.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;

it('opens node.db from a 0755 dir with 0644 files and leaves 0700 and 0600, logged', () => {
  process.umask(0o022);
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-node-private-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const seed = new Database(join(dataDir, 'node.db'));
  seed.pragma('journal_mode = WAL');
  seed.close();
  const files = ['node.db', 'node.db-wal', 'node.db-shm'].map((f) => join(dataDir, f));
  for (const f of files) {
    if (!existsSync(f)) writeFileSync(f, '');
    chmodSync(f, 0o644);
  }
  chmodSync(dataDir, 0o755);

  const lines: Array<{ path?: string; oldMode?: string }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const db = openNodeDb(join(dataDir, 'node.db'), logger);
  after(() => db.close());
  assert.equal(mode(dataDir), 0o700, 'data dir');
  for (const f of files) assert.equal(mode(f), 0o600, f);
  for (const path of [dataDir, ...files]) assert.equal(lines.find((l) => l.path === path)?.oldMode, path === dataDir ? '0755' : '0644', path);
});

it('creates node.db, -wal and -shm 0600 in a new dir under umask 022', () => {
  process.umask(0o022);
  const root = mkdtempSync(join(tmpdir(), 'unibos-node-private-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const db = openNodeDb(join(root, 'node', 'node.db'));
  after(() => db.close());
  assert.equal(mode(join(root, 'node')), 0o700);
  for (const f of ['node.db', 'node.db-wal', 'node.db-shm']) assert.equal(mode(join(root, 'node', f)), 0o600, f);
});
