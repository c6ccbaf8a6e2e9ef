// Seals and opens frames with AES-256-CCM (8-byte tag) under a channel key; runs once per frame
// sent or heard, so it reuses its scratch buffers and never derives keys.
//
// Nonce = from (u32 LE) ‖ id (u32 LE) ‖ counter (u32 LE) ‖ 0x00. CCM breaks badly if a nonce
// repeats under one key (keystream reuse exposes plaintext XORs and enables forgeries), and every
// node on a channel shares its key, so uniqueness rests on each sender's (from, counter) pair:
// the router/firmware must keep `counter` strictly increasing per node number, persisted across
// reboots (e.g. reserve a block ahead in flash), and two devices must never share a node number.
// At LoRa rates 2^32 counter values last for decades. Relays never re-encrypt (relayCopy patches
// only unauthenticated bytes), and retransmitting the very same sealed frame repeats nothing new.

import { createCipheriv, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { MeshError } from '../core/mesh-error.ts';
import { CcmOpener } from './ccm-opener.ts';
import type { ChannelKey, ChannelSet } from './channel-key.ts';
import {
  AAD_SIZE,
  FRAME_OVERHEAD,
  HEADER_SIZE,
  MAX_DATA_BYTES,
  TAG_SIZE,
  associatedData,
  readHeader,
  writeHeader,
} from '../frame/header.ts';
import type { FrameHeader } from '../frame/header.ts';

const ALGORITHM = 'aes-256-ccm';
const NONCE_SIZE = 13;

// Safe to share: node:crypto copies nonce and AAD into its own context synchronously.
const nonceScratch = new Uint8Array(NONCE_SIZE);
const aadScratch = new Uint8Array(AAD_SIZE);

// Importing raw key bytes into a KeyObject once per channel instead of once per frame.
const keyObjects = new WeakMap<ChannelKey, KeyObject>();

// Opening runs once per frame heard: one reusable CCM context per channel (ccm-opener.ts).
const openers = new WeakMap<ChannelKey, CcmOpener>();

function keyObject(channel: ChannelKey): KeyObject {
  let k = keyObjects.get(channel);
  if (!k) {
    if (channel.key.length !== 32) throw new MeshError('E_BAD_ARGUMENT', `channel "${channel.name}": key must be 32 bytes`);
    k = createSecretKey(channel.key);
    keyObjects.set(channel, k);
  }
  return k;
}

function nonceFor(frame: Uint8Array): Uint8Array {
  // from, id (bytes 4..11) and counter (16..19) are already little-endian in the header.
  for (let i = 0; i < 8; i++) nonceScratch[i] = frame[4 + i]!;
  for (let i = 0; i < 4; i++) nonceScratch[8 + i] = frame[16 + i]!;
  nonceScratch[12] = 0;
  return nonceScratch;
}

/** Refuses a plaintext that cannot fit one frame (E_PAYLOAD_TOO_LARGE), before anything is queued. */
export function checkPayloadSize(plaintext: Uint8Array): void {
  if (plaintext.length > MAX_DATA_BYTES) {
    throw new MeshError('E_PAYLOAD_TOO_LARGE', `payload of ${plaintext.length} bytes exceeds ${MAX_DATA_BYTES}`);
  }
}

/**
 * Builds a complete frame. The channel decides the channel hash. Plaintext longer than
 * MAX_DATA_BYTES is refused with E_PAYLOAD_TOO_LARGE, never truncated.
 */
export function sealFrame(header: Omit<FrameHeader, 'channelHash'>, plaintext: Uint8Array, channel: ChannelKey): Uint8Array {
  checkPayloadSize(plaintext);
  const n = plaintext.length;
  const frame = new Uint8Array(FRAME_OVERHEAD + n);
  writeHeader({ ...header, channelHash: channel.hash }, frame);
  const cipher = createCipheriv(ALGORITHM, keyObject(channel), nonceFor(frame), { authTagLength: TAG_SIZE });
  cipher.setAAD(associatedData(frame, aadScratch), { plaintextLength: n });
  frame.set(cipher.update(plaintext), HEADER_SIZE);
  cipher.final();
  frame.set(cipher.getAuthTag(), HEADER_SIZE + n);
  return frame;
}

export interface OpenedFrame {
  header: FrameHeader;
  plaintext: Uint8Array;
  channel: ChannelKey;
}

/**
 * Authenticates and decrypts a frame heard on air. Throws MeshError E_FRAME_TOO_LARGE,
 * E_FRAME_TOO_SHORT, E_BAD_HEADER, E_UNKNOWN_CHANNEL (no channel has its hash) or
 * E_AUTH_FAILED (channels with that hash exist but none authenticates it).
 */
export function openFrame(frame: Uint8Array, channels: ChannelSet): OpenedFrame {
  const header = readHeader(frame);
  const candidates = channels.candidates(header.channelHash);
  if (candidates.length === 0) {
    throw new MeshError('E_UNKNOWN_CHANNEL', `no channel with hash 0x${header.channelHash.toString(16).padStart(2, '0')}`);
  }
  const n = frame.length - FRAME_OVERHEAD;
  const aad = associatedData(frame, aadScratch);
  const nonce = nonceFor(frame);
  for (const channel of candidates) {
    const plaintext = openerFor(channel).open(nonce, aad, frame, HEADER_SIZE, n);
    if (plaintext) return { header, plaintext, channel };
  }
  throw new MeshError('E_AUTH_FAILED', `frame ${header.from.toString(16)}/${header.id.toString(16)} did not authenticate`);
}

function openerFor(channel: ChannelKey): CcmOpener {
  let opener = openers.get(channel);
  if (!opener) {
    keyObject(channel); // refuses a key that is not 32 bytes, with the channel's name
    opener = new CcmOpener(channel.key);
    openers.set(channel, opener);
  }
  return opener;
}
