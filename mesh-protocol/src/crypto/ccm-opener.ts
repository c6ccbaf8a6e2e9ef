// Opens AES-256-CCM (13-byte nonce, 8-byte tag; RFC 3610 / NIST SP 800-38C) with one key schedule
// made once per key. Node's own CCM needs a new decipher per frame, which cost a router more than
// everything else it does with a frame; here a frame costs about a dozen AES blocks and no
// allocation but the plaintext it returns.

import { Aes256Block } from './aes256-block.ts';

const BLOCK = 16;
export const CCM_NONCE_SIZE = 13;
export const CCM_TAG_SIZE = 8;
// L = 15 - nonce size = 2 bytes of length/counter; M = 8 bytes of tag.
const L = 15 - CCM_NONCE_SIZE;
const B0_FLAGS = (((CCM_TAG_SIZE - 2) / 2) << 3) | (L - 1);
const ADATA = 0x40;
const MAX_MESSAGE = 0xffff;
const MAX_AAD = 0xff00 - 1;

export class CcmOpener {
  private readonly aes: Aes256Block;
  private readonly counter = new Uint8Array(BLOCK);
  private readonly stream = new Uint8Array(BLOCK);
  /** S_0, the keystream block that masks the tag. */
  private readonly tagMask = new Uint8Array(BLOCK);
  private readonly mac = new Uint8Array(BLOCK);

  /** Throws RangeError unless `key` is 32 bytes. */
  constructor(key: Uint8Array) {
    this.aes = new Aes256Block(key);
  }

  /**
   * The plaintext of the `n` bytes of ciphertext at `sealed[start]` if the tag that follows them
   * (CCM's own layout, and a frame's) authenticates them with `nonce` and `aad`, else undefined.
   * Offsets, not views: a router opens every frame it hears, and two views into it per frame cost
   * more than a block of AES.
   */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, start: number, n: number): Uint8Array | undefined {
    const tagStart = start + n;
    if (nonce.length !== CCM_NONCE_SIZE || start < 0 || n < 0 || tagStart + CCM_TAG_SIZE > sealed.length || n > MAX_MESSAGE || aad.length > MAX_AAD) return undefined;
    const { aes, counter, stream, mac } = this;
    const plain = new Uint8Array(n);

    // CTR: A_i = flags (L-1), nonce, i (big-endian); S_0 masks the tag, S_1.. the data.
    counter[0] = L - 1;
    counter.set(nonce, 1);
    counter[14] = 0;
    counter[15] = 0;
    aes.encrypt(counter, 0, this.tagMask, 0);
    for (let off = 0, i = 1; off < n; off += BLOCK, i++) {
      counter[14] = (i >>> 8) & 0xff;
      counter[15] = i & 0xff;
      aes.encrypt(counter, 0, stream, 0);
      const end = Math.min(BLOCK, n - off);
      for (let j = 0; j < end; j++) plain[off + j] = sealed[start + off + j]! ^ stream[j]!;
    }

    // CBC-MAC over B_0, the AAD with its 2-byte length (zero-padded), the plaintext (zero-padded).
    mac[0] = B0_FLAGS | (aad.length > 0 ? ADATA : 0);
    mac.set(nonce, 1);
    mac[14] = (n >>> 8) & 0xff;
    mac[15] = n & 0xff;
    aes.encrypt(mac, 0, mac, 0);
    if (aad.length > 0) {
      mac[0]! ^= (aad.length >>> 8) & 0xff;
      mac[1]! ^= aad.length & 0xff;
      let pos = 2;
      for (let i = 0; i < aad.length; i++) {
        mac[pos]! ^= aad[i]!;
        if (++pos === BLOCK) {
          aes.encrypt(mac, 0, mac, 0);
          pos = 0;
        }
      }
      if (pos !== 0) aes.encrypt(mac, 0, mac, 0);
    }
    for (let off = 0; off < n; off += BLOCK) {
      const end = Math.min(BLOCK, n - off);
      for (let j = 0; j < end; j++) mac[j]! ^= plain[off + j]!;
      aes.encrypt(mac, 0, mac, 0);
    }

    // Compare every byte whatever the first mismatch, so timing says nothing about the tag.
    let diff = 0;
    for (let i = 0; i < CCM_TAG_SIZE; i++) diff |= mac[i]! ^ this.tagMask[i]! ^ sealed[tagStart + i]!;
    return diff === 0 ? plain : undefined;
  }
}
