// One camera: its source, reconnected with a growing backoff when it drops; its motion worker;
// the cool-down that turns motion into events; and the media it keeps on the node. Its state
// (live, reconnecting, unavailable and why) is what the API, `unibos status` and the UI show.

import { EventEmitter } from 'node:events';
import type { ModuleProblem } from '@unibos/module-api';
import type { CameraConfig } from './camera-config.ts';
import type { Frame } from './frame.ts';
import type { ClipRecorder } from './media/clip-recorder.ts';
import type { MediaStore } from './media/media-store.ts';
import { MotionCooldown } from './motion/motion-cooldown.ts';
import type { MotionRegion, MotionSettings } from './motion/motion-detector.ts';
import { MotionWorker } from './motion/motion-worker-client.ts';
import type { CameraSource, SourceSession } from './sources/camera-source.ts';

export type CameraStateName = 'starting' | 'live' | 'reconnecting' | 'ended' | 'unavailable' | 'stopped';

export interface CameraState {
  id: string;
  name: string;
  source: string;
  state: CameraStateName;
  /** Why it is reconnecting or unavailable, in words. */
  reason: string | null;
  /** The same by code (`cctv.device_missing` `{ path }`), for the admin UI's languages. */
  problem: ModuleProblem | null;
  upload: boolean;
  /** Its zones by name, without their corners: which it watches (include) and which it ignores (exclude). */
  zones: Array<{ name: string; kind: 'include' | 'exclude' }>;
  frames: number;
  /** Frames skipped: the detector still busy with the one before, or what came in was no whole picture. */
  dropped: number;
  events: number;
  reconnects: number;
  lastFrameAt: number | null;
  lastEventAt: number | null;
  nextRetryAt: number | null;
  /** Mean detector time per frame (ms), in the worker. */
  detectMs: number;
  opencv: string | null;
}

export interface MotionEvent {
  camera: string;
  cameraName: string;
  ts: number;
  zone: string;
  area: number;
  box: MotionRegion['box'];
  /** A small JPEG; stays on the node unless the camera's upload is on (privacy-gate.ts). */
  thumbnail: Uint8Array | null;
  /** The snapshot's file name in the node's media store. */
  snapshot: string | null;
}

export interface CameraOptions {
  config: CameraConfig;
  source: CameraSource;
  motion: Omit<MotionSettings, 'zones'>;
  cooldownMs: number;
  media: MediaStore | null;
  clips?: ClipRecorder | null;
  snapshots: boolean;
  backoff?: { minMs: number; maxMs: number };
  /** An open source that sends no frame for this long is closed and reconnected (default 15 s). */
  stallMs?: number;
  now?: () => number;
  /** Starts the worker (injected to count or to fail in tests). */
  startWorker?: (s: MotionSettings) => Promise<MotionWorker>;
}

export class Camera extends EventEmitter<{ motion: [MotionEvent]; state: [CameraState] }> {
  readonly state: CameraState;
  private worker: MotionWorker | null = null;
  private session: SourceSession | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private lastFrameWall = 0;
  private attempt = 0;
  private stopped = false;
  private readonly cooldown: MotionCooldown;
  private readonly zoneNames: string[];
  private detectTotal = 0;
  private analysed = 0;

  constructor(private readonly o: CameraOptions) {
    super();
    const c = o.config;
    this.state = { id: c.id, name: c.name, source: o.source.label, state: 'starting', reason: null, problem: null, upload: c.upload, zones: c.zones.map((z) => ({ name: z.name, kind: z.kind })), frames: 0, dropped: 0, events: 0, reconnects: 0, lastFrameAt: null, lastEventAt: null, nextRetryAt: null, detectMs: 0, opencv: null };
    this.cooldown = new MotionCooldown(o.cooldownMs);
    const include = c.zones.filter((z) => z.kind === 'include').map((z) => z.name);
    this.zoneNames = include.length ? include : ['frame'];
  }

  /** Starts the worker, then the source. Resolves once the first attempt settled (live, retrying or unavailable). */
  async start(): Promise<void> {
    try {
      const worker = await (this.o.startWorker ?? ((s) => MotionWorker.start(s)))({ ...this.o.motion, zones: this.o.config.zones });
      // Stopped while the worker started: it must not outlive the camera.
      if (this.stopped) return void (await worker.close());
      this.worker = worker;
      this.state.opencv = worker.opencv;
    } catch (err) {
      // No OpenCV: nothing a retry would fix until someone builds it.
      this.set('unavailable', `unavailable: ${(err as Error).message}`, problemOf(err, 'cctv.worker_failed'));
      return;
    }
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.stallTimer);
    const s = this.session;
    this.session = null;
    await s?.stop().catch(() => {});
    await this.o.clips?.stop();
    await this.worker?.close();
    this.worker = null;
    this.set('stopped', null, null);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let session: SourceSession;
    try {
      session = await this.o.source.open(
        (f) => this.onFrame(f),
        (reason) => this.onEnd(reason),
        (count) => void (this.state.dropped += count),
      );
    } catch (err) {
      return this.retry(err as Error);
    }
    // Stopped (or its worker gone) while the source opened: that ffmpeg or stream must not outlive it.
    if (this.stopped || !this.worker) return void (await session.stop().catch(() => {}));
    this.session = session;
    this.attempt = 0;
    this.state.nextRetryAt = null;
    this.set('live', null, null);
    this.watchStall(session);
  }

  /** A session that stays open but sends nothing (a camera hung, a link half-open) is not live: it is closed and reconnected. */
  private watchStall(session: SourceSession): void {
    const stallMs = this.o.stallMs ?? 15_000;
    this.lastFrameWall = this.now();
    clearInterval(this.stallTimer);
    this.stallTimer = setInterval(() => {
      if (this.session !== session) return clearInterval(this.stallTimer);
      if (this.now() - this.lastFrameWall < stallMs) return;
      clearInterval(this.stallTimer);
      this.session = null;
      // The next try waits for this one to let go of the device (a V4L2 camera opens once).
      void session
        .stop()
        .catch(() => {})
        .then(() => this.retry(Object.assign(new Error(`no frame for ${Math.round(stallMs / 1000)} s`), { problem: { code: 'cctv.stall', params: { seconds: Math.round(stallMs / 1000) } } })));
    }, Math.max(10, Math.min(1000, stallMs / 4)));
    this.stallTimer.unref();
  }

  private onEnd(reason: Error | null): void {
    clearInterval(this.stallTimer);
    this.session = null;
    if (this.stopped) return;
    if (reason === null) return this.set('ended', 'the source ended', { code: 'cctv.source_ended', params: {} });
    this.retry(reason);
  }

  private retry(err: Error): void {
    if (this.stopped) return;
    const b = this.o.backoff ?? { minMs: 1000, maxMs: 60_000 };
    const delay = Math.min(b.maxMs, b.minMs * 2 ** this.attempt);
    this.attempt++;
    this.state.reconnects++;
    this.state.nextRetryAt = this.now() + delay;
    this.set('reconnecting', err.message, problemOf(err, 'cctv.source_failed'));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private async onFrame(frame: Frame): Promise<void> {
    const w = this.worker;
    if (!w || this.stopped) return;
    this.lastFrameWall = this.now();
    this.state.frames++;
    this.state.lastFrameAt = frame.ts;
    // A clip gets every frame ffmpeg can take, analysed or not: one with gaps would play too fast.
    const recording = this.o.clips?.recording(this.o.config.id) ?? false;
    if (recording && frame.kind === 'raw' && this.o.clips!.takesRaw) this.o.clips!.rawFrame(this.o.config.id, frame);
    if (w.busy) {
      this.state.dropped++;
      return;
    }
    const images = this.cooldown.open(this.zoneNames, frame.ts);
    let r;
    try {
      r = await w.process(frame, { images: Boolean(images), clipJpeg: recording && !(frame.kind === 'raw' && this.o.clips!.takesRaw) });
    } catch (err) {
      if (this.stopped) return;
      // A frame that does not decode is dropped and counted; a dead worker makes the camera unavailable.
      if ((err as { code?: string }).code === 'E_CCTV_UNAVAILABLE') this.workerDied(w, err as Error);
      else this.state.dropped++;
      return;
    }
    this.detectTotal += r.ms;
    this.analysed++;
    this.state.detectMs = this.detectTotal / this.analysed;
    if (r.clipJpeg) this.o.clips?.jpegFrame(this.o.config.id, r.clipJpeg);
    this.o.clips?.tick(this.o.config.id, frame.ts);
    const started = new Set<string>();
    for (const region of r.detection.regions) {
      if (!this.cooldown.seen(region.zone, frame.ts) || started.has(region.zone)) continue;
      started.add(region.zone);
      this.emitEvent(region, frame, r.thumbnail ?? null, r.snapshot ?? null);
    }
  }

  /** Said once, and the source is closed with it: its frames would have nowhere to go. */
  private workerDied(w: MotionWorker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    clearInterval(this.stallTimer);
    const s = this.session;
    this.session = null;
    void s?.stop().catch(() => {});
    void w.close().catch(() => {});
    this.set('unavailable', `unavailable: ${err.message}`, problemOf(err, 'cctv.worker_died'));
  }

  private emitEvent(region: MotionRegion, frame: Frame, thumbnail: Uint8Array | null, snapshot: Uint8Array | null): void {
    const c = this.o.config;
    let snapName: string | null = null;
    if (this.o.media && this.o.snapshots && snapshot) {
      try {
        snapName = this.o.media.saveAll(c.id, frame.ts, [{ kind: 'snapshot', ext: 'jpg', bytes: snapshot }, ...(thumbnail ? [{ kind: 'thumb', ext: 'jpg', bytes: thumbnail }] : [])])[0]!.name;
        this.diskChecked();
      } catch (err) {
        this.state.reason = `media not saved: ${(err as Error).message}`;
        this.state.problem = { code: 'cctv.media_not_saved', params: { error: (err as Error).message } };
      }
    }
    this.o.clips?.begin(c.id, frame, c.fps);
    this.state.events++;
    this.state.lastEventAt = frame.ts;
    this.emit('motion', { camera: c.id, cameraName: c.name, ts: frame.ts, zone: region.zone, area: round(region.area), box: { x: round(region.box.x), y: round(region.box.y), w: round(region.box.w), h: round(region.box.h) }, thumbnail, snapshot: snapName });
  }

  /**
   * After retention (this camera's write, or the service's minute): the disk under its free-space
   * reserve with no older media left to delete, its snapshots are kept and a live camera that keeps
   * them says so (once, and clears it once there is room again).
   */
  diskChecked(): void {
    const low = this.o.media?.lowDisk ?? null;
    const shown = this.state.problem?.code === 'cctv.disk_full';
    if (!low) return void (shown && this.set(this.state.state, null, null));
    // A camera that is not live has its own reason to give; one without snapshots keeps nothing.
    if (shown || this.state.state !== 'live' || !this.o.snapshots) return;
    const mb = (b: number): number => Math.floor(b / 1048576);
    const params = { freeMB: mb(low.freeBytes), minFreeMB: mb(low.minFreeBytes) };
    this.set(this.state.state, `the disk is nearly full: ${params.freeMB} MB free, ${params.minFreeMB} MB wanted (setting minFreeMB); older media deleted, new snapshots still kept`, { code: 'cctv.disk_full', params });
  }

  private set(state: CameraStateName, reason: string | null, problem: ModuleProblem | null): void {
    this.state.state = state;
    this.state.reason = reason;
    this.state.problem = problem;
    this.emit('state', { ...this.state });
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}

/** The error's own problem code, else `fallback` with its message (a source or tool whose error has none). */
function problemOf(err: unknown, fallback: string): ModuleProblem {
  const p = (err as { problem?: ModuleProblem }).problem;
  return p ?? { code: fallback, params: { error: err instanceof Error ? err.message : String(err) } };
}

function round(n: number): number {
  return Math.round(n * 10000) / 10000;
}
