// Sender Keys for groups: each member device has a chain key and an Ed25519 signature key per
// group; a message is sealed once under the next key of the sender's chain and signed, and every
// member device holding the sender's distribution can open it. The chain only moves forward and
// used keys are deleted (forward secrecy); the signature stops members forging each other.
//
// Wire formats (big-endian):
//   distribution (sent to each member device inside a 1:1 message of kind 'sender-key'):
//     version (1) | groupId length (u8) | groupId (utf8) | keyId (u32) | iteration (u32) | chainKey (32) | signingKey (32)
//   group message (the contract's shared `ciphertext`):
//     version (1) | keyId (u32) | iteration (u32) | sealed (ciphertext || 16-byte tag) | signature (64)
//     AEAD associated data = "UNIBOS group v1" || groupId length || groupId || the first 9 bytes;
//     signature over the same prefix and every byte before the signature. Overhead 89 bytes.

import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ed25519PublicKeyOf, newEd25519KeyPair, signBytes, verifyBytes, type KeyPair } from './curve-keys.ts';
import { AEAD_TAG_BYTES, openMessage, sealMessage } from './message-aead.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import type { RandomSource } from './random-source.ts';
import { kdfChainKey } from './ratchet-kdf.ts';
import { asArray, asBytes, asRecord, asString, asUint, b64, type JsonRecord } from './state-json.ts';

export const SENDER_KEY_VERSION = 1;
const GROUP_DOMAIN = utf8ToBytes('UNIBOS group v1');
const MESSAGE_INFO = 'UNIBOS messenger group v1 message';
const GROUP_HEADER_BYTES = 9;
const SIGNATURE_BYTES = 64;
export const GROUP_MESSAGE_OVERHEAD_BYTES = GROUP_HEADER_BYTES + AEAD_TAG_BYTES + SIGNATURE_BYTES;
export const MAX_GROUP_PLAINTEXT_BYTES = MESSENGER_LIMITS.maxCiphertextBytes - GROUP_MESSAGE_OVERHEAD_BYTES;
const MAX_SKIP = 1000;
const MAX_STORED_SKIPPED = 2000;

export interface SenderKeyDistribution {
  groupId: string;
  keyId: number;
  iteration: number;
  chainKey: Uint8Array;
  signingKey: Uint8Array;
}

function groupPrefix(groupId: string): Uint8Array {
  const id = utf8ToBytes(groupId);
  return concatBytes(GROUP_DOMAIN, Uint8Array.of(id.length), id);
}

export function encodeSenderKeyDistribution(d: SenderKeyDistribution): Uint8Array {
  const id = utf8ToBytes(d.groupId);
  if (id.length === 0 || id.length > 255) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a group id is 1..255 bytes of UTF-8');
  const tail = new Uint8Array(72);
  const view = new DataView(tail.buffer);
  view.setUint32(0, d.keyId);
  view.setUint32(4, d.iteration);
  tail.set(d.chainKey, 8);
  tail.set(d.signingKey, 40);
  return concatBytes(Uint8Array.of(SENDER_KEY_VERSION, id.length), id, tail);
}

export function decodeSenderKeyDistribution(bytes: Uint8Array): SenderKeyDistribution {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a sender key distribution is too short');
  if (bytes[0] !== SENDER_KEY_VERSION) throw new MessengerCryptoError('E_UNSUPPORTED_VERSION', `sender key format version ${bytes[0]} is not supported`);
  const idLength = bytes[1]!;
  if (idLength === 0 || bytes.length !== 2 + idLength + 72) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a sender key distribution has the wrong length');
  let groupId: string;
  try {
    groupId = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2, 2 + idLength));
  } catch {
    throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the group id of a sender key distribution is not UTF-8');
  }
  const o = 2 + idLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset + o, 72);
  return { groupId, keyId: view.getUint32(0), iteration: view.getUint32(4), chainKey: bytes.slice(o + 8, o + 40), signingKey: bytes.slice(o + 40, o + 72) };
}

/** Our own sending chain in one group. */
export class OwnSenderKey {
  private constructor(
    readonly groupId: string,
    readonly keyId: number,
    private iteration: number,
    private chainKey: Uint8Array,
    private readonly signing: KeyPair,
  ) {}

  static generate(groupId: string, keyId: number, random: RandomSource): OwnSenderKey {
    return new OwnSenderKey(groupId, keyId, 0, random(32), newEd25519KeyPair(random));
  }

  /** What other member devices need to read our next messages (not the earlier ones). */
  distribution(): SenderKeyDistribution {
    return { groupId: this.groupId, keyId: this.keyId, iteration: this.iteration, chainKey: this.chainKey.slice(), signingKey: this.signing.publicKey };
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > MAX_GROUP_PLAINTEXT_BYTES) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `a group message may carry at most ${MAX_GROUP_PLAINTEXT_BYTES} bytes`);
    if (this.iteration === 0xffffffff) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', 'this sender key is used up; re-key the group');
    const header = new Uint8Array(GROUP_HEADER_BYTES);
    const view = new DataView(header.buffer);
    header[0] = SENDER_KEY_VERSION;
    view.setUint32(1, this.keyId);
    view.setUint32(5, this.iteration);
    const { chainKey, messageKey } = kdfChainKey(this.chainKey);
    this.chainKey.fill(0);
    this.chainKey = chainKey;
    this.iteration += 1;
    const prefix = groupPrefix(this.groupId);
    const sealed = sealMessage(messageKey, MESSAGE_INFO, plaintext, concatBytes(prefix, header));
    messageKey.fill(0);
    const body = concatBytes(header, sealed);
    return concatBytes(body, signBytes(this.signing.secretKey, concatBytes(prefix, body)));
  }

  toJSON(): JsonRecord {
    return { groupId: this.groupId, keyId: this.keyId, iteration: this.iteration, chainKey: b64(this.chainKey), signingSecret: b64(this.signing.secretKey) };
  }

  static fromJSON(json: unknown): OwnSenderKey {
    const j = asRecord(json, 'ownSenderKey');
    const secretKey = asBytes(j.signingSecret, 'ownSenderKey.signingSecret', 32);
    return new OwnSenderKey(asString(j.groupId, 'ownSenderKey.groupId'), asUint(j.keyId, 'ownSenderKey.keyId'), asUint(j.iteration, 'ownSenderKey.iteration'), asBytes(j.chainKey, 'ownSenderKey.chainKey', 32), { secretKey, publicKey: ed25519PublicKeyOf(secretKey) });
  }
}

export interface GroupMessage {
  keyId: number;
  iteration: number;
  header: Uint8Array;
  sealed: Uint8Array;
  signed: Uint8Array;
  signature: Uint8Array;
}

export function decodeGroupMessage(bytes: Uint8Array): GroupMessage {
  if (!(bytes instanceof Uint8Array)) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a group message must be bytes');
  if (bytes.length > MESSENGER_LIMITS.maxCiphertextBytes) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `a group message may be at most ${MESSENGER_LIMITS.maxCiphertextBytes} bytes`);
  if (bytes.length < GROUP_MESSAGE_OVERHEAD_BYTES) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a group message is too short');
  if (bytes[0] !== SENDER_KEY_VERSION) throw new MessengerCryptoError('E_UNSUPPORTED_VERSION', `group message format version ${bytes[0]} is not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - SIGNATURE_BYTES;
  return { keyId: view.getUint32(1), iteration: view.getUint32(5), header: bytes.slice(0, GROUP_HEADER_BYTES), sealed: bytes.slice(GROUP_HEADER_BYTES, end), signed: bytes.slice(0, end), signature: bytes.slice(end) };
}

/** Another member's chain as we hold it, with keys of skipped messages kept (bounded). */
export class ReceivedSenderKey {
  private constructor(
    readonly groupId: string,
    readonly keyId: number,
    private iteration: number,
    private chainKey: Uint8Array,
    readonly signingKey: Uint8Array,
    private readonly skipped: Map<number, Uint8Array>,
  ) {}

  static fromDistribution(d: SenderKeyDistribution): ReceivedSenderKey {
    return new ReceivedSenderKey(d.groupId, d.keyId, d.iteration, d.chainKey.slice(), d.signingKey.slice(), new Map());
  }

  /** Signature first (it is cheap to check and names a forgery as such), then the AEAD. State changes only on success. */
  decrypt(m: GroupMessage): Uint8Array {
    const prefix = groupPrefix(this.groupId);
    if (!verifyBytes(this.signingKey, concatBytes(prefix, m.signed), m.signature)) {
      throw new MessengerCryptoError('E_BAD_SIGNATURE', 'the group message is not signed by the sender\'s key: altered, or forged by another member');
    }
    const ad = concatBytes(prefix, m.header);
    const stored = this.skipped.get(m.iteration);
    if (stored) {
      const plaintext = openMessage(stored, MESSAGE_INFO, m.sealed, ad);
      if (!plaintext) throw groupFailed();
      this.skipped.delete(m.iteration);
      return plaintext;
    }
    if (m.iteration < this.iteration) throw new MessengerCryptoError('E_REPLAY', 'this group message was already received (or its key was discarded as too old)');
    if (m.iteration - this.iteration > MAX_SKIP) throw new MessengerCryptoError('E_TOO_MANY_SKIPPED', `this group message would skip ${m.iteration - this.iteration} messages, more than ${MAX_SKIP}`);
    let chainKey = this.chainKey;
    const newlySkipped: [number, Uint8Array][] = [];
    for (let i = this.iteration; i < m.iteration; i++) {
      const step = kdfChainKey(chainKey);
      newlySkipped.push([i, step.messageKey]);
      chainKey = step.chainKey;
    }
    const step = kdfChainKey(chainKey);
    const plaintext = openMessage(step.messageKey, MESSAGE_INFO, m.sealed, ad);
    if (!plaintext) throw groupFailed();
    for (const [i, mk] of newlySkipped) this.skipped.set(i, mk);
    while (this.skipped.size > MAX_STORED_SKIPPED) this.skipped.delete(this.skipped.keys().next().value as number);
    this.chainKey = step.chainKey;
    this.iteration = m.iteration + 1;
    return plaintext;
  }

  toJSON(): JsonRecord {
    return { groupId: this.groupId, keyId: this.keyId, iteration: this.iteration, chainKey: b64(this.chainKey), signingKey: b64(this.signingKey), skipped: [...this.skipped].map(([i, mk]) => [i, b64(mk)]) };
  }

  static fromJSON(json: unknown): ReceivedSenderKey {
    const j = asRecord(json, 'senderKey');
    const skipped = new Map<number, Uint8Array>();
    asArray(j.skipped, 'senderKey.skipped').forEach((v, i) => {
      const pair = asArray(v, `senderKey.skipped[${i}]`);
      skipped.set(asUint(pair[0], `senderKey.skipped[${i}][0]`), asBytes(pair[1], `senderKey.skipped[${i}][1]`, 32));
    });
    return new ReceivedSenderKey(asString(j.groupId, 'senderKey.groupId'), asUint(j.keyId, 'senderKey.keyId'), asUint(j.iteration, 'senderKey.iteration'), asBytes(j.chainKey, 'senderKey.chainKey', 32), asBytes(j.signingKey, 'senderKey.signingKey', 32), skipped);
  }
}

function groupFailed(): MessengerCryptoError {
  return new MessengerCryptoError('E_DECRYPT_FAILED', 'the group message does not decrypt under the sender\'s key');
}
