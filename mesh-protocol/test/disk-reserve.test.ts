// DiskReserve: what may still be written above a reserve of free space, measured and estimated in
// between; reached by a measurement, it refuses until one shows room again (with a margin, so a
// disk at the line does not flap), reporting each change once; writes of what is on its way have
// a lower floor; a measurement keeps what was charged while it ran. And availableBytes against df.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { DiskReserve, availableBytes } from '../src/core/disk-reserve.ts';

const MiB = 1024 * 1024;

test('between two measurements it charges what is written, so a burst cannot run past the reserve; only a measurement below it reaches it, and then it holds until there is room again, each change reported once', async () => {
  let free = 10 * MiB;
  const changes: boolean[] = [];
  const reserve = new DiskReserve(8 * MiB, async () => free, (low) => changes.push(low));
  assert.equal(reserve.take(100 * MiB), true, 'nothing refused before the first measurement');
  await reserve.check();
  let written = 0;
  while (reserve.take(256 * 1024)) written++;
  assert.equal(written, 8, '2 MiB of room above the reserve');
  assert.deepEqual(changes, [], 'the estimate refuses, but does not say the disk is full');
  // The store kept less than charged: the next measurement starts over.
  free = 9.5 * MiB;
  await reserve.check();
  assert.equal(reserve.take(256 * 1024), true);
  free = 7.5 * MiB;
  await reserve.check();
  assert.deepEqual(changes, [true], 'measured below the line: reached');
  assert.equal(reserve.low, true);
  assert.equal(reserve.take(1), false, 'reached: even a small write waits');
  // The store's compaction gives a little back: not enough to start again and fill it at once.
  free = 8.5 * MiB;
  await reserve.check();
  assert.equal(reserve.take(1), false);
  assert.deepEqual(changes, [true]);
  free = 9 * MiB;
  await reserve.check();
  assert.deepEqual(changes, [true, false], 'room again: an eighth of the reserve above it');
  assert.equal(reserve.take(1024), true);
});

test('writes of what is on its way have a floor of their own; writes the store makes anyway are charged; a measurement keeps what was charged while it ran', async () => {
  let release: (free: number) => void = () => undefined;
  let free = 7 * MiB;
  const reserve = new DiskReserve(8 * MiB, () => (free > 0 ? Promise.resolve(free) : new Promise<number>((r) => (release = r))));
  await reserve.check();
  assert.equal(reserve.take(MiB), false);
  assert.equal(reserve.take(MiB, 4 * MiB), true, 'a delivery on its way, above the floor');
  reserve.charge(MiB);
  assert.equal(reserve.take(2 * MiB, 4 * MiB), false, 'and not below it');
  free = 0;
  const slow = reserve.check();
  const again = reserve.check();
  reserve.charge(MiB);
  release(9 * MiB);
  assert.equal(await slow, 9 * MiB);
  assert.equal(await again, 9 * MiB, 'one measurement at a time');
  assert.equal(reserve.freeBytes, 8 * MiB, 'the write charged while it measured still counts');
});

test('a measurement that fails refuses nothing until one succeeds; a reserve of 0 refuses nothing', async () => {
  let fails = false;
  const reserve = new DiskReserve(4 * MiB, async () => {
    if (fails) throw new Error('EIO');
    return 5 * MiB;
  });
  await reserve.check();
  assert.equal(reserve.take(2 * MiB), false);
  fails = true;
  await assert.rejects(reserve.check(), /EIO/);
  assert.equal(reserve.freeBytes, null);
  assert.equal(reserve.low, false);
  assert.equal(reserve.take(2 * MiB), true, 'a filesystem that cannot be measured is not taken for a full one');
  const none = new DiskReserve(0, async () => 0);
  await none.check();
  assert.equal(none.take(MiB), true);
});

test('availableBytes is what df reports as available on the same filesystem', async () => {
  const dir = tmpdir();
  const df = Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n')[1]);
  const mine = await availableBytes(dir);
  // Other processes write meanwhile: within 64 MiB.
  assert.ok(Math.abs(mine - df) < 64 * MiB, `statfs ${mine} vs df ${df}`);
});
