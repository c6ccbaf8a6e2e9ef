// A camera source: something that delivers frames until it is stopped or drops. Live sources
// (V4L2, RTSP, MJPEG over HTTP) do not wait for the detector; scripted ones (the synthetic source,
// files) wait for each frame's promise so a test or a recording is analysed frame by frame.

import type { Frame } from '../frame.ts';

export interface SourceSession {
  stop(): Promise<void>;
}

export interface CameraSource {
  readonly kind: 'v4l2' | 'rtsp' | 'mjpeg' | 'file' | 'synthetic';
  /** What the UI and logs show: never a password. */
  readonly label: string;
  /**
   * Starts delivering frames. Rejects when the source cannot open (with the reason); after that
   * `onEnd` is called once when it drops or ends (null: it ended cleanly, as a file does).
   * `onDrop` counts what came in but was no picture (a part too big, one that never ended).
   */
  open(onFrame: (f: Frame) => void | Promise<void>, onEnd: (reason: Error | null) => void, onDrop?: (count: number) => void): Promise<SourceSession>;
}
