// A picture as it moves from a source to the motion worker: raw 8-bit pixels (gray or BGR, as
// ffmpeg and the synthetic source give them) or a JPEG (as an MJPEG camera sends it, decoded in
// the worker so the event loop never decodes).

export type Frame =
  | { kind: 'raw'; width: number; height: number; channels: 1 | 3; data: Uint8Array; ts: number }
  | { kind: 'jpeg'; data: Uint8Array; ts: number };

export function frameBytes(f: Frame): number {
  return f.data.byteLength;
}
