// The X3DH key agreement (Signal specification, revision 1) with X25519 and HKDF-SHA256:
//   DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B) if any
//   SK  = HKDF(F || DH1 || DH2 || DH3 [|| DH4]),  F = 32 bytes of 0xFF,  AD = IK_A || IK_B
// The signed prekey's signature is checked by verifyDeviceBundle before a bundle gets here.

import { concatBytes } from '@noble/hashes/utils.js';
import { diffieHellman, newX25519KeyPair, type KeyPair } from './curve-keys.ts';
import type { DeviceIdentity } from './device-identity.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import type { RandomSource } from './random-source.ts';
import { x3dhSecret } from './ratchet-kdf.ts';
import type { PrekeyHeader } from './ratchet-message.ts';

const X3DH_INFO = 'UNIBOS messenger X3DH v1';

export interface RemotePrekeys {
  identityKey: Uint8Array;
  signedPrekeyId: number;
  signedPrekey: Uint8Array;
  oneTimePrekey: { keyId: number; publicKey: Uint8Array } | null;
}

export interface X3dhResult {
  sharedSecret: Uint8Array;
  associatedData: Uint8Array;
}

/** Alice's side: a fresh ephemeral key against Bob's published prekeys. */
export function x3dhInitiate(ourIdentity: KeyPair, their: RemotePrekeys, random: RandomSource): X3dhResult & { prekey: PrekeyHeader } {
  const ephemeral = newX25519KeyPair(random);
  const dhs = [
    diffieHellman(ourIdentity.secretKey, their.signedPrekey),
    diffieHellman(ephemeral.secretKey, their.identityKey),
    diffieHellman(ephemeral.secretKey, their.signedPrekey),
  ];
  if (their.oneTimePrekey) dhs.push(diffieHellman(ephemeral.secretKey, their.oneTimePrekey.publicKey));
  const sharedSecret = x3dhSecret(dhs, X3DH_INFO);
  for (const d of dhs) d.fill(0);
  // The ephemeral secret is not needed again: the ratchet uses its own keys from here on.
  ephemeral.secretKey.fill(0);
  return {
    sharedSecret,
    associatedData: concatBytes(ourIdentity.publicKey, their.identityKey),
    prekey: { identityKey: ourIdentity.publicKey, baseKey: ephemeral.publicKey, signedPrekeyId: their.signedPrekeyId, oneTimePrekeyId: their.oneTimePrekey?.keyId ?? null },
  };
}

/** Bob's side. Does not consume the one-time prekey: the caller does once the first message authenticates. */
export function x3dhRespond(device: DeviceIdentity, prekey: PrekeyHeader): X3dhResult & { signedPrekey: KeyPair } {
  const spk = device.signedPrekeyById(prekey.signedPrekeyId);
  if (!spk) throw new MessengerCryptoError('E_UNKNOWN_PREKEY', `signed prekey ${prekey.signedPrekeyId} is unknown or retired: the sender used an old bundle and must fetch a new one`);
  const dhs = [
    diffieHellman(spk.keys.secretKey, prekey.identityKey),
    diffieHellman(device.identity.secretKey, prekey.baseKey),
    diffieHellman(spk.keys.secretKey, prekey.baseKey),
  ];
  if (prekey.oneTimePrekeyId !== null) {
    const otk = device.peekOneTimePrekey(prekey.oneTimePrekeyId);
    if (!otk) throw new MessengerCryptoError('E_UNKNOWN_PREKEY', `one-time prekey ${prekey.oneTimePrekeyId} was already used or never existed: a replayed first message, or a stale bundle`);
    dhs.push(diffieHellman(otk.keys.secretKey, prekey.baseKey));
  }
  const sharedSecret = x3dhSecret(dhs, X3DH_INFO);
  for (const d of dhs) d.fill(0);
  return { sharedSecret, associatedData: concatBytes(prekey.identityKey, device.identity.publicKey), signedPrekey: spk.keys };
}
