// Motion detection speed: frames per second of the OpenCV background subtractor (MOG2, the
// module's default) at 640x480 and 1280x720, in this process and end to end through the motion
// worker process (as the module runs it), against plain frame differencing in JavaScript on the
// same frames in the same run; the CPU one camera at 5 fps takes; and what that predicts for a
// Raspberry Pi 4. Synthetic BGR frames: a textured scene with noise and a walking figure.
//
//   npm run bench -w @unibos/module-cctv        (needs the OpenCV build: .ci/opencv4nodejs.sh)

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { FrameDiffDetector } from '../src/motion/frame-diff-detector.ts';
import { DEFAULT_MOTION, type MotionDetector } from '../src/motion/motion-detector.ts';
import { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { loadOpenCv } from '../src/motion/opencv-loader.ts';
import { OpenCvMotionDetector } from '../src/motion/opencv-motion-detector.ts';
import { renderFrame, type Scene } from '../src/sources/synthetic-source.ts';
import type { Frame } from '../src/frame.ts';

const FRAMES = Number(process.env.CCTV_BENCH_FRAMES ?? 60);
const CAMERA_FPS = 5;
/**
 * How much slower a Raspberry Pi 4 (4x Cortex-A72 at 1.5-1.8 GHz, NEON) runs these OpenCV kernels
 * than one core of this x86-64 machine: an assumption from published single-core comparisons
 * (3-5x), not a measurement here. The prediction below uses the pessimistic end.
 */
const PI4_SLOWDOWN = 5;

const cv = loadOpenCv();
if (!cv.ok) {
  // The root `npm run bench` runs every workspace's bench: say why this one cannot, and let the others run.
  console.log(`cctv motion bench skipped: ${cv.reason}`);
  process.exit(0);
}

function frames(w: number, h: number): Frame[] {
  const scene: Scene = { width: w, height: h, channels: 3, fps: CAMERA_FPS, frames: FRAMES, objects: [{ frames: [Math.floor(FRAMES / 3), FRAMES - 1], from: [0, 0.3], to: [0.8, 0.35], size: [0.1, 0.3], level: 25 }] };
  return Array.from({ length: FRAMES }, (_, i) => renderFrame(scene, i));
}

/** Frames per second and CPU ms per frame of `d` over `fs`, in this process. */
function inProcess(d: MotionDetector, fs: Frame[]): { fps: number; cpuMs: number; events: number } {
  let regions = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of fs) regions += d.detect(f).regions.length ? 1 : 0;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { fps: (fs.length * 1000) / ms, cpuMs: (cpu.user + cpu.system) / 1000 / fs.length, events: regions };
}

function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** End to end through the worker process: frames sent one after another, as a camera does. */
async function throughWorker(fs: Frame[]): Promise<{ fps: number; cpuMs: number; workerMs: number }> {
  const w = await MotionWorker.start({ ...DEFAULT_MOTION, zones: [] });
  try {
    const own0 = process.cpuUsage();
    const wk0 = procCpuMs(w.pid);
    const t0 = performance.now();
    let workerMs = 0;
    for (const f of fs) workerMs += (await w.process({ ...f, data: new Uint8Array(f.data) } as Frame, { images: false, clipJpeg: false })).ms;
    const ms = performance.now() - t0;
    const own = process.cpuUsage(own0);
    const cpu = (own.user + own.system) / 1000 + (procCpuMs(w.pid) - wk0);
    return { fps: (fs.length * 1000) / ms, cpuMs: cpu / fs.length, workerMs: workerMs / fs.length };
  } finally {
    await w.close();
  }
}

const rows: string[][] = [];
const ratios: string[] = [];
let pi4At640 = 0;
for (const [w, h] of [
  [640, 480],
  [1280, 720],
] as const) {
  const fs = frames(w, h);
  const diff = inProcess(new FrameDiffDetector({ ...DEFAULT_MOTION, zones: [] }), fs);
  const mog2 = inProcess(new OpenCvMotionDetector(cv.cv, { ...DEFAULT_MOTION, zones: [] }), fs);
  const worker = await throughWorker(fs);
  const share = (cpuMs: number): string => `${((CAMERA_FPS * cpuMs) / 10).toFixed(1)}%`;
  rows.push([`${w}x${h}`, 'frame differencing (JS, baseline)', diff.fps.toFixed(1), diff.cpuMs.toFixed(2), share(diff.cpuMs)]);
  rows.push([`${w}x${h}`, 'MOG2 (OpenCV, in process)', mog2.fps.toFixed(1), mog2.cpuMs.toFixed(2), share(mog2.cpuMs)]);
  rows.push([`${w}x${h}`, 'MOG2 through the worker process', worker.fps.toFixed(1), worker.cpuMs.toFixed(2), share(worker.cpuMs)]);
  ratios.push(`mog2/diff ${w}x${h} ${(mog2.fps / diff.fps).toFixed(2)}x`, `worker/in-process ${w}x${h} ${(worker.fps / mog2.fps).toFixed(2)}x`);
  if (w === 640) pi4At640 = worker.fps / PI4_SLOWDOWN;
}

const head = ['frames', 'detector', 'fps', 'CPU ms/frame', `CPU of one core per camera at ${CAMERA_FPS} fps`];
const width = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(width[i]!)).join('  ');
console.log(`cctv motion bench: ${FRAMES} synthetic BGR frames per size, OpenCV ${cv.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`prediction: a Raspberry Pi 4 (assumed ${PI4_SLOWDOWN}x slower per core) runs MOG2 at 640x480 through the worker at about ${pi4At640.toFixed(0)} fps: ${pi4At640 >= CAMERA_FPS ? 'keeps up with' : 'does NOT keep up with'} one camera at ${CAMERA_FPS} fps (${((CAMERA_FPS / pi4At640) * 100).toFixed(0)}% of one of its 4 cores)`);
console.log(`ratios: ${ratios.join(', ')}`);
