import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { MESSENGER_LIMITS, signSignedPrekey, toBase64url, verifyDeviceBundle, type PublishedDeviceBundle } from '../src/index.ts';

function makeBundle(otkCount = 3): PublishedDeviceBundle {
  const identity = x25519.keygen();
  const signing = ed25519.keygen();
  const spk = x25519.keygen();
  return {
    identityKey: toBase64url(identity.publicKey),
    signingKey: toBase64url(signing.publicKey),
    signedPrekey: { keyId: 7, publicKey: toBase64url(spk.publicKey), signature: toBase64url(signSignedPrekey(signing.secretKey, identity.publicKey, 7, spk.publicKey)) },
    oneTimePrekeys: Array.from({ length: otkCount }, (_, i) => ({ keyId: 100 + i, publicKey: toBase64url(x25519.keygen().publicKey) })),
  };
}

function codeOf(b: unknown): string {
  const r = verifyDeviceBundle(b);
  return r.ok ? 'ok' : r.code;
}

test('a well-formed signed bundle is accepted, as a clean copy without extra fields', () => {
  const b = makeBundle();
  const r = verifyDeviceBundle({ ...b, deviceId: 'x', name: 'phone' });
  assert.ok(r.ok);
  assert.deepEqual(r.bundle, b);
  assert.equal(codeOf({ ...b, oneTimePrekeys: [] }), 'ok', 'a prekey refresh may carry no one-time prekeys');
});

test('a signed prekey signed for another identity key, key id or prekey is refused as E_BUNDLE_BAD_SIGNATURE', () => {
  const b = makeBundle();
  const other = makeBundle();
  assert.equal(codeOf({ ...b, identityKey: other.identityKey }), 'E_BUNDLE_BAD_SIGNATURE');
  assert.equal(codeOf({ ...b, signingKey: other.signingKey }), 'E_BUNDLE_BAD_SIGNATURE');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, keyId: 8 } }), 'E_BUNDLE_BAD_SIGNATURE');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, publicKey: other.signedPrekey.publicKey } }), 'E_BUNDLE_BAD_SIGNATURE');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, signature: other.signedPrekey.signature } }), 'E_BUNDLE_BAD_SIGNATURE');
});

test('wrong shapes, lengths and encodings get their own codes', () => {
  const b = makeBundle();
  assert.equal(codeOf(null), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf([]), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf({ ...b, identityKey: 5 }), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf({ ...b, identityKey: b.identityKey.slice(1) }), 'E_BUNDLE_BAD_KEY');
  assert.equal(codeOf({ ...b, identityKey: b.identityKey + 'A' }), 'E_BUNDLE_BAD_KEY');
  assert.equal(codeOf({ ...b, identityKey: '+' + b.identityKey.slice(1) }), 'E_BUNDLE_BAD_KEY');
  assert.equal(codeOf({ ...b, identityKey: 'x'.repeat(1_000_000) }), 'E_BUNDLE_BAD_KEY');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, keyId: -1 } }), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, keyId: 1.5 } }), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf({ ...b, signedPrekey: { ...b.signedPrekey, signature: b.signedPrekey.signature.slice(2) } }), 'E_BUNDLE_BAD_KEY');
  assert.equal(codeOf({ ...b, oneTimePrekeys: undefined }), 'E_BUNDLE_MALFORMED');
  assert.equal(codeOf({ ...b, oneTimePrekeys: [{ keyId: 1, publicKey: 'abc' }] }), 'E_BUNDLE_BAD_KEY');
  const o = b.oneTimePrekeys[0]!;
  assert.equal(codeOf({ ...b, oneTimePrekeys: [o, { ...o }] }), 'E_BUNDLE_DUPLICATE_PREKEY');
  assert.equal(codeOf(makeBundle(MESSENGER_LIMITS.maxOneTimePrekeys)), 'ok');
  assert.equal(codeOf(makeBundle(MESSENGER_LIMITS.maxOneTimePrekeys + 1)), 'E_BUNDLE_TOO_MANY_PREKEYS');
});

test('any JSON value given as a bundle gets an answer with a code and a reason, never a throw', () => {
  const b = makeBundle(1);
  const mutant = fc.oneof(
    fc.jsonValue(),
    fc.record({ identityKey: fc.oneof(fc.string(), fc.constant(b.identityKey)), signingKey: fc.oneof(fc.string(), fc.constant(b.signingKey)), signedPrekey: fc.oneof(fc.jsonValue(), fc.constant(b.signedPrekey)), oneTimePrekeys: fc.oneof(fc.jsonValue(), fc.constant(b.oneTimePrekeys)) }),
  );
  fc.assert(
    fc.property(mutant, (v) => {
      const r = verifyDeviceBundle(v);
      if (!r.ok) assert.ok(r.code.startsWith('E_BUNDLE_') && r.reason.length > 0);
    }),
  );
});
