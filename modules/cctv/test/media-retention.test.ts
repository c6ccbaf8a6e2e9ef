// Media retention on a real folder: by age, by total size and by free disk space, always the
// oldest first; unfinished clips are left alone; and snapshots are named so time order is file order.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MediaStore } from '../src/media/media-store.ts';

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

test('a clip or snapshot left half-written by a crash (a power cut) is removed when the store opens again', () => {
  const dir = folder();
  const before = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 0 }, now: () => 1000 });
  const r = before.reserve('cam', 'clip', 'mp4', 5);
  writeFileSync(r.partial, KB);
  writeFileSync(join(dir, 'cam', '000000000000006-snapshot.jpg.tmp'), KB);
  before.save('cam', 'snapshot', 'jpg', 7, KB);
  // The node comes back up: nothing is being written yet, and nothing else would ever delete these.
  const after = new MediaStore({ dir, limits: { maxAgeMs: 1e12, maxBytes: 1e12, minFreeBytes: 0 }, now: () => 1000 });
  assert.deepEqual(readdirSync(join(dir, 'cam')), ['000000000000007-snapshot.jpg']);
  assert.equal(after.list().length, 1);
});
