// Proof that a device claiming its id at the hub holds that id's identity keys. One definition of
// the transcript, the signing and the checking, used by the device (CLI) and the hub alike, so the
// two agree byte for byte.
//
// The node id is a hash of the X25519 public key; the Ed25519 key is not bound to the id. So the
// device proves both: an Ed25519 signature over the transcript, and an HMAC over the same
// transcript keyed by X25519(device key, hub's one-time key), which only the holder of the X25519
// private key behind the id can compute. The transcript binds the hub's single-use challenge, the
// id, both public keys and a digest of the claim token: nothing in it can be replayed or moved to
// another id, key or token.

import { createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { BROADCAST } from '../frame/header.ts';

const DOMAIN = Buffer.from('UNIBOS claim proof v1\u0000', 'utf8');
const MAC_INFO = Buffer.from('UNIBOS claim proof v1 x25519 mac', 'utf8');
const KEY_BYTES = 32;
export const CLAIM_NONCE_BYTES = 32;

/** What the hub hands out: a single-use nonce and the public half of a key pair made for it alone. */
export interface ClaimChallenge {
  /** base64url, 32 bytes. */
  nonce: string;
  /** base64url, the hub's one-time X25519 public key (32 bytes). */
  hubPublicKey: string;
}

/** What the device answers with, alongside its claim token and id. All base64url. */
export interface ClaimProof {
  nonce: string;
  x25519PublicKey: string;
  ed25519PublicKey: string;
  signature: string;
  mac: string;
}

export type ClaimProofFailure = 'malformed' | 'id_mismatch' | 'bad_signature' | 'bad_mac';

/** The node number a public key gives: the first 4 bytes of its SHA-256 that are neither 0 nor broadcast. */
export function nodeIdFromPublicKey(x25519PublicKey: Uint8Array): number {
  const h = createHash('sha256').update(x25519PublicKey).digest();
  for (let i = 0; i + 4 <= h.length; i++) {
    const v = h.readUInt32BE(i);
    if (v !== 0 && v !== BROADCAST) return v;
  }
  return 1;
}

/** A fresh challenge and the one-time private key the hub keeps until the answer comes. */
export function createClaimChallenge(): { challenge: ClaimChallenge; hubPrivateKey: KeyObject } {
  const pair = generateKeyPairSync('x25519');
  return {
    challenge: { nonce: randomBytes(CLAIM_NONCE_BYTES).toString('base64url'), hubPublicKey: rawPublicKey(pair.publicKey).toString('base64url') },
    hubPrivateKey: pair.privateKey,
  };
}

/** The bytes both keys vouch for. Every field has a fixed length, so plain concatenation is unambiguous. */
export function claimTranscript(f: { nonce: Uint8Array; hubPublicKey: Uint8Array; deviceId: number; x25519PublicKey: Uint8Array; ed25519PublicKey: Uint8Array; token: string }): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(f.deviceId >>> 0);
  const tokenDigest = createHash('sha256').update(f.token, 'utf8').digest();
  return Buffer.concat([DOMAIN, fixed(f.nonce, CLAIM_NONCE_BYTES, 'nonce'), fixed(f.hubPublicKey, KEY_BYTES, 'hub key'), id, fixed(f.x25519PublicKey, KEY_BYTES, 'x25519 key'), fixed(f.ed25519PublicKey, KEY_BYTES, 'ed25519 key'), tokenDigest]);
}

/** The device's side: answers `challenge` for `token` with its identity's two private keys. */
export function proveClaim(challenge: ClaimChallenge, token: string, keys: { x25519PrivateKey: KeyObject; ed25519PrivateKey: KeyObject }): ClaimProof {
  const x25519PublicKey = rawPublicKey(createPublicKey(keys.x25519PrivateKey));
  const ed25519PublicKey = rawPublicKey(createPublicKey(keys.ed25519PrivateKey));
  const nonce = Buffer.from(challenge.nonce, 'base64url');
  const hubPublicKey = Buffer.from(challenge.hubPublicKey, 'base64url');
  const transcript = claimTranscript({ nonce, hubPublicKey, deviceId: nodeIdFromPublicKey(x25519PublicKey), x25519PublicKey, ed25519PublicKey, token });
  const shared = diffieHellman({ privateKey: keys.x25519PrivateKey, publicKey: publicKeyFromRaw(hubPublicKey, 'X25519') });
  return {
    nonce: challenge.nonce,
    x25519PublicKey: x25519PublicKey.toString('base64url'),
    ed25519PublicKey: ed25519PublicKey.toString('base64url'),
    signature: sign(null, transcript, keys.ed25519PrivateKey).toString('base64url'),
    mac: transcriptMac(shared, nonce, transcript).toString('base64url'),
  };
}

/**
 * The hub's side: does `proof` show possession of the keys behind `deviceId`, for this challenge
 * (whose one-time private key the hub kept) and this token? Never throws on hostile input.
 */
export function verifyClaimProof(
  p: { challenge: ClaimChallenge; hubPrivateKey: KeyObject; deviceId: number; token: string; proof: ClaimProof },
): { ok: true; x25519PublicKey: Buffer; ed25519PublicKey: Buffer } | { ok: false; reason: ClaimProofFailure } {
  try {
    const x25519PublicKey = strictBase64url(p.proof.x25519PublicKey, KEY_BYTES);
    const ed25519PublicKey = strictBase64url(p.proof.ed25519PublicKey, KEY_BYTES);
    const signature = strictBase64url(p.proof.signature, 64);
    const mac = strictBase64url(p.proof.mac, 32);
    if (!x25519PublicKey || !ed25519PublicKey || !signature || !mac || p.proof.nonce !== p.challenge.nonce) return { ok: false, reason: 'malformed' };
    if (nodeIdFromPublicKey(x25519PublicKey) !== p.deviceId >>> 0) return { ok: false, reason: 'id_mismatch' };
    const nonce = Buffer.from(p.challenge.nonce, 'base64url');
    const transcript = claimTranscript({ nonce, hubPublicKey: Buffer.from(p.challenge.hubPublicKey, 'base64url'), deviceId: p.deviceId, x25519PublicKey, ed25519PublicKey, token: p.token });
    if (!verify(null, transcript, publicKeyFromRaw(ed25519PublicKey, 'Ed25519'), signature)) return { ok: false, reason: 'bad_signature' };
    // A low-order X25519 key makes the agreement fail (OpenSSL refuses an all-zero secret): caught below.
    const shared = diffieHellman({ privateKey: p.hubPrivateKey, publicKey: publicKeyFromRaw(x25519PublicKey, 'X25519') });
    if (!timingSafeEqual(transcriptMac(shared, nonce, transcript), mac)) return { ok: false, reason: 'bad_mac' };
    return { ok: true, x25519PublicKey, ed25519PublicKey };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}

/** Raw 32-byte public key of an X25519 or Ed25519 key (public or private). */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  // SPKI DER for X25519/Ed25519 ends with the 32-byte raw key.
  const der = pub.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - KEY_BYTES);
}

function transcriptMac(shared: Buffer, nonce: Uint8Array, transcript: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', shared, nonce, MAC_INFO, 32));
  return createHmac('sha256', key).update(transcript).digest();
}

function publicKeyFromRaw(raw: Uint8Array, crv: 'X25519' | 'Ed25519'): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

function fixed(b: Uint8Array, length: number, what: string): Uint8Array {
  if (b.length !== length) throw new RangeError(`claim transcript: ${what} must be ${length} bytes, got ${b.length}`);
  return b;
}

/** Exactly `length` bytes of canonical base64url, else null (no padding, no stray characters). */
function strictBase64url(text: unknown, length: number): Buffer | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b = Buffer.from(text, 'base64url');
  return b.length === length && b.toString('base64url') === text ? b : null;
}
