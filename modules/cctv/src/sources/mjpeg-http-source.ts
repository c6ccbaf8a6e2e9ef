// An HTTP MJPEG camera (multipart/x-mixed-replace, as most IP cameras and ESP32-CAMs serve it):
// JPEGs are cut out of the stream by their start and end markers, whatever the boundary says, and
// handed on still compressed (the motion worker decodes them). An oversized or endless part is a
// counted drop, never unbounded memory.

import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import { redactUrl, type CameraSource, type SourceSession } from './camera-source.ts';

const MAX_JPEG = 8 * 1024 * 1024;

export class MjpegHttpSource implements CameraSource {
  readonly kind = 'mjpeg';
  readonly label: string;
  /** Parts that were not a whole JPEG under MAX_JPEG bytes. */
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly o: { fetch?: typeof fetch; now?: () => number; connectTimeoutMs?: number } = {},
  ) {
    this.label = redactUrl(url);
  }

  async open(onFrame: (f: Frame) => void | Promise<void>, onEnd: (reason: Error | null) => void): Promise<SourceSession> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('no answer in time')), this.o.connectTimeoutMs ?? 10_000);
    let res: Response;
    try {
      // fetch refuses a URL with credentials in it; cameras want them as Basic authorization.
      const u = new URL(this.url);
      const headers: Record<string, string> = {};
      if (u.username || u.password) {
        headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
        u.username = '';
        u.password = '';
      }
      res = await (this.o.fetch ?? fetch)(u, { signal: abort.signal, headers });
    } catch (err) {
      throw new CctvError('E_CCTV_SOURCE', `${this.label}: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || !res.body) throw new CctvError('E_CCTV_SOURCE', `${this.label}: HTTP ${res.status}`);
    const now = this.o.now ?? Date.now;
    let stopped = false;
    const reader = res.body.getReader();
    const pump = (async () => {
      let buf: Uint8Array = new Uint8Array(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf = concat(buf, value);
        for (;;) {
          const start = indexOf2(buf, 0xff, 0xd8, 0);
          if (start < 0) {
            buf = buf.subarray(Math.max(0, buf.length - 1));
            break;
          }
          const end = indexOf2(buf, 0xff, 0xd9, start + 2);
          if (end < 0) {
            if (buf.length - start > MAX_JPEG) {
              this.dropped++;
              buf = new Uint8Array(0);
            } else buf = buf.subarray(start);
            break;
          }
          const jpeg = buf.slice(start, end + 2);
          buf = buf.subarray(end + 2);
          void onFrame({ kind: 'jpeg', data: jpeg, ts: now() });
        }
      }
    })().then(
      () => !stopped && onEnd(new CctvError('E_CCTV_SOURCE', `${this.label}: the stream ended`)),
      (err: Error) => !stopped && onEnd(new CctvError('E_CCTV_SOURCE', `${this.label}: ${err.message}`)),
    );
    return {
      stop: async () => {
        stopped = true;
        abort.abort();
        await reader.cancel().catch(() => {});
        await pump;
      },
    };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf2(buf: Uint8Array, b0: number, b1: number, from: number): number {
  for (let i = from; i < buf.length - 1; i++) if (buf[i] === b0 && buf[i + 1] === b1) return i;
  return -1;
}
