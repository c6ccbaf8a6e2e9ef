// A module's child process and its own children, seen and signalled as one: each child a module's
// thread starts leads its own process group (module-worker-children.ts starts it detached), so
// ffmpeg started through a shell (`exec('ffmpeg ...')`: sh, then ffmpeg) ends with the shell.

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export type ChildState = 'running' | 'zombie' | 'gone';

/** The environment variable every module child carries, naming its node by the node's data folder. */
export const MODULE_CHILD_MARK_NAME = 'UNIBOS_MODULE_CHILD_OF';

/**
 * `UNIBOS_MODULE_CHILD_OF=<digest of the data folder>`: the node's mark. Every child a module's
 * thread starts carries it with the module's name (`.../cctv`, module-worker-children.ts): a node
 * killed with SIGKILL outside systemd (which would end its whole cgroup) cannot end its modules'
 * children, and the next node on the same folder finds them by it (endLeftoverChildren); and a
 * node whose kernel lists no thread's children finds a module's spawnSync child by it
 * (syncChildren). Nodes on other folders have marks of their own.
 */
export function moduleChildMark(dataDir: string): string {
  let dir = resolve(dataDir);
  try {
    dir = realpathSync(dir);
  } catch {
    // Not made yet: the path as given.
  }
  return `${MODULE_CHILD_MARK_NAME}=${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;
}

/** What one module's children carry: the node's mark and the module's name. */
export function moduleMark(nodeMark: string, module: string): string {
  return `${nodeMark}/${module}`;
}

/**
 * Ends what a node killed before left of its modules' children: every process of this node's user
 * carrying the node's `mark` (one started by a module, or by a module's child without changing its
 * environment), with the process group of each that leads one (a module's child leads its own:
 * what it started is in it); a marked process in a group whose leader is not marked is ended alone.
 * SIGTERM, then SIGKILL to what still runs after `graceMs`. Called once the control socket says no
 * node runs on the folder. Resolves with what it found ("1234 ffmpeg"), for the log.
 */
export async function endLeftoverChildren(mark: string, graceMs: number): Promise<string[]> {
  let left = markedProcesses(mark);
  const found = left.map((p) => `${p.pid} ${p.command}`);
  if (found.length === 0) return found;
  const ownGroup = statFields(process.pid)[2];
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    if (left.length === 0) break;
    const leaders = new Set(left.map((p) => p.pid));
    for (const { pid, pgid } of left) {
      try {
        if (pgid === ownGroup || !leaders.has(pgid) || !trySignal(-pgid, signal)) trySignal(pid, signal);
      } catch {
        // Refused: what is left is counted by the caller's next look.
      }
    }
    const until = Date.now() + graceMs;
    while ((left = markedProcesses(mark)).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }
  return found;
}

/**
 * Running processes (not zombies: theirs is empty) carrying the node's `mark` (any module's), and
 * their groups and parents.
 */
function markedProcesses(mark: string): Array<{ pid: number; pgid: number; ppid: number; entry: string; command: string }> {
  const marked: Array<{ pid: number; pgid: number; ppid: number; entry: string; command: string }> = [];
  const uid = process.getuid?.();
  for (const pid of processIds()) {
    if (pid === process.pid) continue;
    try {
      // Only this user's: a node run as root reads everyone's environment.
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
      const entry = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').find((e) => e === mark || e.startsWith(`${mark}/`));
      if (entry === undefined) continue;
      const fields = statFields(pid);
      marked.push({ pid, pgid: fields[2]!, ppid: fields[1]!, entry, command: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
    } catch {
      // Exited while listed.
    }
  }
  return marked;
}

/**
 * The children this process started for the module whose mark is `mark` (moduleMark): where the
 * kernel lists no thread's children (a kernel without CONFIG_PROC_CHILDREN), a spawnSync's child
 * is found by it. Its thread is not told apart, but each module has one thread.
 */
export function markedChildren(mark: string): number[] {
  const node = mark.slice(0, mark.lastIndexOf('/'));
  return markedProcesses(node).filter((p) => p.ppid === process.pid && p.entry === mark).map((p) => p.pid);
}

/** /proc/PID/stat after "(comm) ": state, ppid, pgrp, ... (comm may hold spaces and parentheses). */
function statFields(pid: number): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

function processIds(): number[] {
  try {
    return readdirSync('/proc').map(Number).filter((pid) => Number.isInteger(pid) && pid > 1);
  } catch {
    return [];
  }
}

/**
 * Sends `signal` to the group `pgid` leads, or to `pgid` alone when it is ours and leads none (a
 * child not started by the hook). False when nothing of it is left (ESRCH); a refusal (EPERM) is
 * thrown.
 */
export function signalChildGroup(pgid: number, signal: NodeJS.Signals | 0, leaderOurs: boolean): boolean {
  return trySignal(-pgid, signal) || (leaderOurs && trySignal(pgid, signal));
}

/**
 * Whether anything of the group still runs. `leaderOurs`: `pgid` is a child not yet reaped (its pid
 * is still its own, never another's); otherwise only the group is looked at: a pid whose process
 * was reaped may be another's, but not while a process of its group lives (the kernel keeps a
 * group's id taken), so the group is the one the child left.
 */
export function childGroupState(pgid: number, leaderOurs: boolean): ChildState {
  const leader = leaderOurs ? processState(pgid) : 'gone';
  if (leader === 'running') return 'running';
  if (!trySignal(-pgid, 0)) return leader;
  // The leader is down but the group is not empty: its other members, read from /proc.
  let zombie = leader === 'zombie';
  for (const member of groupMembers(pgid)) {
    if (member === pgid) continue;
    const state = processState(member);
    if (state === 'running') return 'running';
    if (state === 'zombie') zombie = true;
  }
  return zombie ? 'zombie' : 'gone';
}

/** A zombie has exited and waits for its parent to reap it: its pid cannot be reused until then. */
export function processState(pid: number): ChildState {
  if (!trySignal(pid, 0)) return 'gone';
  try {
    // /proc/PID/stat: "PID (comm) STATE ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'Z' ? 'zombie' : 'running';
  } catch {
    // Gone between the two looks (the next look says so), or a system without /proc (there only the grace tells).
    return 'running';
  }
}

/**
 * The children one thread of this process started (/proc/PID/task/TID/children, Linux 3.5+ with
 * CONFIG_PROC_CHILDREN): a child of spawnSync is in it while the thread waits for it, and its pid
 * is not known to anyone else until then. Empty when the thread is gone; null when the kernel
 * keeps no such list (markedChildren finds them then).
 */
export function threadChildren(tid: number): number[] | null {
  try {
    return readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8')
      .split(' ')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 1);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(`/proc/${process.pid}/task/${tid}`) ? null : [];
  }
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const pid of processIds()) {
    try {
      if (statFields(pid)[2] === pgid) members.push(pid);
    } catch {
      // Exited while listed.
    }
  }
  return members;
}

function trySignal(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
