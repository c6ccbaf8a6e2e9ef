// Whether the OpenCV tests run here: they need the native build (.ci/opencv4nodejs.sh). Without
// it they skip with the reason, so `npm test` passes on a machine without OpenCV — except where
// UNIBOS_REQUIRE_OPENCV=1 (CI sets it), where a missing build fails them instead.

// Found, not loaded: opencv4nodejs may be loaded once per process, and the motion worker processes do that.
import { findOpenCv } from '../src/motion/opencv-loader.ts';

const load = findOpenCv();

/** `false` (run) or the reason to skip. Throws where OpenCV is required and missing. */
export function opencvSkip(): false | string {
  if (load.ok) return false;
  if (process.env.UNIBOS_REQUIRE_OPENCV === '1') throw new Error(`UNIBOS_REQUIRE_OPENCV=1 and ${load.reason}`);
  return load.reason;
}
