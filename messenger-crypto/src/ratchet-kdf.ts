// The key derivations of X3DH and the Double Ratchet, as the Signal specifications define them:
// HKDF-SHA256 with a 32-byte 0xFF prefix for X3DH, HKDF keyed by the root key for the root chain,
// HMAC-SHA256 with constants 0x01 / 0x02 for the symmetric chains, and HKDF from each message key
// to the AEAD key and nonce (so a message key is used exactly once and nonces never repeat).

import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const X3DH_F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);
const MESSAGE_KEY_CONSTANT = Uint8Array.of(0x01);
const CHAIN_KEY_CONSTANT = Uint8Array.of(0x02);

/** HKDF-SHA256 (RFC 5869): every derivation below is this with its own salt and info. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length);
}

/** X3DH's KDF: HKDF(salt = 32 zero bytes, ikm = F || DH1 || DH2 || DH3 [|| DH4], info). */
export function x3dhSecret(dhOutputs: Uint8Array[], info: string): Uint8Array {
  return hkdfSha256(concatBytes(X3DH_F, ...dhOutputs), ZERO_SALT, utf8ToBytes(info), 32);
}

/** KDF_RK: a new root key and chain key from the root key and a DH output. */
export function kdfRootKey(rootKey: Uint8Array, dhOutput: Uint8Array, info: string): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const out = hkdfSha256(dhOutput, rootKey, utf8ToBytes(info), 64);
  return { rootKey: out.slice(0, 32), chainKey: out.slice(32, 64) };
}

/** KDF_CK: the next chain key and this step's message key. */
export function kdfChainKey(chainKey: Uint8Array): { chainKey: Uint8Array; messageKey: Uint8Array } {
  return { chainKey: hmac(sha256, chainKey, CHAIN_KEY_CONSTANT), messageKey: hmac(sha256, chainKey, MESSAGE_KEY_CONSTANT) };
}

/** A message key's AEAD key (32) and XChaCha20 nonce (24). */
export function messageCipherKeys(messageKey: Uint8Array, info: string): { key: Uint8Array; nonce: Uint8Array } {
  const out = hkdfSha256(messageKey, ZERO_SALT, utf8ToBytes(info), 56);
  return { key: out.slice(0, 32), nonce: out.slice(32, 56) };
}
