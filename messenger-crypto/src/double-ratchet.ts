// The Double Ratchet (Signal specification, revision 1): a DH ratchet over X25519 and symmetric
// KDF chains, each message sealed under its own message key that is deleted once used. Message
// keys of skipped (late or lost) messages are kept in a bounded store. Shared by the 1:1 sessions
// and the compact mesh sessions, which differ only in how a header is put on the wire.
//
// decrypt() is a transaction: it works on a copy of the state and keeps it only if the message
// authenticates, so a forged or corrupted message can never advance, rewind or poison a session.

import { equalBytes } from '@noble/ciphers/utils.js';
import { diffieHellman, newX25519KeyPair, x25519PublicKeyOf, type KeyPair } from './curve-keys.ts';
import { openMessage, sealMessage } from './message-aead.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { kdfChainKey, kdfRootKey } from './ratchet-kdf.ts';
import { asArray, asBytes, asRecord, asString, asUint, asVersion, b64, type JsonRecord } from './state-json.ts';
import { concatBytes } from '@noble/hashes/utils.js';

export interface RatchetHeader {
  /** The sender's current ratchet public key. */
  dh: Uint8Array;
  /** Messages in the sender's previous sending chain. */
  pn: number;
  /** This message's number in its chain. */
  n: number;
}

export interface RatchetBounds {
  /** Most message keys one incoming message may make us skip (the spec's MAX_SKIP). */
  maxSkip: number;
  /** Most skipped message keys kept in all; the oldest go first (those messages count as lost). */
  maxStoredSkipped: number;
  /** Highest message number a header can carry (u32 for 1:1, u16 on the mesh). */
  maxCounter: number;
}

export const DEFAULT_RATCHET_BOUNDS: RatchetBounds = { maxSkip: 1000, maxStoredSkipped: 2000, maxCounter: 0xffffffff };

// How many past receiving ratchet keys are remembered, so a replay of an old message is named a
// replay rather than mistaken for a new ratchet step.
const REMEMBERED_RECEIVING_KEYS = 32;

interface RatchetState {
  rootKey: Uint8Array;
  dhs: KeyPair;
  dhr: Uint8Array | null;
  cks: Uint8Array | null;
  ckr: Uint8Array | null;
  ns: number;
  nr: number;
  pn: number;
  /** "dh:n" (dh in base64url) -> message key, in insertion order for eviction. */
  skipped: Map<string, Uint8Array>;
  pastReceivingKeys: string[];
}

export class DoubleRatchet {
  private s: RatchetState;
  private readonly domain: string;
  private readonly bounds: RatchetBounds;
  private readonly random: RandomSource;

  private constructor(s: RatchetState, domain: string, bounds: RatchetBounds, random: RandomSource) {
    this.s = s;
    this.domain = domain;
    this.bounds = bounds;
    this.random = random;
  }

  /** RatchetInitAlice: the side that starts, knowing the other side's ratchet public key. */
  static initSender(o: { sharedSecret: Uint8Array; theirRatchetKey: Uint8Array; ourRatchetKey?: KeyPair; domain: string; bounds?: RatchetBounds; random?: RandomSource }): DoubleRatchet {
    const random = o.random ?? systemRandom;
    const dhs = o.ourRatchetKey ?? newX25519KeyPair(random);
    const { rootKey, chainKey } = kdfRootKey(o.sharedSecret, diffieHellman(dhs.secretKey, o.theirRatchetKey), `${o.domain} root`);
    return new DoubleRatchet({ rootKey, dhs, dhr: o.theirRatchetKey, cks: chainKey, ckr: null, ns: 0, nr: 0, pn: 0, skipped: new Map(), pastReceivingKeys: [] }, o.domain, o.bounds ?? DEFAULT_RATCHET_BOUNDS, random);
  }

  /** RatchetInitBob: the side that answers, whose ratchet key pair the sender already used. */
  static initReceiver(o: { sharedSecret: Uint8Array; ourRatchetKey: KeyPair; domain: string; bounds?: RatchetBounds; random?: RandomSource }): DoubleRatchet {
    return new DoubleRatchet({ rootKey: o.sharedSecret, dhs: o.ourRatchetKey, dhr: null, cks: null, ckr: null, ns: 0, nr: 0, pn: 0, skipped: new Map(), pastReceivingKeys: [] }, o.domain, o.bounds ?? DEFAULT_RATCHET_BOUNDS, o.random ?? systemRandom);
  }

  /** The next header, without sending: lets a codec check sizes before anything is consumed. */
  peekHeader(): RatchetHeader {
    return { dh: this.s.dhs.publicKey, pn: this.s.pn, n: this.s.ns };
  }

  /** Seals `plaintext`; `encodeHeader` turns the header into the exact bytes that go on the wire. */
  encrypt(plaintext: Uint8Array, associatedData: Uint8Array, encodeHeader: (h: RatchetHeader) => Uint8Array): { header: RatchetHeader; headerBytes: Uint8Array; sealed: Uint8Array } {
    const s = this.s;
    if (!s.cks) throw new MessengerCryptoError('E_NO_SESSION', 'this session cannot send before it has received the first message');
    if (s.ns > this.bounds.maxCounter) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', 'this sending chain is used up; a reply from the other side starts a new one');
    const header: RatchetHeader = { dh: s.dhs.publicKey, pn: s.pn, n: s.ns };
    const headerBytes = encodeHeader(header);
    const { chainKey, messageKey } = kdfChainKey(s.cks);
    s.cks.fill(0);
    s.cks = chainKey;
    s.ns += 1;
    const sealed = sealMessage(messageKey, `${this.domain} message`, plaintext, concatBytes(associatedData, headerBytes));
    messageKey.fill(0);
    return { header, headerBytes, sealed };
  }

  /** Opens a message. Throws E_REPLAY, E_TOO_MANY_SKIPPED or E_DECRYPT_FAILED; the state changes only on success. */
  decrypt(header: RatchetHeader, headerBytes: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array {
    const work = cloneState(this.s);
    const ad = concatBytes(associatedData, headerBytes);
    const info = `${this.domain} message`;
    const dhKey = b64(header.dh);
    const skippedKey = `${dhKey}:${header.n}`;
    const stored = work.skipped.get(skippedKey);
    if (stored) {
      const plaintext = openMessage(stored, info, sealed, ad);
      if (!plaintext) throw failed();
      work.skipped.delete(skippedKey);
      this.commit(work);
      return plaintext;
    }
    const sameChain = work.dhr !== null && equalBytes(header.dh, work.dhr);
    if ((sameChain && header.n < work.nr) || work.pastReceivingKeys.includes(dhKey)) {
      throw new MessengerCryptoError('E_REPLAY', 'this message was already received (or its key was discarded as too old): refused as a replay');
    }
    if (!sameChain) {
      this.skipMessageKeys(work, header.pn);
      this.dhRatchet(work, header);
    }
    // Only a forged header can name the key we sent to before any reply (no receiving chain yet).
    if (!work.ckr) throw failed();
    this.skipMessageKeys(work, header.n);
    const { chainKey, messageKey } = kdfChainKey(work.ckr);
    work.ckr = chainKey;
    work.nr += 1;
    const plaintext = openMessage(messageKey, info, sealed, ad);
    messageKey.fill(0);
    if (!plaintext) throw failed();
    this.commit(work);
    return plaintext;
  }

  /**
   * Receiving ratchet keys a message could belong to: the current one, then ones with skipped keys
   * waiting, then remembered past ones (so a replay there is named a replay).
   */
  candidateReceivingKeys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    if (this.s.dhr) {
      out.push(this.s.dhr);
      seen.add(b64(this.s.dhr));
    }
    for (const key of this.s.skipped.keys()) {
      const dh = key.slice(0, key.indexOf(':'));
      if (!seen.has(dh)) {
        seen.add(dh);
        out.push(asBytes(dh, 'skipped', 32));
      }
    }
    for (const dh of this.s.pastReceivingKeys) {
      if (!seen.has(dh)) {
        seen.add(dh);
        out.push(asBytes(dh, 'pastReceivingKeys', 32));
      }
    }
    return out;
  }

  toJSON(): JsonRecord {
    const s = this.s;
    return {
      v: 1,
      rootKey: b64(s.rootKey),
      dhs: b64(s.dhs.secretKey),
      dhr: s.dhr ? b64(s.dhr) : null,
      cks: s.cks ? b64(s.cks) : null,
      ckr: s.ckr ? b64(s.ckr) : null,
      ns: s.ns,
      nr: s.nr,
      pn: s.pn,
      skipped: [...s.skipped].map(([k, mk]) => [k, b64(mk)]),
      pastReceivingKeys: [...s.pastReceivingKeys],
    };
  }

  static fromJSON(json: unknown, o: { domain: string; bounds?: RatchetBounds; random?: RandomSource }): DoubleRatchet {
    const j = asRecord(json, 'ratchet');
    asVersion(j.v, 'ratchet.v', 1);
    const dhsSecret = asBytes(j.dhs, 'ratchet.dhs', 32);
    const optional = (v: unknown, path: string) => (v === null ? null : asBytes(v, path, 32));
    const skipped = new Map<string, Uint8Array>();
    for (const [i, entry] of asArray(j.skipped, 'ratchet.skipped').entries()) {
      const pair = asArray(entry, `ratchet.skipped[${i}]`);
      const key = asString(pair[0], `ratchet.skipped[${i}][0]`);
      if (!/^[A-Za-z0-9_-]{43}:\d{1,10}$/.test(key)) throw new MessengerCryptoError('E_STATE_MALFORMED', `stored state: ratchet.skipped[${i}] has a malformed key`);
      skipped.set(key, asBytes(pair[1], `ratchet.skipped[${i}][1]`, 32));
    }
    const state: RatchetState = {
      rootKey: asBytes(j.rootKey, 'ratchet.rootKey', 32),
      dhs: { secretKey: dhsSecret, publicKey: x25519PublicKeyOf(dhsSecret) },
      dhr: optional(j.dhr, 'ratchet.dhr'),
      cks: optional(j.cks, 'ratchet.cks'),
      ckr: optional(j.ckr, 'ratchet.ckr'),
      ns: asUint(j.ns, 'ratchet.ns', 2 ** 32),
      nr: asUint(j.nr, 'ratchet.nr', 2 ** 32),
      pn: asUint(j.pn, 'ratchet.pn', 2 ** 32),
      skipped,
      pastReceivingKeys: asArray(j.pastReceivingKeys, 'ratchet.pastReceivingKeys').map((v, i) => b64(asBytes(v, `ratchet.pastReceivingKeys[${i}]`, 32))),
    };
    return new DoubleRatchet(state, o.domain, o.bounds ?? DEFAULT_RATCHET_BOUNDS, o.random ?? systemRandom);
  }

  private skipMessageKeys(s: RatchetState, until: number): void {
    if (!s.ckr || !s.dhr) return;
    if (until - s.nr > this.bounds.maxSkip) {
      throw new MessengerCryptoError('E_TOO_MANY_SKIPPED', `this message would skip ${until - s.nr} messages, more than the ${this.bounds.maxSkip} a session keeps keys for`);
    }
    const dh = b64(s.dhr);
    while (s.nr < until) {
      const { chainKey, messageKey } = kdfChainKey(s.ckr);
      s.ckr = chainKey;
      s.skipped.set(`${dh}:${s.nr}`, messageKey);
      s.nr += 1;
    }
    // The oldest skipped keys go first: a message that late counts as lost, and the store stays bounded.
    while (s.skipped.size > this.bounds.maxStoredSkipped) {
      const oldest = s.skipped.keys().next().value as string;
      s.skipped.delete(oldest);
    }
  }

  private dhRatchet(s: RatchetState, header: RatchetHeader): void {
    if (s.dhr) {
      s.pastReceivingKeys.push(b64(s.dhr));
      if (s.pastReceivingKeys.length > REMEMBERED_RECEIVING_KEYS) s.pastReceivingKeys.shift();
    }
    s.pn = s.ns;
    s.ns = 0;
    s.nr = 0;
    s.dhr = header.dh;
    const recv = kdfRootKey(s.rootKey, diffieHellman(s.dhs.secretKey, s.dhr), `${this.domain} root`);
    s.dhs = newX25519KeyPair(this.random);
    const send = kdfRootKey(recv.rootKey, diffieHellman(s.dhs.secretKey, s.dhr), `${this.domain} root`);
    s.rootKey = send.rootKey;
    s.ckr = recv.chainKey;
    s.cks = send.chainKey;
  }

  private commit(work: RatchetState): void {
    // Overwrite what the old state held that the new one does not, so a later theft of memory
    // finds fewer old keys (JS cannot promise erasure; the persisted state is what counts).
    const old = this.s;
    if (old.cks && old.cks !== work.cks) old.cks.fill(0);
    if (old.ckr && old.ckr !== work.ckr) old.ckr.fill(0);
    this.s = work;
  }
}

function cloneState(s: RatchetState): RatchetState {
  return { ...s, dhs: { ...s.dhs }, skipped: new Map(s.skipped), pastReceivingKeys: [...s.pastReceivingKeys] };
}

function failed(): MessengerCryptoError {
  return new MessengerCryptoError('E_DECRYPT_FAILED', 'the message does not authenticate: it was altered, is not for this session, or is corrupt');
}
