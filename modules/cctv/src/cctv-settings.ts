// The module's settings (hub: module settings; node: moduleOptions.cctv) as typed values.

import { parseCameras, type CameraConfig } from './camera-config.ts';
import { CctvError } from './cctv-error.ts';
import { DEFAULT_MOTION, type MotionSettings } from './motion/motion-detector.ts';

export interface CctvSettings {
  cameras: CameraConfig[];
  motion: Omit<MotionSettings, 'zones'>;
  cooldownMs: number;
  meshAlerts: boolean;
  snapshots: boolean;
  clipSeconds: number;
  retention: { maxAgeMs: number; maxBytes: number; minFreeBytes: number };
  mediaDir: string;
  orgId: string;
}

export function readSettings(s: Readonly<Record<string, unknown>>): CctvSettings {
  // The manifest's ranges: a node reads its config.json with no schema, so they are held here too.
  // Absent takes the default; null is a value, refused as the hub's schema refuses it.
  const num = (k: string, d: number, min: number, max: number): number => {
    const v = s[k] === undefined ? d : s[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new CctvError('E_CCTV_CONFIG', `${k}: a number from ${min} to ${max}`);
    return v;
  };
  const algorithm = s.algorithm === undefined ? 'mog2' : s.algorithm;
  if (algorithm !== 'mog2' && algorithm !== 'knn') throw new CctvError('E_CCTV_CONFIG', 'algorithm: mog2 or knn');
  return {
    cameras: parseCameras(s.cameras),
    motion: { ...DEFAULT_MOTION, algorithm, threshold: num('threshold', DEFAULT_MOTION.threshold, 1, 255), minArea: num('minArea', DEFAULT_MOTION.minArea, 0, 1) },
    cooldownMs: num('cooldownS', 30, 0, 3600) * 1000,
    meshAlerts: s.meshAlerts === true,
    snapshots: s.snapshots !== false,
    clipSeconds: num('clipSeconds', 10, 0, 120),
    retention: { maxAgeMs: num('retentionDays', 7, 0.01, 365) * 86_400_000, maxBytes: num('maxMediaMB', 2048, 1, 1_000_000) * 1024 * 1024, minFreeBytes: num('minFreeMB', 500, 0, 1_000_000) * 1024 * 1024 },
    mediaDir: typeof s.mediaDir === 'string' ? s.mediaDir : '',
    orgId: typeof s.orgId === 'string' ? s.orgId : '',
  };
}
