// The cameras of one place (a node, or a hub colocated with its cameras): starts each with its
// source, worker, media store and clip recorder; reports whether the module can work here at all
// ("unavailable: <why>": no OpenCV, no camera) and each camera's state; passes motion events on.

import { EventEmitter } from 'node:events';
import type { ModuleProblem } from '@unibos/module-api';
import { join } from 'node:path';
import { Camera, type CameraState, type MotionEvent } from './camera.ts';
import { sourceFor } from './camera-config.ts';
import type { CctvSettings } from './cctv-settings.ts';
import { ClipRecorder } from './media/clip-recorder.ts';
import { MediaStore } from './media/media-store.ts';
import { DEFAULT_MOTION, type MotionSettings } from './motion/motion-detector.ts';
import { MotionWorker } from './motion/motion-worker-client.ts';
import type { CameraSource } from './sources/camera-source.ts';

export interface CctvStatus {
  state: 'available' | 'unavailable';
  /** "unavailable: ..." with the reason, or null. */
  reason: string | null;
  /** The same by code: `cctv.no_camera`, `cctv.cameras_down` (each camera's own is in cameras[]), or the camera's setup problem. */
  problem: ModuleProblem | null;
  opencv: string | null;
  cameras: CameraState[];
  mediaFiles: number;
  mediaDeleted: number;
}

export interface CctvServiceOptions {
  settings: CctvSettings;
  /** Where media goes when settings.mediaDir is empty. */
  dataDir: string;
  /** Builds a camera's source (tests pass synthetic ones). */
  sourceFor?: (c: CctvSettings['cameras'][number]) => CameraSource;
  startWorker?: (s: MotionSettings) => Promise<MotionWorker>;
  backoff?: { minMs: number; maxMs: number };
  clips?: boolean;
  /** Free bytes on the media's disk (tests pass a disk that is nearly full). */
  freeBytes?: (dir: string) => number;
}

export class CctvService extends EventEmitter<{ motion: [MotionEvent, { upload: boolean }]; state: [CameraState] }> {
  readonly cameras: Camera[] = [];
  readonly media: MediaStore;
  private opencv: string | null = null;
  private unavailable: { reason: string; problem: ModuleProblem } | null = null;
  private retention: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: CctvServiceOptions) {
    super();
    const s = o.settings;
    this.media = new MediaStore({ dir: s.mediaDir || join(o.dataDir, 'cctv-media'), limits: s.retention, freeBytes: o.freeBytes });
    if (s.cameras.length === 0) this.unavailable = { reason: 'unavailable: no camera is configured (settings "cameras")', problem: { code: 'cctv.no_camera', params: {} } };
    const clips = s.clipSeconds > 0 && o.clips !== false ? new ClipRecorder(this.media, s.clipSeconds * 1000, Math.max(1, ...s.cameras.map((c) => c.fps))) : null;
    for (const c of s.cameras) {
      let source: CameraSource;
      try {
        source = (o.sourceFor ?? sourceFor)(c);
      } catch (err) {
        this.unavailable ??= { reason: `unavailable: ${(err as Error).message}`, problem: { code: 'cctv.camera_config', params: { error: (err as Error).message } } };
        continue;
      }
      const cam = new Camera({ config: c, source, motion: s.motion, cooldownMs: s.cooldownMs, media: this.media, clips, snapshots: s.snapshots, backoff: o.backoff, startWorker: o.startWorker });
      cam.on('motion', (e) => this.emit('motion', e, { upload: c.upload }));
      cam.on('state', (st) => this.emit('state', st));
      this.cameras.push(cam);
    }
  }

  /**
   * Checks that OpenCV loads (rejects with E_CCTV_UNAVAILABLE and why otherwise, `permanent` when it
   * is not installed: that needs a build and a restart), then starts every camera.
   */
  async start(): Promise<void> {
    const start = this.o.startWorker ?? ((m: MotionSettings) => MotionWorker.start(m));
    const probe = await start({ ...DEFAULT_MOTION, zones: [] });
    this.opencv = probe.opencv;
    await probe.close();
    // Stopped while the probe ran (a node shutting down right after start): start nothing.
    if (this.stopped) return;
    // What an earlier run kept counts from the first event on.
    await this.media.ready;
    this.media.enforce();
    await Promise.all(this.cameras.map((c) => c.start()));
    // Files added or deleted by hand are found here; retention itself runs after every write too.
    this.retention = setInterval(() => void this.retain().catch(() => {}), 60_000);
    this.retention.unref();
  }

  /**
   * The minute's retention: the folder read again, then the limits applied (each camera's newest
   * snapshot and thumbnail kept but for age), and each camera told whether the disk is still
   * under its free-space reserve (`cctv.disk_full` stays until there is room, then clears).
   */
  async retain(): Promise<void> {
    await this.media.rescan();
    if (this.stopped) return;
    this.media.enforce();
    for (const c of this.cameras) c.diskChecked();
  }

  /** `view`: each camera's state as the reader may see it (camera-view.ts), the module's reason made of those. */
  status(view: (c: CameraState) => CameraState = (c) => c): CctvStatus {
    const cams = this.cameras.map((c) => view({ ...c.state }));
    const working = cams.some((c) => c.state === 'live' || c.state === 'starting');
    let reason = this.unavailable?.reason ?? null;
    let problem = this.unavailable?.problem ?? null;
    if (!reason && cams.length && !working) {
      reason = `unavailable: ${cams.map((c) => `${c.id}: ${(c.reason ?? c.state).replace(/^unavailable: /, '')}`).join('; ')}`;
      problem = { code: 'cctv.cameras_down', params: { count: cams.length } };
    }
    return { state: reason ? 'unavailable' : 'available', reason, problem, opencv: this.opencv, cameras: cams, mediaFiles: this.media.count, mediaDeleted: this.media.deleted };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.retention);
    await Promise.all(this.cameras.map((c) => c.stop()));
  }
}
