// The public face of @unibos/module-cctv (for the bench, tests and tools; the hub and the node load
// the entries named in module.json).

export { Camera, type CameraState, type MotionEvent } from './camera.ts';
export { parseCameras, sourceFor, type CameraConfig } from './camera-config.ts';
export { CctvError, type CctvErrorCode } from './cctv-error.ts';
export { CctvService, type CctvStatus } from './cctv-service.ts';
export { readSettings, type CctvSettings } from './cctv-settings.ts';
export { MediaStore, type RetentionLimits } from './media/media-store.ts';
export { FrameDiffDetector } from './motion/frame-diff-detector.ts';
export { DEFAULT_MOTION, type Detection, type MotionRegion, type MotionSettings } from './motion/motion-detector.ts';
export { MotionWorker } from './motion/motion-worker-client.ts';
export { loadOpenCv, findOpenCv, cachedPackageDir } from './motion/opencv-loader.ts';
export { OpenCvMotionDetector } from './motion/opencv-motion-detector.ts';
export { forHub, meshText } from './privacy-gate.ts';
export { renderFrame, SyntheticSource, type Scene } from './sources/synthetic-source.ts';
export { parseZones, type Zone } from './zones.ts';
