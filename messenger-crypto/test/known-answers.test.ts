// Published test vectors through the library's own wrappers, so a wrong argument order or a
// swapped key would show here rather than as two clients that cannot talk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { diffieHellman, x25519PublicKeyOf, ed25519PublicKeyOf, signBytes, verifyBytes } from '../src/curve-keys.ts';
import { hkdfSha256 } from '../src/ratchet-kdf.ts';
import { aeadOpen, aeadSeal } from '../src/message-aead.ts';
import { MessengerCryptoError } from '../src/index.ts';

test('X25519: RFC 7748 section 6.1', () => {
  const aliceSecret = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bobSecret = hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  assert.equal(bytesToHex(x25519PublicKeyOf(aliceSecret)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(bytesToHex(x25519PublicKeyOf(bobSecret)), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
  assert.equal(bytesToHex(diffieHellman(aliceSecret, x25519PublicKeyOf(bobSecret))), shared);
  assert.equal(bytesToHex(diffieHellman(bobSecret, x25519PublicKeyOf(aliceSecret))), shared);
  // A low-order point would give an all-zero secret: refused, not used.
  assert.throws(() => diffieHellman(aliceSecret, new Uint8Array(32)), (e: unknown) => e instanceof MessengerCryptoError && e.code === 'E_BAD_KEY');
});

test('Ed25519: RFC 8032 section 7.1, test 1', () => {
  const secret = hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const pub = ed25519PublicKeyOf(secret);
  assert.equal(bytesToHex(pub), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  const sig = signBytes(secret, new Uint8Array(0));
  assert.equal(bytesToHex(sig), 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  assert.equal(verifyBytes(pub, new Uint8Array(0), sig), true);
  assert.equal(verifyBytes(pub, new Uint8Array(1), sig), false);
});

test('HKDF-SHA256: RFC 5869 test case 1', () => {
  const okm = hkdfSha256(hexToBytes('0b'.repeat(22)), hexToBytes('000102030405060708090a0b0c'), hexToBytes('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.equal(bytesToHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
});

test('XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03 A.3.1', () => {
  const key = hexToBytes('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = hexToBytes('404142434445464748494a4b4c4d4e4f5051525354555657');
  const aad = hexToBytes('50515253c0c1c2c3c4c5c6c7');
  const plaintext = utf8ToBytes("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  const sealed = aeadSeal(key, nonce, plaintext, aad);
  assert.equal(
    bytesToHex(sealed),
    'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' + 'c0875924c1c7987947deafd8780acf49',
  );
  assert.deepEqual(aeadOpen(key, nonce, sealed, aad), plaintext);
  assert.equal(aeadOpen(key, nonce, sealed, new Uint8Array(0)), undefined);
});
