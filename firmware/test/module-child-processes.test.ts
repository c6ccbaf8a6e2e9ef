// A module's handler hands heavy work to child processes (cctv's ffmpeg, its motion worker). When
// the node ends the handler's thread (stuck, out of memory, or still running after stop's grace),
// those children end with it, even ones that read no stdin and so outlive their closed pipes: a
// wedged ffmpeg must not go on eating a Pi's CPU after its module is gone.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loraParams } from '@unibos/mesh-protocol';
import { callNode } from '../src/control/control-client.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import type { NodeStatus } from '../src/node/node-status.ts';
import { runNode, type RunningNode } from '../src/node/run-node.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { testManifest } from './support/test-module.ts';

function writeModule(dir: string, name: string, handler: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'module.json'), testManifest(name));
  writeFileSync(join(dir, name, 'handler.js'), handler);
}

interface Rig {
  air: SimAir;
  field: RunningNode;
  fieldDir: string;
  stopped: boolean;
}

/** A field node on the simulated air running `modules`, each told where to write its child's pid. */
async function rig(root: string, modulesDir: string, modules: string[]): Promise<Rig> {
  const air = new SimAir({ params: loraParams('ShortFast'), port: 0 });
  const port = await air.listen();
  const fieldDir = join(root, 'field');
  mkdirSync(fieldDir);
  const moduleOptions = Object.fromEntries(modules.map((m) => [m, { pidFile: pidFile(root, m) }]));
  writeFileSync(join(fieldDir, 'config.json'), JSON.stringify({ moduleOptions }));
  const field = await runNode(
    loadNodeConfig({ env: {}, flags: { preset: 'ShortFast', 'http-port': 'off', air: `127.0.0.1:${port}`, lat: '41', lon: '29', 'data-dir': fieldDir, name: 'Field', 'modules-dir': modulesDir, module: modules.join(',') } }),
    { logger: pino({ level: 'silent' }), env: {} },
  );
  return { air, field, fieldDir, stopped: false };
}

async function stopRig(r: Rig | undefined): Promise<void> {
  if (!r) return;
  if (!r.stopped) await r.field.stop();
  await r.air.close();
}

const pidFile = (root: string, name: string): string => join(root, `${name}.pid`);

/** No such process any more. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Gone, or a zombie: it has exited and runs no more. Enough for a process that is not the node's
 * child (a shell's own, reaped by whoever adopted it) or before it had the time to be reaped; a
 * child of the node must be reaped() in the end (only its thread's loop can: a zombie left then
 * keeps its pid until the node exits).
 */
function ended(pid: number): boolean {
  if (gone(pid)) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return gone(pid);
  }
}

/** Resolves once `done()` holds; fails the test if it still does not after `ms`. */
async function until(what: string, done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The pid the handler wrote once its child ran. */
async function childPid(root: string, name: string): Promise<number> {
  return (await childPids(root, name, 1))[0]!;
}

/** The `count` pids the handler (or its child) wrote on one line, once written. */
async function childPids(root: string, name: string, count: number): Promise<number[]> {
  const file = pidFile(root, name);
  const read = (): number[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : []);
  await until(`${name} started its child`, () => read().length >= count && readFileSync(file, 'utf8').endsWith('\n'));
  const pids = read().slice(0, count);
  assert.ok(pids.every((pid) => Number.isInteger(pid) && pid > 1), `pids ${pids.join(' ')}`);
  return pids;
}

/** Not even a zombie: reaped, as an operator's `ps` shows no trace of it. */
function reaped(pid: number): boolean {
  return gone(pid);
}

/** A test that failed leaves no child of its own behind (a pid it read from its own handler, still that child). */
function killLeftover(pid: number | undefined, command: string): void {
  if (pid === undefined || gone(pid)) return;
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(command)) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** What a test leaves to clean up, registered with t.after (which runs on a timeout too). */
function cleanup(t: TestContext, root: string, state: { rig?: Rig; pids: Array<[number | undefined, string]> }): void {
  t.after(async () => {
    for (const [pid, command] of state.pids) killLeftover(pid, command);
    await stopRig(state.rig);
    rmSync(root, { recursive: true, force: true });
  });
}

async function settled(fieldDir: string, name: string): Promise<NodeStatus['modules'][number]> {
  for (;;) {
    const m = (await callNode<NodeStatus>(fieldDir, 'GET', '/status')).modules.find((x) => x.name === name)!;
    if (m.state !== 'loaded') return m;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// A child that reads no stdin and shrugs off SIGTERM: only SIGKILL ends it. It says when its
// SIGTERM handler is in place, so the kill it gets is the one this test means.
const STUBBORN_CHILD = `process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000);`;

test('a module stuck in a loop: the node ends its thread and the child process it started, one that ignores SIGTERM and reads no stdin included, and reaps it', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-stuck-'));
  const state: { rig?: Rig; pids: Array<[number | undefined, string]> } = { pids: [] };
  cleanup(t, root, state);
  const modulesDir = join(root, 'modules');
  writeModule(
    modulesDir,
    'wedged',
    `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN_CHILD)}], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdout.once('data', () => {
    writeFileSync(o.pidFile, child.pid + '\\n');
    setTimeout(() => { while (true) {} }, 0);
  });
  return { stop() {} };
};`,
  );
  state.rig = await rig(root, modulesDir, ['wedged']);
  const pid = await childPid(root, 'wedged');
  state.pids.push([pid, '-e']);

  const wedged = await settled(state.rig.fieldDir, 'wedged');
  assert.equal(wedged.state, 'failed');
  assert.match(wedged.reason!, /^stuck: /);
  // Killed while its thread still existed: the thread's last turn reaps it.
  await until(`the stuck module's child ${pid} ended and was reaped`, () => reaped(pid));
});

test('a module stuck in spawnSync or execSync: the node ends the child it waits for, and with it the thread', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-sync-'));
  const state: { rig?: Rig; pids: Array<[number | undefined, string]> } = { pids: [] };
  cleanup(t, root, state);
  const modulesDir = join(root, 'modules');
  // The shell writes its pid and becomes sleep (exec): the pid is the sync child's. Called once the
  // module runs, so the thread is ended as stuck (it answers no ping while it waits).
  writeModule(
    modulesDir,
    'exec-sync',
    `import { execSync } from 'node:child_process';
export default (d, o) => {
  setTimeout(() => execSync('echo $$ > "$PID_FILE"; exec sleep 600', { env: { ...process.env, PID_FILE: o.pidFile } }), 0);
  return { stop() {} };
};`,
  );
  writeModule(
    modulesDir,
    'spawn-sync',
    `import { spawnSync } from 'node:child_process';
export default (d, o) => {
  setTimeout(() => spawnSync('sh', ['-c', 'echo $$ > "$1"; exec sleep 600', 'sh', o.pidFile], { stdio: 'ignore' }), 0);
  return { stop() {} };
};`,
  );
  state.rig = await rig(root, modulesDir, ['exec-sync', 'spawn-sync']);
  const pids = [await childPid(root, 'exec-sync'), await childPid(root, 'spawn-sync')];
  for (const pid of pids) state.pids.push([pid, 'sleep']);

  for (const name of ['exec-sync', 'spawn-sync']) {
    const m = await settled(state.rig.fieldDir, name);
    assert.equal(m.state, 'failed');
    assert.match(m.reason!, /^stuck: /);
  }
  // The call returned as its child ended, and reaped it.
  for (const pid of pids) await until(`the sync child ${pid} ended and was reaped`, () => reaped(pid));
  // And the threads are over: the node stops without waiting on them.
  state.rig.stopped = true;
  await state.rig.field.stop();
});

test('a module whose child started children of its own (ffmpeg through a shell): they end with it, one that ignores SIGTERM included', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-group-'));
  const state: { rig?: Rig; pids: Array<[number | undefined, string]> } = { pids: [] };
  cleanup(t, root, state);
  const modulesDir = join(root, 'modules');
  // exec() runs the command through sh; sh starts sleep in the background, one that ignores SIGTERM
  // (a subshell that ignores it, then becomes sleep), writes both pids and waits.
  writeModule(
    modulesDir,
    'shell',
    `import { exec } from 'node:child_process';
export default (d, o) => {
  exec('(trap "" TERM; exec sleep 600) & echo $$ $! > "$PID_FILE"; wait', { env: { ...process.env, PID_FILE: o.pidFile } });
  return { stop() {} };
};`,
  );
  state.rig = await rig(root, modulesDir, ['shell']);
  const [shell, sleep] = await childPids(root, 'shell', 2);
  state.pids.push([sleep, 'sleep'], [shell, 'sh']);
  assert.ok(!ended(shell!) && !ended(sleep!), 'the shell and its sleep run while their module does');

  state.rig.stopped = true;
  await state.rig.field.stop();
  await until(`the module's shell ${shell} ended`, () => reaped(shell!));
  // Its sleep is the shell's child, not the node's: whoever adopted it reaps it.
  await until(`the shell's own child ${sleep} ended`, () => ended(sleep!));
});

test('a node stopping ends the child processes a module left running, whether its stop() returned, never did, or it starts a new one as each ends', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-stop-'));
  const state: { rig?: Rig; pids: Array<[number | undefined, string]> } = { pids: [] };
  cleanup(t, root, state);
  const modulesDir = join(root, 'modules');
  // stop() forgets its child (execFile keeps the thread's loop turning until the child ends).
  writeModule(
    modulesDir,
    'forgetful',
    `import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = execFile('sleep', ['600']);
  writeFileSync(o.pidFile, child.pid + '\\n');
  return { stop() {} };
};`,
  );
  // stop() never returns: the thread is ended after the grace in the middle of its loop.
  writeModule(
    modulesDir,
    'hung-stop',
    `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = spawn('sleep', ['600'], { stdio: ['pipe', 'ignore', 'ignore'] });
  writeFileSync(o.pidFile, child.pid + '\\n');
  return { stop() { while (true) {} } };
};`,
  );
  // Starts its child again as soon as it ends (a camera source reconnecting), and stop() does not stop that.
  writeModule(
    modulesDir,
    'respawner',
    `import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
export default (d, o) => {
  const run = () => {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    appendFileSync(o.pidFile, child.pid + '\\n');
    child.on('exit', run);
  };
  run();
  return { stop() {} };
};`,
  );
  state.rig = await rig(root, modulesDir, ['forgetful', 'hung-stop', 'respawner']);
  const pids = [await childPid(root, 'forgetful'), await childPid(root, 'hung-stop'), await childPid(root, 'respawner')];
  for (const p of pids) state.pids.push([p, 'sleep']);
  assert.ok(pids.every((p) => !ended(p)), 'the children run while their modules do');

  state.rig.stopped = true;
  await state.rig.field.stop();
  for (const p of pids) await until(`child ${p} ended with its module's thread`, () => ended(p));
  // And any the respawner started while the node was ending them (none when its thread was ended
  // before it heard of the first child's exit).
  const respawned = readFileSync(pidFile(root, 'respawner'), 'utf8').trim().split('\n').map(Number).slice(1);
  for (const p of respawned) state.pids.push([p, 'sleep']);
  for (const p of respawned) await until(`respawned child ${p} ended with its module's thread`, () => ended(p));
  // Each was killed while its thread existed, whose loop (or last turn) reaped it: no trace is left.
  for (const p of [...pids, ...respawned]) await until(`child ${p} reaped (${JSON.stringify({ pids, respawned })})`, () => reaped(p));
});

test('a module whose thread ends itself (process.exit, an uncaught throw): the child process it left running is ended and reaped, not left a zombie', { timeout: 60_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-exit-'));
  const state: { rig?: Rig; pids: Array<[number | undefined, string]> } = { pids: [] };
  cleanup(t, root, state);
  const modulesDir = join(root, 'modules');
  // The quitter exits from a listener of the node's (its timer, as from an onMessage listener); the
  // thrower throws where no listener guards it (a bare setTimeout).
  const ending = { quitter: 'd.after(0, () => process.exit(3))', thrower: "setTimeout(() => { throw new Error('boom'); }, 0)" };
  for (const [name, end] of Object.entries(ending)) {
    writeModule(
      modulesDir,
      name,
      `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(o.pidFile, child.pid + '\\n');
  ${end};
  return { stop() {} };
};`,
    );
  }
  state.rig = await rig(root, modulesDir, Object.keys(ending));
  const pids = [await childPid(root, 'quitter'), await childPid(root, 'thrower')];
  for (const p of pids) state.pids.push([p, 'sleep']);
  const quitter = await settled(state.rig.fieldDir, 'quitter');
  assert.match(quitter.reason!, /^its thread exited \(code 3\) by itself/);
  assert.match((await settled(state.rig.fieldDir, 'thrower')).reason ?? '', /boom/);
  for (const p of pids) await until(`the child ${p} ended and was reaped (ps shows no <defunct>)`, () => reaped(p));
});
