// The child processes one module's thread started and that have not exited (its thread reports
// each, module-worker-children.ts; a spawnSync's child is found in the kernel's list of the thread's
// children), with what they started themselves (each leads a process group, module-child-group.ts),
// and their end when the thread is over: a wedged ffmpeg that reads no stdin would otherwise
// outlive the thread that started it, eating a Pi's CPU.

import { childGroupState, markedChildren, signalChildGroup, threadChildren } from './module-child-group.ts';
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
 * whose loop turns does so within a turn, and a stuck one does in the turn after it is ended (its
 * SIGCHLD is waiting by then), so this is short.
 */
const REAP_WAIT_MS = 200;

export interface ModuleChildProcessesOptions {
  /** The spawn gate shared with the thread (module-thread-protocol.ts). */
  gate: Int32Array;
  /** What each child of the module carries in its environment (module-child-group.ts moduleMark). */
  mark: string;
  /** The kernel's list of a thread's children, null where it keeps none (tests stand in for such a kernel). */
  threadChildren?(tid: number): number[] | null;
  graceMs?: number;
  /** A signal could not be sent (not ours, or the system refused): logged by the owner. */
  onKillFailed?(pid: number, err: Error): void;
}

export class ModuleChildProcesses {
  /** Children running, by pid; each leads its own process group (its own children are in it). */
  private readonly live = new Set<number>();
  /** Groups whose leader exited while others of them ran on (a shell's ffmpeg in the background). */
  private readonly groups = new Set<number>();
  /** The thread's id in the kernel: a spawnSync's child is found among its children. */
  private tid: number | undefined;
  /** Children found that way: no report tells of their exit, the thread's list does. */
  private readonly adopted = new Set<number>();
  private readonly graceMs: number;
  private ending: Promise<void> = Promise.resolve();

  constructor(private readonly o: ModuleChildProcessesOptions) {
    this.graceMs = o.graceMs ?? MODULE_CHILD_KILL_GRACE_MS;
  }

  /** The thread said which it is (/proc/thread-self), before its handler ran. */
  thread(tid: number): void {
    if (Number.isInteger(tid) && tid > 1) this.tid = tid;
  }

  started(pid: number): void {
    if (!Number.isInteger(pid) || pid <= 1) return;
    this.live.add(pid);
    // Groups emptied since: their id may be another's from here.
    for (const pgid of this.groups) if (!this.look(() => signalChildGroup(pgid, 0, false), pgid)) this.groups.delete(pgid);
  }

  /**
   * Its thread saw it exit (and reaped it): from here its pid may be another process's, never to
   * be signalled; the group it led is kept while others of it run (the id is theirs until then).
   */
  exited(pid: number): void {
    if (!this.live.delete(pid)) return;
    if (this.look(() => signalChildGroup(pid, 0, false), pid)) this.groups.add(pid);
  }

  /**
   * SIGTERM to each child's process group still running, SIGKILL to those still there after the
   * grace; resolves once each has exited. Only the thread that started a child can reap it (libuv
   * waits for it on that thread's loop), so they are ended while it still exists: a thread whose
   * loop turns once more (one ended by the node included) reaps them.
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

  /**
   * Children of a spawnSync the thread waits in: reported by nobody, found in the kernel's list of
   * the thread's children, or by the module's mark where the kernel keeps no such list. One no
   * longer found was reaped by its call (a thread ends only once that call returned), so from here
   * it is a group at most, as for a reported exit.
   */
  private adoptSyncChildren(): void {
    const listed = this.tid === undefined ? null : (this.o.threadChildren ?? threadChildren)(this.tid);
    const children = listed ?? markedChildren(this.o.mark);
    for (const pid of children) {
      if (this.live.has(pid)) continue;
      this.live.add(pid);
      this.adopted.add(pid);
    }
    for (const pid of this.adopted) {
      if (children.includes(pid)) continue;
      this.adopted.delete(pid);
      this.exited(pid);
    }
  }

  private async endLive(): Promise<void> {
    this.adoptSyncChildren();
    if (this.live.size === 0 && this.groups.size === 0) return;
    // A child reported while they end (started just before the gate shut) gets its SIGTERM too.
    const termed = new Set<number>();
    const term = (): void => {
      this.adoptSyncChildren();
      for (const [pgid, ours] of this.targets()) {
        if (termed.has(pgid)) continue;
        termed.add(pgid);
        this.send(pgid, ours, 'SIGTERM');
      }
    };
    term();
    if (await this.waitExited(this.graceMs, term)) return;
    for (const [pgid, ours] of this.targets()) if (childGroupState(pgid, ours) === 'running') this.send(pgid, ours, 'SIGKILL');
    // SIGKILL cannot be ignored; the wait is only for the kernel, and bounded all the same. Any
    // left (one started meanwhile by a thread that restarts its children) are the next end()'s,
    // the one run when the thread has exited.
    await this.waitExited(this.graceMs, () => undefined);
  }

  /** Each group to end, and whether its leader is a child not yet reaped (so its pid is still ours). */
  private targets(): Array<[number, boolean]> {
    return [...[...this.live].map((pid): [number, boolean] => [pid, true]), ...[...this.groups].filter((g) => !this.live.has(g)).map((g): [number, boolean] => [g, false])];
  }

  /**
   * Waits until every child's group has exited (true) or `ms` is over (false). A zombie is left a
   * moment for its thread to reap it; after, it is dropped all the same (it can no longer run, and
   * its pid is not another's until reaped).
   */
  private async waitExited(ms: number, eachLook: () => void): Promise<boolean> {
    const until = Date.now() + ms;
    let reapBy: number | undefined;
    for (;;) {
      this.adoptSyncChildren();
      let running = 0;
      let zombies = 0;
      for (const [pgid, ours] of this.targets()) {
        const state = childGroupState(pgid, ours);
        if (state === 'gone') this.forget(pgid);
        else if (state === 'zombie') zombies++;
        else running++;
      }
      if (running === 0) {
        reapBy ??= Date.now() + REAP_WAIT_MS;
        if (zombies === 0 || Date.now() >= reapBy) {
          this.live.clear();
          this.groups.clear();
          this.adopted.clear();
          return true;
        }
      }
      if (Date.now() >= until) {
        for (const [pgid, ours] of this.targets()) if (childGroupState(pgid, ours) !== 'running') this.forget(pgid);
        return false;
      }
      await wait(CHECK_EVERY_MS);
      eachLook();
    }
  }

  private forget(pgid: number): void {
    this.live.delete(pgid);
    this.groups.delete(pgid);
    this.adopted.delete(pgid);
  }

  private send(pgid: number, leaderOurs: boolean, signal: NodeJS.Signals): void {
    if (!this.look(() => signalChildGroup(pgid, signal, leaderOurs), pgid)) this.forget(pgid);
  }

  /** A signal the system refused (not ours): logged, and the group taken as gone. */
  private look(signal: () => boolean, pgid: number): boolean {
    try {
      return signal();
    } catch (err) {
      this.o.onKillFailed?.(pgid, err as Error);
      return false;
    }
  }
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
