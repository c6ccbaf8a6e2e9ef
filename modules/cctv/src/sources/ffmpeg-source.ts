// V4L2 devices, RTSP streams and video files through an ffmpeg child process that writes raw BGR
// frames of a fixed size to its stdout: the decoding runs in ffmpeg, not in Node. A device that
// does not exist or an ffmpeg that is not installed is an open error with the reason in words.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import { redactText, redactUrl } from '@unibos/module-api';
import type { CameraSource, SourceSession } from './camera-source.ts';

/** An ffmpeg asked to stop that is still running after this long is killed. */
const STOP_GRACE_MS = 3000;

export interface FfmpegSourceOptions {
  /** /dev/videoN, rtsp://..., or a file path. */
  input: string;
  width: number;
  height: number;
  fps: number;
  ffmpeg?: string;
  now?: () => number;
  /** An ffmpeg with no picture after this long (a hung device, a stream that never starts) is ended (default 20 s). */
  openTimeoutMs?: number;
}

export class FfmpegSource implements CameraSource {
  readonly kind: 'v4l2' | 'rtsp' | 'file';
  readonly label: string;

  constructor(private readonly o: FfmpegSourceOptions) {
    this.kind = o.input.startsWith('/dev/') ? 'v4l2' : /^rtsps?:\/\//.test(o.input) ? 'rtsp' : 'file';
    this.label = this.kind === 'rtsp' ? redactUrl(o.input) : o.input;
  }

  open(onFrame: (f: Frame) => void | Promise<void>, onEnd: (reason: Error | null) => void): Promise<SourceSession> {
    const { input, width, height, fps } = this.o;
    if (this.kind !== 'rtsp' && !existsSync(input)) {
      const problem = { code: this.kind === 'v4l2' ? 'cctv.device_missing' : 'cctv.file_missing', params: { path: input } };
      return Promise.reject(new CctvError('E_CCTV_SOURCE', `${input} does not exist${this.kind === 'v4l2' ? ' (is the camera plugged in? the Pi camera needs libcamera\'s V4L2 compatibility)' : ''}`, { problem }));
    }
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
    if (this.kind === 'v4l2') args.push('-f', 'v4l2', '-framerate', String(fps), '-video_size', `${width}x${height}`);
    if (this.kind === 'rtsp') args.push('-rtsp_transport', 'tcp', '-timeout', '10000000');
    if (this.kind === 'file') args.push('-re');
    args.push('-i', input, '-an', '-vf', `fps=${fps},scale=${width}:${height}`, '-pix_fmt', 'bgr24', '-f', 'rawvideo', 'pipe:1');
    const now = this.o.now ?? Date.now;
    const frameSize = width * height * 3;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(this.o.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        return reject(new CctvError('E_CCTV_SOURCE', `ffmpeg does not start: ${(err as Error).message}`, { problem: { code: 'cctv.ffmpeg_failed', params: { source: this.label, error: (err as Error).message } } }));
      }
      let opened = false;
      let stopping = false;
      // Until the first picture, nobody holds a session that could stop this ffmpeg: it must end by itself.
      const openTimeoutMs = this.o.openTimeoutMs ?? 20_000;
      let timedOut = false;
      const openTimer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, openTimeoutMs);
      let stderr = '';
      let pending = new Uint8Array(frameSize);
      let filled = 0;
      child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
      child.stdout!.on('data', (chunk: Buffer) => {
        if (!opened) {
          opened = true;
          clearTimeout(openTimer);
          resolve(session);
        }
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(frameSize - filled, chunk.length - off);
          pending.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === frameSize) {
            const data = pending;
            pending = new Uint8Array(frameSize);
            filled = 0;
            void onFrame({ kind: 'raw', width, height, channels: 3, data, ts: now() });
          }
        }
      });
      // The open settles once and the end is told once: a spawn that fails emits 'error' and then 'close'.
      let ended = false;
      const end = (reason: Error | null): void => {
        if (ended || stopping) return;
        ended = true;
        onEnd(reason);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(openTimer);
        const e =
          err.code === 'ENOENT'
            ? new CctvError('E_CCTV_SOURCE', 'ffmpeg is not installed (apt-get install ffmpeg)', { problem: { code: 'cctv.ffmpeg_missing', params: {} } })
            : new CctvError('E_CCTV_SOURCE', `ffmpeg: ${err.message}`, { problem: { code: 'cctv.ffmpeg_failed', params: { source: this.label, error: err.message } } });
        if (!opened) {
          opened = true;
          ended = true;
          reject(e);
        } else end(e);
      });
      child.on('close', (code, signal) => {
        // ffmpeg names its input in its errors: an RTSP URL with its password in it.
        const why = redactLine(stderr.trim().split('\n').pop() ?? '', input) || `ffmpeg exited (${code ?? signal})`;
        if (!opened) {
          opened = true;
          clearTimeout(openTimer);
          const seconds = Math.round(openTimeoutMs / 100) / 10;
          if (timedOut) return reject(new CctvError('E_CCTV_SOURCE', `${this.label}: no picture within ${seconds} s`, { problem: { code: 'cctv.no_picture', params: { source: this.label, seconds } } }));
          return reject(new CctvError('E_CCTV_SOURCE', `${this.label}: ${why}`, { problem: { code: 'cctv.ffmpeg_failed', params: { source: this.label, error: why } } }));
        }
        end(code === 0 && this.kind === 'file' ? null : new CctvError('E_CCTV_SOURCE', `${this.label}: ${why}`, { problem: { code: 'cctv.ffmpeg_failed', params: { source: this.label, error: why } } }));
      });
      const session: SourceSession = {
        stop: () =>
          new Promise<void>((done) => {
            stopping = true;
            if (child.exitCode !== null || child.signalCode !== null) return done();
            // An ffmpeg stuck on a camera that stopped answering may not get to SIGTERM for a long time.
            const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
            child.once('close', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      };
    });
  }
}

/** `line` without the credentials of `input` or of any URL in it. */
function redactLine(line: string, input: string): string {
  return redactText(line.split(input).join(redactUrl(input)));
}
