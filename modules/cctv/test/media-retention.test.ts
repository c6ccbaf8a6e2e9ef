// Media retention on a real folder: by age, by total size and by free disk space, always the
// oldest first; unfinished clips are left alone; and snapshots are named so time order is file order.
// A snapshot just written is never what goes: a disk under its reserve is said on the camera. The
// files kept are counted as they are written and deleted, and the folder read again off the event loop.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Camera, type CameraState, type MotionEvent } from '../src/camera.ts';
import type { Frame } from '../src/frame.ts';
import { MediaStore } from '../src/media/media-store.ts';
import { DEFAULT_MOTION } from '../src/motion/motion-detector.ts';
import type { MotionWorker } from '../src/motion/motion-worker-client.ts';
import { SyntheticSource } from '../src/sources/synthetic-source.ts';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-retention-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const KB = new Uint8Array(1024);
const DAY = 86_400_000;

test('over the size limit, the oldest files go first, across cameras', () => {
  const store = new MediaStore({ dir: folder(), limits: { maxAgeMs: 30 * DAY, maxBytes: 3 * 1024, minFreeBytes: 0 }, now: () => 10 * DAY });
  store.save('gate', 'snapshot', 'jpg', 9 * DAY + 1, KB);
  store.save('yard', 'snapshot', 'jpg', 9 * DAY + 2, KB);
  store.save('gate', 'snapshot', 'jpg', 9 * DAY + 3, KB);
  assert.equal(store.list().length, 3);
  store.save('yard', 'snapshot', 'jpg', 9 * DAY + 4, KB);
  store.save('gate', 'clip', 'mp4', 9 * DAY + 5, KB);
  assert.deepEqual(
    store.list().map((f) => `${f.camera}@${f.ts - 9 * DAY}`),
    ['gate@3', 'yard@4', 'gate@5'],
  );
  assert.equal(store.deleted, 2);
});

test('files older than the age limit are deleted, newer ones kept', () => {
  let now = 100 * DAY;
  const store = new MediaStore({ dir: folder(), limits: { maxAgeMs: 7 * DAY, maxBytes: 1e9, minFreeBytes: 0 }, now: () => now });
  store.save('gate', 'snapshot', 'jpg', 92 * DAY, KB);
  store.save('gate', 'snapshot', 'jpg', 95 * DAY, KB);
  assert.deepEqual(store.list().map((f) => f.ts / DAY), [95]);
  now = 103 * DAY;
  assert.deepEqual(store.enforce().map((f) => f.ts / DAY), [95]);
  assert.equal(store.list().length, 0);
});

test('when the disk runs short of its free-space reserve, the oldest go until it is met', () => {
  const dir = folder();
  // A disk with 5 KiB free beside five 1 KiB files; each file deleted frees its KiB. 8 KiB wanted.
  let base = 100 * 1024;
  const files = (): number => readdirSync(join(dir, 'cam')).length;
  const store = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 8 * 1024 }, now: () => 1000, freeBytes: () => base - files() * 1024 });
  for (let i = 1; i <= 5; i++) store.save('cam', 'snapshot', 'jpg', i, KB);
  assert.equal(store.list().length, 5);
  base = 10 * 1024; // something else filled the disk
  assert.deepEqual(store.enforce().map((f) => f.ts), [1, 2, 3]);
  assert.deepEqual(store.list().map((f) => f.ts), [4, 5]);
});

test('a clip still being written is neither listed nor deleted', () => {
  const dir = folder();
  const store = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1, minFreeBytes: 0 }, now: () => 1000 });
  const r = store.reserve('cam', 'clip', 'mjpeg', 5);
  writeFileSync(r.partial, KB);
  store.enforce();
  assert.ok(existsSync(r.partial));
  assert.equal(store.list().length, 0);
});

test('bad media names are refused with a code, not written', () => {
  const store = new MediaStore({ dir: folder(), limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 0 } });
  assert.throws(() => store.save('../etc', 'snapshot', 'jpg', 1, KB), { code: 'E_CCTV_CONFIG' });
});

test('a clip or snapshot left half-written by a crash (a power cut) is removed when the store opens again', async () => {
  const dir = folder();
  const before = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 0 }, now: () => 1000 });
  const r = before.reserve('cam', 'clip', 'mp4', 5);
  writeFileSync(r.partial, KB);
  writeFileSync(join(dir, 'cam', '000000000000006-snapshot.jpg.tmp'), KB);
  before.save('cam', 'snapshot', 'jpg', 7, KB);
  // The node comes back up: nothing is being written yet, and nothing else would ever delete these.
  const after = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 0 }, now: () => 1000 });
  await after.ready;
  assert.deepEqual(readdirSync(join(dir, 'cam')), ['000000000000007-snapshot.jpg']);
  assert.equal(after.list().length, 1);
});

const MB = 1024 * 1024;

test('with the disk under its free-space reserve, the snapshot just written is kept (older ones go) and the store says the disk is low', () => {
  const dir = folder();
  // 300 MB free, 500 MB wanted (the default minFreeMB), whatever is deleted.
  const store = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 500 * MB }, now: () => 1000, freeBytes: () => 300 * MB });
  const older = store.save('yard', 'snapshot', 'jpg', 1, KB);
  assert.ok(existsSync(older.path), 'the snapshot just written is there');
  const [snap, thumb] = store.saveAll('yard', 2, [
    { kind: 'snapshot', ext: 'jpg', bytes: KB },
    { kind: 'thumb', ext: 'jpg', bytes: KB },
  ]);
  assert.ok(existsSync(snap!.path), 'the snapshot a motion event names is there');
  assert.ok(existsSync(thumb!.path), 'and its thumbnail');
  assert.equal(existsSync(older.path), false, 'the older one went to make room');
  assert.deepEqual(store.list().map((f) => f.name), [snap!.name, thumb!.name]);
  assert.deepEqual(store.lowDisk, { freeBytes: 300 * MB, minFreeBytes: 500 * MB });
});

test('a camera on a disk under its reserve keeps the snapshot its motion event names, and says the disk is nearly full', { timeout: 10_000 }, async () => {
  const dir = folder();
  let free = 300 * MB;
  const media = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 500 * MB }, freeBytes: () => free });
  await media.ready;
  const motion = async (): Promise<unknown> => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.2, box: { x: 0, y: 0, w: 0.5, h: 0.5 } }], changed: 0.2, lighting: false }, ms: 0, thumbnail: new Uint8Array(500).fill(1), snapshot: new Uint8Array(4000).fill(2) });
  const worker = async () => ({ opencv: 'stub', pid: -1, busy: false, process: motion, close: async () => {} }) as unknown as MotionWorker;
  const source = new SyntheticSource({ width: 16, height: 16, channels: 1, fps: 5, frames: 2, startMs: 1_000_000 }, 'yard', 0);
  const camera = new Camera({ config: { id: 'yard', name: 'Yard', source: 'synthetic:quiet', width: 16, height: 16, fps: 5, upload: false, zones: [] }, source, motion: DEFAULT_MOTION, cooldownMs: 0, media, snapshots: true, startWorker: worker });
  const events: MotionEvent[] = [];
  const states: CameraState[] = [];
  camera.on('motion', (e) => events.push(e));
  camera.on('state', (s) => states.push(s));
  const ended = new Promise<void>((r) => camera.on('state', (s) => s.state === 'ended' && r()));
  await camera.start();
  await ended;
  await camera.stop();
  assert.equal(events.length, 2);
  const [first, last] = events;
  assert.ok(existsSync(join(dir, 'yard', last!.snapshot!)), `${last!.snapshot}, which the newest event names, is on the disk`);
  assert.equal(existsSync(join(dir, 'yard', first!.snapshot!)), false, 'the older one went to make room');
  const full = [...states].reverse().find((s) => s.problem?.code === 'cctv.disk_full');
  assert.ok(full, 'the camera says so');
  assert.equal(full.state, 'live', 'and still watches');
  assert.deepEqual(full.problem!.params, { freeMB: 300, minFreeMB: 500 });
  assert.match(full.reason ?? '', /disk is nearly full/);
  // Room again: the next event clears it.
  free = 900 * MB;
  media.save('yard', 'snapshot', 'jpg', 2_000_000, KB);
  assert.equal(media.lowDisk, null);
});

test('the files kept are counted as they are written and deleted; a rescan finds what changed by hand, off the event loop', async () => {
  const dir = folder();
  // An earlier run's files: 3 of 1 KiB.
  mkdirSync(join(dir, 'gate'));
  for (const ts of [1, 2, 3]) writeFileSync(join(dir, 'gate', `${String(ts).padStart(15, '0')}-snapshot.jpg`), KB);
  const store = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 4 * 1024, minFreeBytes: 0 }, now: () => 1000 });
  await store.ready;
  assert.deepEqual(store.list().map((f) => f.ts), [1, 2, 3], 'what the earlier run kept counts');
  store.save('gate', 'snapshot', 'jpg', 4, KB);
  store.save('gate', 'snapshot', 'jpg', 5, KB);
  assert.deepEqual(store.list().map((f) => f.ts), [2, 3, 4, 5], 'over 4 KiB: the oldest went');
  // Someone deletes one by hand and copies a large one in; the next rescan (the timer's) counts them.
  unlinkSync(join(dir, 'gate', '000000000000002-snapshot.jpg'));
  writeFileSync(join(dir, 'gate', '000000000000001-clip.mp4'), new Uint8Array(3 * 1024));
  let turned = false;
  setImmediate(() => (turned = true));
  const reading = store.rescan();
  // A save while the folder is being read is neither lost nor counted twice.
  store.save('gate', 'snapshot', 'jpg', 6, KB);
  await reading;
  assert.ok(turned, 'the event loop went on while the folder was read');
  assert.deepEqual(store.list().map((f) => `${f.ts}-${f.name.split('-')[1]}`), ['1-clip.mp4', '3-snapshot.jpg', '4-snapshot.jpg', '5-snapshot.jpg', '6-snapshot.jpg']);
  store.enforce();
  const onDisk = readdirSync(join(dir, 'gate')).sort();
  assert.deepEqual(store.list().map((f) => f.name), onDisk, 'the count is the folder');
  assert.deepEqual(onDisk, [3, 4, 5, 6].map((ts) => `${String(ts).padStart(15, '0')}-snapshot.jpg`), 'the large one copied in was the oldest: it went');
  assert.ok(onDisk.reduce((n, name) => n + statSync(join(dir, 'gate', name)).size, 0) <= 4 * 1024, 'and the media is within its limit');
});

test("the minute's run (nothing just written) under the reserve keeps each camera's newest snapshot and thumbnail; only their age takes them", async () => {
  const dir = folder();
  let now = 10 * DAY;
  const store = new MediaStore({ dir, limits: { maxAgeMs: 7 * DAY, maxBytes: 1e12, minFreeBytes: 500 * MB }, now: () => now, freeBytes: () => 300 * MB });
  await store.ready;
  const moment = (camera: string, ts: number) =>
    store.saveAll(camera, ts, [
      { kind: 'snapshot', ext: 'jpg', bytes: KB },
      { kind: 'thumb', ext: 'jpg', bytes: KB },
    ]);
  const yardOld = moment('yard', 9 * DAY + 1);
  const gate = moment('gate', 9 * DAY + 2);
  const yard = moment('yard', 9 * DAY + 3);
  assert.ok(gate.every((f) => existsSync(f.path)), "another camera's write does not take the gate's latest evidence");
  assert.ok(yardOld.every((f) => !existsSync(f.path)), "the yard's older event went to make room");
  // What the timer does every minute: read the folder, apply the limits with nothing just written.
  await store.rescan();
  assert.deepEqual(store.enforce(), []);
  for (const f of [...gate, ...yard]) assert.ok(existsSync(f.path), `${f.camera}/${f.name}, which its camera's latest event names, is kept`);
  assert.deepEqual(store.lowDisk, { freeBytes: 300 * MB, minFreeBytes: 500 * MB }, 'and the disk is still said to be low');
  // Past retentionDays they go like any other (the age limit is a promise about privacy).
  now = 9 * DAY + 3 + 7 * DAY + 1;
  assert.equal(store.enforce().length, 4);
  assert.equal(store.list().length, 0);
});

test("a service on a disk under its reserve: the minute's retention keeps the snapshot the motion event names, the camera says cctv.disk_full until there is room", { timeout: 20_000 }, async (t) => {
  const dir = folder();
  const { CctvService } = await import('../src/cctv-service.ts');
  const { readSettings } = await import('../src/cctv-settings.ts');
  // An earlier run's snapshot, an hour old.
  mkdirSync(join(dir, 'yard'));
  const earlier = join(dir, 'yard', `${String(Date.now() - 3_600_000).padStart(15, '0')}-snapshot.jpg`);
  writeFileSync(earlier, KB);
  let free = 300 * MB;
  const settings = readSettings({ cameras: [{ id: 'yard', source: 'synthetic:quiet', width: 16, height: 16, fps: 5 }], clipSeconds: 0, minFreeMB: 500, mediaDir: dir });
  const motion = async (): Promise<unknown> => ({ type: 'result', id: 0, detection: { regions: [{ zone: 'frame', area: 0.2, box: { x: 0, y: 0, w: 0.5, h: 0.5 } }], changed: 0.2, lighting: false }, ms: 0, thumbnail: new Uint8Array(500).fill(1), snapshot: new Uint8Array(4000).fill(2) });
  const worker = async () => ({ opencv: 'stub', pid: -1, busy: false, process: motion, close: async () => {} }) as unknown as MotionWorker;
  // A camera that stays live: motion on every frame, one event (the cool-down), frames until stopped.
  const service = new CctvService({ settings, dataDir: dir, startWorker: worker, freeBytes: () => free, sourceFor: (c) => new SyntheticSource({ width: 16, height: 16, channels: 1, fps: c.fps, frames: Number.MAX_SAFE_INTEGER, startMs: Date.now() }, c.id, 50) });
  t.after(() => service.stop());
  const event = new Promise<MotionEvent>((r) => service.once('motion', (e) => r(e)));
  await service.start();
  const e = await event;
  const snapshot = join(dir, 'yard', e.snapshot!);
  const thumb = snapshot.replace('-snapshot.', '-thumb.');
  assert.ok(existsSync(snapshot) && existsSync(thumb));
  await service.retain();
  assert.ok(existsSync(snapshot), `${e.snapshot}, which the motion event names, is still on the disk after the minute's retention`);
  assert.ok(existsSync(thumb), 'and its thumbnail');
  assert.equal(existsSync(earlier), false, 'the older snapshot went');
  const yard = () => service.status().cameras[0]!;
  assert.equal(yard().state, 'live');
  assert.equal(yard().problem?.code, 'cctv.disk_full', 'the camera says the disk is nearly full');
  await service.retain();
  assert.ok(existsSync(snapshot), 'minute after minute');
  assert.equal(yard().problem?.code, 'cctv.disk_full');
  // Room again (something else freed the disk): the next minute clears it, no new event needed.
  free = 900 * MB;
  await service.retain();
  assert.equal(yard().problem, null);
  assert.equal(yard().state, 'live');
  assert.ok(existsSync(snapshot));
});

test('a file deleted by hand leaves the index when retention finds it gone, and is not counted as deleted by retention', () => {
  const dir = folder();
  const store = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 3 * 1024, minFreeBytes: 0 }, now: () => 1000 });
  const [first] = [1, 2, 3].map((ts) => store.save('gate', 'snapshot', 'jpg', ts, KB));
  unlinkSync(first!.path);
  store.save('gate', 'snapshot', 'jpg', 4, KB);
  assert.deepEqual(store.list().map((f) => f.ts), [2, 3, 4], 'what is on the disk, within the limit: nothing else deleted');
  assert.deepEqual(readdirSync(join(dir, 'gate')).sort(), store.list().map((f) => f.name));
  assert.equal(store.deleted, 0, 'retention deleted nothing (the status says mediaDeleted 0)');
});
