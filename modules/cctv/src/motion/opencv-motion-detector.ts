// Motion by background subtraction (OpenCV MOG2 or KNN): scale down, blur, subtract the learned
// background, drop shadows and speckle, keep what falls in the watched zones, and report each
// connected region big enough to matter. The background adapts, so slow lighting drift is
// learned away; a sudden change of most of the picture is reported as lighting, not motion.
// Runs inside the motion worker (motion-worker.ts), never on the main event loop.

import { CctvError } from '../cctv-error.ts';
import type { Frame } from '../frame.ts';
import { zoneLabels } from '../zones.ts';
import type { Detection, MotionDetector, MotionRegion, MotionSettings } from './motion-detector.ts';
import type { CvBackgroundSubtractor, CvMat, OpenCv } from './opencv-types.ts';

export class OpenCvMotionDetector implements MotionDetector {
  private readonly bg: CvBackgroundSubtractor;
  private readonly kernel: CvMat;
  private labels: { labels: Uint8Array; names: string[]; watched: CvMat; watchedCount: number; w: number; h: number } | null = null;
  private frames = 0;
  /** The last frame as a full-size Mat (for snapshots and thumbnails). */
  last: CvMat | null = null;

  constructor(
    private readonly cv: OpenCv,
    private readonly s: MotionSettings,
  ) {
    this.bg = s.algorithm === 'knn' ? new cv.BackgroundSubtractorKNN(500, s.threshold * s.threshold, true) : new cv.BackgroundSubtractorMOG2(500, s.threshold, true);
    this.kernel = cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(3, 3));
  }

  detect(frame: Frame): Detection {
    const cv = this.cv;
    const full = this.toMat(frame);
    this.last = full;
    const gray = full.channels === 3 ? full.cvtColor(cv.COLOR_BGR2GRAY) : full;
    const w = Math.min(this.s.analysisWidth, gray.cols);
    const h = Math.max(1, Math.round((gray.rows * w) / gray.cols));
    const small = (w === gray.cols ? gray : gray.resize(h, w, 0, 0, cv.INTER_AREA)).gaussianBlur(new cv.Size(5, 5), 0);
    const z = this.zonesFor(w, h);
    // MOG2/KNN mark shadows 127 and foreground 255: keep only the foreground.
    const fg = this.bg.apply(small).threshold(200, 255, cv.THRESH_BINARY).morphologyEx(this.kernel, cv.MORPH_OPEN).dilate(this.kernel).bitwiseAnd(z.watched);
    this.frames++;
    if (this.frames <= this.s.warmupFrames) return { regions: [], changed: 0, lighting: false };
    const changedPixels = fg.countNonZero();
    const changed = z.watchedCount ? changedPixels / z.watchedCount : 0;
    if (changed > this.s.globalChange) return { regions: [], changed, lighting: true };
    if (changedPixels === 0) return { regions: [], changed, lighting: false };
    const total = w * h;
    const regions: MotionRegion[] = [];
    for (const c of fg.findContours(cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE)) {
      const area = c.area / total;
      if (area < this.s.minArea) continue;
      const r = c.boundingRect();
      const m = c.moments();
      const cx = m.m00 > 0 ? Math.round(m.m10 / m.m00) : r.x + (r.width >> 1);
      const cy = m.m00 > 0 ? Math.round(m.m01 / m.m00) : r.y + (r.height >> 1);
      const label = z.labels[Math.min(h - 1, Math.max(0, cy)) * w + Math.min(w - 1, Math.max(0, cx))] || majorityLabel(z.labels, w, r);
      if (!label) continue;
      regions.push({ zone: z.names[label - 1]!, area, box: { x: r.x / w, y: r.y / h, w: r.width / w, h: r.height / h } });
    }
    return { regions, changed, lighting: false };
  }

  /** A JPEG of the last frame, `width` wide (0: full size). */
  jpeg(width: number, quality: number): Buffer | null {
    if (!this.last) return null;
    const cv = this.cv;
    const m = width > 0 && width < this.last.cols ? this.last.resize(Math.max(1, Math.round((this.last.rows * width) / this.last.cols)), width, 0, 0, cv.INTER_AREA) : this.last;
    return cv.imencode('.jpg', m, [cv.IMWRITE_JPEG_QUALITY, quality]);
  }

  private toMat(frame: Frame): CvMat {
    const cv = this.cv;
    if (frame.kind === 'jpeg') {
      let m: CvMat;
      try {
        m = cv.imdecode(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), cv.IMREAD_COLOR);
      } catch (err) {
        throw new CctvError('E_CCTV_FRAME', `a JPEG frame does not decode: ${(err as Error).message}`);
      }
      if (!m || m.rows === 0) throw new CctvError('E_CCTV_FRAME', 'a JPEG frame does not decode');
      return m;
    }
    if (frame.data.byteLength !== frame.width * frame.height * frame.channels) throw new CctvError('E_CCTV_FRAME', `a raw frame has ${frame.data.byteLength} bytes, ${frame.width}x${frame.height}x${frame.channels} needs ${frame.width * frame.height * frame.channels}`);
    return new cv.Mat(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), frame.height, frame.width, frame.channels === 3 ? cv.CV_8UC3 : cv.CV_8UC1);
  }

  private zonesFor(w: number, h: number): NonNullable<OpenCvMotionDetector['labels']> {
    if (this.labels && this.labels.w === w && this.labels.h === h) return this.labels;
    const { labels, names } = zoneLabels(this.s.zones, w, h);
    const mask = Buffer.alloc(w * h);
    let watchedCount = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i]) {
        mask[i] = 255;
        watchedCount++;
      }
    }
    this.labels = { labels, names, watched: new this.cv.Mat(mask, h, w, this.cv.CV_8UC1), watchedCount, w, h };
    return this.labels;
  }
}

function majorityLabel(labels: Uint8Array, w: number, r: { x: number; y: number; width: number; height: number }): number {
  const counts = new Map<number, number>();
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) {
    const l = labels[y * w + x]!;
    if (l) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  let best = 0;
  let n = 0;
  for (const [l, c] of counts) if (c > n) [best, n] = [l, c];
  return best;
}
