// A kernel built without CONFIG_PROC_CHILDREN keeps no list of a thread's children, and the child
// of a spawnSync a module's thread waits in is reported by nobody. The node finds it all the same,
// by the module's mark in its environment and its parent, and ends it, which returns the call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { moduleChildMark, moduleMark, processState } from '../src/node/module-child-group.ts';
import { ModuleChildProcesses } from '../src/node/module-child-processes.ts';

// A module's thread stuck in spawnSync; the mark is in the env it passes, as the node's hook adds it.
const STUCK_THREAD = `
const { spawnSync } = require('node:child_process');
const { readlinkSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
const [name, value] = workerData.mark.split(/=(.*)/s);
const r = spawnSync('sh', ['-c', 'echo $$ > "$1"; exec sleep 600', 'sh', workerData.pidFile], { env: { PATH: process.env.PATH, [name]: value } });
parentPort.postMessage(r.signal);
`;

test('without the kernel\u2019s list of a thread\u2019s children, a spawnSync child is found by its module\u2019s mark and ended', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-no-proc-children-'));
  const pidFile = join(dir, 'child.pid');
  const mark = moduleMark(moduleChildMark(dir), 'wedged');
  const worker = new Worker(STUCK_THREAD, { eval: true, workerData: { mark, pidFile } });
  let pid: number | undefined;
  t.after(async () => {
    if (pid !== undefined && processState(pid) === 'running') process.kill(pid, 'SIGKILL');
    await worker.terminate();
    rmSync(dir, { recursive: true, force: true });
  });
  const [tid] = (await once(worker, 'message')) as [number];
  const children = new ModuleChildProcesses({ gate: new Int32Array(new SharedArrayBuffer(4)), mark, threadChildren: () => null });
  children.thread(tid);
  const returned = once(worker, 'message');
  for (;;) {
    if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n')) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  pid = Number(readFileSync(pidFile, 'utf8'));
  assert.equal(processState(pid), 'running');

  await children.end();
  assert.deepEqual(await returned, ['SIGTERM'], 'the call returned: its child was ended');
  assert.equal(processState(pid), 'gone', 'and reaped by the thread');
});
