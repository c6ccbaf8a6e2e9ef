// The motion worker process: loads OpenCV, runs one camera's detector on each frame it is sent and
// encodes the snapshot, thumbnail or clip frame asked for. Decoding, subtraction and encoding all
// happen here, so the node's radio, MQTT and HTTP never wait behind a frame. A process rather than
// a worker thread: opencv4nodejs is not context-aware (a second load in one process aborts it, as
// measured here), and a crash inside OpenCV then ends this process, not the node or the hub.

import type { Frame } from '../frame.ts';
import type { MotionSettings } from './motion-detector.ts';
import { loadOpenCv } from './opencv-loader.ts';
import { OpenCvMotionDetector } from './opencv-motion-detector.ts';
import type { WorkerReply, WorkerRequest } from './motion-worker-protocol.ts';

const send = process.send?.bind(process);
if (!send) throw new Error('motion-worker.ts runs as a child process with an IPC channel');
// The parent going away (killed, crashed) ends this process too.
process.on('disconnect', () => process.exit(0));

let detector: OpenCvMotionDetector | null = null;
let thumbWidth = 160;
let quality = 80;

process.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'init') {
    const cv = loadOpenCv();
    if (!cv.ok) return reply({ type: 'unavailable', reason: cv.reason, code: cv.code, detail: cv.detail });
    try {
      detector = new OpenCvMotionDetector(cv.cv, msg.settings as MotionSettings);
    } catch (err) {
      const detail = `OpenCV ${cv.version} cannot build the detector: ${(err as Error).message}`;
      return reply({ type: 'unavailable', reason: detail, code: 'opencv_broken', detail });
    }
    thumbWidth = msg.thumbWidth;
    quality = msg.jpegQuality;
    return reply({ type: 'ready', opencv: cv.version });
  }
  if (!detector) return reply({ type: 'error', id: msg.id, code: 'E_CCTV_UNAVAILABLE', message: 'the worker has no detector' });
  const started = performance.now();
  try {
    const detection = detector.detect(msg.frame as Frame);
    const out: WorkerReply = { type: 'result', id: msg.id, detection, ms: 0 };
    const add = (b: Buffer | null): Uint8Array | undefined => (b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : undefined);
    if (msg.images && detection.regions.length) {
      out.thumbnail = add(detector.jpeg(thumbWidth, quality));
      out.snapshot = add(detector.jpeg(0, quality));
    }
    if (msg.clipJpeg) out.clipJpeg = add(detector.jpeg(0, quality));
    out.ms = performance.now() - started;
    send(out);
  } catch (err) {
    reply({ type: 'error', id: msg.id, code: (err as { code?: string }).code ?? 'E_CCTV_FRAME', message: (err as Error).message });
  }
});

function reply(r: WorkerReply): void {
  send!(r);
}
