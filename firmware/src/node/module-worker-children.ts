// Tells the node of every child process a module's thread starts and of its exit, so the node can
// end the ones still running when it ends the thread (module-child-processes.ts): a stuck thread
// cannot say anything at that moment, and a child that does not read its stdin outlives its pipes.

import { ChildProcess } from 'node:child_process';
import { SPAWN_GATE_OPEN, SPAWN_GATE_SPAWNING } from './module-thread-protocol.ts';

export interface ChildReport {
  started(pid: number): void;
  exited(pid: number): void;
}

type Spawn = (this: ChildProcess, ...args: unknown[]) => unknown;

/**
 * Hooks this thread's ChildProcess class (a worker has its own copy of node's built-in modules, so
 * the node's thread is untouched). spawn, execFile, exec and fork all start their child through
 * ChildProcess.prototype.spawn, so the handler needs to do nothing; the synchronous spawnSync and
 * execSync hold the thread until their child ends and are not tracked.
 */
export function reportChildProcesses(report: ChildReport, gate: Int32Array): void {
  const proto = ChildProcess.prototype as unknown as { spawn: Spawn };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]): unknown {
    // The node is ending this thread: a child started now would outlive it.
    if (Atomics.compareExchange(gate, 0, SPAWN_GATE_OPEN, SPAWN_GATE_SPAWNING) !== SPAWN_GATE_OPEN) {
      throw Object.assign(new Error('the node is ending this module: it starts no more child processes'), { code: 'E_MODULE_ENDING' });
    }
    try {
      const result = spawn.apply(this, args);
      const pid = this.pid;
      if (typeof pid === 'number') {
        report.started(pid);
        // First of the 'exit' listeners: one of the handler's own that never returns must not keep
        // the node from hearing that this pid is no longer its to kill.
        this.prependOnceListener('exit', () => report.exited(pid));
      }
      return result;
    } finally {
      // Unless the node shut it meanwhile (it stops waiting for a spawn that takes too long).
      Atomics.compareExchange(gate, 0, SPAWN_GATE_SPAWNING, SPAWN_GATE_OPEN);
    }
  };
}
