// Snapshots, thumbnails and clips kept on the node, one folder per camera, each file named by its
// time so the oldest sorts first. Retention runs after each write and on a timer: files older than
// the age limit go, then the oldest go until the media fits its size limit and the disk keeps its
// free-space reserve. Files are written to a temporary name and renamed, so a crash leaves no
// half-written picture behind.

import { mkdirSync, readdirSync, renameSync, statSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CctvError } from '../cctv-error.ts';

export interface RetentionLimits {
  maxAgeMs: number;
  maxBytes: number;
  /** Free space the disk keeps; the oldest media goes first to keep it. */
  minFreeBytes: number;
}

export interface MediaFile {
  camera: string;
  name: string;
  path: string;
  bytes: number;
  /** From the name: when it was taken (ms). */
  ts: number;
}

export interface MediaStoreOptions {
  dir: string;
  limits: RetentionLimits;
  now?: () => number;
  /** Free bytes on the media's disk (injected in tests). */
  freeBytes?: (dir: string) => number;
}

export class MediaStore {
  readonly dir: string;
  deleted = 0;

  constructor(private readonly o: MediaStoreOptions) {
    this.dir = o.dir;
    mkdirSync(o.dir, { recursive: true });
    this.removePartials();
  }

  /**
   * Files a crash (a power cut) left half-written: nothing writes them when the store opens, and
   * retention neither counts nor deletes them, so they would fill the disk over time.
   */
  private removePartials(): void {
    for (const { cam, name } of this.names()) {
      if (!/^\d{15}-[a-z]+\.[a-z0-9]+\.tmp$/.test(name)) continue;
      try {
        unlinkSync(join(this.dir, cam, name));
      } catch {
        // Gone already.
      }
    }
  }

  /** Every file name in the store (or one camera's folder), with its camera. */
  private *names(camera?: string): Generator<{ cam: string; name: string }> {
    let cams: string[];
    try {
      cams = camera ? [camera] : readdirSync(this.dir);
    } catch {
      return;
    }
    for (const cam of cams) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, cam));
      } catch {
        continue;
      }
      for (const name of names) yield { cam, name };
    }
  }

  /** Writes `bytes` as `{camera}/{ts}-{kind}.{ext}` and applies retention; returns the file. */
  save(camera: string, kind: string, ext: string, ts: number, bytes: Uint8Array): MediaFile {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(camera) || !/^[a-z]+$/.test(kind) || !/^[a-z0-9]+$/.test(ext)) throw new CctvError('E_CCTV_CONFIG', `bad media name ${camera}/${kind}.${ext}`);
    const folder = join(this.dir, camera);
    mkdirSync(folder, { recursive: true });
    const name = `${String(Math.max(0, Math.floor(ts))).padStart(15, '0')}-${kind}.${ext}`;
    const path = join(folder, name);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    this.enforce();
    return { camera, name, path, bytes: bytes.byteLength, ts };
  }

  /** A path inside the store for a file being written over time (a clip); retention skips it until it is finished. */
  reserve(camera: string, kind: string, ext: string, ts: number): { partial: string; final: string; name: string } {
    const folder = join(this.dir, camera);
    mkdirSync(folder, { recursive: true });
    const name = `${String(Math.max(0, Math.floor(ts))).padStart(15, '0')}-${kind}.${ext}`;
    return { partial: join(folder, `${name}.tmp`), final: join(folder, name), name };
  }

  /** Every finished file, oldest first. */
  list(camera?: string): MediaFile[] {
    const out: MediaFile[] = [];
    for (const { cam, name } of this.names(camera)) {
      const m = /^(\d{15})-[a-z]+\.[a-z0-9]+$/.exec(name);
      if (!m) continue;
      const path = join(this.dir, cam, name);
      try {
        out.push({ camera: cam, name, path, bytes: statSync(path).size, ts: Number(m[1]) });
      } catch {
        // Deleted meanwhile.
      }
    }
    return out.sort((a, b) => a.ts - b.ts || a.name.localeCompare(b.name));
  }

  /** Deletes by age, then oldest first while over the size limit or under the free-space reserve. */
  enforce(): MediaFile[] {
    const now = (this.o.now ?? Date.now)();
    const files = this.list();
    const removed: MediaFile[] = [];
    let total = files.reduce((s, f) => s + f.bytes, 0);
    const free = (): number => (this.o.freeBytes ?? diskFree)(this.dir);
    let freeNow = free();
    for (const f of files) {
      const tooOld = now - f.ts > this.o.limits.maxAgeMs;
      const tooBig = total > this.o.limits.maxBytes;
      const tooFull = freeNow < this.o.limits.minFreeBytes;
      if (!tooOld && !tooBig && !tooFull) break;
      try {
        unlinkSync(f.path);
      } catch {
        continue;
      }
      total -= f.bytes;
      this.deleted++;
      removed.push(f);
      if (tooFull) freeNow = free();
    }
    return removed;
  }
}

function diskFree(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
