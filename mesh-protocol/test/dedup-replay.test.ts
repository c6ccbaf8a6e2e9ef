// The two memories that keep a flood from being delivered twice: the (sender, id) dedup cache,
// bounded in entries and age, and the per-sender anti-replay window over the frame counter.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { DedupCache } from '../src/routing/dedup-cache.ts';
import { REPLAY_WINDOW, ReplayWindow } from '../src/routing/replay-window.ts';

test('dedup cache remembers a frame it has seen and tells frames apart by sender and id', () => {
  const cache = new DedupCache<string>({ capacity: 8, ttlMs: 1000 });
  cache.add(0x1234, 7, 'first', 0);
  assert.equal(cache.get(0x1234, 7, 10), 'first');
  assert.equal(cache.get(0x1234, 8, 10), undefined, 'same sender, other id');
  assert.equal(cache.get(0x1235, 7, 10), undefined, 'same id, other sender');
  // Node numbers and ids are u32: the high bit must not alias a negative number or another key.
  cache.add(0xffff_fffe, 0x8000_0001, 'high', 0);
  assert.equal(cache.get(0xffff_fffe, 0x8000_0001, 10), 'high');
  assert.equal(cache.get(0x7fff_fffe, 0x8000_0001, 10), undefined);
});

test('dedup cache holds at most `capacity` entries and forgets the oldest first', () => {
  const cache = new DedupCache<number>({ capacity: 100, ttlMs: 1_000_000 });
  for (let i = 1; i <= 250; i++) {
    cache.add(1, i, i, i);
    assert.ok(cache.size <= 100, `size ${cache.size} after ${i} adds`);
  }
  assert.equal(cache.size, 100);
  const now = 300;
  for (let i = 1; i <= 150; i++) assert.equal(cache.get(1, i, now), undefined, `id ${i} should have been evicted`);
  for (let i = 151; i <= 250; i++) assert.equal(cache.get(1, i, now), i, `id ${i} should still be remembered`);
});

test('dedup cache: re-adding an entry makes it the newest, so it outlives entries added after it first', () => {
  const cache = new DedupCache<string>({ capacity: 3, ttlMs: 1_000_000 });
  cache.add(1, 1, 'a', 0);
  cache.add(1, 2, 'b', 1);
  cache.add(1, 3, 'c', 2);
  cache.add(1, 1, 'a2', 3); // refreshed
  cache.add(1, 4, 'd', 4); // evicts the oldest, which is now id 2
  assert.equal(cache.size, 3);
  assert.equal(cache.get(1, 2, 5), undefined);
  assert.equal(cache.get(1, 1, 5), 'a2');
  assert.equal(cache.get(1, 3, 5), 'c');
  assert.equal(cache.get(1, 4, 5), 'd');
});

test('dedup cache forgets entries older than ttlMs, and drops them from memory on the next add', () => {
  const cache = new DedupCache<string>({ capacity: 1000, ttlMs: 5_000 });
  for (let i = 1; i <= 10; i++) cache.add(9, i, `v${i}`, i * 100);
  assert.equal(cache.get(9, 1, 5_100), 'v1', 'exactly ttl old is still remembered');
  assert.equal(cache.get(9, 1, 5_101), undefined, 'just past ttl is forgotten');
  assert.equal(cache.get(9, 10, 5_101), 'v10');
  // An add at t = 5_550 drops everything added before t = 550: ids 1..5.
  cache.add(9, 11, 'v11', 5_550);
  assert.equal(cache.size, 6, 'ids 1..5 expired, 6..11 remain');
  assert.equal(cache.get(9, 6, 5_550), 'v6');
  assert.equal(cache.get(9, 5, 5_550), undefined);
  // Much later, one add clears every expired entry.
  cache.add(9, 12, 'v12', 1_000_000);
  assert.equal(cache.size, 1);
});

test('dedup cache refuses a capacity below 1 or a non-positive ttl', () => {
  assert.throws(() => new DedupCache({ capacity: 0 }), RangeError);
  assert.throws(() => new DedupCache({ ttlMs: 0 }), RangeError);
  assert.throws(() => new DedupCache({ capacity: Number.NaN }), RangeError);
});

/** Accepts `counter` if fresh, as the router does; returns whether it was accepted. */
function offer(w: ReplayWindow, from: number, counter: number): boolean {
  if (!w.isFresh(from, counter)) return false;
  w.accept(from, counter);
  return true;
}

test('replay window accepts counters in order and refuses each one a second time', () => {
  const w = new ReplayWindow();
  for (let c = 1; c <= 200; c++) assert.equal(offer(w, 0xa, c), true, `first ${c}`);
  for (let c = 200 - REPLAY_WINDOW + 1; c <= 200; c++) assert.equal(offer(w, 0xa, c), false, `repeat ${c}`);
  // A different sender with the same counters is independent.
  assert.equal(offer(w, 0xb, 150), true);
});

test('replay window accepts out-of-order counters within 64 of the newest, exactly once', () => {
  const w = new ReplayWindow();
  assert.equal(offer(w, 1, 100), true);
  // Late arrivals across both halves of the 64-bit map: ages 1, 31, 32, 33, 63.
  for (const c of [99, 69, 68, 67, 37]) assert.equal(offer(w, 1, c), true, `late ${c}`);
  for (const c of [100, 99, 69, 68, 67, 37]) assert.equal(offer(w, 1, c), false, `replayed ${c}`);
  // Counters never seen but still inside the window remain acceptable.
  for (const c of [98, 70, 66, 38]) assert.equal(w.isFresh(1, c), true, `unseen ${c}`);
  // Age 64 and beyond cannot be judged any more and are refused.
  assert.equal(offer(w, 1, 36), false, 'age 64');
  assert.equal(offer(w, 1, 1), false, 'far too old');
});

test('replay window keeps its memory correct across jumps of every size', () => {
  for (const jump of [1, 5, 31, 32, 33, 40, 63, 64, 65, 1000, 0x7fff_ffff]) {
    const w = new ReplayWindow();
    // Seen: 10 and 12; unseen: 11.
    offer(w, 1, 10);
    offer(w, 1, 12);
    const top = 12 + jump;
    assert.equal(offer(w, 1, top), true, `jump ${jump}`);
    // A counter seen before the jump is never accepted again, whether the window still covers it or not.
    assert.equal(w.isFresh(1, 10), false, `10 after jump ${jump}`);
    assert.equal(w.isFresh(1, 12), false, `12 after jump ${jump}`);
    // An unseen counter is fresh only while it is inside the window.
    assert.equal(w.isFresh(1, 11), top - 11 < REPLAY_WINDOW, `11 after jump ${jump}`);
    assert.equal(w.isFresh(1, top), false);
    assert.equal(w.isFresh(1, top - 1), jump > 1, 'the counter just below the new top is unseen unless it was 12');
  }
});

test('replay window handles the largest u32 counter', () => {
  const w = new ReplayWindow();
  assert.equal(offer(w, 5, 0xffff_fff0), true);
  assert.equal(offer(w, 5, 0xffff_ffff), true);
  assert.equal(offer(w, 5, 0xffff_ffff), false);
  assert.equal(offer(w, 5, 0xffff_fff0), false);
  assert.equal(offer(w, 5, 0xffff_fff5), true);
});

test('replay window tracks a bounded number of senders and forgets the least recently heard', () => {
  const w = new ReplayWindow(16);
  for (let s = 1; s <= 40; s++) {
    offer(w, s, 1000);
    assert.ok(w.size <= 16, `size ${w.size}`);
  }
  assert.equal(w.size, 16);
  // Senders 25..40 are remembered: their counter 1000 is a replay.
  for (let s = 25; s <= 40; s++) assert.equal(w.isFresh(s, 1000), false, `sender ${s}`);
  // Hearing sender 25 again makes it the most recent, so the next newcomer evicts 26 instead.
  offer(w, 25, 1001);
  offer(w, 41, 1);
  assert.equal(w.isFresh(25, 1000), false);
  assert.equal(w.isFresh(26, 1000), true, 'sender 26 was forgotten');
});

test('replay window never forgets a sender it keeps hearing, however many newcomers pass through', () => {
  const w = new ReplayWindow(16);
  let counter = 1;
  for (let s = 100; s < 600; s++) {
    offer(w, s, 1);
    if (s % 5 === 0) assert.equal(offer(w, 1, counter++), true);
    assert.ok(w.size <= 16, `size ${w.size}`);
  }
  assert.equal(w.isFresh(1, counter - 1), false, 'sender 1 is still remembered: its last counter is a replay');
});

test('dedup cache agrees with a plain model under random adds, re-adds and lookups (index deletions never lose an entry)', () => {
  const rng = new SeededRandom(11);
  const cache = new DedupCache<number>({ capacity: 50, ttlMs: 400 });
  // The model: insertion-ordered (re-adding moves to the back), capped at 50, forgetting what is older than the ttl.
  const model = new Map<string, { at: number; v: number }>();
  for (let step = 0; step < 20_000; step++) {
    const now = step;
    // Few senders and ids, so keys repeat and probe runs collide.
    const from = 1 + rng.int(4);
    const id = 1 + rng.int(120);
    const k = `${from}:${id}`;
    if (rng.next() < 0.5) {
      cache.add(from, id, step, now);
      model.delete(k);
      model.set(k, { at: now, v: step });
      for (const [mk, e] of model) {
        if (model.size <= 50 && now - e.at <= 400) break;
        model.delete(mk);
      }
    } else {
      const e = model.get(k);
      assert.equal(cache.get(from, id, now), e && now - e.at <= 400 ? e.v : undefined, `step ${step} ${k}`);
    }
    assert.ok(cache.size <= 50);
  }
});
