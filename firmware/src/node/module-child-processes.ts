// The child processes one module's thread started and that have not exited (its thread reports
// each, module-worker-children.ts), and their end when the thread is over: a wedged ffmpeg that
// reads no stdin would otherwise outlive the thread that started it, eating a Pi's CPU.

import { readFileSync } from 'node:fs';
import { SPAWN_GATE_OPEN, SPAWN_GATE_SHUT, SPAWN_GATE_SPAWNING } from './module-thread-protocol.ts';

/**
 * How long a child has after SIGTERM before it gets SIGKILL: ffmpeg closes the file it writes in
 * well under a second, and a stuck thread keeps its core until its children are gone.
 */
export const MODULE_CHILD_KILL_GRACE_MS = 1_000;

/** How often an ending child is looked at: it is not the node's own child to wait for. */
const CHECK_EVERY_MS = 20;

/**
 * How long a child that has exited is left for its thread to reap before the thread is ended: one
 * whose loop turns does so within a turn, and a stuck one never does, so this is short.
 */
const REAP_WAIT_MS = 200;

export interface ModuleChildProcessesOptions {
  /** The spawn gate shared with the thread (module-thread-protocol.ts). */
  gate: Int32Array;
  graceMs?: number;
  /** A signal could not be sent (not ours, or the system refused): logged by the owner. */
  onKillFailed?(pid: number, err: Error): void;
}

export class ModuleChildProcesses {
  private readonly live = new Set<number>();
  private readonly graceMs: number;
  private ending: Promise<void> = Promise.resolve();

  constructor(private readonly o: ModuleChildProcessesOptions) {
    this.graceMs = o.graceMs ?? MODULE_CHILD_KILL_GRACE_MS;
  }

  started(pid: number): void {
    if (Number.isInteger(pid) && pid > 1) this.live.add(pid);
  }

  /** Its thread saw it exit: from here its pid may be another process's, never to be signalled. */
  exited(pid: number): void {
    this.live.delete(pid);
  }

  /**
   * SIGTERM to each child still running, SIGKILL to those still there after the grace; resolves
   * once each has exited. Only the thread that started a child can reap it (libuv waits for it on
   * that thread's loop), so they are ended while it still exists: a thread whose loop turns once
   * more reaps them, while one gone first leaves each a zombie (exited, holding only its pid) until
   * the node exits.
   */
  end(): Promise<void> {
    // One ending at a time: a thread that exits while its children are being ended waits for that.
    this.ending = this.ending.then(() => this.endLive());
    return this.ending;
  }

  /**
   * Stops the thread from starting more children, once the one it may be starting now is reported
   * (its 'child' message is then on its way, ahead of the thread's exit). A spawn never returning
   * (options whose getters loop) is waited for no longer than the grace.
   */
  async shutGate(): Promise<void> {
    const until = Date.now() + this.graceMs;
    while (Atomics.compareExchange(this.o.gate, 0, SPAWN_GATE_OPEN, SPAWN_GATE_SHUT) === SPAWN_GATE_SPAWNING) {
      if (Date.now() >= until) {
        Atomics.store(this.o.gate, 0, SPAWN_GATE_SHUT);
        return;
      }
      await wait(1);
    }
    // A turn of the loop: a report the thread sent just before lets go of the gate arrives first.
    await wait(1);
  }

  private async endLive(): Promise<void> {
    if (this.live.size === 0) return;
    // A child reported while they end (started just before the gate shut) gets its SIGTERM too.
    const termed = new Set<number>();
    const term = (): void => {
      for (const pid of this.live) {
        if (termed.has(pid)) continue;
        termed.add(pid);
        this.send(pid, 'SIGTERM');
      }
    };
    term();
    if (await this.waitExited(this.graceMs, term)) return;
    for (const pid of this.live) if (childState(pid) === 'running') this.send(pid, 'SIGKILL');
    // SIGKILL cannot be ignored; the wait is only for the kernel, and bounded all the same. Any
    // left (one started meanwhile by a thread that restarts its children) are the next end()'s,
    // the one run when the thread has exited.
    await this.waitExited(this.graceMs, () => undefined);
  }

  /**
   * Waits until every child has exited (true) or `ms` is over (false). A zombie is left a moment
   * for its thread to reap it; after, it is dropped all the same (it can no longer run, and its pid
   * is not another's until reaped).
   */
  private async waitExited(ms: number, eachLook: () => void): Promise<boolean> {
    const until = Date.now() + ms;
    let reapBy: number | undefined;
    for (;;) {
      let running = 0;
      let zombies = 0;
      for (const pid of this.live) {
        const state = childState(pid);
        if (state === 'gone') this.live.delete(pid);
        else if (state === 'zombie') zombies++;
        else running++;
      }
      if (running === 0) {
        reapBy ??= Date.now() + REAP_WAIT_MS;
        if (zombies === 0 || Date.now() >= reapBy) {
          this.live.clear();
          return true;
        }
      }
      if (Date.now() >= until) {
        for (const pid of this.live) if (childState(pid) !== 'running') this.live.delete(pid);
        return false;
      }
      await wait(CHECK_EVERY_MS);
      eachLook();
    }
  }

  private send(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') this.o.onKillFailed?.(pid, err as Error);
      this.live.delete(pid);
    }
  }

}

/** A zombie has exited and waits for its thread to reap it: its pid cannot be reused until then. */
function childState(pid: number): 'running' | 'zombie' | 'gone' {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'running';
  }
  try {
    // /proc/PID/stat: "PID (comm) STATE ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z' ? 'zombie' : 'running';
  } catch {
    // Gone between the two looks (the next look says so), or a system without /proc (there only the grace tells).
    return 'running';
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
