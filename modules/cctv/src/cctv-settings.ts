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
  const num = (k: string, d: number): number => {
    const v = s[k] ?? d;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CctvError('E_CCTV_CONFIG', `${k}: a number of 0 or more`);
    return v;
  };
  const algorithm = s.algorithm ?? 'mog2';
  if (algorithm !== 'mog2' && algorithm !== 'knn') throw new CctvError('E_CCTV_CONFIG', 'algorithm: mog2 or knn');
  return {
    cameras: parseCameras(s.cameras),
    motion: { ...DEFAULT_MOTION, algorithm, threshold: num('threshold', DEFAULT_MOTION.threshold), minArea: num('minArea', DEFAULT_MOTION.minArea) },
    cooldownMs: num('cooldownS', 30) * 1000,
    meshAlerts: s.meshAlerts === true,
    snapshots: s.snapshots !== false,
    clipSeconds: num('clipSeconds', 10),
    retention: { maxAgeMs: num('retentionDays', 7) * 86_400_000, maxBytes: num('maxMediaMB', 2048) * 1024 * 1024, minFreeBytes: num('minFreeMB', 500) * 1024 * 1024 },
    mediaDir: typeof s.mediaDir === 'string' ? s.mediaDir : '',
    orgId: typeof s.orgId === 'string' ? s.orgId : '',
  };
}
