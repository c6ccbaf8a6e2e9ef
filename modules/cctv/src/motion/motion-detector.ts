// What a motion detector reports for one frame, and the settings every detector shares.

import type { Frame } from '../frame.ts';
import type { Zone } from '../zones.ts';

export interface MotionRegion {
  /** The include zone it is in ("frame" when the camera has no include zone). */
  zone: string;
  /** Its area as a share of the whole frame (0..1). */
  area: number;
  /** Its bounding box, in 0..1 frame coordinates. */
  box: { x: number; y: number; w: number; h: number };
}

export interface Detection {
  regions: MotionRegion[];
  /** Share of the watched pixels that changed (before the minimum area): for the UI and the bench. */
  changed: number;
  /** Most of the picture changed at once (a light switched, the camera moved): not reported as motion. */
  lighting: boolean;
}

export interface MotionSettings {
  algorithm: 'mog2' | 'knn';
  /** MOG2: the variance threshold; KNN: the square root of its distance threshold. */
  threshold: number;
  /** Smallest region worth reporting, as a share of the frame. */
  minArea: number;
  zones: Zone[];
  /** Frames are scaled down to this width before analysis (motion does not need detail). */
  analysisWidth: number;
  /** Frames the background model learns from before anything is reported. */
  warmupFrames: number;
  /** A change over this share of the watched picture is lighting, not motion. */
  globalChange: number;
}

export const DEFAULT_MOTION: Omit<MotionSettings, 'zones'> = { algorithm: 'mog2', threshold: 25, minArea: 0.005, analysisWidth: 320, warmupFrames: 10, globalChange: 0.6 };

export interface MotionDetector {
  detect(frame: Frame): Detection;
}
