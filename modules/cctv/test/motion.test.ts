// Motion detection end to end on synthetic frames, through the real motion worker (a child process) and OpenCV:
// an object entering a zone raises exactly one event; motion only in an excluded zone raises
// none; slow lighting drift raises none; and the work runs in a worker process, so timers on the
// main event loop keep firing while frames are analysed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { Camera, type MotionEvent } from '../src/camera.ts';
import { MediaStore } from '../src/media/media-store.ts';
import { DEFAULT_MOTION } from '../src/motion/motion-detector.ts';
import { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { SyntheticSource, type Scene } from '../src/sources/synthetic-source.ts';
import { parseZones, type Zone } from '../src/zones.ts';
import { opencvSkip } from './opencv-required.ts';

const skip = opencvSkip();
const W = 320;
const H = 240;

/** Runs a scene through a camera to its end; returns the events and the camera's final state. */
async function run(scene: Scene, zones: Zone[], media?: MediaStore): Promise<{ events: MotionEvent[]; camera: Camera; workerPid: number }> {
  const events: MotionEvent[] = [];
  let workerPid = -1;
  const camera = new Camera({
    config: { id: 'yard', name: 'Yard', source: 'synthetic:test', width: W, height: H, fps: scene.fps, upload: false, zones },
    source: new SyntheticSource(scene, 'test'),
    motion: DEFAULT_MOTION,
    cooldownMs: 30_000,
    media: media ?? null,
    snapshots: true,
    startWorker: async (s) => {
      const w = await MotionWorker.start(s);
      workerPid = w.pid;
      return w;
    },
  });
  camera.on('motion', (e) => events.push(e));
  const ended = new Promise<void>((resolve) => camera.on('state', (s) => s.state === 'ended' && resolve()));
  await camera.start();
  assert.equal(camera.state.state === 'live' || camera.state.state === 'ended', true, `camera is ${camera.state.state}: ${camera.state.reason}`);
  await ended;
  await camera.stop();
  return { events, camera, workerPid };
}

const walker = (from: [number, number], to: [number, number]): Scene => ({ width: W, height: H, fps: 5, frames: 80, objects: [{ frames: [25, 70], from, to, size: [0.12, 0.3], level: 20 }] });

test('an object entering a zone raises exactly one event, with a thumbnail and a snapshot kept on the node', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-media-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const media = new MediaStore({ dir, limits: { maxAgeMs: 86_400_000, maxBytes: 1e9, minFreeBytes: 0 }, now: () => 60_000 });
  const zones = parseZones([{ name: 'door', points: [[0.55, 0], [1, 0], [1, 1], [0.55, 1]] }], 'zones');
  // It walks in from the left half (not watched) and into the door zone, and stays moving there.
  const { events, camera } = await run(walker([0.05, 0.35], [0.75, 0.35]), zones, media);
  assert.equal(camera.state.frames, 80);
  assert.equal(events.length, 1, `events: ${JSON.stringify(events.map((e) => ({ zone: e.zone, ts: e.ts, area: e.area })))}`);
  const e = events[0]!;
  assert.equal(e.zone, 'door');
  assert.ok(e.area > DEFAULT_MOTION.minArea && e.area < 0.2, `area ${e.area}`);
  assert.ok(e.box.x + e.box.w > 0.55, `box ${JSON.stringify(e.box)} is in the door zone`);
  assert.ok(e.thumbnail && e.thumbnail[0] === 0xff && e.thumbnail[1] === 0xd8, 'the thumbnail is a JPEG');
  assert.ok(e.snapshot, 'a snapshot was kept');
  assert.deepEqual(media.list().map((f) => f.name.replace(/^\d+-/, '')).sort(), ['snapshot.jpg', 'thumb.jpg']);
});

test('motion only inside an excluded zone raises no event (and the same motion unexcluded does)', { skip }, async () => {
  const scene = walker([0.02, 0.1], [0.3, 0.5]);
  const exclude = parseZones([{ name: 'tree', kind: 'exclude', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }], 'zones');
  const excluded = await run(scene, exclude);
  assert.equal(excluded.camera.state.frames, 80);
  assert.equal(excluded.events.length, 0, `events: ${JSON.stringify(excluded.events.map((e) => e.zone))}`);
  const control = await run(scene, []);
  assert.equal(control.events.length, 1);
  assert.equal(control.events[0]!.zone, 'frame');
});

test('slow lighting drift raises no event', { skip }, async () => {
  // +0.3 gray levels a frame: the picture brightens by 60 levels over 200 frames (40 s at 5 fps), as dusk or a cloud does.
  const { events, camera } = await run({ width: W, height: H, fps: 5, frames: 200, driftPerFrame: 0.3 }, []);
  assert.equal(camera.state.frames, 200);
  assert.equal(events.length, 0, `events: ${JSON.stringify(events.map((e) => ({ ts: e.ts, area: e.area })))}`);
});

test('frames are analysed in a worker process while the main event loop keeps serving timers', { skip }, async () => {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const scene: Scene = { width: 1280, height: 720, fps: 5, frames: 15, objects: [{ frames: [5, 14], from: [0.1, 0.3], to: [0.6, 0.3], size: [0.1, 0.3], level: 20 }] };
  const events: MotionEvent[] = [];
  let ticksBetween = 0;
  let lastTicks = 0;
  const camera = new Camera({
    config: { id: 'hd', name: 'HD', source: 'synthetic:test', width: 1280, height: 720, fps: 5, upload: false, zones: [] },
    // Each frame is handed over only after a timer tick: a timer ran on the main loop between frames.
    source: new SyntheticSource(scene, 'test'),
    motion: DEFAULT_MOTION,
    cooldownMs: 30_000,
    media: null,
    snapshots: false,
  });
  const origProcess = MotionWorker.prototype.process;
  after(() => {
    MotionWorker.prototype.process = origProcess;
  });
  MotionWorker.prototype.process = function (this: MotionWorker, ...args: Parameters<MotionWorker['process']>) {
    if (ticks > lastTicks) ticksBetween++;
    lastTicks = ticks;
    assert.ok(this.pid > 0 && this.pid !== process.pid, 'the detector runs in another process');
    return origProcess.apply(this, args);
  };
  camera.on('motion', (e) => events.push(e));
  const ended = new Promise<void>((resolve) => camera.on('state', (s) => s.state === 'ended' && resolve()));
  await camera.start();
  assert.equal(camera.state.state === 'live' || camera.state.state === 'ended', true, `camera is ${camera.state.state}: ${camera.state.reason}`);
  await ended;
  await camera.stop();
  clearInterval(timer);
  delay.disable();
  assert.equal(camera.state.frames, 15);
  assert.ok(ticksBetween >= 10, `timers ran between ${ticksBetween} of 15 frames`);
  assert.equal(events.length, 1);
  // Measured, not asserted: how long the main loop waited at worst while 720p frames were analysed.
  console.log(`# event loop delay while analysing 1280x720: p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; detector ${camera.state.detectMs.toFixed(1)} ms/frame in the worker`);
});
