// The node's side of one module's thread: starts the handler in a worker (module-worker.ts) bounded
// in memory, passes each call it makes to its ModuleDeviceSide (the one place calls are checked
// against the manifest) and the events it subscribed to back in, and ends the thread when it stops
// answering the watchdog or outgrows its memory, along with the child processes it started. Whatever
// the handler does, the node's own thread (radio, outbox, SOS button) keeps running.

import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { AlertLevel } from '@unibos/mesh-protocol';
import type { ModuleDeviceSide } from './module-device-side.ts';
import type { FromModuleThread, ModuleCallRequest, ModuleThreadStart, ToModuleThread } from './module-thread-protocol.ts';
import { MODULE_CHILD_KILL_GRACE_MS, ModuleChildProcesses } from './module-child-processes.ts';
import { MODULE_PING_INTERVAL_MS, MODULE_STUCK_AFTER_PINGS, ModuleWatchdog } from './module-watchdog.ts';

/** From source the thread needs tsx's loader (the boot file registers it); a bundle has the compiled worker. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_FILE = new URL(FROM_SOURCE ? './module-worker-boot.mjs' : './module-worker.js', import.meta.url);

export interface ModuleLimits {
  /** The thread's V8 heap (resourceLimits.maxOldGenerationSizeMb): past it V8 ends the thread. */
  heapMb: number;
  /** Its Buffers and ArrayBuffers, which live outside that heap: checked at each ping. */
  bufferMb: number;
  /** Seconds without answering the watchdog's pings after which it is stuck and ended. */
  stuckAfterS: number;
}

/**
 * A device handler keeps small state (answers given, a camera's status) and hands heavy work to
 * child processes (cctv's motion worker, ffmpeg), so 64 MB of heap and 64 MB of buffers are far
 * more than any honest one uses, and on a Pi Zero 2 W (512 MB) a runaway one still leaves the node
 * its room.
 */
export const MODULE_LIMITS: ModuleLimits = { heapMb: 64, bufferMb: 64, stuckAfterS: (MODULE_STUCK_AFTER_PINGS * MODULE_PING_INTERVAL_MS) / 1000 };

/**
 * How long a stopping thread may finish what its stop() left running (a child process closing)
 * before it is ended: a node stopping on SIGTERM exits within seconds.
 */
export const MODULE_STOP_GRACE_MS = 2_000;
/** A module's thread starts (its runtime and the node's hooks load) within this; only a badly overloaded machine takes long. */
export const MODULE_THREAD_BOOT_MS = 30_000;

/** What ended a started module's thread by its own doing. */
export interface ModuleFault {
  /** threw: a listener, timer or promise of it threw; stuck, memory: the node ended it; exited: it ended itself. */
  kind: 'threw' | 'stuck' | 'memory' | 'exited';
  reason: string;
}

export type ModuleThreadStartResult =
  | { outcome: 'started' }
  | { outcome: 'import-failed'; message: string }
  | { outcome: 'no-factory' }
  | { outcome: 'no-stop' }
  /** The factory threw, or the thread failed while it ran (stuck, out of memory). */
  | { outcome: 'setup-failed'; fault: ModuleFault };

export interface ModuleThreadOptions {
  name: string;
  side: ModuleDeviceSide;
  handlerPath: string;
  options: Record<string, unknown>;
  log: Logger;
  importTimeoutMs: number;
  limits?: ModuleLimits;
  /** What every child process of the module carries in its environment (module-child-group.ts moduleMark). */
  childMark: string;
  /** A started module's thread failed (it is over by then, or asked to stop). */
  onFault(fault: ModuleFault): void;
}

export class ModuleThread {
  private worker: Worker | undefined;
  private calls: MessagePort | undefined;
  private readonly subscriptions = new Map<number, () => void>();
  private readonly watchdog: ModuleWatchdog;
  private readonly limits: ModuleLimits;
  /** The child processes its thread started that are still running, ended with it. */
  private readonly children: ModuleChildProcesses;
  private readonly spawnGate = new SharedArrayBuffer(4);
  private ending = false;
  private phase: 'importing' | 'setting-up' | 'running' | 'over' = 'importing';
  private settle: ((r: ModuleThreadStartResult) => void) | undefined;
  private lastStatus: string | null = null;
  /** Until the thread starts its import, then until the import ends (importTimeoutMs). */
  private importTimer: NodeJS.Timeout | undefined;
  private exited = false;
  private readonly exit: Promise<void>;
  private onExit!: () => void;

  constructor(private readonly o: ModuleThreadOptions) {
    this.limits = o.limits ?? MODULE_LIMITS;
    this.watchdog = new ModuleWatchdog(
      () => this.post({ type: 'ping' }),
      (silentMs) => this.fail({ kind: 'stuck', reason: `stuck: it did not answer the node for ${silentMs / 1000} s (a loop that never ends?), so its thread was ended; it stays off until the node restarts` }),
      MODULE_PING_INTERVAL_MS,
      Math.max(1, Math.round((this.limits.stuckAfterS * 1000) / MODULE_PING_INTERVAL_MS)),
    );
    this.children = new ModuleChildProcesses({
      gate: new Int32Array(this.spawnGate),
      mark: o.childMark,
      onKillFailed: (pid, err) => o.log.warn({ module: o.name, pid, err }, `module ${o.name}: its child process ${pid} could not be ended: ${err.message}`),
    });
    this.exit = new Promise((resolve) => (this.onExit = resolve));
  }

  /** What the handler's status() said last (it reports a change at each ping). */
  get status(): string | null {
    return this.lastStatus;
  }

  start(): Promise<ModuleThreadStartResult> {
    const { name, side } = this.o;
    const channel = new MessageChannel();
    const answered = new SharedArrayBuffer(4);
    const flag = new Int32Array(answered);
    const start: ModuleThreadStart = {
      name,
      nodeId: side.side.nodeId,
      nodeName: side.side.name,
      handlerUrl: pathToFileURL(this.o.handlerPath).href,
      options: this.o.options,
      store: Object.fromEntries(side.side.store.keys().map((k) => [k, side.side.store.get(k)])),
      calls: channel.port2,
      answered,
      spawnGate: this.spawnGate,
      childMark: this.o.childMark,
    };
    this.calls = channel.port1;
    this.calls.on('message', (req: ModuleCallRequest) => {
      let ok = false;
      try {
        ok = this.dispatch(req);
      } catch (err) {
        this.o.log.warn({ module: name, call: req.call, err }, `module ${name}: ${req.call} could not be passed on: ${(err as Error).message}`);
      }
      this.calls!.postMessage({ seq: req.seq, ok });
      // The thread waits on this flag, not on its event loop: the answer is read at once.
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
    // The call channel never keeps a node that is otherwise done from exiting.
    this.calls.unref();

    let worker: Worker;
    try {
      worker = new Worker(WORKER_FILE, {
        workerData: start,
        transferList: [channel.port2],
        // Not the parent's flags (a test runner's, an inspector's): the boot file brings what it needs.
        execArgv: [],
        resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb },
        name: `module ${name}`,
      });
    } catch (err) {
      // A runtime whose worker file is missing (a damaged bundle) runs on without its modules.
      this.phase = 'over';
      this.calls.close();
      this.onExit();
      return Promise.resolve({ outcome: 'import-failed', message: `its thread does not start: ${(err as Error).message}` });
    }
    this.worker = worker;

    const result = new Promise<ModuleThreadStartResult>((resolve) => (this.settle = resolve));
    // Not through the watchdog: a big handler's first import from a Pi Zero's SD card may take long
    // (the import turns the thread's loop while it waits on the disk, but compiling does not). Counted
    // from when the thread starts the import, not from its creation: a busy machine takes longer to
    // start a thread, which is no fault of the module's.
    this.importTimer = setTimeout(() => {
      this.finishStart({ outcome: 'import-failed', message: `its thread did not start within ${MODULE_THREAD_BOOT_MS / 1000} s` });
    }, MODULE_THREAD_BOOT_MS);
    worker.on('message', (m: FromModuleThread) => this.onMessage(m));
    worker.on('error', (err: Error & { code?: string }) => {
      clearTimeout(this.importTimer);
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') this.fail({ kind: 'memory', reason: this.memoryReason(`its ${this.limits.heapMb} MB heap`) });
      else if (this.phase === 'importing') this.finishStart({ outcome: 'import-failed', message: err.message });
      else this.fail({ kind: 'threw', reason: `code outside its listeners and timers threw: ${err.message}` });
    });
    worker.on('exit', (code) => {
      clearTimeout(this.importTimer);
      this.exited = true;
      this.watchdog.stop();
      this.calls?.close();
      // A thread that ended by itself (or out of heap) may leave children running; the node waits for them.
      void this.children.end().finally(() => this.onExit());
      if (this.phase === 'importing') this.finishStart({ outcome: 'import-failed', message: `its thread exited (code ${code})` });
      else this.fail({ kind: 'exited', reason: `its thread exited (code ${code}) by itself; it stays off until the node restarts` });
    });
    return result;
  }

  /** Asks the handler to stop(), and ends the thread once it is done or after a grace. */
  stop(): Promise<void> {
    this.phase = 'over';
    this.watchdog.stop();
    this.dropSubscriptions();
    if (!this.exited && this.worker) {
      this.post({ type: 'stop' });
      // Kept referenced: a node shutting down waits this long for its modules to finish.
      const grace = setTimeout(() => this.endThread(), MODULE_STOP_GRACE_MS);
      void this.exit.then(() => clearTimeout(grace));
    }
    return this.exit;
  }

  private onMessage(m: FromModuleThread): void {
    switch (m.type) {
      case 'importing':
        clearTimeout(this.importTimer);
        this.importTimer = setTimeout(() => {
          this.finishStart({ outcome: 'import-failed', message: `it did not finish loading within ${this.o.importTimeoutMs / 1000} s` });
        }, this.o.importTimeoutMs);
        return;
      case 'imported':
        clearTimeout(this.importTimer);
        if (!m.factory) return this.finishStart({ outcome: 'no-factory' });
        this.phase = 'setting-up';
        // From here a loop in the factory or a listener is the watchdog's to catch.
        this.watchdog.start();
        return;
      case 'import-failed':
        clearTimeout(this.importTimer);
        return this.finishStart({ outcome: 'import-failed', message: m.message });
      case 'started':
        if (!m.handler) return this.finishStart({ outcome: 'no-stop' });
        this.lastStatus = m.status;
        this.phase = 'running';
        // A module's thread never keeps a node that is otherwise done from exiting.
        this.worker?.unref();
        this.settle?.({ outcome: 'started' });
        this.settle = undefined;
        return;
      case 'threw':
        return this.fail({ kind: 'threw', reason: `${m.where} threw: ${m.message}` });
      case 'pong':
        this.watchdog.pong();
        if (m.status !== undefined) this.lastStatus = m.status;
        if (m.bufferBytes > this.limits.bufferMb * 1024 * 1024) this.fail({ kind: 'memory', reason: this.memoryReason(`its ${this.limits.bufferMb} MB of buffers (it held ${Math.round(m.bufferBytes / 1024 / 1024)} MB)`) });
        return;
      case 'stopped':
        return;
      case 'thread':
        return this.children.thread(m.tid);
      case 'child':
        return this.children.started(m.pid);
      case 'child-exit':
        return this.children.exited(m.pid);
    }
  }

  private memoryReason(what: string): string {
    return `out of memory: it outgrew ${what}, so its thread was ended; it stays off until the node restarts`;
  }

  /** A failure before the module started: the thread is ended and the loader words the reason. */
  private finishStart(r: Exclude<ModuleThreadStartResult, { outcome: 'started' }>): void {
    if (!this.settle) return;
    this.settle(r);
    this.settle = undefined;
    this.end();
  }

  /** The thread failed: before it started, the start says so; after, the owner hears of it once. */
  private fail(fault: ModuleFault): void {
    if (this.phase === 'over') return;
    if (this.phase === 'importing' || this.settle) return this.finishStart({ outcome: 'setup-failed', fault });
    this.phase = 'over';
    this.watchdog.stop();
    this.dropSubscriptions();
    // A thrown handler still gets its stop() (it may hold child processes); one that is stuck or out of memory cannot run it.
    if (fault.kind !== 'threw') this.endThread();
    this.o.log.error({ module: this.o.name, fault: fault.kind }, `module ${this.o.name}: ${fault.reason}`);
    this.o.onFault(fault);
  }

  private end(): void {
    this.phase = 'over';
    this.watchdog.stop();
    this.dropSubscriptions();
    this.endThread();
  }

  /**
   * Ends its child processes, then the thread: first no new ones, then the ones running (only the
   * thread can reap them, so they are killed while it still exists; module-child-processes.ts).
   */
  private endThread(): void {
    if (this.ending || !this.worker) return;
    this.ending = true;
    void this.children
      .shutGate()
      .then(() => this.children.end())
      .finally(() => void this.terminate());
  }

  /**
   * A thread waiting in spawnSync ends only once that child does (no JavaScript runs meanwhile): one
   * whose child was started just as the gate shut, after the node looked, has it ended now.
   */
  private async terminate(): Promise<void> {
    void this.worker?.terminate();
    while (!this.exited) {
      let timer: NodeJS.Timeout | undefined;
      // Unreferenced: a node otherwise done does not stay for a thread it already gave up on.
      await Promise.race([this.exit, new Promise((resolve) => (timer = setTimeout(resolve, MODULE_CHILD_KILL_GRACE_MS).unref()))]);
      clearTimeout(timer);
      if (!this.exited) await this.children.end();
    }
  }

  private dropSubscriptions(): void {
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
  }

  private post(m: ToModuleThread): void {
    if (!this.exited) this.worker?.postMessage(m);
  }

  /** The handler's call, made on its ModuleDeviceSide, which checks it and answers. */
  private dispatch(req: ModuleCallRequest): boolean {
    const s = this.o.side.side;
    if (this.phase === 'over' && req.call !== 'off') return false;
    switch (req.call) {
      case 'onMessage':
        this.subscriptions.set(req.id, s.onMessage((message) => this.post({ type: 'message', id: req.id, message })));
        return true;
      case 'onButton':
        this.subscriptions.set(req.id, s.onButton((press) => this.post({ type: 'press', id: req.id, press })));
        return true;
      case 'after':
        this.subscriptions.set(
          req.id,
          s.after(req.ms, () => {
            this.subscriptions.delete(req.id);
            this.post({ type: 'timer', id: req.id });
          }),
        );
        return true;
      case 'off':
        this.subscriptions.get(req.id)?.();
        this.subscriptions.delete(req.id);
        return true;
      case 'imSafe':
        return s.imSafe();
      case 'raiseSos':
        return s.raiseSos();
      case 'sendText':
        return s.sendText(req.text, req.to);
      case 'sendAlert':
        return s.sendAlert(req.level as AlertLevel, req.text, req.to);
      case 'buzzer':
        return s.buzzer(req.kind);
      case 'led':
        return s.led();
      case 'store.set':
        return s.store.set(req.key, req.value);
      case 'store.delete':
        s.store.delete(req.key);
        return s.store.get(req.key) === undefined;
    }
  }
}
