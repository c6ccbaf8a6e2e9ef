// A node that restarts keeps refusing recordings of frames it took before: its router saves what it
// accepted (replaySnapshot) and the next run starts from it (RouterOptions.replayState).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BROADCAST, frameSender } from '../src/frame/header.ts';
import { encodeReplaySnapshot, parseReplaySnapshot } from '../src/routing/replay-snapshot.ts';
import { EVE, network } from './support/eve-network.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;

test('a router restarted from its snapshot refuses a recorded frame and takes the sender’s next one', () => {
  // A – B – C in a line; Eve sits by B, records what B hears and plays it back.
  const net = network([[A, B], [B, C], [EVE, B]]);
  const a = net.add(A);
  const before = net.add(B);
  net.add(C);
  a.send(BROADCAST, { text: 'water at the school' });
  net.scheduler.runUntil(net.scheduler.now() + 30_000);
  assert.equal(net.deliveries.get(B)!.length, 1);
  const recording = net.captured.find((f) => frameSender(f) === A)!;
  assert.ok(recording, 'Eve recorded A’s frame');

  // B restarts (a reboot): a new router on the same id, given what the old one saved, through its bytes.
  const saved = parseReplaySnapshot(encodeReplaySnapshot(before.replaySnapshot()));
  assert.ok(saved.ok);
  net.medium.detach(B);
  const after = net.add(B, { replayState: saved.snapshot });
  const heardByC = net.deliveries.get(C)!.length;

  net.inject(recording);
  net.scheduler.runUntil(net.scheduler.now() + 30_000);
  assert.equal(after.stats.dropCount('E_REPLAY'), 1, 'refused as a replay');
  assert.equal(net.deliveries.get(B)!.length, 0, 'not delivered again');
  assert.equal(after.stats.relaysSent, 0, 'not put on air again');
  assert.equal(net.deliveries.get(C)!.length, heardByC);

  a.send(BROADCAST, { text: 'and bread' });
  net.scheduler.runUntil(net.scheduler.now() + 30_000);
  assert.deepEqual(net.deliveries.get(B)!.map((d) => d.data.text), ['and bread'], 'the sender’s next frame arrives');
  assert.equal(after.stats.relaysSent, 1);
});

test('a snapshot saved by another node, or bytes that are not one, are ignored or refused, never thrown', () => {
  const net = network([[A, B], [EVE, B]]);
  const a = net.add(A);
  const b = net.add(B);
  a.send(BROADCAST, { text: 'hello' });
  net.scheduler.runUntil(net.scheduler.now() + 30_000);
  const recording = net.captured.find((f) => frameSender(f) === A)!;
  const bytes = encodeReplaySnapshot(b.replaySnapshot());

  for (const bad of [bytes.subarray(0, bytes.length - 1), Uint8Array.of(...bytes, 0), Uint8Array.of(9, ...bytes.subarray(1)), new Uint8Array(0)]) {
    assert.equal(parseReplaySnapshot(bad).ok, false);
  }
  const parsed = parseReplaySnapshot(bytes);
  assert.ok(parsed.ok);
  // Another node's state says nothing about what this one accepted: it starts empty.
  net.medium.detach(B);
  const other = net.add(B, { replayState: { ...parsed.snapshot, nodeId: C } });
  net.inject(recording);
  net.scheduler.runUntil(net.scheduler.now() + 30_000);
  assert.equal(other.stats.dropCount('E_REPLAY'), 0);
  assert.equal(net.deliveries.get(B)!.length, 1);
});

test('saved replay state read back from a disk: any bytes parse or are refused, never thrown, and what was written reads back the same', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void parseReplaySnapshot(bytes)));
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const state = fc.record({
    nodeId: u32,
    channels: fc.uniqueArray(fc.record({ tag: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')), senders: fc.array(fc.tuple(u32, u32), { maxLength: 20 }) }), { maxLength: 4, selector: (c) => c.tag }),
  });
  fc.assert(
    fc.property(state, (snapshot) => {
      const parsed = parseReplaySnapshot(encodeReplaySnapshot(snapshot));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.snapshot, structuredClone(snapshot)); // a plain copy: fast-check's records have no prototype
    }),
  );
});
