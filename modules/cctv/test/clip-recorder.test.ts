// Clips after a motion event: H.264 in MP4 through a real ffmpeg where it is installed (checked with
// ffprobe), the frames as MJPEG otherwise; both finished by the frames' own clock and written under a
// temporary name until done.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ClipRecorder } from '../src/media/clip-recorder.ts';
import { MediaStore } from '../src/media/media-store.ts';
import { renderFrame, type Scene } from '../src/sources/synthetic-source.ts';

const hasX264 = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout?.includes('libx264') ?? false;

function store(): MediaStore {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-clips-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return new MediaStore({ dir, limits: { maxAgeMs: 1e15, maxBytes: 1e12, minFreeBytes: 0 } });
}

test('with ffmpeg, a clip is H.264 in MP4 and ends after its length of frames', { skip: hasX264 ? false : 'ffmpeg with libx264 is not installed' }, async () => {
  const media = store();
  const clips = new ClipRecorder(media, 2000, 5);
  assert.equal(clips.takesRaw, true);
  const scene: Scene = { width: 160, height: 120, channels: 3, fps: 5, frames: 20, startMs: 1_000_000 };
  const first = renderFrame(scene, 0);
  clips.begin('yard', first);
  assert.equal(clips.recording('yard'), true);
  for (let i = 0; i < 20 && clips.recording('yard'); i++) {
    const f = renderFrame(scene, i);
    if (f.kind === 'raw') clips.rawFrame('yard', f);
  }
  assert.equal(clips.recording('yard'), false, 'ended after 2 s of frames');
  await clips.stop();
  await waitForClip(clips);
  const files = media.list('yard');
  assert.equal(files.length, 1);
  assert.match(files[0]!.name, /-clip\.mp4$/);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_frames', '-of', 'csv=p=0', files[0]!.path], { encoding: 'utf8' });
  assert.equal(probe.stdout.trim(), 'h264,160,120,11');
});

test('without ffmpeg, a clip is the frames as MJPEG', async () => {
  const media = store();
  const clips = new ClipRecorder(media, 1000, 5, null);
  assert.equal(clips.takesRaw, false);
  const jpeg = (n: number): Uint8Array => Uint8Array.from([0xff, 0xd8, n, 0xff, 0xd9]);
  clips.begin('gate', { kind: 'jpeg', data: jpeg(0), ts: 5000 });
  for (let i = 0; i <= 5; i++) {
    clips.jpegFrame('gate', jpeg(i));
    clips.tick('gate', 5000 + i * 200);
  }
  await waitForClip(clips);
  const files = media.list('gate');
  assert.deepEqual(files.map((f) => f.name), ['000000000005000-clip.mjpeg']);
  assert.deepEqual([...readFileSync(files[0]!.path)], [0, 1, 2, 3, 4, 5].flatMap((i) => [0xff, 0xd8, i, 0xff, 0xd9]));
});

/** finish() runs when the last frame passes the clip's end; stop() waits for anything still open. */
async function waitForClip(clips: ClipRecorder): Promise<void> {
  await clips.stop();
  await clips.settled();
}

test('two cameras at different frame rates: each clip plays at its own camera\'s speed', { skip: hasX264 ? false : 'ffmpeg with libx264 is not installed', timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-clips-fps-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { CctvService } = await import('../src/cctv-service.ts');
  const { readSettings } = await import('../src/cctv-settings.ts');
  const { SyntheticSource } = await import('../src/sources/synthetic-source.ts');
  const settings = readSettings({
    cameras: [
      { id: 'yard', source: 'synthetic:quiet', width: 160, height: 120, fps: 5 },
      { id: 'gate', source: 'synthetic:quiet', width: 160, height: 120, fps: 25 },
    ],
    clipSeconds: 2,
    snapshots: false,
    mediaDir: dir,
  });
  // Motion on every frame (the cool-down makes it one event per camera, and one clip).
  const motion = async () =>
    ({ opencv: 'stub', pid: -1, busy: false, close: async () => {}, process: async () => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.1, box: { x: 0, y: 0, w: 0.1, h: 0.1 } }], changed: 0.1, lighting: false }, ms: 0 }) }) as never;
  const service = new CctvService({ settings, dataDir: dir, startWorker: motion, sourceFor: (c) => new SyntheticSource({ width: c.width, height: c.height, channels: 3, fps: c.fps, frames: 4 * c.fps, startMs: Date.now() }, c.id, 0) });
  const ended = new Promise<void>((resolve) => {
    const done = new Set<string>();
    service.on('state', (s) => s.state === 'ended' && done.add(s.id) && done.size === 2 && resolve());
  });
  await service.start();
  await ended;
  await service.stop();
  for (const camera of ['yard', 'gate']) {
    const [clip] = service.media.list(camera);
    assert.ok(clip, `a clip of ${camera}`);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clip.path], { encoding: 'utf8' });
    const seconds = Number(probe.stdout.trim());
    assert.ok(seconds >= 1.8 && seconds <= 2.6, `${camera}: a 2 s clip plays for ${seconds} s`);
  }
});

test('a clip keeps every frame of the camera even when the motion worker is too busy to analyse them all', { skip: hasX264 ? false : 'ffmpeg with libx264 is not installed', timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-clips-busy-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { CctvService } = await import('../src/cctv-service.ts');
  const { readSettings } = await import('../src/cctv-settings.ts');
  const { SyntheticSource } = await import('../src/sources/synthetic-source.ts');
  const settings = readSettings({ cameras: [{ id: 'yard', source: 'synthetic:quiet', width: 160, height: 120, fps: 5 }], clipSeconds: 2, snapshots: false, mediaDir: dir });
  // A worker that is still busy with the frame before on every other frame (a slow Pi, several cameras).
  let asked = 0;
  const slow = async () =>
    ({
      opencv: 'stub',
      pid: -1,
      get busy() {
        return asked++ % 2 === 1;
      },
      close: async () => {},
      process: async () => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.1, box: { x: 0, y: 0, w: 0.1, h: 0.1 } }], changed: 0.1, lighting: false }, ms: 0 }),
    }) as never;
  const service = new CctvService({ settings, dataDir: dir, startWorker: slow, sourceFor: (c) => new SyntheticSource({ width: c.width, height: c.height, channels: 3, fps: c.fps, frames: 4 * c.fps, startMs: Date.now() }, c.id, 0) });
  const ended = new Promise<void>((resolve) => service.on('state', (s) => s.state === 'ended' && resolve()));
  await service.start();
  await ended;
  await service.stop();
  const [clip] = service.media.list('yard');
  assert.ok(clip);
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', clip.path], { encoding: 'utf8' });
  const seconds = Number(probe.stdout.trim());
  assert.ok(seconds >= 1.8 && seconds <= 2.6, `a 2 s clip plays for ${seconds} s`);
});
