// The messages between a camera and its motion worker thread.

import type { Frame } from '../frame.ts';
import type { Detection, MotionSettings } from './motion-detector.ts';

export type WorkerRequest =
  | { type: 'init'; settings: MotionSettings; thumbWidth: number; jpegQuality: number }
  | { type: 'frame'; id: number; frame: Frame; images: boolean; clipJpeg: boolean };

export type WorkerReply =
  | { type: 'ready'; opencv: string }
  | { type: 'unavailable'; reason: string; code: 'opencv_off' | 'opencv_missing' | 'opencv_broken'; detail: string }
  | { type: 'result'; id: number; detection: Detection; thumbnail?: Uint8Array; snapshot?: Uint8Array; clipJpeg?: Uint8Array; ms: number }
  | { type: 'error'; id: number; code: string; message: string };

export type FrameResult = Extract<WorkerReply, { type: 'result' }>;
