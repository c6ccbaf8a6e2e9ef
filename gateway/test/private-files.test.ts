// The gateway's data is private however it was found: a 0755 data dir and a gateway.db, -wal and
// -shm left 0644 are 0700/0600 once opened (logged with the old mode), and the broker's own
// database folder is 0700.

import { it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { DeviceCredentials, GatewayBroker, openGatewayDb } from '../src/index.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;

it('opens gateway.db from a 0755 dir with 0644 files and leaves 0700 and 0600, logged; the broker folder is 0700', async () => {
  process.umask(0o022);
  const dataDir = mkdtempSync(join(tmpdir(), 'unibos-gw-private-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const seed = new Database(join(dataDir, 'gateway.db'));
  seed.pragma('journal_mode = WAL');
  seed.close();
  const files = ['gateway.db', 'gateway.db-wal', 'gateway.db-shm'].map((f) => join(dataDir, f));
  for (const f of files) {
    if (!existsSync(f)) writeFileSync(f, '');
    chmodSync(f, 0o644);
  }
  chmodSync(dataDir, 0o755);
  mkdirSync(join(dataDir, 'broker-db'), { mode: 0o755 });

  const lines: Array<{ path?: string; oldMode?: string }> = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const db = openGatewayDb(dataDir, logger);
  after(() => db.close());
  assert.equal(mode(dataDir), 0o700, 'data dir');
  for (const f of files) assert.equal(mode(f), 0o600, f);
  for (const path of [dataDir, ...files]) assert.equal(lines.find((l) => l.path === path)?.oldMode, path === dataDir ? '0755' : '0644', path);

  const broker = await GatewayBroker.start({ dataDir, credentials: new DeviceCredentials(db), gatewayId: 'abcd0001', logger, port: 0, wsPort: null });
  after(() => broker.close());
  assert.equal(mode(join(dataDir, 'broker-db')), 0o700, 'broker database folder');
  assert.equal(lines.find((l) => l.path === join(dataDir, 'broker-db'))?.oldMode, '0755');
});
