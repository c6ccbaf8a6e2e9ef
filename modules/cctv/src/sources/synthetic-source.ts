// Scripted frames for tests, the bench and the demo: a textured background with sensor noise
// (seeded, so every run sees the same pixels), optional slow lighting drift, and rectangles that
// move along a path. Frames are timestamped on the scene's own clock (frame i at i / fps), so
// cool-downs play out the same however fast the machine is.

import type { Frame } from '../frame.ts';
import type { CameraSource, SourceSession } from './camera-source.ts';

export interface SceneObject {
  /** Frames it is visible: [first, last]. */
  frames: [number, number];
  /** Top-left corner at its first and last frame (0..1), moving linearly between. */
  from: [number, number];
  to: [number, number];
  /** Size as a share of the frame. */
  size: [number, number];
  /** Gray level (0..255). */
  level: number;
}

export interface Scene {
  width: number;
  height: number;
  channels?: 1 | 3;
  fps: number;
  frames: number;
  /** Added to every pixel per frame (lighting drift; 0.2 brightens by 60 levels over 300 frames). */
  driftPerFrame?: number;
  /** Amplitude of per-pixel noise (default 4). */
  noise?: number;
  objects?: SceneObject[];
  seed?: number;
  /** Start time of frame 0 (ms). */
  startMs?: number;
}

/** Named scenes for `synthetic:NAME` cameras (the demo and manual tries). */
export const SCENES: Record<string, (w?: number, h?: number) => Scene> = {
  // Someone walks in from the left, crosses the middle and leaves on the right; then it repeats.
  walker: (w = 640, h = 480) => ({ width: w, height: h, fps: 5, frames: Number.MAX_SAFE_INTEGER, objects: [{ frames: [20, 60], from: [-0.1, 0.4], to: [1.0, 0.4], size: [0.1, 0.3], level: 30 }] }),
  quiet: (w = 640, h = 480) => ({ width: w, height: h, fps: 5, frames: Number.MAX_SAFE_INTEGER }),
};

export class SyntheticSource implements CameraSource {
  readonly kind = 'synthetic';
  readonly label: string;

  constructor(
    private readonly scene: Scene,
    name = 'scene',
    /** Real time between frames (ms); 0 delivers them as fast as they are consumed. */
    private readonly pacingMs = 0,
  ) {
    this.label = `synthetic:${name}`;
  }

  open(onFrame: (f: Frame) => void | Promise<void>, onEnd: (reason: Error | null) => void): Promise<SourceSession> {
    let stopped = false;
    let wake: (() => void) | null = null;
    const done = (async () => {
      for (let i = 0; i < this.scene.frames && !stopped; i++) {
        await onFrame(renderFrame(this.scene, i));
        if (this.pacingMs > 0 && !stopped) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, this.pacingMs);
            wake = () => (clearTimeout(t), r());
          });
          wake = null;
        } else await new Promise<void>((r) => setImmediate(r));
      }
    })().then(
      () => onEnd(null),
      (err: Error) => onEnd(err),
    );
    return Promise.resolve({
      stop: async () => {
        stopped = true;
        (wake as (() => void) | null)?.();
        await done;
      },
    });
  }
}

/** Frame `i` of `scene`: deterministic for a seed. */
export function renderFrame(scene: Scene, i: number): Frame {
  const { width: w, height: h } = scene;
  const ch = scene.channels ?? 1;
  const data = new Uint8Array(w * h * ch);
  const drift = (scene.driftPerFrame ?? 0) * i;
  const noise = scene.noise ?? 4;
  let rng = ((scene.seed ?? 1) * 2654435761 + i * 40503) >>> 0;
  const boxes = (scene.objects ?? [])
    .filter((o) => i >= o.frames[0] && i <= o.frames[1])
    .map((o) => {
      const t = o.frames[1] === o.frames[0] ? 0 : (i - o.frames[0]) / (o.frames[1] - o.frames[0]);
      const x = o.from[0] + (o.to[0] - o.from[0]) * t;
      const y = o.from[1] + (o.to[1] - o.from[1]) * t;
      return { x0: Math.round(x * w), y0: Math.round(y * h), x1: Math.round((x + o.size[0]) * w), y1: Math.round((y + o.size[1]) * h), level: o.level };
    });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // A fixed texture (what a wall or a yard looks like to the detector), lit by the drift.
      let v = 90 + ((x * 7 + y * 13) % 40) + ((x >> 5) + (y >> 5)) % 2 * 20 + drift;
      for (const b of boxes) if (x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1) v = b.level + drift;
      rng = (rng * 1103515245 + 12345) >>> 0;
      v += ((rng >>> 16) % (2 * noise + 1)) - noise;
      const px = v < 0 ? 0 : v > 255 ? 255 : v;
      const o = (y * w + x) * ch;
      data[o] = px;
      if (ch === 3) {
        data[o + 1] = px;
        data[o + 2] = px;
      }
    }
  }
  return { kind: 'raw', width: w, height: h, channels: ch, data, ts: (scene.startMs ?? 0) + Math.round((i * 1000) / scene.fps) };
}
