// One 1:1 session between two devices: X3DH to start, the Double Ratchet after. The starting side
// keeps sending the X3DH header on every message until the first reply arrives, so the session
// still starts when its first message is lost or arrives late.

import { equalBytes } from '@noble/ciphers/utils.js';
import { fromBase64url } from './base64url.ts';
import { verifyDeviceBundle, type PublishedDeviceBundle } from './device-bundle.ts';
import type { DeviceIdentity } from './device-identity.ts';
import { DoubleRatchet } from './double-ratchet.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { decodeRatchetMessage, encodeRatchetHeader, encodeRatchetMessage, MAX_MESSAGE_PLAINTEXT_BYTES, type PrekeyHeader, type RatchetMessage } from './ratchet-message.ts';
import { asBoolean, asBytes, asRecord, asUint, asVersion, b64, type JsonRecord } from './state-json.ts';
import { x3dhInitiate, x3dhRespond } from './x3dh.ts';

const DOMAIN = 'UNIBOS messenger 1:1 v1';

export class PairwiseSession {
  private constructor(
    private readonly ratchet: DoubleRatchet,
    /** The other device's X25519 identity key, as authenticated by the handshake. */
    readonly remoteIdentityKey: Uint8Array,
    private readonly associatedData: Uint8Array,
    private pendingPrekey: PrekeyHeader | null,
    /** Alice's base key: names the handshake, so repeats of its prekey messages find this session. */
    readonly baseKey: Uint8Array,
  ) {}

  /** Starts a session to the device behind `bundle`, which is checked again here (signature included): E_BAD_SIGNATURE if it fails. */
  static initiate(device: DeviceIdentity, untrustedBundle: PublishedDeviceBundle, opts: { random?: RandomSource } = {}): PairwiseSession {
    const check = verifyDeviceBundle(untrustedBundle);
    if (!check.ok) throw new MessengerCryptoError('E_BAD_SIGNATURE', `the device bundle is not valid (${check.code}: ${check.reason}); no session was started`, { bundleCode: check.code });
    const bundle = check.bundle;
    const random = opts.random ?? device.randomSource ?? systemRandom;
    const otk = bundle.oneTimePrekeys[0];
    const theirIdentity = fromBase64url(bundle.identityKey);
    const signedPrekey = fromBase64url(bundle.signedPrekey.publicKey);
    const x = x3dhInitiate(device.identity, { identityKey: theirIdentity, signedPrekeyId: bundle.signedPrekey.keyId, signedPrekey, oneTimePrekey: otk ? { keyId: otk.keyId, publicKey: fromBase64url(otk.publicKey) } : null }, random);
    const ratchet = DoubleRatchet.initSender({ sharedSecret: x.sharedSecret, theirRatchetKey: signedPrekey, domain: DOMAIN, random });
    return new PairwiseSession(ratchet, theirIdentity, x.associatedData, x.prekey, x.prekey.baseKey);
  }

  /**
   * Answers a prekey message: runs X3DH, opens the message, and only then uses up the one-time
   * prekey, so a forged first message cannot burn one.
   */
  static respond(device: DeviceIdentity, message: RatchetMessage, opts: { random?: RandomSource } = {}): { session: PairwiseSession; plaintext: Uint8Array } {
    if (!message.prekey) throw new MessengerCryptoError('E_NO_SESSION', 'no session with this device yet, and the message does not start one');
    const x = x3dhRespond(device, message.prekey);
    const ratchet = DoubleRatchet.initReceiver({ sharedSecret: x.sharedSecret, ourRatchetKey: x.signedPrekey, domain: DOMAIN, random: opts.random ?? device.randomSource });
    const plaintext = ratchet.decrypt(message.header, message.headerBytes, message.sealed, x.associatedData);
    if (message.prekey.oneTimePrekeyId !== null) device.consumeOneTimePrekey(message.prekey.oneTimePrekeyId);
    return { session: new PairwiseSession(ratchet, message.prekey.identityKey, x.associatedData, null, message.prekey.baseKey), plaintext };
  }

  /** True while we started this session and have not heard back (messages carry the X3DH header). */
  get awaitingReply(): boolean {
    return this.pendingPrekey !== null;
  }

  /** Does this (prekey) message belong to this session's handshake? */
  matchesHandshake(message: RatchetMessage): boolean {
    return message.prekey !== null && equalBytes(message.prekey.baseKey, this.baseKey) && equalBytes(message.prekey.identityKey, this.remoteIdentityKey);
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > MAX_MESSAGE_PLAINTEXT_BYTES) {
      throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `a message may carry at most ${MAX_MESSAGE_PLAINTEXT_BYTES} bytes; send larger content as an attachment`);
    }
    const prekey = this.pendingPrekey;
    const { headerBytes, sealed } = this.ratchet.encrypt(plaintext, this.associatedData, (h) => encodeRatchetHeader(prekey, h));
    return encodeRatchetMessage(headerBytes, sealed);
  }

  /** Opens a message of this session (bytes or already decoded). */
  decrypt(message: Uint8Array | RatchetMessage): Uint8Array {
    const m = message instanceof Uint8Array ? decodeRatchetMessage(message) : message;
    if (m.prekey && !this.matchesHandshake(m)) throw new MessengerCryptoError('E_DECRYPT_FAILED', 'this first message belongs to another handshake');
    const plaintext = this.ratchet.decrypt(m.header, m.headerBytes, m.sealed, this.associatedData);
    // Any authentic message from the other side proves it has the session: stop sending the X3DH header.
    this.pendingPrekey = null;
    return plaintext;
  }

  toJSON(): JsonRecord {
    const p = this.pendingPrekey;
    return {
      v: 1,
      ratchet: this.ratchet.toJSON(),
      remoteIdentityKey: b64(this.remoteIdentityKey),
      associatedData: b64(this.associatedData),
      baseKey: b64(this.baseKey),
      pendingPrekey: p ? { identityKey: b64(p.identityKey), baseKey: b64(p.baseKey), signedPrekeyId: p.signedPrekeyId, hasOneTimePrekey: p.oneTimePrekeyId !== null, oneTimePrekeyId: p.oneTimePrekeyId ?? 0 } : null,
    };
  }

  static fromJSON(json: unknown, opts: { random?: RandomSource } = {}): PairwiseSession {
    const j = asRecord(json, 'session');
    asVersion(j.v, 'session.v', 1);
    let pending: PrekeyHeader | null = null;
    if (j.pendingPrekey !== null) {
      const p = asRecord(j.pendingPrekey, 'session.pendingPrekey');
      pending = {
        identityKey: asBytes(p.identityKey, 'session.pendingPrekey.identityKey', 32),
        baseKey: asBytes(p.baseKey, 'session.pendingPrekey.baseKey', 32),
        signedPrekeyId: asUint(p.signedPrekeyId, 'session.pendingPrekey.signedPrekeyId'),
        oneTimePrekeyId: asBoolean(p.hasOneTimePrekey, 'session.pendingPrekey.hasOneTimePrekey') ? asUint(p.oneTimePrekeyId, 'session.pendingPrekey.oneTimePrekeyId') : null,
      };
    }
    return new PairwiseSession(
      DoubleRatchet.fromJSON(j.ratchet, { domain: DOMAIN, random: opts.random }),
      asBytes(j.remoteIdentityKey, 'session.remoteIdentityKey', 32),
      asBytes(j.associatedData, 'session.associatedData', 64),
      pending,
      asBytes(j.baseKey, 'session.baseKey', 32),
    );
  }
}
