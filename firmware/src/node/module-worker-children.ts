// Tells the node of every child process a module's thread starts and of its exit, so the node can
// end the ones still running when it ends the thread (module-child-processes.ts): a stuck thread
// cannot say anything at that moment, and a child that does not read its stdin outlives its pipes.
// Each child leads its own process group, so what it starts itself ends with it; and a thread that
// ends itself ends its children first, while its loop can still reap them.

import { ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { childGroupState, signalChildGroup } from './module-child-group.ts';
import { MODULE_CHILD_KILL_GRACE_MS } from './module-child-processes.ts';
import { SPAWN_GATE_OPEN, SPAWN_GATE_SPAWNING } from './module-thread-protocol.ts';

export interface ChildReport {
  /** This thread's id in the kernel: the node finds a spawnSync's child among its children. */
  thread(tid: number): void;
  started(pid: number): void;
  exited(pid: number): void;
}

type Spawn = (this: ChildProcess, ...args: unknown[]) => unknown;
type SpawnSync = (this: unknown, options: unknown) => unknown;

/**
 * Hooks this thread's ChildProcess class and its spawnSync binding (a worker has its own copy of
 * node's built-in modules, so the node's thread is untouched): spawn, execFile, exec and fork all
 * start their child through ChildProcess.prototype.spawn, and spawnSync, execSync and execFileSync
 * through the binding's spawn, so the handler needs to do nothing.
 */
export function reportChildProcesses(report: ChildReport, gate: Int32Array, mark: string): void {
  const tid = ownThreadId();
  if (tid !== undefined) report.thread(tid);
  const live = new Set<number>();
  const proto = ChildProcess.prototype as unknown as { spawn: Spawn };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]): unknown {
    // The node is ending this thread: a child started now would outlive it.
    if (Atomics.compareExchange(gate, 0, SPAWN_GATE_OPEN, SPAWN_GATE_SPAWNING) !== SPAWN_GATE_OPEN) throw moduleEnding();
    try {
      const result = spawn.apply(this, [ownGroup(args[0], mark), ...args.slice(1)]);
      const pid = this.pid;
      if (typeof pid === 'number') {
        live.add(pid);
        report.started(pid);
        // First of the 'exit' listeners: one of the handler's own that never returns must not keep
        // the node from hearing that this pid is no longer its to kill.
        this.prependOnceListener('exit', () => {
          live.delete(pid);
          report.exited(pid);
        });
      }
      return result;
    } finally {
      // Unless the node shut it meanwhile (it stops waiting for a spawn that takes too long).
      Atomics.compareExchange(gate, 0, SPAWN_GATE_SPAWNING, SPAWN_GATE_OPEN);
    }
  };
  hookSpawnSync(gate, mark);
  // process.exit() or an uncaught throw: the node hears of it only once the thread is gone, too late
  // for its loop to reap a child then ended, so the thread ends them itself (its loop's last turn
  // reaps them). A thread the node ends runs no listener; the node ends its children first.
  process.on('exit', () => endSync(live));
}

/**
 * spawnSync holds the thread until its child ends, and its pid is known to nobody until then: the
 * node finds it among this thread's children (module-child-group.ts threadChildren) when it ends
 * a thread stuck in one, and its ending returns the call. Through process.binding: the module-facing
 * functions all end there, and child_process's own exports call each other directly. A Node without
 * it (or whose binding is a copy) leaves a sync child to end with its call, as before the hook.
 */
function hookSpawnSync(gate: Int32Array, mark: string): void {
  let binding: { spawn?: SpawnSync } | undefined;
  try {
    binding = (process as unknown as { binding(name: string): { spawn?: SpawnSync } }).binding('spawn_sync');
  } catch {
    return;
  }
  const spawnSync = binding?.spawn;
  if (!binding || typeof spawnSync !== 'function') return;
  binding.spawn = function (this: unknown, options: unknown): unknown {
    if (Atomics.load(gate, 0) !== SPAWN_GATE_OPEN) throw moduleEnding();
    return spawnSync.call(this, ownGroup(options, mark));
  };
}

/**
 * The child leads a process group of its own (detached: on Linux a new session): what it starts
 * (a shell's ffmpeg) is signalled with it. Its environment is as asked plus `mark` (whatever env
 * the module gave, so the next node on this data folder finds it if this node is killed:
 * module-child-group.ts endLeftoverChildren); its stdio and exit are as asked. Options that are
 * not an object are passed on for node to refuse.
 */
function ownGroup(options: unknown, mark: string): unknown {
  if (typeof options !== 'object' || options === null) return options;
  // child_process has turned `env` into `envPairs` ("NAME=value") by the time it spawns.
  const { envPairs } = options as { envPairs?: unknown };
  if (!Array.isArray(envPairs)) return { ...options, detached: true };
  const name = mark.slice(0, mark.indexOf('=') + 1);
  return { ...options, detached: true, envPairs: [...envPairs.filter((p) => !(typeof p === 'string' && p.startsWith(name))), mark] };
}

function moduleEnding(): Error {
  return Object.assign(new Error('the node is ending this module: it starts no more child processes'), { code: 'E_MODULE_ENDING' });
}

/** "PID/task/TID"; none on a system without /proc (there a spawnSync's child is not found). */
function ownThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 1 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM to each child's group, SIGKILL after the grace to what still runs, waiting on this thread. */
function endSync(live: Set<number>): void {
  if (live.size === 0) return;
  const signal = (sig: NodeJS.Signals): void => {
    for (const pid of live) {
      try {
        if (childGroupState(pid, true) === 'running') signalChildGroup(pid, sig, true);
      } catch {
        // Not ours to signal: the node logs it when it tries.
      }
    }
  };
  const down = (): boolean => [...live].every((pid) => childGroupState(pid, true) !== 'running');
  signal('SIGTERM');
  if (waitSync(down, MODULE_CHILD_KILL_GRACE_MS)) return;
  signal('SIGKILL');
  waitSync(down, MODULE_CHILD_KILL_GRACE_MS);
}

function waitSync(done: () => boolean, ms: number): boolean {
  const until = Date.now() + ms;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!done()) {
    if (Date.now() >= until) return false;
    Atomics.wait(nap, 0, 0, 10);
  }
  return true;
}
