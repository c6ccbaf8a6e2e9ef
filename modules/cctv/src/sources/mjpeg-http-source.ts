// An HTTP MJPEG camera (multipart/x-mixed-replace, as most IP cameras and ESP32-CAMs serve it):
// JPEGs are cut out of the stream (mjpeg-splitter.ts) and handed on still compressed (the motion
// worker decodes them). An oversized or endless part is a counted drop, never unbounded memory.

import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import { redactText, redactUrl } from '@unibos/module-api';
import type { CameraSource, SourceSession } from './camera-source.ts';
import { MjpegSplitter } from './mjpeg-splitter.ts';

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

  async open(onFrame: (f: Frame) => void | Promise<void>, onEnd: (reason: Error | null) => void, onDrop?: (count: number) => void): Promise<SourceSession> {
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
      const error = redactText((err as Error).message);
      throw new CctvError('E_CCTV_SOURCE', `${this.label}: ${error}`, { problem: { code: 'cctv.source_failed', params: { source: this.label, error } } });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || !res.body) throw new CctvError('E_CCTV_SOURCE', `${this.label}: HTTP ${res.status}`, { problem: { code: 'cctv.http_status', params: { source: this.label, status: res.status } } });
    const now = this.o.now ?? Date.now;
    let stopped = false;
    const reader = res.body.getReader();
    const splitter = new MjpegSplitter();
    const pump = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const before = splitter.dropped;
        for (const jpeg of splitter.push(value)) void onFrame({ kind: 'jpeg', data: jpeg, ts: now() });
        if (splitter.dropped > before) onDrop?.(splitter.dropped - before);
        this.dropped = splitter.dropped;
      }
    })().then(
      () => !stopped && onEnd(new CctvError('E_CCTV_SOURCE', `${this.label}: the stream ended`, { problem: { code: 'cctv.stream_ended', params: { source: this.label } } })),
      (err: Error) => !stopped && onEnd(new CctvError('E_CCTV_SOURCE', `${this.label}: ${redactText(err.message)}`, { problem: { code: 'cctv.source_failed', params: { source: this.label, error: redactText(err.message) } } })),
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
