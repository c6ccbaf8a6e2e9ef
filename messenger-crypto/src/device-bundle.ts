// The public half of a messenger device as published to the hub, and its check. The hub calls
// verifyDeviceBundle on registration and on every prekey refresh; clients call it again on every
// bundle they fetch, because the hub is not trusted to have done so.

import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64url } from './base64url.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';

export type PublishedDeviceBundle = {
  identityKey: string;
  signingKey: string;
  signedPrekey: { keyId: number; publicKey: string; signature: string };
  oneTimePrekeys: { keyId: number; publicKey: string }[];
};

export type BundleCheck = { ok: true; bundle: PublishedDeviceBundle } | { ok: false; code: string; reason: string };

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

// Distinct from every other transcript the library signs, so a prekey signature can never be
// presented as a signature over something else.
const SIGNED_PREKEY_DOMAIN = utf8ToBytes('UNIBOS messenger signed prekey v1\u0000');

/**
 * The bytes the signing key signs for a signed prekey: domain || identityKey (32) ||
 * keyId (u32 big-endian) || prekey (32). Fixed lengths make the concatenation unambiguous, and
 * including the identity key binds the Ed25519 signing key to the X25519 identity.
 */
export function signedPrekeyTranscript(identityKey: Uint8Array, keyId: number, prekey: Uint8Array): Uint8Array {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, keyId >>> 0, false);
  return concatBytes(SIGNED_PREKEY_DOMAIN, identityKey, id, prekey);
}

export function signSignedPrekey(signingSecretKey: Uint8Array, identityKey: Uint8Array, keyId: number, prekey: Uint8Array): Uint8Array {
  return ed25519.sign(signedPrekeyTranscript(identityKey, keyId, prekey), signingSecretKey);
}

export function verifySignedPrekey(signingKey: Uint8Array, identityKey: Uint8Array, keyId: number, prekey: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, signedPrekeyTranscript(identityKey, keyId, prekey), signingKey);
  } catch {
    return false;
  }
}

type Failure = { ok: false; code: string; reason: string };
const fail = (code: string, reason: string): Failure => ({ ok: false, code, reason });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isKeyId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** Decodes a base64url field of an exact length, or says which field is wrong. */
function bytesField(v: unknown, length: number, what: string): Uint8Array | Failure {
  // The length check comes first so a huge string is refused before it is decoded.
  if (typeof v !== 'string') return fail('E_BUNDLE_MALFORMED', `${what} must be a base64url string`);
  if (v.length !== Math.ceil((length * 4) / 3)) return fail('E_BUNDLE_BAD_KEY', `${what} must be ${length} bytes of base64url`);
  try {
    return fromBase64url(v);
  } catch {
    return fail('E_BUNDLE_BAD_KEY', `${what} is not valid base64url`);
  }
}

const isFailure = (v: Uint8Array | Failure): v is Failure => !(v instanceof Uint8Array);

/**
 * Checks an untrusted bundle: shape, base64url, key and signature lengths, the one-time prekey
 * count and uniqueness, and the signed prekey's Ed25519 signature. Returns a clean copy holding
 * only the contract's fields, so extra properties never travel further.
 */
export function verifyDeviceBundle(b: unknown): BundleCheck {
  if (!isRecord(b)) return fail('E_BUNDLE_MALFORMED', 'a device bundle must be an object');
  const identityKey = bytesField(b.identityKey, KEY_BYTES, 'identityKey');
  if (isFailure(identityKey)) return identityKey;
  const signingKey = bytesField(b.signingKey, KEY_BYTES, 'signingKey');
  if (isFailure(signingKey)) return signingKey;
  const spk = b.signedPrekey;
  if (!isRecord(spk)) return fail('E_BUNDLE_MALFORMED', 'signedPrekey must be an object');
  if (!isKeyId(spk.keyId)) return fail('E_BUNDLE_MALFORMED', 'signedPrekey.keyId must be an integer from 0 to 4294967295');
  const spkPublic = bytesField(spk.publicKey, KEY_BYTES, 'signedPrekey.publicKey');
  if (isFailure(spkPublic)) return spkPublic;
  const signature = bytesField(spk.signature, SIGNATURE_BYTES, 'signedPrekey.signature');
  if (isFailure(signature)) return signature;
  const otks = b.oneTimePrekeys;
  if (!Array.isArray(otks)) return fail('E_BUNDLE_MALFORMED', 'oneTimePrekeys must be an array (possibly empty)');
  if (otks.length > MESSENGER_LIMITS.maxOneTimePrekeys) {
    return fail('E_BUNDLE_TOO_MANY_PREKEYS', `at most ${MESSENGER_LIMITS.maxOneTimePrekeys} one-time prekeys per upload, got ${otks.length}`);
  }
  const seen = new Set<number>();
  const oneTimePrekeys: PublishedDeviceBundle['oneTimePrekeys'] = [];
  for (let i = 0; i < otks.length; i++) {
    const o: unknown = otks[i];
    if (!isRecord(o)) return fail('E_BUNDLE_MALFORMED', `oneTimePrekeys[${i}] must be an object`);
    if (!isKeyId(o.keyId)) return fail('E_BUNDLE_MALFORMED', `oneTimePrekeys[${i}].keyId must be an integer from 0 to 4294967295`);
    if (seen.has(o.keyId)) return fail('E_BUNDLE_DUPLICATE_PREKEY', `oneTimePrekeys[${i}].keyId ${o.keyId} appears twice`);
    seen.add(o.keyId);
    const pk = bytesField(o.publicKey, KEY_BYTES, `oneTimePrekeys[${i}].publicKey`);
    if (isFailure(pk)) return pk;
    oneTimePrekeys.push({ keyId: o.keyId, publicKey: o.publicKey as string });
  }
  if (!verifySignedPrekey(signingKey, identityKey, spk.keyId, spkPublic, signature)) {
    return fail('E_BUNDLE_BAD_SIGNATURE', 'the signed prekey is not signed by this device\'s signing key');
  }
  return {
    ok: true,
    bundle: {
      identityKey: b.identityKey as string,
      signingKey: b.signingKey as string,
      signedPrekey: { keyId: spk.keyId, publicKey: spk.publicKey as string, signature: spk.signature as string },
      oneTimePrekeys,
    },
  };
}
