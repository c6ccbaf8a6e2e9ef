// One messenger device's private keys: its X25519 identity, its Ed25519 signing key, the signed
// prekey (with the previous one kept for handshakes already in flight) and its one-time prekeys.
// Generated on the device and persisted there as JSON; only the public bundle leaves it.

import { signSignedPrekey, type PublishedDeviceBundle } from './device-bundle.ts';
import { newEd25519KeyPair, newX25519KeyPair, ed25519PublicKeyOf, x25519PublicKeyOf, type KeyPair } from './curve-keys.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { asArray, asBytes, asRecord, asUint, asVersion, b64 } from './state-json.ts';

export interface SignedPrekey {
  keyId: number;
  keys: KeyPair;
  signature: Uint8Array;
}

export interface OneTimePrekey {
  keyId: number;
  keys: KeyPair;
}

export interface DeviceIdentityJson {
  v: 1;
  identitySecret: string;
  signingSecret: string;
  signedPrekey: { keyId: number; secret: string; signature: string };
  previousSignedPrekey: { keyId: number; secret: string; signature: string } | null;
  oneTimePrekeys: { keyId: number; secret: string }[];
  nextPrekeyId: number;
}

export class DeviceIdentity {
  readonly identity: KeyPair;
  readonly signing: KeyPair;
  private signedPrekey: SignedPrekey;
  private previousSignedPrekey: SignedPrekey | null;
  private readonly oneTimePrekeys: Map<number, OneTimePrekey>;
  private nextPrekeyId: number;
  private readonly random: RandomSource;

  private constructor(f: { identity: KeyPair; signing: KeyPair; signedPrekey: SignedPrekey; previousSignedPrekey: SignedPrekey | null; oneTimePrekeys: OneTimePrekey[]; nextPrekeyId: number; random: RandomSource }) {
    this.identity = f.identity;
    this.signing = f.signing;
    this.signedPrekey = f.signedPrekey;
    this.previousSignedPrekey = f.previousSignedPrekey;
    this.oneTimePrekeys = new Map(f.oneTimePrekeys.map((k) => [k.keyId, k]));
    this.nextPrekeyId = f.nextPrekeyId;
    this.random = f.random;
  }

  /** A new device: fresh identity and signing keys, a signed prekey and `oneTimePrekeys` one-time prekeys. */
  static generate(opts: { oneTimePrekeys?: number; random?: RandomSource } = {}): DeviceIdentity {
    const random = opts.random ?? systemRandom;
    const identity = newX25519KeyPair(random);
    const signing = newEd25519KeyPair(random);
    // Ids start at a random point so ids of a reinstalled device do not collide with old ones.
    const r = random(4);
    const first = new DataView(r.buffer, r.byteOffset, 4).getUint32(0) & 0x7fffffff;
    const device = new DeviceIdentity({ identity, signing, signedPrekey: makeSignedPrekey(random, signing, identity, first), previousSignedPrekey: null, oneTimePrekeys: [], nextPrekeyId: (first + 1) >>> 0, random });
    device.generateOneTimePrekeys(opts.oneTimePrekeys ?? MESSENGER_LIMITS.maxOneTimePrekeys);
    return device;
  }

  /** Adds `count` one-time prekeys and returns their public halves, ready to upload. */
  generateOneTimePrekeys(count: number): { keyId: number; publicKey: string }[] {
    if (!Number.isInteger(count) || count < 0 || count > MESSENGER_LIMITS.maxOneTimePrekeys) {
      throw new MessengerCryptoError('E_BUNDLE_TOO_MANY_PREKEYS', `one-time prekeys come in batches of 0..${MESSENGER_LIMITS.maxOneTimePrekeys}`);
    }
    const out: { keyId: number; publicKey: string }[] = [];
    for (let i = 0; i < count; i++) {
      const keyId = this.takePrekeyId();
      const keys = newX25519KeyPair(this.random);
      this.oneTimePrekeys.set(keyId, { keyId, keys });
      out.push({ keyId, publicKey: b64(keys.publicKey) });
    }
    return out;
  }

  /** A new signed prekey; the previous one stays usable for handshakes built against it. */
  rotateSignedPrekey(): void {
    this.previousSignedPrekey = this.signedPrekey;
    this.signedPrekey = makeSignedPrekey(this.random, this.signing, this.identity, this.takePrekeyId());
  }

  /** The public bundle to publish: keys, the signed prekey and the given (default: all held) one-time prekeys. */
  publishedBundle(oneTimePrekeys?: { keyId: number; publicKey: string }[]): PublishedDeviceBundle {
    const otks = oneTimePrekeys ?? [...this.oneTimePrekeys.values()].slice(0, MESSENGER_LIMITS.maxOneTimePrekeys).map((k) => ({ keyId: k.keyId, publicKey: b64(k.keys.publicKey) }));
    return {
      identityKey: b64(this.identity.publicKey),
      signingKey: b64(this.signing.publicKey),
      signedPrekey: { keyId: this.signedPrekey.keyId, publicKey: b64(this.signedPrekey.keys.publicKey), signature: b64(this.signedPrekey.signature) },
      oneTimePrekeys: otks,
    };
  }

  get oneTimePrekeyCount(): number {
    return this.oneTimePrekeys.size;
  }

  /** The signed prekey with this id (current or previous), or undefined. */
  signedPrekeyById(keyId: number): SignedPrekey | undefined {
    if (this.signedPrekey.keyId === keyId) return this.signedPrekey;
    if (this.previousSignedPrekey?.keyId === keyId) return this.previousSignedPrekey;
    return undefined;
  }

  /** Reads a one-time prekey without using it up (a handshake may still fail to authenticate). */
  peekOneTimePrekey(keyId: number): OneTimePrekey | undefined {
    return this.oneTimePrekeys.get(keyId);
  }

  /** Deletes a one-time prekey for good: once a handshake used it, it must never work again. */
  consumeOneTimePrekey(keyId: number): void {
    const k = this.oneTimePrekeys.get(keyId);
    if (k) k.keys.secretKey.fill(0);
    this.oneTimePrekeys.delete(keyId);
  }

  get randomSource(): RandomSource {
    return this.random;
  }

  toJSON(): DeviceIdentityJson {
    const spk = (k: SignedPrekey) => ({ keyId: k.keyId, secret: b64(k.keys.secretKey), signature: b64(k.signature) });
    return {
      v: 1,
      identitySecret: b64(this.identity.secretKey),
      signingSecret: b64(this.signing.secretKey),
      signedPrekey: spk(this.signedPrekey),
      previousSignedPrekey: this.previousSignedPrekey ? spk(this.previousSignedPrekey) : null,
      oneTimePrekeys: [...this.oneTimePrekeys.values()].map((k) => ({ keyId: k.keyId, secret: b64(k.keys.secretKey) })),
      nextPrekeyId: this.nextPrekeyId,
    };
  }

  /** Restores a device from its toJSON(); public keys are recomputed, so they cannot disagree. */
  static fromJSON(json: unknown, opts: { random?: RandomSource } = {}): DeviceIdentity {
    const j = asRecord(json, 'device');
    asVersion(j.v, 'device.v', 1);
    const identitySecret = asBytes(j.identitySecret, 'device.identitySecret', 32);
    const signingSecret = asBytes(j.signingSecret, 'device.signingSecret', 32);
    const readSpk = (v: unknown, path: string): SignedPrekey => {
      const r = asRecord(v, path);
      const secretKey = asBytes(r.secret, `${path}.secret`, 32);
      return { keyId: asUint(r.keyId, `${path}.keyId`), keys: { secretKey, publicKey: x25519PublicKeyOf(secretKey) }, signature: asBytes(r.signature, `${path}.signature`, 64) };
    };
    const otks = asArray(j.oneTimePrekeys, 'device.oneTimePrekeys').map((v, i) => {
      const r = asRecord(v, `device.oneTimePrekeys[${i}]`);
      const secretKey = asBytes(r.secret, `device.oneTimePrekeys[${i}].secret`, 32);
      return { keyId: asUint(r.keyId, `device.oneTimePrekeys[${i}].keyId`), keys: { secretKey, publicKey: x25519PublicKeyOf(secretKey) } };
    });
    return new DeviceIdentity({
      identity: { secretKey: identitySecret, publicKey: x25519PublicKeyOf(identitySecret) },
      signing: { secretKey: signingSecret, publicKey: ed25519PublicKeyOf(signingSecret) },
      signedPrekey: readSpk(j.signedPrekey, 'device.signedPrekey'),
      previousSignedPrekey: j.previousSignedPrekey === null ? null : readSpk(j.previousSignedPrekey, 'device.previousSignedPrekey'),
      oneTimePrekeys: otks,
      nextPrekeyId: asUint(j.nextPrekeyId, 'device.nextPrekeyId'),
      random: opts.random ?? systemRandom,
    });
  }

  private takePrekeyId(): number {
    const id = this.nextPrekeyId;
    this.nextPrekeyId = (id + 1) >>> 0;
    return id;
  }
}

function makeSignedPrekey(random: RandomSource, signing: KeyPair, identity: KeyPair, keyId: number): SignedPrekey {
  const keys = newX25519KeyPair(random);
  return { keyId, keys, signature: signSignedPrekey(signing.secretKey, identity.publicKey, keyId, keys.publicKey) };
}
