// One camera's handle on its motion worker process: starts it (and learns whether OpenCV loads
// there), sends frames one at a time and gets the detection back as a promise. A frame that
// arrives while the worker is busy is the caller's to drop (the camera keeps the newest).

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import type { MotionSettings } from './motion-detector.ts';
import type { FrameResult, WorkerReply, WorkerRequest } from './motion-worker-protocol.ts';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_FILE = fileURLToPath(new URL(FROM_SOURCE ? './motion-worker-boot.mjs' : './motion-worker.js', import.meta.url));
const WORKER_ARGS = FROM_SOURCE ? [new URL('./motion-worker.ts', import.meta.url).href] : [];

export interface MotionWorkerOptions {
  thumbWidth?: number;
  jpegQuality?: number;
}

export class MotionWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: FrameResult): void; reject(e: Error): void }>();
  private dead: Error | null = null;
  /** The worker's process id (not this process: the frames are analysed elsewhere). */
  readonly pid: number;

  private constructor(
    private readonly worker: ChildProcess,
    readonly opencv: string,
  ) {
    this.pid = worker.pid ?? -1;
    worker.on('message', (r: WorkerReply) => {
      if (r.type !== 'result' && r.type !== 'error') return;
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.type === 'result') p.resolve(r);
      else p.reject(new CctvError(r.code === 'E_CCTV_UNAVAILABLE' ? 'E_CCTV_UNAVAILABLE' : 'E_CCTV_FRAME', r.message));
    });
    const fail = (err: Error): void => {
      this.dead ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new CctvError('E_CCTV_UNAVAILABLE', `the motion worker failed: ${err.message}`, { problem: { code: 'cctv.worker_died', params: { error: err.message } } })));
    worker.on('exit', (code, signal) => fail(new CctvError('E_CCTV_UNAVAILABLE', `the motion worker exited (${code ?? signal})`, { problem: { code: 'cctv.worker_died', params: { error: `exited (${code ?? signal})` } } })));
  }

  /** Starts a worker; rejects with E_CCTV_UNAVAILABLE and the reason when OpenCV is not there. */
  static start(settings: MotionSettings, o: MotionWorkerOptions = {}): Promise<MotionWorker> {
    // execArgv is not inherited: the worker needs no inspector or test-runner flags of the parent.
    const worker = fork(WORKER_FILE, WORKER_ARGS, { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    worker.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-1000)));
    return new Promise((resolve, reject) => {
      const onMessage = (r: WorkerReply): void => {
        if (r.type === 'ready') {
          cleanup();
          resolve(new MotionWorker(worker, r.opencv));
        } else if (r.type === 'unavailable') {
          cleanup();
          worker.kill();
          // OpenCV missing or broken here: it stays so until someone installs it and restarts.
          reject(new CctvError('E_CCTV_UNAVAILABLE', r.reason, { problem: { code: `cctv.${r.code}`, params: { detail: r.detail } }, permanent: true }));
        }
      };
      const onError = (err: Error): void => {
        cleanup();
        worker.kill();
        reject(new CctvError('E_CCTV_UNAVAILABLE', `the motion worker does not start: ${err.message}`, { problem: { code: 'cctv.worker_failed', params: { error: err.message } } }));
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        const why = `exited at start (${code ?? signal}): ${stderr.trim().split('\n').slice(-3).join(' ') || 'no message'}`;
        reject(new CctvError('E_CCTV_UNAVAILABLE', `the motion worker ${why}`, { problem: { code: 'cctv.worker_failed', params: { error: why } } }));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const init: WorkerRequest = { type: 'init', settings, thumbWidth: o.thumbWidth ?? 160, jpegQuality: o.jpegQuality ?? 80 };
      worker.send(init);
    });
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  process(frame: Frame, flags: { images: boolean; clipJpeg: boolean }): Promise<FrameResult> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { type: 'frame', id, frame, ...flags };
      this.worker.send(req);
    });
  }

  async close(): Promise<void> {
    this.dead ??= new CctvError('E_CCTV_UNAVAILABLE', 'the motion worker is closed');
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.kill();
    });
  }
}
