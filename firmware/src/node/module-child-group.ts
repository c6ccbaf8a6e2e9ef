// A module's child process and its own children, seen and signalled as one: each child a module's
// thread starts leads its own process group (module-worker-children.ts starts it detached), so
// ffmpeg started through a shell (`exec('ffmpeg ...')`: sh, then ffmpeg) ends with the shell.

import { readdirSync, readFileSync } from 'node:fs';

export type ChildState = 'running' | 'zombie' | 'gone';

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
 * is not known to anyone else until then. Empty when the thread is gone or the kernel has no list.
 */
export function threadChildren(tid: number): number[] {
  try {
    return readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8')
      .split(' ')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 1);
  } catch {
    return [];
  }
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // After "(comm) ": state, ppid, pgrp.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(pid);
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
