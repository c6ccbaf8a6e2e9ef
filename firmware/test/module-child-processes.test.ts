// A module's handler hands heavy work to child processes (cctv's ffmpeg, its motion worker). When
// the node ends the handler's thread (stuck, out of memory, or still running after stop's grace),
// those children end with it, even ones that read no stdin and so outlive their closed pipes: a
// wedged ffmpeg must not go on eating a Pi's CPU after its module is gone.

import { test } from 'node:test';
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
 * Gone, or a zombie: it has exited and runs no more, but only the thread that started it can reap
 * it (libuv waits for a child on the loop that spawned it), and a thread ended in the middle of a
 * loop may be gone before its loop turns again; its pid then stays taken until the node exits.
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
  const file = pidFile(root, name);
  await until(`${name} started its child`, () => existsSync(file) && readFileSync(file, 'utf8') !== '');
  const pid = Number(readFileSync(file, 'utf8'));
  assert.ok(Number.isInteger(pid) && pid > 1);
  return pid;
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

test('a module stuck in a loop: the node ends its thread and the child process it started, one that ignores SIGTERM and reads no stdin included', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-stuck-'));
  let r: Rig | undefined;
  let pid: number | undefined;
  try {
    const modulesDir = join(root, 'modules');
    writeModule(
      modulesDir,
      'wedged',
      `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN_CHILD)}], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdout.once('data', () => {
    writeFileSync(o.pidFile, String(child.pid));
    setTimeout(() => { while (true) {} }, 0);
  });
  return { stop() {} };
};`,
    );
    r = await rig(root, modulesDir, ['wedged']);
    pid = await childPid(root, 'wedged');

    const wedged = await settled(r.fieldDir, 'wedged');
    assert.equal(wedged.state, 'failed');
    assert.match(wedged.reason!, /^stuck: /);
    await until(`the stuck module's child ${pid} ended`, () => ended(pid!));
  } finally {
    killLeftover(pid, '-e');
    await stopRig(r);
    rmSync(root, { recursive: true, force: true });
  }
});

test('a node stopping ends the child processes a module left running, whether its stop() returned, never did, or it starts a new one as each ends', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-stop-'));
  let r: Rig | undefined;
  const pids: Array<number | undefined> = [];
  try {
    const modulesDir = join(root, 'modules');
    // stop() forgets its child (execFile keeps the thread's loop turning until the child ends).
    writeModule(
      modulesDir,
      'forgetful',
      `import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = execFile('sleep', ['600']);
  writeFileSync(o.pidFile, String(child.pid));
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
  writeFileSync(o.pidFile, String(child.pid));
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
    r = await rig(root, modulesDir, ['forgetful', 'hung-stop', 'respawner']);
    pids.push(await childPid(root, 'forgetful'), await childPid(root, 'hung-stop'), await childPid(root, 'respawner'));
    assert.ok(pids.every((p) => !ended(p!)), 'the children run while their modules do');

    r.stopped = true;
    await r.field.stop();
    for (const p of pids) await until(`child ${p} ended with its module's thread`, () => ended(p!));
    // And any the respawner started while the node was ending them (none when its thread was ended
    // before it heard of the first child's exit).
    const respawned = readFileSync(pidFile(root, 'respawner'), 'utf8').trim().split('\n').map(Number).slice(1);
    pids.push(...respawned);
    for (const p of respawned) await until(`respawned child ${p} ended with its module's thread`, () => ended(p));
    // The thread that was still turning its loop reaped its child: no trace of it is left.
    assert.ok(gone(pids[0]!), `forgetful's child ${pids[0]} was reaped`);
  } finally {
    for (const p of pids) killLeftover(p, 'sleep');
    await stopRig(r);
    rmSync(root, { recursive: true, force: true });
  }
});

test('a module whose thread exits by itself: the child process it left running is ended', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'unibos-module-child-exit-'));
  let r: Rig | undefined;
  let pid: number | undefined;
  try {
    const modulesDir = join(root, 'modules');
    writeModule(
      modulesDir,
      'quitter',
      `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
export default (d, o) => {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  writeFileSync(o.pidFile, String(child.pid));
  setTimeout(() => process.exit(3), 0);
  return { stop() {} };
};`,
    );
    r = await rig(root, modulesDir, ['quitter']);
    pid = await childPid(root, 'quitter');
    const quitter = await settled(r.fieldDir, 'quitter');
    assert.match(quitter.reason!, /^its thread exited \(code 3\) by itself/);
    await until(`the child ${pid} ended`, () => ended(pid!));
  } finally {
    killLeftover(pid, 'sleep');
    await stopRig(r);
    rmSync(root, { recursive: true, force: true });
  }
});
