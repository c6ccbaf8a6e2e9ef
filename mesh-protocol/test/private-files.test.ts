// makePrivate: data dirs end 0700 and the files named in them 0600 whatever they were, each change
// is reported (so the caller can log it), and a database file created here starts 0600.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePrivate, sqliteFileNames } from '../src/core/private-files.ts';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('makePrivate', () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-private-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  process.umask(0o022);

  it('narrows a 0755 dir and 0644 files, reports the old modes, and leaves missing files alone', () => {
    const dir = join(root, 'a');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    for (const f of ['x.db', 'x.db-wal']) {
      writeFileSync(join(dir, f), '');
      chmodSync(join(dir, f), 0o644);
    }
    const fixes = makePrivate(dir, sqliteFileNames('x.db'));
    assert.deepEqual(fixes, [
      { path: dir, oldMode: 0o755, newMode: 0o700 },
      { path: join(dir, 'x.db'), oldMode: 0o644, newMode: 0o600 },
      { path: join(dir, 'x.db-wal'), oldMode: 0o644, newMode: 0o600 },
    ]);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'x.db')), 0o600);
    assert.deepEqual(makePrivate(dir, sqliteFileNames('x.db')), [], 'nothing left to fix');
  });

  it('creates a missing dir 0700 and the named file 0600 under umask 022', () => {
    const dir = join(root, 'b', 'c');
    assert.deepEqual(makePrivate(dir, ['y.db'], { create: 'y.db' }), []);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'y.db')), 0o600);
  });
});
