// Copies of a frame already heard are dropped from their header and sealed bytes alone (no
// decryption): they still count as duplicates, still cancel a waiting relay, and a forged copy
// that only reuses a real frame's sender and id is refused as a forgery and silences nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { encodeFrame } from '../src/frame/frame-codec.ts';
import { BROADCAST, relayCopy } from '../src/frame/header.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import type { RadioListener } from '../src/phy/radio.ts';
import { ManagedFloodPolicy } from '../src/routing/managed-flood-policy.ts';
import { MeshRouter } from '../src/routing/router.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const ORIGIN = 0x2001;

function node(): { router: MeshRouter; hear: (bytes: Uint8Array) => void; scheduler: SimScheduler; sent: Uint8Array[] } {
  let listener: RadioListener | undefined;
  const sent: Uint8Array[] = [];
  const scheduler = new SimScheduler();
  const router = new MeshRouter({
    nodeId: 0x1,
    radio: {
      params: loraParams(),
      attach: (l) => (listener = l),
      transmit: (bytes) => (sent.push(bytes), scheduler.schedule(1, () => listener!.onTransmitDone(true))),
      isChannelBusy: () => false,
    },
    scheduler,
    random: new SeededRandom(1),
    channels: new ChannelSet([DEFAULT_CHANNEL]),
    policy: new ManagedFloodPolicy(),
  });
  return { router, scheduler, sent, hear: (bytes) => listener!.onReceive({ bytes, rssi: -100, snr: 0 }) };
}

const frame = encodeFrame(
  { to: BROADCAST, from: ORIGIN, id: 77, hopLimit: 3, hopStart: 3, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: ORIGIN & 0xff, counter: 5 },
  { text: 'help is on the way' },
  DEFAULT_CHANNEL,
);

test('relayed copies of a frame are delivered once and counted as duplicates; one cancels our waiting relay', () => {
  const { router, hear, scheduler, sent } = node();
  const delivered: string[] = [];
  router.on('deliver', (d) => delivered.push(d.data.text ?? ''));
  hear(frame);
  hear(relayCopy(frame, { hopLimit: 2, relayNode: 0x42 }));
  hear(relayCopy(frame, { hopLimit: 1, relayNode: 0x43 }));
  scheduler.runUntilIdle();
  assert.deepEqual(delivered, ['help is on the way']);
  assert.equal(router.stats.dropCount('duplicate'), 2);
  assert.equal(router.stats.relaysCancelled, 1, 'a genuine copy overheard cancels the managed-flood relay');
  assert.equal(sent.length, 0);
});

test('a copy that reuses a heard frame\'s sender and id but not its sealed bytes is a forgery: refused, and our relay still goes out', () => {
  for (const where of [20, frame.length - 1, 16]) {
    const { router, hear, scheduler, sent } = node();
    hear(frame);
    const forged = frame.slice();
    forged[where]! ^= 0x01;
    hear(forged);
    scheduler.runUntilIdle();
    assert.equal(router.stats.dropCount('duplicate'), 0, `byte ${where}`);
    assert.equal(router.stats.dropCount('E_AUTH_FAILED'), 1, `byte ${where}`);
    assert.equal(router.stats.relaysCancelled, 0, `byte ${where}: a forged copy must not silence the relay`);
    assert.equal(sent.length, 1, `byte ${where}: the relay went on air`);
  }
});

test('a copy with a header no receiver accepts is refused with its code, whatever the dedup cache holds', () => {
  const { router, hear } = node();
  hear(frame);
  const bad = frame.slice();
  bad[12] = (bad[12]! & ~0x07) | 0x07; // hop limit 7 above hop start 3 (hop limit is not authenticated)
  hear(bad);
  assert.equal(router.stats.dropCount('duplicate'), 0);
  assert.equal(router.stats.dropCount('E_BAD_HEADER'), 1);
});

test('a radio that reads every frame into the same buffer cannot make a forged frame pass as a copy', () => {
  const { router, hear, scheduler, sent } = node();
  const buffer = frame.slice();
  hear(buffer);
  // The next frame arrives in the same buffer: same sender and id, tampered ciphertext.
  buffer[24]! ^= 0xff;
  hear(buffer);
  scheduler.runUntilIdle();
  assert.equal(router.stats.dropCount('duplicate'), 0);
  assert.equal(router.stats.dropCount('E_AUTH_FAILED'), 1);
  assert.equal(sent.length, 1, 'our relay still went out');
});
