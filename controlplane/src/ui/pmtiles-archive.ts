// A PMTiles (v3) archive as a region map: one file of raster tiles, read in place (a region can be
// gigabytes, so only the header, directories and the asked-for tile are read). Tiles are found by
// their Hilbert-curve id through the root directory and, for big archives, leaf directories.
// Format: https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { RegionSource } from './region-tiles.ts';

const HEADER_BYTES = 127;
/** Root, then at most two levels of leaves (the spec's writers stay within three). */
const MAX_DEPTH = 4;
const LEAF_CACHE = 64;

/** A region file the hub cannot serve: a clear reason for the admin, and the base map stays. */
export class PmtilesError extends Error {
  override name = 'PmtilesError';
  constructor(
    readonly code: 'E_PMTILES_INVALID' | 'E_PMTILES_UNSUPPORTED',
    message: string,
  ) {
    super(message);
  }
}

const TILE_TYPES: Record<number, string> = { 2: 'image/png', 3: 'image/jpeg', 4: 'image/webp', 5: 'image/avif' };

interface Entry {
  tileId: number;
  offset: number;
  length: number;
  /** 0: the entry points at a leaf directory. */
  runLength: number;
}

/** Sum of 4^i for i < z: the id of a zoom level's first tile. */
function firstIdOfZoom(z: number): number {
  return (4 ** z - 1) / 3;
}

/** The tile's id: its zoom's first id plus its place along the Hilbert curve over that zoom. */
export function zxyToTileId(z: number, x: number, y: number): number {
  if (z > 26 || x < 0 || y < 0 || x >= 2 ** z || y >= 2 ** z) throw new RangeError(`no tile ${z}/${x}/${y}`);
  let d = 0;
  let [px, py] = [x, y];
  for (let s = 2 ** (z - 1); s >= 1; s /= 2) {
    const rx = (px & s) > 0 ? 1 : 0;
    const ry = (py & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    if (ry === 0) {
      if (rx === 1) {
        px = s - 1 - px;
        py = s - 1 - py;
      }
      [px, py] = [py, px];
    }
  }
  return firstIdOfZoom(z) + d;
}

function decompress(buf: Buffer, compression: number, what: string): Buffer {
  if (compression === 0 || compression === 1) return buf;
  if (compression === 2) return gunzipSync(buf);
  if (compression === 3) return brotliDecompressSync(buf);
  throw new PmtilesError('E_PMTILES_UNSUPPORTED', `${what} is compressed with a method this hub cannot read (${compression === 4 ? 'zstd' : `code ${compression}`}); write the archive with gzip`);
}

/** A directory: entry count, then tile ids (deltas), run lengths, lengths, offsets (0 = right after the previous). */
export function decodeDirectory(buf: Buffer): Entry[] {
  let pos = 0;
  const varint = (): number => {
    let r = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new PmtilesError('E_PMTILES_INVALID', 'a directory ends inside a number');
      const b = buf[pos++]!;
      r += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return r;
      shift += 7;
    }
  };
  const n = varint();
  const entries: Entry[] = Array.from({ length: n }, () => ({ tileId: 0, offset: 0, length: 0, runLength: 0 }));
  let last = 0;
  for (const e of entries) e.tileId = last += varint();
  for (const e of entries) e.runLength = varint();
  for (const e of entries) e.length = varint();
  entries.forEach((e, i) => {
    const v = varint();
    e.offset = v === 0 && i > 0 ? entries[i - 1]!.offset + entries[i - 1]!.length : v - 1;
  });
  return entries;
}

/** The entry with the largest tile id not above `tileId`, if it covers it (or is a leaf). */
function find(entries: Entry[], tileId: number): Entry | null {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = entries[mid]!;
    if (e.tileId === tileId) return e;
    if (e.tileId < tileId) lo = mid + 1;
    else hi = mid - 1;
  }
  const e = hi >= 0 ? entries[hi]! : null;
  if (!e) return null;
  if (e.runLength === 0) return e;
  return tileId - e.tileId < e.runLength ? e : null;
}

export function openPmtiles(path: string, prefix: string): RegionSource {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (offset: number, length: number): Buffer => {
      if (offset < 0 || length < 0 || offset + length > size) throw new PmtilesError('E_PMTILES_INVALID', `${path}: a section lies outside the file (${offset}+${length} of ${size} bytes)`);
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw new PmtilesError('E_PMTILES_INVALID', `${path}: the file ends early`);
        done += n;
      }
      return buf;
    };
    if (size < HEADER_BYTES) throw new PmtilesError('E_PMTILES_INVALID', `${path} is not a PMTiles archive (too short)`);
    const h = read(0, HEADER_BYTES);
    if (h.toString('latin1', 0, 7) !== 'PMTiles') throw new PmtilesError('E_PMTILES_INVALID', `${path} is not a PMTiles archive`);
    if (h[7] !== 3) throw new PmtilesError('E_PMTILES_UNSUPPORTED', `${path} is PMTiles version ${h[7]}; the hub reads version 3 (convert it with \`pmtiles convert\`)`);
    const u64 = (at: number): number => Number(h.readBigUInt64LE(at));
    const rootDir = { offset: u64(8), length: u64(16) };
    const meta = { offset: u64(24), length: u64(32) };
    const leaves = u64(40);
    const data = u64(56);
    const internal = h[97]!;
    const tileCompression = h[98]!;
    const type = TILE_TYPES[h[99]!];
    if (!type) throw new PmtilesError('E_PMTILES_UNSUPPORTED', `${path} holds ${h[99] === 1 ? 'vector tiles (MVT)' : 'tiles of an unknown type'}; the map shows raster tiles (png, jpg, webp, avif)`);
    const root = decodeDirectory(decompress(read(rootDir.offset, rootDir.length), internal, 'the root directory'));
    let attribution: string | null = null;
    if (meta.length > 0) {
      try {
        const doc = JSON.parse(decompress(read(meta.offset, meta.length), internal, 'the metadata').toString('utf8')) as { attribution?: unknown };
        if (typeof doc.attribution === 'string') attribution = doc.attribution;
      } catch (err) {
        if (err instanceof PmtilesError && err.code === 'E_PMTILES_UNSUPPORTED') throw err;
        // Metadata is optional: a broken one costs the attribution, not the map.
      }
    }
    /** Recently used leaf directories by their offset. */
    const leafCache = new Map<number, Entry[]>();
    const leaf = (offset: number, length: number): Entry[] => {
      let dir = leafCache.get(offset);
      if (dir) {
        leafCache.delete(offset);
      } else {
        dir = decodeDirectory(decompress(read(leaves + offset, length), internal, 'a leaf directory'));
        if (leafCache.size >= LEAF_CACHE) leafCache.delete(leafCache.keys().next().value!);
      }
      leafCache.set(offset, dir);
      return dir;
    };
    const e7 = (at: number): number => h.readInt32LE(at) / 1e7;
    const bounds: [number, number, number, number] = [e7(102), e7(106), e7(110), e7(114)];
    return {
      info: {
        url: `${prefix}/{z}/{x}/{y}`,
        minZoom: h[100]!,
        maxZoom: h[101]!,
        bounds: bounds.every((v) => v === 0) ? null : bounds,
        attribution,
      },
      tile: (z, x, y) => {
        if (z < h[100]! || z > h[101]! || x >= 2 ** z || y >= 2 ** z) return null;
        const id = zxyToTileId(z, x, y);
        let dir = root;
        for (let depth = 0; depth < MAX_DEPTH; depth++) {
          const e = find(dir, id);
          if (!e) return null;
          if (e.runLength > 0) return { body: decompress(read(data + e.offset, e.length), tileCompression, 'a tile'), type };
          dir = leaf(e.offset, e.length);
        }
        return null;
      },
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
