// Snapshots, thumbnails and clips kept on the node, one folder per camera, each file named by its
// time so the oldest sorts first. Retention runs after each write and on a timer: files older than
// the age limit go, then the oldest go until the media fits its size limit and the disk keeps its
// free-space reserve. Files are written to a temporary name and renamed, so a crash leaves no
// half-written picture behind. The files and their bytes are kept in an index (oldest first), kept
// as files are written and deleted: a write never reads the folder. The folder is read again only
// when the store opens and on the timer (rescan), without blocking the event loop. Each camera's
// newest snapshot and thumbnail (what its latest motion event names) go only by age: the size limit
// and the free-space reserve never take a camera's latest evidence. Clips, the large files, are not so kept.

import { mkdirSync, renameSync, statSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

/** The disk is under its free-space reserve with nothing older left to delete: what was just written is kept. */
export interface LowDisk {
  freeBytes: number;
  minFreeBytes: number;
}

const FINISHED = /^(\d{15})-([a-z]+)\.[a-z0-9]+$/;
const PARTIAL = /^\d{15}-[a-z]+\.[a-z0-9]+\.tmp$/;

/** Oldest first; files of the same moment by name. */
const older = (a: MediaFile, b: MediaFile): number => a.ts - b.ts || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class MediaStore {
  readonly dir: string;
  deleted = 0;
  /** Set when retention could not keep the disk's free-space reserve; null once it can. */
  lowDisk: LowDisk | null = null;
  /** Resolves once the folder was first read (the index holds what an earlier run left). */
  readonly ready: Promise<void>;
  /** Finished files, oldest first, and their bytes. */
  private files: MediaFile[] = [];
  private total = 0;
  /** Per camera, its newest snapshot and its newest thumbnail (`yard/snapshot`): kept but for age. */
  private newest = new Map<string, MediaFile>();
  /** While a rescan reads the folder: what was written and deleted meanwhile, by path. */
  private during: { added: Map<string, MediaFile>; removed: Set<string> } | null = null;
  private scanning: Promise<void> | null = null;

  constructor(private readonly o: MediaStoreOptions) {
    this.dir = o.dir;
    mkdirSync(o.dir, { recursive: true });
    this.ready = this.rescan({ removePartials: true });
  }

  /** The number of finished files kept. */
  get count(): number {
    return this.files.length;
  }

  /** Writes `bytes` as `{camera}/{ts}-{kind}.{ext}` and applies retention (never to this file); returns the file. */
  save(camera: string, kind: string, ext: string, ts: number, bytes: Uint8Array): MediaFile {
    return this.saveAll(camera, ts, [{ kind, ext, bytes }])[0]!;
  }

  /** Writes the files of one moment (a snapshot and its thumbnail), then applies retention once, never to them. */
  saveAll(camera: string, ts: number, parts: Array<{ kind: string; ext: string; bytes: Uint8Array }>): MediaFile[] {
    for (const { kind, ext } of parts) if (!/^[a-z0-9][a-z0-9_-]*$/.test(camera) || !/^[a-z]+$/.test(kind) || !/^[a-z0-9]+$/.test(ext)) throw new CctvError('E_CCTV_CONFIG', `bad media name ${camera}/${kind}.${ext}`);
    const folder = join(this.dir, camera);
    mkdirSync(folder, { recursive: true });
    const saved = parts.map(({ kind, ext, bytes }) => {
      const name = `${stamp(ts)}-${kind}.${ext}`;
      const path = join(folder, name);
      writeFileSync(`${path}.tmp`, bytes);
      renameSync(`${path}.tmp`, path);
      const f: MediaFile = { camera, name, path, bytes: bytes.byteLength, ts: Number(stamp(ts)) };
      this.add(f);
      return f;
    });
    this.enforce(new Set(saved.map((f) => f.path)));
    return saved;
  }

  /** A path inside the store for a file being written over time (a clip); retention skips it until it is finished. */
  reserve(camera: string, kind: string, ext: string, ts: number): { partial: string; final: string; name: string } {
    const folder = join(this.dir, camera);
    mkdirSync(folder, { recursive: true });
    const name = `${stamp(ts)}-${kind}.${ext}`;
    return { partial: join(folder, `${name}.tmp`), final: join(folder, name), name };
  }

  /** A reserved file renamed to its final path: counted from now on, and retention applied (never to it). */
  finished(final: string): void {
    const name = basename(final);
    const m = FINISHED.exec(name);
    if (!m) return;
    try {
      this.add({ camera: basename(dirname(final)), name, path: final, bytes: statSync(final).size, ts: Number(m[1]) });
    } catch {
      return;
    }
    this.enforce(new Set([final]));
  }

  /** Every finished file (of one camera), oldest first. */
  list(camera?: string): MediaFile[] {
    return camera === undefined ? [...this.files] : this.files.filter((f) => f.camera === camera);
  }

  /**
   * Deletes by age, then oldest first while over the size limit or under the free-space reserve;
   * never a file in `keep` (just written), nor for size or space a camera's newest snapshot and
   * thumbnail (so the timer's run keeps what the latest motion event names). Under the reserve with
   * nothing left to delete, `lowDisk` says so. A file already gone (deleted by hand) leaves the index,
   * not counted as deleted.
   */
  enforce(keep: ReadonlySet<string> = new Set()): MediaFile[] {
    const now = (this.o.now ?? Date.now)();
    const { maxAgeMs, maxBytes, minFreeBytes } = this.o.limits;
    const free = (): number => (this.o.freeBytes ?? diskFree)(this.dir);
    let freeNow = free();
    const removed: MediaFile[] = [];
    const gone = new Set<MediaFile>();
    for (const f of this.files) {
      const tooOld = now - f.ts > maxAgeMs;
      const tooBig = this.total > maxBytes;
      const tooFull = freeNow < minFreeBytes;
      if (!tooOld && !tooBig && !tooFull) break;
      if (keep.has(f.path) || (!tooOld && this.newest.get(newestKey(f)) === f)) continue;
      let freed = true;
      try {
        unlinkSync(f.path);
      } catch (err) {
        // Gone already (deleted by hand): out of the index, but it freed nothing and retention deleted nothing.
        // Any other failure: kept, tried next time.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') continue;
        freed = false;
      }
      gone.add(f);
      this.total -= f.bytes;
      this.during?.removed.add(f.path);
      if (this.newest.get(newestKey(f)) === f) this.newest.delete(newestKey(f));
      if (!freed) continue;
      this.deleted++;
      removed.push(f);
      if (tooFull) freeNow = free();
    }
    if (gone.size) {
      // Almost always the oldest, in a row.
      let k = 0;
      while (k < this.files.length && gone.has(this.files[k]!)) k++;
      if (k === gone.size) this.files.splice(0, k);
      else this.files = this.files.filter((f) => !gone.has(f));
    }
    this.lowDisk = freeNow < minFreeBytes ? { freeBytes: freeNow, minFreeBytes } : null;
    return removed;
  }

  /**
   * Reads the folder again (files added or deleted by hand, or by an earlier run), with fs/promises:
   * the event loop goes on meanwhile. Writes and deletions made while it reads are kept.
   */
  rescan(o: { removePartials?: boolean } = {}): Promise<void> {
    this.scanning ??= this.scan(o.removePartials ?? false).finally(() => (this.scanning = null));
    return this.scanning;
  }

  private async scan(removePartials: boolean): Promise<void> {
    const during = { added: new Map<string, MediaFile>(), removed: new Set<string>() };
    this.during = during;
    const found: MediaFile[] = [];
    try {
      let cams: string[] = [];
      try {
        cams = await readdir(this.dir);
      } catch {
        // No folder: nothing kept.
      }
      for (const cam of cams) {
        let names: string[];
        try {
          names = await readdir(join(this.dir, cam));
        } catch {
          continue;
        }
        // A few at a time: the thread pool serves the rest of the node too.
        for (let i = 0; i < names.length; i += 64) {
          await Promise.all(
            names.slice(i, i + 64).map(async (name) => {
              const path = join(this.dir, cam, name);
              // Half-written by a crash (a power cut): nothing writes them when the store opens, and retention would never count them.
              if (removePartials && PARTIAL.test(name)) return void (await unlink(path).catch(() => {}));
              const m = FINISHED.exec(name);
              if (!m) return;
              try {
                found.push({ camera: cam, name, path, bytes: (await stat(path)).size, ts: Number(m[1]) });
              } catch {
                // Deleted meanwhile.
              }
            }),
          );
        }
      }
    } finally {
      this.during = null;
    }
    const byPath = new Map(found.filter((f) => !during.removed.has(f.path)).map((f) => [f.path, f]));
    for (const [path, f] of during.added) if (!during.removed.has(path)) byPath.set(path, f);
    this.files = [...byPath.values()].sort(older);
    this.total = this.files.reduce((s, f) => s + f.bytes, 0);
    this.newest = new Map(this.files.filter(isEvidence).map((f) => [newestKey(f), f]));
  }

  /** Into the index at its place in time (almost always the end). */
  private add(f: MediaFile): void {
    let at = this.files.length;
    while (at > 0 && older(this.files[at - 1]!, f) > 0) at--;
    // The same file written again: it replaces the one counted.
    for (let j = at - 1; j >= 0 && older(this.files[j]!, f) === 0; j--) {
      if (this.files[j]!.path !== f.path) continue;
      this.total -= this.files[j]!.bytes;
      this.files.splice(j, 1);
      at--;
      break;
    }
    this.files.splice(at, 0, f);
    this.total += f.bytes;
    if (isEvidence(f)) {
      const latest = this.newest.get(newestKey(f));
      if (!latest || older(latest, f) <= 0) this.newest.set(newestKey(f), f);
    }
    this.during?.added.set(f.path, f);
    this.during?.removed.delete(f.path);
  }
}

/** A camera's newest of these is kept but for age: what its latest motion event names. */
const EVIDENCE = new Set(['snapshot', 'thumb']);

function isEvidence(f: MediaFile): boolean {
  return EVIDENCE.has(FINISHED.exec(f.name)?.[2] ?? '');
}

/** Which of a camera's newest files `f` competes with: its camera and kind. */
function newestKey(f: MediaFile): string {
  return `${f.camera}/${FINISHED.exec(f.name)?.[2] ?? ''}`;
}

function stamp(ts: number): string {
  return String(Math.max(0, Math.floor(ts))).padStart(15, '0');
}

function diskFree(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}
