// Short clips after a motion event, kept on the node: H.264 (MP4) through an ffmpeg child where
// ffmpeg is installed, otherwise the frames as JPEGs one after another (.mjpeg, which ffmpeg and
// VLC play). Encoding runs in ffmpeg's process or the motion worker, never on the event loop.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, renameSync, rmSync } from 'node:fs';
import type { Frame } from '../frame.ts';
import type { MediaStore } from './media-store.ts';

interface Recording {
  until: number;
  partial: string;
  final: string;
  ffmpeg: ChildProcess | null;
  closed: Promise<void>;
}

export class ClipRecorder {
  private readonly active = new Map<string, Recording>();
  private readonly finishing = new Set<Promise<void>>();
  /** Raw frames go to ffmpeg; without it the worker encodes each frame as a JPEG. */
  readonly takesRaw: boolean;
  clips = 0;

  constructor(
    private readonly media: MediaStore,
    private readonly clipMs: number,
    private readonly fps: number,
    ffmpeg: string | null = detectFfmpeg(),
    private readonly ffmpegPath = ffmpeg,
  ) {
    this.takesRaw = ffmpeg !== null;
  }

  recording(camera: string): boolean {
    return this.active.has(camera);
  }

  /** Starts a clip of `camera` at `frame`; `fps` is that camera's frame rate (the recorder's own by default). */
  begin(camera: string, frame: Frame, fps = this.fps): void {
    if (this.clipMs <= 0 || this.active.has(camera)) return;
    const raw = frame.kind === 'raw' && this.takesRaw;
    const r = this.media.reserve(camera, 'clip', raw ? 'mp4' : 'mjpeg', frame.ts);
    let ffmpeg: ChildProcess | null = null;
    let closed = Promise.resolve();
    if (raw && frame.kind === 'raw') {
      const fmt = frame.channels === 3 ? 'bgr24' : 'gray';
      ffmpeg = spawn(this.ffmpegPath!, ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', fmt, '-s', `${frame.width}x${frame.height}`, '-r', String(fps), '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4', '-y', r.partial], { stdio: ['pipe', 'ignore', 'ignore'] });
      ffmpeg.stdin!.on('error', () => {});
      closed = new Promise((resolve) => ffmpeg!.on('close', () => resolve()));
      ffmpeg.on('error', () => {});
    }
    this.active.set(camera, { until: frame.ts + this.clipMs, partial: r.partial, final: r.final, ffmpeg, closed });
  }

  rawFrame(camera: string, frame: Frame & { kind: 'raw' }): void {
    const r = this.active.get(camera);
    if (!r) return;
    r.ffmpeg?.stdin?.write(Buffer.from(frame.data));
    if (frame.ts >= r.until) void this.finish(camera);
  }

  jpegFrame(camera: string, jpeg: Uint8Array, ts?: number): void {
    const r = this.active.get(camera);
    if (!r || r.ffmpeg) return;
    appendFileSync(r.partial, jpeg);
    if (ts !== undefined && ts >= r.until) void this.finish(camera);
  }

  /** Ends a recording whose time is up (called with each frame's time). */
  tick(camera: string, ts: number): void {
    const r = this.active.get(camera);
    if (r && ts >= r.until) void this.finish(camera);
  }

  finish(camera: string): Promise<void> {
    const r = this.active.get(camera);
    if (!r) return Promise.resolve();
    this.active.delete(camera);
    const done = this.close(r).finally(() => this.finishing.delete(done));
    this.finishing.add(done);
    return done;
  }

  /** Resolves when every clip that was ending has been written. */
  async settled(): Promise<void> {
    await Promise.all([...this.finishing]);
  }

  private async close(r: Recording): Promise<void> {
    if (r.ffmpeg) {
      r.ffmpeg.stdin?.end();
      await r.closed;
    }
    try {
      renameSync(r.partial, r.final);
      this.clips++;
      this.media.finished(r.final);
    } catch {
      rmSync(r.partial, { force: true });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.active.keys()].map((c) => this.finish(c)));
    await this.settled();
  }
}

function detectFfmpeg(): string | null {
  try {
    const r = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 && /libx264/.test(r.stdout) ? 'ffmpeg' : null;
  } catch {
    return null;
  }
}
