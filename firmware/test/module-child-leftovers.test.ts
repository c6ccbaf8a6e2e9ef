// A node killed with SIGKILL outside systemd (kill -9, the OOM killer, a crash of the runtime)
// cannot end its modules' child processes: a camera module's ffmpeg would go on eating a Pi's CPU
// and holding the camera. The next node on the same data folder ends them as it starts, whatever
// environment the module gave them and whatever they started through a shell, and nothing else:
// not the machine's other processes, nor another node's modules' children.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import { MODULE_CHILD_MARK_NAME, moduleChildMark, processState } from '../src/node/module-child-group.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { killNodeProcesses, nodeProcess, type NodeProcess } from './support/node-process.ts';
import { testManifest } from './support/test-module.ts';

// Its own child with an environment of its choosing, and a shell with a job in the background.
const SPAWNER = `import { exec, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const own = spawn('sleep', ['1000'], { env: { PATH: process.env.PATH }, stdio: 'ignore' });
  const shell = exec('sleep 1001 & echo $!; wait');
  shell.stdout.once('data', (job) => writeFileSync(o.pidFile, own.pid + ' ' + shell.pid + ' ' + job.trim() + '\\n'));
  return { stop() {} };
};`;

/** The pids the module wrote once its children ran (a new line each time it starts). */
function modulePids(file: string): number[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  return text.endsWith('\n') ? text.trim().split(/\s+/).map(Number) : [];
}

test('a node killed with SIGKILL leaves its modules\u2019 children running; the next node on its folder ends them, and nothing else', { timeout: 90_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-leftovers-'));
  const dataDir = join(root, 'node');
  const modulesDir = join(root, 'modules');
  const pidFile = join(root, 'spawner.pid');
  mkdirSync(join(modulesDir, 'spawner'), { recursive: true });
  writeFileSync(join(modulesDir, 'spawner', 'module.json'), testManifest('spawner'));
  writeFileSync(join(modulesDir, 'spawner', 'handler.js'), SPAWNER);
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ moduleOptions: { spawner: { pidFile } } }));
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const flags = { 'data-dir': dataDir, 'modules-dir': modulesDir, module: 'spawner', preset: 'ShortFast', lat: '41', lon: '29', 'http-port': 'off', name: 'Field', air: `127.0.0.1:${await air.listen()}` };
  // Not the node's: a process of the machine's own, and a module child of a node on another folder.
  const bystander = spawn('sleep', ['1002'], { stdio: 'ignore' });
  const otherNodes = spawn('sleep', ['1003'], { stdio: 'ignore', env: { PATH: process.env.PATH, [MODULE_CHILD_MARK_NAME]: moduleChildMark(join(root, 'another-node')).split('=')[1] } });
  let groupLeader: ChildProcess | undefined;
  let copiedPid = 0;
  let otherUser: ChildProcess | null = null;
  const procs: NodeProcess[] = [];
  const leftovers: number[] = [];
  let second: RunningNode | undefined;
  t.after(async () => {
    await killNodeProcesses(procs);
    await second?.stop();
    for (const pid of leftovers) if (processState(pid) === 'running' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) process.kill(pid, 'SIGKILL');
    for (const c of [bystander, otherNodes, otherUser]) c?.kill('SIGKILL');
    // The shell and its foreground sleep, as a group.
    if (groupLeader?.pid !== undefined && processState(groupLeader.pid) !== 'gone') process.kill(-groupLeader.pid, 'SIGKILL');
    if (copiedPid > 0 && processState(copiedPid) === 'running') process.kill(copiedPid, 'SIGKILL');
    await air.close();
    rmSync(root, { recursive: true, force: true });
  });

  const waiter = new EventWaiter();
  const first = nodeProcess(flags, waiter);
  procs.push(first);
  const timer = setInterval(() => waiter.wake(), 50);
  t.after(() => clearInterval(timer));
  await waiter.until(() => modulePids(pidFile).length === 3, () => `the module to start its children:\n${first.out}`, 30_000);
  leftovers.push(...modulePids(pidFile));
  // A process of the machine's that started one carrying the mark (copied from a module's child):
  // the marked one ends, alone; the group it is in is not the module's. Started once the
  // first node runs (a node's start ends what carries its folder's mark).
  const [markName, markValue] = `${moduleChildMark(dataDir)}/spawner`.split('=') as [string, string];
  groupLeader = spawn('sh', ['-c', `${markName}=${markValue} sleep 1004 & echo $!; sleep 1005`], { stdio: ['ignore', 'pipe', 'ignore'], detached: true, env: { PATH: process.env.PATH } });
  const [copied] = (await once(groupLeader.stdout!, 'data')) as [Buffer];
  copiedPid = Number(String(copied).trim());
  // Run as root (as CI does), the node reads every user's environment: another user's marked process is not its to end.
  otherUser = process.getuid?.() === 0 ? spawn('sleep', ['1006'], { stdio: 'ignore', uid: 65534, gid: 65534, env: { PATH: process.env.PATH, [markName]: markValue } }) : null;
  first.child.kill('SIGKILL');
  await first.exited;
  assert.deepEqual(leftovers.map(processState), ['running', 'running', 'running'], 'the killed node could not end them');

  writeFileSync(pidFile, '');
  const log: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => (log.push(String(chunk)), done()) }));
  second = await runNode(loadNodeConfig({ env: {}, flags }), { logger, env: {} });
  assert.deepEqual(leftovers.map((pid) => processState(pid) !== 'running'), [true, true, true], 'the leftover children ended before the node went on');
  assert.notEqual(processState(copiedPid), 'running', 'the copied mark ended too');
  assert.ok(log.some((l) => /ended 4 processes that modules of a node killed before left running: \d+ sleep/.test(l)), log.join(''));
  for (const c of [bystander, otherNodes, groupLeader, otherUser]) if (c) assert.equal(processState(c.pid!), 'running', `${c.spawnargs.join(' ')} was left alone`);
  // The module itself starts again as usual, with children of its own.
  await waiter.until(() => modulePids(pidFile).length === 3, () => 'the module to start again', 30_000);
  assert.ok(modulePids(pidFile).every((pid) => processState(pid) === 'running' && !leftovers.includes(pid)));
});
