// The CLI tests' process support: a line a program printed counts even when its exit is heard before
// its output is read to the end (the order in which Node hears the two is not fixed).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Proc, procs } from './support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'unibos-proc-'));
after(() => {
  for (const p of procs) p.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

test('a line that reaches the pipe after the exit was heard is still waited for', async () => {
  // The shell exits at once; the line comes afterwards, from the child that shares its stdout, only
  // once the test writes it into the FIFO: the exit is always heard first.
  const fifo = join(root, 'line');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const p = new Proc(['-c', 'cat "$1" & exit 0', 'sh', fifo], {}, 'sh');
  assert.equal(await p.exited, 0);
  writeFileSync(fifo, 'printed last\n');
  const line = await p.waitFor((l) => l.msg === 'printed last', 'the line printed after the exit', 0, 20_000);
  assert.equal(line.msg, 'printed last');
  await assert.rejects(p.waitFor((l) => l.msg === 'never printed', 'a line never printed', 0, 20_000), /process exited \(0\) before a line never printed/);
});
