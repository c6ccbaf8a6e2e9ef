// The baseline the bench measures OpenCV against: plain frame differencing in JavaScript, at full
// resolution — the absolute difference of each gray pixel from the previous frame, thresholded
// and counted inside the watched zones. No background model, no regions: a whole-zone area only.

import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import { zoneLabels } from '../zones.ts';
import type { Detection, MotionDetector, MotionRegion, MotionSettings } from './motion-detector.ts';

export class FrameDiffDetector implements MotionDetector {
  private prev: Uint8Array | null = null;
  private labels: { labels: Uint8Array; names: string[]; w: number; h: number } | null = null;

  constructor(private readonly s: Pick<MotionSettings, 'threshold' | 'minArea' | 'zones' | 'globalChange'>) {}

  detect(frame: Frame): Detection {
    if (frame.kind !== 'raw') throw new CctvError('E_CCTV_FRAME', 'frame differencing takes raw frames');
    const { width: w, height: h, channels, data } = frame;
    const n = w * h;
    const gray = channels === 1 ? data : toGray(data, n);
    if (!this.labels || this.labels.w !== w || this.labels.h !== h) this.labels = { ...zoneLabels(this.s.zones, w, h), w, h };
    const { labels, names } = this.labels;
    const prev = this.prev;
    this.prev = channels === 1 ? Uint8Array.from(gray) : gray;
    if (!prev) return { regions: [], changed: 0, lighting: false };
    const perZone = new Array<number>(names.length + 1).fill(0);
    let watched = 0;
    let changedAll = 0;
    const t = this.s.threshold;
    for (let i = 0; i < n; i++) {
      const l = labels[i]!;
      if (!l) continue;
      watched++;
      const d = gray[i]! - prev[i]!;
      if (d > t || d < -t) {
        perZone[l]!++;
        changedAll++;
      }
    }
    const changed = watched ? changedAll / watched : 0;
    if (changed > this.s.globalChange) return { regions: [], changed, lighting: true };
    const regions: MotionRegion[] = [];
    for (let k = 1; k <= names.length; k++) {
      const area = perZone[k]! / n;
      if (area >= this.s.minArea && area > 0) regions.push({ zone: names[k - 1]!, area, box: { x: 0, y: 0, w: 1, h: 1 } });
    }
    return { regions, changed, lighting: false };
  }
}

function toGray(bgr: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (bgr[j]! * 29 + bgr[j + 1]! * 150 + bgr[j + 2]! * 77) >> 8;
  return out;
}
