// Finds the native opencv4nodejs build. It is never a dependency npm installs (the compile takes
// ~15 minutes), so it comes from, in order: UNIBOS_OPENCV4NODEJS (the package folder; "off"
// pretends it is absent), the cache that .ci/opencv4nodejs.sh fills
// (/var/cache/unibos/opencv4nodejs/{version}-node{abi}-{arch}/), or a normal install beside the
// code. Absent, the module reports "unavailable: <why>" and the rest of UNIBOS runs on.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { OpenCv } from './opencv-types.ts';

export const OPENCV4NODEJS_VERSION = '7.1.2';

/** Why OpenCV is not there: switched off, not built, or built but unusable. None of them changes while the process runs. */
export type OpenCvMissing = { ok: false; reason: string; code: 'opencv_off' | 'opencv_missing' | 'opencv_broken'; detail: string };

export type OpenCvLoad = { ok: true; cv: OpenCv; from: string; version: string } | OpenCvMissing;

const OFF: OpenCvMissing = { ok: false, code: 'opencv_off', detail: 'UNIBOS_OPENCV4NODEJS=off', reason: 'OpenCV is switched off (UNIBOS_OPENCV4NODEJS=off)' };

/** Not built here: the reason says what to do (build it, then restart: it is looked for at start). */
function notBuilt(detail: string): OpenCvMissing {
  return { ok: false, code: 'opencv_missing', detail, reason: `OpenCV is not installed (opencv4nodejs is not built: ${detail}): apt-get install libopencv-dev, then bash .ci/opencv4nodejs.sh (modules/cctv/README.md), then restart` };
}

/** Where .ci/opencv4nodejs.sh puts the build for this Node and CPU (same formula as the script). */
export function cachedPackageDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.UNIBOS_OPENCV4NODEJS_CACHE || '/var/cache/unibos/opencv4nodejs';
  const prefix = join(root, `${OPENCV4NODEJS_VERSION}-node${process.versions.modules}-${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}`);
  return join(prefix, 'node_modules', '@u4', 'opencv4nodejs');
}

/**
 * Where OpenCV would load from, without loading it (the main thread of a node keeps the native
 * library out of its memory; the motion worker loads it). Null with the reason when there is none.
 */
export function findOpenCv(env: NodeJS.ProcessEnv = process.env): { ok: true; path: string } | OpenCvMissing {
  const explicit = env.UNIBOS_OPENCV4NODEJS;
  if (explicit === 'off') return OFF;
  if (explicit) return existsSync(join(explicit, 'package.json')) ? { ok: true, path: explicit } : notBuilt(`UNIBOS_OPENCV4NODEJS=${explicit} has no package.json`);
  const cached = cachedPackageDir(env);
  if (existsSync(join(cached, '..', '..', '..', '.complete'))) return { ok: true, path: cached };
  try {
    return { ok: true, path: createRequire(import.meta.url).resolve('@u4/opencv4nodejs') };
  } catch {
    return notBuilt(`nothing at ${cached}`);
  }
}

let memo: OpenCvLoad | null = null;

export function loadOpenCv(env: NodeJS.ProcessEnv = process.env): OpenCvLoad {
  if (memo && env === process.env) return memo;
  const result = tryLoad(env);
  if (env === process.env) memo = result;
  return result;
}

function tryLoad(env: NodeJS.ProcessEnv): OpenCvLoad {
  const req = createRequire(import.meta.url);
  const explicit = env.UNIBOS_OPENCV4NODEJS;
  if (explicit === 'off') return OFF;
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  else {
    const cached = cachedPackageDir(env);
    if (existsSync(join(cached, '..', '..', '..', '.complete'))) candidates.push(cached);
    candidates.push('@u4/opencv4nodejs');
  }
  const errors: string[] = [];
  for (const c of candidates) {
    try {
      const cv = req(c) as OpenCv;
      if (typeof cv.BackgroundSubtractorMOG2 !== 'function') {
        errors.push(`${c}: loads but has no BackgroundSubtractorMOG2`);
        continue;
      }
      return { ok: true, cv, from: c, version: `${cv.version.major}.${cv.version.minor}.${cv.version.revision}` };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push(e.code === 'MODULE_NOT_FOUND' && c === '@u4/opencv4nodejs' ? 'not installed' : `${c}: ${firstLine(e.message)}`);
    }
  }
  return notBuilt(errors.join('; '));
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 200);
}
