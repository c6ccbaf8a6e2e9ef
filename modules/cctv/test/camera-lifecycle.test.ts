// What a camera leaves behind and what its state says, with stand-in sources and workers (no
// OpenCV needed): a camera stopped while its source is still opening stops that source; a dead
// motion worker is reported once and the source is not left running; a stream that goes silent
// is not "live"; ffmpeg's own error line never carries the RTSP password into the state; the mesh
// text of a motion event fits one frame whatever the camera's name.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { Camera, type CameraState, type MotionEvent } from '../src/camera.ts';
import { CctvError } from '../src/cctv-error.ts';
import type { Frame } from '../src/frame.ts';
import { DEFAULT_MOTION } from '../src/motion/motion-detector.ts';
import type { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { meshText } from '../src/privacy-gate.ts';
import type { CameraSource, SourceSession } from '../src/sources/camera-source.ts';
import { FfmpegSource } from '../src/sources/ffmpeg-source.ts';

const CONFIG = { id: 'yard', name: 'Yard', source: 'rtsp://cam/x', width: 4, height: 2, fps: 5, upload: false, zones: [] };

function worker(process: (f: Frame) => Promise<unknown>): () => Promise<MotionWorker> {
  return async () => ({ opencv: 'stub', pid: -1, busy: false, process, close: async () => {} }) as unknown as MotionWorker;
}

const noMotion = async (): Promise<unknown> => ({ type: 'result', id: 0, detection: { regions: [], changed: 0, lighting: false }, ms: 0 });

/** A source whose opening and frames the test drives. */
class ManualSource implements CameraSource {
  readonly kind = 'rtsp';
  readonly label = 'rtsp://cam/x';
  opens = 0;
  stops = 0;
  onFrame: ((f: Frame) => void | Promise<void>) | null = null;
  private resolveOpen: ((s: SourceSession) => void) | null = null;
  opening: Promise<void>;
  private signalOpening!: () => void;

  constructor(private readonly immediate: boolean) {
    this.opening = new Promise((r) => (this.signalOpening = r));
  }

  open(onFrame: (f: Frame) => void | Promise<void>): Promise<SourceSession> {
    this.opens++;
    this.onFrame = onFrame;
    const session: SourceSession = { stop: async () => void this.stops++ };
    this.signalOpening();
    if (this.immediate) return Promise.resolve(session);
    return new Promise((resolve) => (this.resolveOpen = resolve));
  }

  finishOpening(): void {
    this.resolveOpen!({ stop: async () => void this.stops++ });
  }
}

const frame = (ts: number): Frame => ({ kind: 'raw', width: 4, height: 2, channels: 3, data: new Uint8Array(24), ts });

test('a camera stopped while its source is still opening (an RTSP camera slow to answer) stops that source and stays stopped', async () => {
  const source = new ManualSource(false);
  const camera = new Camera({ config: CONFIG, source, motion: DEFAULT_MOTION, cooldownMs: 30_000, media: null, snapshots: false, startWorker: worker(noMotion) });
  const started = camera.start();
  await source.opening;
  await camera.stop();
  source.finishOpening();
  await started;
  assert.equal(source.stops, 1, 'the session that opened after the stop was stopped (ffmpeg not left running)');
  assert.equal(camera.state.state, 'stopped', `state: ${camera.state.state}`);
});

test('a motion worker that died is reported once, and the source is not left running behind it', async () => {
  const source = new ManualSource(true);
  const states: CameraState[] = [];
  const camera = new Camera({
    config: CONFIG,
    source,
    motion: DEFAULT_MOTION,
    cooldownMs: 30_000,
    media: null,
    snapshots: false,
    backoff: { minMs: 60_000, maxMs: 60_000 },
    startWorker: worker(async () => {
      throw new CctvError('E_CCTV_UNAVAILABLE', 'the motion worker exited (SIGSEGV)');
    }),
  });
  camera.on('state', (s) => states.push(s));
  await camera.start();
  for (let i = 0; i < 20; i++) await source.onFrame!(frame(1000 + i * 200));
  await camera.stop();
  const unavailable = states.filter((s) => s.state === 'unavailable');
  assert.equal(unavailable.length, 1, `${unavailable.length} 'unavailable' camera_status events for one dead worker`);
  assert.match(unavailable[0]!.reason!, /SIGSEGV/);
  assert.equal(source.stops, 1, 'the source (ffmpeg) was stopped when the worker died, not at the camera stop only');
});

test('a stream that stays open but sends no frame is not shown as live', async () => {
  const source = new ManualSource(true);
  const camera = new Camera({ config: CONFIG, source, motion: DEFAULT_MOTION, cooldownMs: 30_000, media: null, snapshots: false, backoff: { minMs: 60_000, maxMs: 60_000 }, stallMs: 50, startWorker: worker(noMotion) } as ConstructorParameters<typeof Camera>[0]);
  const silent = new Promise<CameraState>((resolve) => camera.on('state', (s) => s.state === 'reconnecting' && resolve(s)));
  await camera.start();
  assert.equal(camera.state.state, 'live');
  let deadline: NodeJS.Timeout | undefined;
  const s = await Promise.race([silent, new Promise<null>((r) => (deadline = setTimeout(() => r(null), 5_000)))]);
  clearTimeout(deadline);
  await camera.stop();
  assert.ok(s, 'still "live" 5 s after the last frame of a stream that went silent');
  assert.match(s.reason!, /no frame/);
  assert.deepEqual(s.problem, { code: 'cctv.stall', params: { seconds: 0 } }, 'the reason by code, for the admin UI');
  assert.equal(source.stops, 1, 'the silent session was closed before reconnecting');
});

test("ffmpeg's error line with the RTSP URL in it does not put the password into the camera's state", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-cctv-ffmpeg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // What ffmpeg prints for a camera that refuses the connection: the input URL, credentials and all.
  const ffmpeg = join(dir, 'ffmpeg');
  writeFileSync(ffmpeg, '#!/bin/sh\nfor a; do last="$p"; p="$a"; case "$p" in rtsp*) url="$p";; esac; done\necho "[tcp @ 0x5581] Connection to tcp://192.168.1.20:554 failed" >&2\necho "$url: Connection refused" >&2\nexit 1\n');
  chmodSync(ffmpeg, 0o755);
  const url = 'rtsp://admin:s3cret%21@192.168.1.20/stream1';
  const source = new FfmpegSource({ input: url, width: 4, height: 2, fps: 1, ffmpeg });
  const err = await source.open(() => {}, () => {}).then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(err, 'the open fails');
  assert.match(err.message, /Connection refused/);
  assert.doesNotMatch(err.message, /s3cret/, err.message);
  // Nor into the reason by code (its values are shown in the admin UI).
  const problem = (err as { problem?: { code: string; params: Record<string, unknown> } }).problem;
  assert.equal(problem?.code, 'cctv.ffmpeg_failed');
  assert.doesNotMatch(JSON.stringify(problem), /s3cret/);
});

test('the mesh text of a motion event fits one frame, with where and when, whatever the camera is called', () => {
  const e: MotionEvent = { camera: 'gate', cameraName: '正門の監視カメラ'.repeat(8).slice(0, 60), ts: Date.UTC(2026, 0, 1, 14, 2), zone: 'driveway and the front door x', area: 0.1, box: { x: 0, y: 0, w: 1, h: 1 }, thumbnail: null, snapshot: null };
  const text = meshText(e);
  assert.ok(new TextEncoder().encode(text).length <= MESH_TEXT_MAX_BYTES, `${new TextEncoder().encode(text).length} bytes`);
  assert.ok(text.startsWith('CCTV 正門'), text);
  assert.ok(text.endsWith(': motion in driveway and the front door x 14:02Z'), text);
  assert.equal(meshText({ ...e, cameraName: 'Yard', zone: 'door' }), 'CCTV Yard: motion in door 14:02Z');
});

test('an ffmpeg that starts but never delivers a picture (a hung V4L2 device) is ended, and the open fails with why', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-cctv-ffmpeg-'));
  const pidFile = join(dir, 'pid');
  t.after(() => {
    // The stand-in ffmpeg this test started, by its own pid, whatever happened.
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const ffmpeg = join(dir, 'ffmpeg');
  writeFileSync(ffmpeg, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 600\n`);
  chmodSync(ffmpeg, 0o755);
  const source = new FfmpegSource({ input: 'rtsp://cam.invalid/stream', width: 4, height: 2, fps: 1, ffmpeg, openTimeoutMs: 300 } as ConstructorParameters<typeof FfmpegSource>[0]);
  let deadline: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    source.open(() => {}, () => {}).then(
      () => 'opened',
      (e: Error) => e.message,
    ),
    new Promise<string>((r) => (deadline = setTimeout(() => r('still opening after 5 s'), 5_000))),
  ]);
  clearTimeout(deadline);
  assert.match(outcome, /no picture/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  assert.equal(alive(), false, 'the ffmpeg was ended');
});

test('a node without ffmpeg says so in the camera state, on every retry, and backs off one step per attempt', { timeout: 20_000 }, async () => {
  const source = new FfmpegSource({ input: 'rtsp://cam.invalid/stream', width: 4, height: 2, fps: 1, ffmpeg: '/nonexistent/ffmpeg' });
  const camera = new Camera({ config: CONFIG, source, motion: DEFAULT_MOTION, cooldownMs: 30_000, media: null, snapshots: false, backoff: { minMs: 20, maxMs: 10_000 }, startWorker: worker(noMotion) });
  const seen: CameraState[] = [];
  const third = new Promise<void>((resolve) =>
    camera.on('state', (s) => {
      if (s.state !== 'reconnecting') return;
      seen.push(s);
      if (s.reconnects >= 3) resolve();
    }),
  );
  await camera.start();
  await third;
  await camera.stop();
  for (const s of seen) assert.match(s.reason!, /ffmpeg is not installed/, `reconnect ${s.reconnects}: ${s.reason}`);
  assert.deepEqual(seen.map((s) => s.reconnects), [1, 2, 3], 'one reconnect per attempt');
});

test('a camera URL with its password in the query (Foscam: ?usr=admin&pwd=...) shows no password in the state', async () => {
  const { MjpegHttpSource } = await import('../src/sources/mjpeg-http-source.ts');
  for (const url of ['http://192.168.1.30:88/cgi-bin/CGIStream.cgi?cmd=GetMJStream&usr=admin&pwd=s3cret', 'http://192.168.1.31/videostream.cgi?user=admin&password=s3cret&rate=0', 'rtsp://192.168.1.32:554/live?token=s3cret']) {
    const label = url.startsWith('rtsp') ? new FfmpegSource({ input: url, width: 4, height: 2, fps: 1 }).label : new MjpegHttpSource(url).label;
    assert.doesNotMatch(label, /s3cret/, label);
    assert.match(label, /192\.168\.1\.3\d/, 'still says which camera');
  }
});

test("an MJPEG camera's oversized part is a drop counted in the camera's state, and the next picture still arrives", async () => {
  const { MjpegHttpSource } = await import('../src/sources/mjpeg-http-source.ts');
  const { MAX_JPEG } = await import('../src/sources/mjpeg-splitter.ts');
  const head = Buffer.from('--frame\r\nContent-Type: image/jpeg\r\n\r\n');
  const huge = Buffer.concat([head, Buffer.from([0xff, 0xd8]), Buffer.alloc(MAX_JPEG + 1024), Buffer.from([0xff, 0xd9])]);
  const good = Buffer.concat([head, Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9])]);
  let cancelled!: () => void;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(huge);
      c.enqueue(good);
    },
    cancel: () => cancelled?.(),
  });
  const source = new MjpegHttpSource('http://192.168.1.40/video', { fetch: (async () => new Response(stream, { status: 200 })) as unknown as typeof fetch });
  let frames = 0;
  let gotFrame!: () => void;
  const first = new Promise<void>((r) => (gotFrame = r));
  const camera = new Camera({ config: CONFIG, source, motion: DEFAULT_MOTION, cooldownMs: 30_000, media: null, snapshots: false, startWorker: worker(async () => (frames++, gotFrame(), noMotion())) });
  await camera.start();
  await first;
  const state = { ...camera.state };
  await camera.stop();
  assert.equal(frames, 1);
  assert.equal(state.dropped, 1, 'the oversized part is counted where the API and the UI read it');
});
