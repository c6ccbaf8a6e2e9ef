// A camera whose source drops reconnects with a growing backoff, and its state says so: a real
// HTTP MJPEG server that hangs up after a few frames, a V4L2 device that does not exist. The
// detector is a stand-in here (these tests are about the source), so they run without OpenCV.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Camera, type CameraState } from '../src/camera.ts';
import type { Frame } from '../src/frame.ts';
import { DEFAULT_MOTION } from '../src/motion/motion-detector.ts';
import type { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { FfmpegSource } from '../src/sources/ffmpeg-source.ts';
import { MjpegHttpSource } from '../src/sources/mjpeg-http-source.ts';

/** Records the frames it is given and reports no motion. */
function stubWorker(seen: Frame[], onFrame: () => void = () => {}): () => Promise<MotionWorker> {
  return async () =>
    ({
      opencv: 'stub',
      pid: -1,
      busy: false,
      process: async (f: Frame) => {
        seen.push(f);
        onFrame();
        return { type: 'result', id: 0, detection: { regions: [], changed: 0, lighting: false }, ms: 0 };
      },
      close: async () => {},
    }) as unknown as MotionWorker;
}

function fakeJpeg(n: number): Buffer {
  return Buffer.from([0xff, 0xd8, 0xff, 0xe0, n, n, n, 0xff, 0xd9]);
}

function states(camera: Camera): CameraState[] {
  const out: CameraState[] = [];
  camera.on('state', (s) => out.push(s));
  return out;
}

function waitState(camera: Camera, want: (s: CameraState) => boolean): Promise<CameraState> {
  return new Promise((resolve) => {
    if (want(camera.state)) return resolve({ ...camera.state });
    const on = (s: CameraState): void => {
      if (!want(s)) return;
      camera.off('state', on);
      resolve(s);
    };
    camera.on('state', on);
  });
}

test('an MJPEG camera that hangs up is reconnected, and its frames arrive whole', { timeout: 20_000 }, async () => {
  let connections = 0;
  const open = new Set<ServerResponse>();
  const auth: string[] = [];
  const server = createServer((req, res) => {
    connections++;
    auth.push(req.headers.authorization ?? '');
    open.add(res);
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
    // Three frames, the second split across writes; then the first connection hangs up.
    const parts = [1, 2, 3].map((n) => Buffer.concat([Buffer.from(`--frame\r\nContent-Type: image/jpeg\r\n\r\n`), fakeJpeg(n), Buffer.from('\r\n')]));
    res.write(parts[0]);
    res.write(parts[1]!.subarray(0, 40));
    res.write(parts[1]!.subarray(40));
    res.write(parts[2]);
    if (connections === 1) res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    for (const r of open) r.destroy();
    server.close();
  });
  const url = `http://admin:secret@127.0.0.1:${(server.address() as AddressInfo).port}/video`;
  const seen: Frame[] = [];
  let sixFrames!: () => void;
  const six = new Promise<void>((r) => (sixFrames = r));
  const camera = new Camera({
    config: { id: 'gate', name: 'Gate', source: url, width: 640, height: 480, fps: 5, upload: false, zones: [] },
    source: new MjpegHttpSource(url),
    motion: DEFAULT_MOTION,
    cooldownMs: 30_000,
    media: null,
    snapshots: false,
    backoff: { minMs: 20, maxMs: 100 },
    startWorker: stubWorker(seen, () => seen.length === 6 && sixFrames()),
  });
  const log = states(camera);
  after(() => camera.stop());
  await camera.start();
  await six;
  assert.equal(camera.state.state, 'live');
  assert.equal(camera.state.reconnects, 1);
  assert.equal(camera.state.source, `http://admin:***@127.0.0.1:${(server.address() as AddressInfo).port}/video`, 'no password in the state');
  const dropped = log.find((s) => s.state === 'reconnecting');
  assert.match(dropped!.reason!, /the stream ended/);
  assert.deepEqual(
    seen.slice(0, 6).map((f) => (f.kind === 'jpeg' ? f.data[4] : -1)),
    [1, 2, 3, 1, 2, 3],
  );
  assert.deepEqual(Buffer.from(seen[1]!.data), fakeJpeg(2));
  assert.equal(connections, 2);
  assert.equal(auth[0], `Basic ${Buffer.from('admin:secret').toString('base64')}`);
});

test('a V4L2 camera that is not plugged in keeps retrying, with a growing wait and the reason', { timeout: 20_000 }, async () => {
  const camera = new Camera({
    config: { id: 'usb', name: 'USB', source: '/dev/video97', width: 640, height: 480, fps: 5, upload: false, zones: [] },
    source: new FfmpegSource({ input: '/dev/video97', width: 640, height: 480, fps: 5 }),
    motion: DEFAULT_MOTION,
    cooldownMs: 30_000,
    media: null,
    snapshots: false,
    backoff: { minMs: 10, maxMs: 40 },
    startWorker: stubWorker([]),
  });
  after(() => camera.stop());
  const waits: number[] = [];
  camera.on('state', (s) => s.state === 'reconnecting' && waits.push(s.nextRetryAt! - Date.now()));
  await camera.start();
  const s = await waitState(camera, (st) => st.reconnects >= 4);
  assert.equal(s.state, 'reconnecting');
  assert.match(s.reason!, /\/dev\/video97 does not exist/);
  // 10, 20, 40, 40 ms: doubling up to the cap (read back from the state, a few ms early at most).
  assert.ok(waits[1]! > waits[0]! && waits[2]! > waits[1]! && waits[3]! <= 40, `waits ${waits.join(', ')}`);
});

// Without the escalation to SIGKILL, stop() waited for the stuck ffmpeg: the timeout makes that a failure.
test('stopping an ffmpeg that does not answer SIGTERM (stuck on a camera) still ends it', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-cctv-ffmpeg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // One 4x2 BGR frame, then an ffmpeg that ignores SIGTERM (the disposition survives the exec).
  const ffmpeg = join(dir, 'ffmpeg');
  writeFileSync(ffmpeg, "#!/bin/bash\ntrap '' TERM\nhead -c 24 /dev/zero\nexec sleep 600\n");
  chmodSync(ffmpeg, 0o755);
  const frames: Frame[] = [];
  const ended: Array<Error | null> = [];
  const session = await new FfmpegSource({ input: 'rtsp://camera.invalid/stream', width: 4, height: 2, fps: 1, ffmpeg }).open(
    (f) => void frames.push(f),
    (reason) => void ended.push(reason),
  );
  await session.stop();
  assert.equal(frames.length, 1, 'the frame it sent arrived');
  assert.deepEqual(ended, [], 'a stop asked for is not reported as the camera ending');
});
