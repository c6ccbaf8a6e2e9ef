// The messages between the node and a module's thread (module-thread.ts on the node,
// module-worker.ts in the thread). Calls from the handler go over their own port and wait for the
// node's answer, so a DeviceSide call still answers true or false at once, as in the node's thread.

import type { MessagePort } from 'node:worker_threads';
import type { DeviceMessage } from '@unibos/module-api';

/** What the thread is started with (Worker workerData). */
export interface ModuleThreadStart {
  name: string;
  nodeId: number;
  nodeName: string;
  /** file: URL of the handler's entry (the .ts source, or the compiled .js in a bundle). */
  handlerUrl: string;
  options: Record<string, unknown>;
  /** The module's store as the node holds it, so the handler's reads stay synchronous and local. */
  store: Record<string, unknown>;
  /** The handler's end of the call channel. */
  calls: MessagePort;
  /** Int32Array over a SharedArrayBuffer: the node sets it to 1 once an answer is on `calls`. */
  answered: SharedArrayBuffer;
  /** Int32Array over a SharedArrayBuffer: the spawn gate (SPAWN_GATE_*), shut by the node before it ends the thread. */
  spawnGate: SharedArrayBuffer;
  /** `NAME=value` put into every child's environment (module-child-group.ts moduleChildMark). */
  childMark: string;
}

/**
 * The spawn gate: the thread holds it (SPAWNING) from before a child's fork until the node has
 * been told its pid; the node shuts it (SHUT) before it ends the thread, so no child is ever
 * started without the node hearing of it (a thread ended between a fork and its report would
 * leave a child nobody knows), and none is started once the node is ending the thread.
 */
export const SPAWN_GATE_OPEN = 0;
export const SPAWN_GATE_SPAWNING = 1;
export const SPAWN_GATE_SHUT = 2;

/** A DeviceSide call, as the node's ModuleDeviceSide takes it; `id` names a listener or timer. */
export type ModuleCallRequest = { seq: number } & (
  | { call: 'onMessage' | 'onButton' | 'off'; id: number }
  | { call: 'after'; id: number; ms: number }
  | { call: 'imSafe' | 'raiseSos' | 'led' }
  | { call: 'sendText'; text: string; to: number | undefined }
  | { call: 'sendAlert'; level: string; text: string; to: number | undefined }
  | { call: 'buzzer'; kind: 'alert' | 'sos' | undefined }
  | { call: 'store.set'; key: string; value: unknown }
  | { call: 'store.delete'; key: string }
);

export interface ModuleCallAnswer {
  seq: number;
  ok: boolean;
}

/** Node -> thread. */
export type ToModuleThread =
  | { type: 'message'; id: number; message: DeviceMessage }
  | { type: 'press'; id: number; press: 'short' | 'long' }
  | { type: 'timer'; id: number }
  | { type: 'ping' }
  | { type: 'stop' };

/** Thread -> node. */
export type FromModuleThread =
  /** The thread is up and starts loading the handler's file: its import time is counted from here. */
  | { type: 'importing' }
  /** The handler's file loaded; `factory` is false when its default export is not a function. */
  | { type: 'imported'; factory: boolean }
  | { type: 'import-failed'; message: string }
  /** The factory returned; `handler` is false when what it returned has no stop(). */
  | { type: 'started'; handler: boolean; status: string | null }
  /** The factory, a listener or a timer threw (or its promise rejected). */
  | { type: 'threw'; where: string; message: string }
  /** Answers a ping: the thread's event loop turns. What its handler's status() says, when it changed; its buffers' bytes. */
  | { type: 'pong'; status?: string | null; bufferBytes: number }
  | { type: 'stopped' }
  /** The thread's id in the kernel (/proc/thread-self), sent before the handler loads: the children of a spawnSync it waits in are found under it. */
  | { type: 'thread'; tid: number }
  /** The handler started a child process (spawn, execFile, exec, fork): the node ends it with the thread. */
  | { type: 'child'; pid: number }
  /** That child exited: its pid is no longer the node's to signal. */
  | { type: 'child-exit'; pid: number };
