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
