// A module's device handler in its own thread: the node (module-thread.ts) starts this file in a
// worker, so a handler stuck in a loop or eating memory stops only this thread, never the radio,
// the outbox or the SOS button. Nothing is checked here: each DeviceSide call is passed to the
// node, where module-device-side.ts checks it against the manifest, and its answer comes back.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { DeviceHandler, DeviceHandlerFactory, DeviceSide, DeviceStore } from '@unibos/module-api';
import type { FromModuleThread, ModuleCallAnswer, ModuleCallRequest, ModuleThreadStart, ToModuleThread } from './module-thread-protocol.ts';
import { reportChildProcesses } from './module-worker-children.ts';

/**
 * How long a call waits for the node's answer. The node answers within one turn of its event loop;
 * this only ends a wait for a node that is shutting down (the call is then refused).
 */
const CALL_WAIT_MS = 10_000;

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

const start = workerData as ModuleThreadStart;
const port = parentPort!;
const answered = new Int32Array(start.answered);
let seq = 0;
let ended = false;
let handler: DeviceHandler | undefined;
let lastStatus: string | null = null;
const listeners = new Map<number, (value: never) => void>();
let nextId = 1;

function post(m: FromModuleThread): void {
  port.postMessage(m);
}

/** Sends a call to the node and waits (this thread only) for its answer. */
function call(request: DistributiveOmit<ModuleCallRequest, 'seq'>): boolean {
  const mine = ++seq;
  Atomics.store(answered, 0, 0);
  try {
    start.calls.postMessage({ ...request, seq: mine });
  } catch {
    // An argument that cannot cross threads (a function as a text): the node could not have sent it either.
    return false;
  }
  const until = Date.now() + CALL_WAIT_MS;
  for (;;) {
    // An answer to an earlier call that gave up waiting is skipped.
    for (let r = receiveMessageOnPort(start.calls); r; r = receiveMessageOnPort(start.calls)) {
      const a = r.message as ModuleCallAnswer;
      if (a.seq === mine) return a.ok;
    }
    const left = until - Date.now();
    if (left <= 0 || Atomics.wait(answered, 0, 0, left) === 'timed-out') return false;
    Atomics.store(answered, 0, 0);
  }
}

/** Runs handler code; a throw or a rejected promise is reported to the node, which unloads the module. */
function guard(where: string, fn: () => unknown): void {
  if (ended) return;
  try {
    const r = fn();
    if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => threw(where, err));
  } catch (err) {
    threw(where, err);
  }
}

function threw(where: string, err: unknown): void {
  if (ended) return;
  ended = true;
  post({ type: 'threw', where, message: err instanceof Error ? err.message : String(err) });
}

function listen<T>(kind: 'onMessage' | 'onButton', where: string, listener: (value: T) => void): () => void {
  const id = nextId++;
  listeners.set(id, (value: never) => guard(where, () => listener(value as T)));
  call({ call: kind, id });
  return () => {
    if (listeners.delete(id)) call({ call: 'off', id });
  };
}

/** The node's copy, kept in step: a write is the node's to allow (its size limit), a read is local. */
const stored: Record<string, unknown> = { ...start.store };
const store: DeviceStore = {
  get: (key) => (Object.hasOwn(stored, String(key)) ? stored[String(key)] : undefined),
  keys: () => Object.keys(stored),
  set: (key, value) => {
    // The node keeps what JSON keeps; what JSON cannot hold (undefined, a BigInt, a cycle) it refuses.
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    const kept: unknown = json === undefined ? undefined : JSON.parse(json);
    if (!call({ call: 'store.set', key: String(key), value: kept })) return false;
    stored[String(key)] = kept;
    return true;
  },
  delete: (key) => {
    if (call({ call: 'store.delete', key: String(key) })) delete stored[String(key)];
  },
};

const side: DeviceSide = {
  nodeId: start.nodeId,
  name: start.nodeName,
  onMessage: (listener) => listen('onMessage', 'onMessage listener', listener),
  onButton: (listener) => listen('onButton', 'onButton listener', listener),
  imSafe: () => call({ call: 'imSafe' }),
  raiseSos: () => call({ call: 'raiseSos' }),
  sendText: (text, to) => call({ call: 'sendText', text, to }),
  sendAlert: (level, text, to) => call({ call: 'sendAlert', level, text, to }),
  buzzer: (kind) => call({ call: 'buzzer', kind }),
  led: () => call({ call: 'led' }),
  after: (ms, fn) => {
    // The node keeps the timer (timers longer than one Node timer holds included) and ends it on unload.
    const id = nextId++;
    listeners.set(id, () => {
      listeners.delete(id);
      guard('timer', fn);
    });
    call({ call: 'after', id, ms: Number(ms) });
    return () => {
      if (listeners.delete(id)) call({ call: 'off', id });
    };
  },
  store,
};

function handlerStatus(): string | null {
  try {
    const s = handler?.status?.();
    return typeof s === 'string' ? s.slice(0, 500) : null;
  } catch {
    return null;
  }
}

function onNodeMessage(m: ToModuleThread): void {
  switch (m.type) {
    case 'ping': {
      const status = handlerStatus();
      const changed = status !== lastStatus;
      lastStatus = status;
      // Buffers live outside the V8 heap that resourceLimits bounds: the node bounds them from this figure.
      post({ type: 'pong', bufferBytes: process.memoryUsage().arrayBuffers, ...(changed ? { status } : {}) });
      return;
    }
    case 'message':
    case 'press':
      listeners.get(m.id)?.((m.type === 'message' ? m.message : m.press) as never);
      return;
    case 'timer':
      listeners.get(m.id)?.(undefined as never);
      return;
    case 'stop': {
      ended = true;
      listeners.clear();
      try {
        handler?.stop();
      } catch (err) {
        console.error(`stop() threw: ${err instanceof Error ? err.message : String(err)}`);
      }
      post({ type: 'stopped' });
      // The thread ends once what stop() left running (a child process closing) is done; the node ends it after a grace.
      port.off('message', onPortMessage);
      return;
    }
  }
}

/**
 * Each message from the node is handled in an immediate, not in the port's own callback: a handler
 * that never returns there is ended by the node with the children it started already killed, and
 * only a loop that polls once more after that reaps them (libuv waits for a child on the loop that
 * started it). Node stops a thread's loop in the very callback pass of the port, so a thread ended
 * in it leaves each child a zombie; one ended in an immediate (or a timer) polls once more.
 */
function onPortMessage(m: ToModuleThread): void {
  setImmediate(onNodeMessage, m);
}

port.on('message', onPortMessage);
// Before the handler loads: the node must know each child's pid before it may have to end the thread.
reportChildProcesses(
  { thread: (tid) => post({ type: 'thread', tid }), started: (pid) => post({ type: 'child', pid }), exited: (pid) => post({ type: 'child-exit', pid }) },
  new Int32Array(start.spawnGate),
  start.childMark,
);

let factory: unknown;
try {
  post({ type: 'importing' });
  factory = ((await import(start.handlerUrl)) as { default?: unknown }).default;
  post({ type: 'imported', factory: typeof factory === 'function' });
} catch (err) {
  post({ type: 'import-failed', message: err instanceof Error ? err.message : String(err) });
}
if (typeof factory === 'function') {
  let made: unknown;
  guard('setup', () => {
    made = (factory as DeviceHandlerFactory)(side, start.options);
  });
  if (!ended) {
    const ok = typeof made === 'object' && made !== null && typeof (made as DeviceHandler).stop === 'function';
    if (ok) handler = made as DeviceHandler;
    lastStatus = handlerStatus();
    post({ type: 'started', handler: ok, status: lastStatus });
  }
}
