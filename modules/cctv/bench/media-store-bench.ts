// What one motion event's media costs the event loop as the media folder grows: MediaStore saving a
// snapshot and its thumbnail (retention from its running index), against the baseline of reading
// and stat-ing the whole folder twice per event (what retention did before the index), in the same
// run on the same folder; and the timer's rescan (fs/promises): how long it takes, and the longest
// the event loop waited meanwhile.
//
//   npm run bench -w @unibos/module-cctv        (CCTV_BENCH_MEDIA_FILES=10000,40000,90000 for other sizes)

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MediaStore } from '../src/media/media-store.ts';

const SIZES = (process.env.CCTV_BENCH_MEDIA_FILES ?? '10000,40000').split(',').map(Number);
const EVENTS = 40;
const DAY = 86_400_000;

/** The baseline: every file of every camera read and stat-ed, as retention did on each write. */
function scanFolder(dir: string): number {
  let bytes = 0;
  for (const cam of readdirSync(dir)) for (const name of readdirSync(join(dir, cam))) bytes += statSync(join(dir, cam, name)).size;
  return bytes;
}

const rows: string[][] = [];
const ratios: string[] = [];
for (const n of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-media-bench-'));
  try {
    const t0 = Date.now() - DAY;
    for (const cam of ['yard', 'gate']) mkdirSync(join(dir, cam));
    for (let i = 0; i < n; i++) writeFileSync(join(dir, i % 2 ? 'yard' : 'gate', `${String(t0 + i * 1000).padStart(15, '0')}-snapshot.jpg`), 'x');
    const store = new MediaStore({ dir, limits: { maxAgeMs: 7 * DAY, maxBytes: 1e12, minFreeBytes: 0 } });
    await store.ready;
    const snapshot = new Uint8Array(40_000);
    const thumb = new Uint8Array(4_000);
    let ts = Date.now();
    let start = performance.now();
    for (let i = 0; i < EVENTS; i++) store.saveAll('yard', ts++, [{ kind: 'snapshot', ext: 'jpg', bytes: snapshot }, { kind: 'thumb', ext: 'jpg', bytes: thumb }]);
    const indexed = (performance.now() - start) / EVENTS;
    start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      store.saveAll('gate', ts++, [{ kind: 'snapshot', ext: 'jpg', bytes: snapshot }, { kind: 'thumb', ext: 'jpg', bytes: thumb }]);
      scanFolder(dir);
      scanFolder(dir);
    }
    const scanned = (performance.now() - start) / EVENTS;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    start = performance.now();
    await store.rescan();
    const rescanMs = performance.now() - start;
    delay.disable();
    // A save is synchronous: the event loop waits for all of it.
    rows.push([String(n), 'one event saved, retention by the index', indexed.toFixed(2), indexed.toFixed(2)]);
    rows.push([String(n), 'one event saved, folder read twice (baseline)', scanned.toFixed(2), scanned.toFixed(2)]);
    rows.push([String(n), 'rescan of the folder (fs/promises, the timer)', rescanMs.toFixed(0), (delay.max / 1e6).toFixed(1)]);
    ratios.push(`baseline/index at ${n} files ${(scanned / indexed).toFixed(0)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const head = ['files kept', 'what (an event: snapshot + thumbnail)', 'ms', 'longest event-loop wait ms'];
const width = head.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(width[i]!)).join('  ');
console.log(`cctv media store bench: ${EVENTS} motion events per size, 2 cameras`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log(`ratios: ${ratios.join(', ')}`);
