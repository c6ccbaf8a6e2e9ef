// Channel crypto: any change to authenticated bytes is caught, relays' changes are not, and the
// key derivation and frame bytes stay exactly as deployed devices expect.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshError } from '../src/core/mesh-error.ts';
import type { MeshErrorCode } from '../src/core/mesh-error.ts';
import { ChannelSet, DEFAULT_CHANNEL, deriveChannelKey } from '../src/crypto/channel-key.ts';
import type { ChannelKey } from '../src/crypto/channel-key.ts';
import { openFrame, sealFrame } from '../src/crypto/frame-cipher.ts';
import { FRAME_OVERHEAD, HEADER_SIZE, readHeader, relayCopy } from '../src/frame/header.ts';
import type { FrameHeader } from '../src/frame/header.ts';

// hop_start 7 / hop_limit 3 keeps every single-bit flip of the flags byte a valid header, so
// flips of authenticated bits must fail authentication rather than header validation; from and
// id are at least two bits away from 0 and 0xFFFFFFFF for the same reason.
const HEADER: Omit<FrameHeader, 'channelHash'> = {
  to: 0x0a0b_0c0d,
  from: 0x1234_5678,
  id: 0x0abc_d123,
  hopLimit: 3,
  hopStart: 7,
  wantAck: true,
  viaMqtt: false,
  nextHop: 0,
  relayNode: 0x78,
  counter: 0x0102_0304,
};
const PLAINTEXT = new TextEncoder().encode('Meet at the school yard, bring water');

/** Bits of the flags byte that relays may change (hop_limit, via_mqtt). */
const MUTABLE_FLAG_BITS = 0x07 | 0x10;
const MUTABLE_BYTES = new Set([14, 15]);

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function codeOf(fn: () => unknown): MeshErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof MeshError) return err.code;
    throw err;
  }
}

/** Channels covering all 256 hashes, so a flipped channel-hash byte still reaches the cipher. */
function channelsForEveryHash(): ChannelSet {
  const set = new ChannelSet([DEFAULT_CHANNEL]);
  const psk = Uint8Array.of(9, 9, 9);
  const seen = new Set([DEFAULT_CHANNEL.hash]);
  for (let i = 0; seen.size < 256; i++) {
    const c = deriveChannelKey(`decoy-${i}`, psk);
    if (!seen.has(c.hash)) {
      seen.add(c.hash);
      set.add(c);
    }
  }
  return set;
}

function impostorFor(channel: ChannelKey): ChannelKey {
  for (let i = 0; ; i++) {
    const c = deriveChannelKey(`impostor-${i}`, Uint8Array.of(0xee));
    if (c.hash === channel.hash) return c;
  }
}

test('flipping any authenticated bit (header, counter, ciphertext, tag) fails authentication', () => {
  const frame = sealFrame(HEADER, PLAINTEXT, DEFAULT_CHANNEL);
  const everyHash = channelsForEveryHash();
  const onlyDefault = new ChannelSet([DEFAULT_CHANNEL]);
  let flips = 0;
  for (let byte = 0; byte < frame.length; byte++) {
    if (MUTABLE_BYTES.has(byte)) continue;
    for (let bit = 0; bit < 8; bit++) {
      if (byte === 12 && (MUTABLE_FLAG_BITS & (1 << bit)) !== 0) continue;
      const tampered = frame.slice();
      tampered[byte]! ^= 1 << bit;
      assert.equal(codeOf(() => openFrame(tampered, everyHash)), 'E_AUTH_FAILED', `byte ${byte} bit ${bit}`);
      if (byte === 13) assert.equal(codeOf(() => openFrame(tampered, onlyDefault)), 'E_UNKNOWN_CHANNEL');
      flips++;
    }
  }
  assert.equal(flips, (frame.length - 2) * 8 - 4);
});

test('relays may change hop_limit, via_mqtt, next_hop and relay_node without breaking the frame', () => {
  const frame = sealFrame(HEADER, PLAINTEXT, DEFAULT_CHANNEL);
  const channels = new ChannelSet([DEFAULT_CHANNEL]);
  for (const patch of [
    { hopLimit: 2, relayNode: 0x11 },
    { hopLimit: 0, relayNode: 0xff, nextHop: 0x42, viaMqtt: true },
    { hopLimit: 7, relayNode: 0, nextHop: 0 },
  ]) {
    const copy = relayCopy(frame, patch);
    const opened = openFrame(copy, channels);
    assert.deepEqual(opened.plaintext, PLAINTEXT);
    assert.equal(opened.header.hopLimit, patch.hopLimit);
    assert.equal(opened.header.relayNode, patch.relayNode);
    assert.equal(opened.header.counter, HEADER.counter);
  }
  // The same holds for raw bit flips in those fields, as a relay's firmware might write them.
  for (const [byte, mask] of [[12, 0x07], [12, 0x10], [14, 0xff], [15, 0xff]] as const) {
    const tampered = frame.slice();
    tampered[byte]! ^= mask;
    assert.deepEqual(openFrame(tampered, channels).plaintext, PLAINTEXT);
  }
});

test('a different key with the same 1-byte hash fails authentication; the right key among them still opens', () => {
  const frame = sealFrame(HEADER, PLAINTEXT, DEFAULT_CHANNEL);
  const impostor = impostorFor(DEFAULT_CHANNEL);
  assert.equal(impostor.hash, DEFAULT_CHANNEL.hash);
  assert.notEqual(hex(impostor.key), hex(DEFAULT_CHANNEL.key));
  assert.equal(codeOf(() => openFrame(frame, new ChannelSet([impostor]))), 'E_AUTH_FAILED');
  const both = new ChannelSet([impostor, DEFAULT_CHANNEL]);
  assert.equal(both.candidates(DEFAULT_CHANNEL.hash).length, 2);
  assert.equal(openFrame(frame, both).channel, DEFAULT_CHANNEL);
});

test('a frame for a channel we do not have is E_UNKNOWN_CHANNEL', () => {
  const secret = deriveChannelKey('Rescue', new TextEncoder().encode('k9-unit-7f3a2c'));
  const channels = new ChannelSet([DEFAULT_CHANNEL]);
  assert.notEqual(secret.hash, DEFAULT_CHANNEL.hash);
  assert.equal(codeOf(() => openFrame(sealFrame(HEADER, PLAINTEXT, secret), channels)), 'E_UNKNOWN_CHANNEL');
  assert.equal(codeOf(() => openFrame(sealFrame(HEADER, PLAINTEXT, secret), new ChannelSet())), 'E_UNKNOWN_CHANNEL');
});

test('every truncation is E_FRAME_TOO_SHORT or E_AUTH_FAILED', () => {
  const frame = sealFrame(HEADER, PLAINTEXT, DEFAULT_CHANNEL);
  const channels = new ChannelSet([DEFAULT_CHANNEL]);
  for (let len = 0; len < frame.length; len++) {
    const code = codeOf(() => openFrame(frame.subarray(0, len), channels));
    assert.equal(code, len < FRAME_OVERHEAD ? 'E_FRAME_TOO_SHORT' : 'E_AUTH_FAILED', `length ${len}`);
  }
});

test('an empty plaintext still carries a tag that authenticates', () => {
  const frame = sealFrame(HEADER, new Uint8Array(0), DEFAULT_CHANNEL);
  assert.equal(frame.length, FRAME_OVERHEAD);
  assert.equal(openFrame(frame, new ChannelSet([DEFAULT_CHANNEL])).plaintext.length, 0);
  frame[HEADER_SIZE]! ^= 1;
  assert.equal(codeOf(() => openFrame(frame, new ChannelSet([DEFAULT_CHANNEL]))), 'E_AUTH_FAILED');
});

test('nonces differ with the counter: the same plaintext gives a different ciphertext', () => {
  const a = sealFrame({ ...HEADER, counter: 1 }, PLAINTEXT, DEFAULT_CHANNEL);
  const b = sealFrame({ ...HEADER, counter: 2 }, PLAINTEXT, DEFAULT_CHANNEL);
  const c = sealFrame({ ...HEADER, counter: 1, id: HEADER.id + 1 }, PLAINTEXT, DEFAULT_CHANNEL);
  const body = (f: Uint8Array) => hex(f.subarray(HEADER_SIZE));
  assert.notEqual(body(a), body(b));
  assert.notEqual(body(a), body(c));
  // Sealing is deterministic: a retransmission of the same (from, id, counter) reveals nothing new.
  assert.equal(hex(sealFrame({ ...HEADER, counter: 1 }, PLAINTEXT, DEFAULT_CHANNEL)), hex(a));
});

test('known answer: key derivation, channel hash and frame bytes are stable', () => {
  // Computed once and cross-checked with an independent AES-CCM/HKDF implementation
  // (Python `cryptography`). A change here breaks every deployed node: bump the wire version instead.
  assert.equal(DEFAULT_CHANNEL.name, 'Public');
  assert.equal(hex(DEFAULT_CHANNEL.key), '74f2099455eb6b2648fc4f6cd25fce8736397f0f400ac8d9281287f8ed790f36');
  assert.equal(DEFAULT_CHANNEL.hash, 0xb2);
  const ops = deriveChannelKey('Ops', new TextEncoder().encode('correct horse battery staple'));
  assert.equal(hex(ops.key), '3d88a57d1cfa58c569b9a3c3f7df223d882870d5f6bcec580a1e131b96d1033f');
  assert.equal(ops.hash, 0x31);

  const frame = sealFrame(
    { to: 0xffff_ffff, from: 0x1234_5678, id: 0x0abc_d123, hopLimit: 3, hopStart: 3, wantAck: true, viaMqtt: false, nextHop: 0, relayNode: 0x78, counter: 1 },
    new TextEncoder().encode('UNIBOS'),
    DEFAULT_CHANNEL,
  );
  assert.equal(hex(frame), 'ffffffff7856341223d1bc0a6bb2007801000000703e408c79f670d30a939aa02fd6');
  assert.equal(new TextDecoder().decode(openFrame(frame, new ChannelSet([DEFAULT_CHANNEL])).plaintext), 'UNIBOS');
});

test('channel keys: empty PSKs and names are refused; name and PSK both change the key', () => {
  assert.equal(codeOf(() => deriveChannelKey('Public', new Uint8Array(0))), 'E_BAD_ARGUMENT');
  assert.equal(codeOf(() => deriveChannelKey('', Uint8Array.of(1))), 'E_BAD_ARGUMENT');
  const psk = Uint8Array.of(1, 2, 3, 4);
  assert.notEqual(hex(deriveChannelKey('A', psk).key), hex(deriveChannelKey('B', psk).key));
  assert.notEqual(hex(deriveChannelKey('A', psk).key), hex(deriveChannelKey('A', Uint8Array.of(1, 2, 3, 5)).key));
  assert.equal(hex(deriveChannelKey('A', psk).key), hex(deriveChannelKey('A', psk).key));
});

test('ChannelSet: lookup by hash, replacement by name, removal', () => {
  const a = deriveChannelKey('A', Uint8Array.of(1));
  const a2 = deriveChannelKey('A', Uint8Array.of(2));
  const set = new ChannelSet([DEFAULT_CHANNEL, a]);
  assert.equal(set.size, 2);
  assert.deepEqual(set.candidates(a.hash).includes(a), true);
  set.add(a2);
  assert.equal(set.size, 2);
  assert.equal(set.get('A'), a2);
  assert.equal(set.candidates(a.hash).includes(a), false);
  assert.ok(set.remove('A'));
  assert.equal(set.remove('A'), false);
  assert.equal(set.candidates(a2.hash).includes(a2), false);
  assert.deepEqual([...set], [DEFAULT_CHANNEL]);
});

test('sealing refuses payloads beyond 222 bytes and headers the receiver would refuse', () => {
  assert.equal(codeOf(() => sealFrame(HEADER, new Uint8Array(223), DEFAULT_CHANNEL)), 'E_PAYLOAD_TOO_LARGE');
  assert.equal(sealFrame(HEADER, new Uint8Array(222), DEFAULT_CHANNEL).length, 250);
  assert.equal(codeOf(() => sealFrame({ ...HEADER, hopLimit: 5, hopStart: 4 }, PLAINTEXT, DEFAULT_CHANNEL)), 'E_BAD_HEADER');
  // The channel, not the caller, decides the hash byte.
  assert.equal(readHeader(sealFrame(HEADER, PLAINTEXT, DEFAULT_CHANNEL)).channelHash, DEFAULT_CHANNEL.hash);
});
