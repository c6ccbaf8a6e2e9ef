// One device's view of one group: its own sender key and the sender keys it received from the
// other member devices. Every membership change (add or remove) makes a fresh own sender key that
// goes only to the devices that are members now, and drops what removed devices had sent; so a
// removed member holds no key to anything sent after the removal, and a new member none to
// anything sent before it joined. Every member device re-keys on the change, not just the admin.

import { fromBase64url, toBase64url } from './base64url.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { decodeGroupMessage, decodeSenderKeyDistribution, encodeSenderKeyDistribution, OwnSenderKey, ReceivedSenderKey } from './sender-key.ts';
import { asArray, asRecord, asString, asVersion, type JsonRecord } from './state-json.ts';

// Older sender keys of a current member stay readable for messages still in flight.
const KEYS_KEPT_PER_SENDER = 2;

export interface Rekey {
  /** The plaintext of a 'sender-key' message: encrypt it to each device in `recipients` through its 1:1 session. */
  distribution: Uint8Array;
  recipients: string[];
}

export class GroupSession {
  private own: OwnSenderKey | null = null;
  private members = new Set<string>();
  private readonly received = new Map<string, ReceivedSenderKey[]>();

  constructor(
    readonly groupId: string,
    /** This device's address; never counted among the members it sends to. */
    readonly ownAddress: string,
    private readonly random: RandomSource = systemRandom,
  ) {}

  get currentMembers(): string[] {
    return [...this.members];
  }

  /**
   * Sets the other member devices (every device of every member but this one). On any change, and
   * the first time, returns the new sender key to distribute; undefined when nothing changed.
   */
  setMembers(devices: string[]): Rekey | undefined {
    const next = new Set(devices.filter((d) => d !== this.ownAddress));
    if (next.size + 1 > MESSENGER_LIMITS.maxGroupMembers * MESSENGER_LIMITS.maxDevicesPerUser) {
      throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', 'too many member devices for one group');
    }
    const changed = this.own === null || next.size !== this.members.size || [...next].some((d) => !this.members.has(d));
    if (!changed) return undefined;
    for (const d of this.members) if (!next.has(d)) this.received.delete(d);
    this.members = next;
    const r = this.random(4);
    const keyId = this.own ? (this.own.keyId + 1) >>> 0 : new DataView(r.buffer, r.byteOffset, 4).getUint32(0);
    this.own = OwnSenderKey.generate(this.groupId, keyId, this.random);
    return { distribution: encodeSenderKeyDistribution(this.own.distribution()), recipients: [...next] };
  }

  /** Our current sender key again, e.g. for a member device whose copy was lost. */
  currentDistribution(): Uint8Array {
    if (!this.own) throw new MessengerCryptoError('E_NO_SESSION', 'no sender key yet: set the members first');
    return encodeSenderKeyDistribution(this.own.distribution());
  }

  /** Stores a member device's sender key, received as the plaintext of its 'sender-key' message. */
  processDistribution(from: string, plaintext: Uint8Array): void {
    if (!this.members.has(from)) throw new MessengerCryptoError('E_NOT_A_MEMBER', `device ${from} is not a member of this group; its sender key is ignored`, { address: from });
    const d = decodeSenderKeyDistribution(plaintext);
    if (d.groupId !== this.groupId) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'this sender key is for another group');
    const keys = (this.received.get(from) ?? []).filter((k) => k.keyId !== d.keyId);
    this.received.set(from, [ReceivedSenderKey.fromDistribution(d), ...keys].slice(0, KEYS_KEPT_PER_SENDER));
  }

  /** One ciphertext for every member device: the contract's shared `ciphertext`, base64url. */
  encrypt(plaintext: Uint8Array): string {
    if (!this.own) throw new MessengerCryptoError('E_NO_SESSION', 'no sender key yet: set the members first');
    return toBase64url(this.own.encrypt(plaintext));
  }

  decrypt(from: string, ciphertext: string): Uint8Array {
    if (!this.members.has(from)) throw new MessengerCryptoError('E_NOT_A_MEMBER', `device ${from} is not a member of this group`, { address: from });
    let bytes: Uint8Array;
    try {
      bytes = fromBase64url(ciphertext);
    } catch {
      throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the group ciphertext is not base64url');
    }
    const m = decodeGroupMessage(bytes);
    const key = this.received.get(from)?.find((k) => k.keyId === m.keyId);
    if (!key) throw new MessengerCryptoError('E_UNKNOWN_SENDER_KEY', `no sender key ${m.keyId} from device ${from}: its 'sender-key' message has not arrived, or this device was not a member when it was sent`, { address: from });
    return key.decrypt(m);
  }

  toJSON(): JsonRecord {
    return { v: 1, groupId: this.groupId, ownAddress: this.ownAddress, own: this.own?.toJSON() ?? null, members: [...this.members], received: [...this.received].map(([from, keys]) => ({ from, keys: keys.map((k) => k.toJSON()) })) };
  }

  static fromJSON(json: unknown, random: RandomSource = systemRandom): GroupSession {
    const j = asRecord(json, 'group');
    asVersion(j.v, 'group.v', 1);
    const g = new GroupSession(asString(j.groupId, 'group.groupId'), asString(j.ownAddress, 'group.ownAddress'), random);
    g.own = j.own === null ? null : OwnSenderKey.fromJSON(j.own);
    g.members = new Set(asArray(j.members, 'group.members').map((m, i) => asString(m, `group.members[${i}]`)));
    asArray(j.received, 'group.received').forEach((v, i) => {
      const r = asRecord(v, `group.received[${i}]`);
      g.received.set(asString(r.from, `group.received[${i}].from`), asArray(r.keys, `group.received[${i}].keys`).map((k) => ReceivedSenderKey.fromJSON(k)));
    });
    return g;
  }
}
