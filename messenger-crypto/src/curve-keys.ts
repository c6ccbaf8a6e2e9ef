// X25519 (agreement) and Ed25519 (signature) key pairs, and the Diffie-Hellman step every
// handshake and ratchet uses. A public key that yields an all-zero secret (a low-order point) is
// refused with E_BAD_KEY rather than silently agreeing on a known key.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import type { RandomSource } from './random-source.ts';

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function newX25519KeyPair(random: RandomSource): KeyPair {
  const secretKey = random(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export function newEd25519KeyPair(random: RandomSource): KeyPair {
  const secretKey = random(32);
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function x25519PublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

export function ed25519PublicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

export function diffieHellman(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey);
  } catch {
    throw new MessengerCryptoError('E_BAD_KEY', 'the other side\'s X25519 key is invalid (a low-order point)');
  }
}

export function signBytes(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

export function verifyBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
