// One device's view of one group: its own sender key and the sender keys it received from the
// other member devices. Every membership change (add or remove) makes a fresh own sender key that
// goes only to the devices that are members now; so a removed member holds no key to anything
// sent after the removal, and a new member none to anything sent before it joined. Every member
// device re-keys on the change, not just the admin. The sender keys of a removed device are kept
// apart, opened only for a message the caller vouches was sent before the removal (the hub's
// departure time against its send time): a device that syncs after the removal still reads what
// the removed member said while a member.

import { fromBase64url, toBase64url } from './base64url.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { decodeGroupMessage, decodeSenderKeyDistribution, encodeSenderKeyDistribution, OwnSenderKey, ReceivedSenderKey } from './sender-key.ts';
import { asArray, asRecord, asString, asVersion, type JsonRecord } from './state-json.ts';

// Older sender keys of a current member stay readable for messages still in flight.
const KEYS_KEPT_PER_SENDER = 2;
// Former member devices whose keys are kept, the most recently removed: a whole group's worth.
const FORMER_KEPT = MESSENGER_LIMITS.maxGroupMembers * MESSENGER_LIMITS.maxDevicesPerUser;

/** How to treat a sender that is not a member now. */
export interface SenderStanding {
  /** The sender's user left or was removed after this message was sent: open it with the keys kept from its membership. */
  sentBeforeLeaving?: boolean;
}

export interface Rekey {
  /** The plaintext of a 'sender-key' message: encrypt it to each device in `recipients` through its 1:1 session. */
  distribution: Uint8Array;
  recipients: string[];
}

export class GroupSession {
  private own: OwnSenderKey | null = null;
  private members = new Set<string>();
  private readonly received = new Map<string, ReceivedSenderKey[]>();
  /** Sender keys of devices that were members, most recently removed last. */
  private readonly former = new Map<string, ReceivedSenderKey[]>();

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
    for (const d of this.members) {
      if (next.has(d)) continue;
      const keys = this.received.get(d);
      this.received.delete(d);
      this.former.delete(d);
      if (keys) this.former.set(d, keys);
    }
    for (const d of next) {
      // Back again: what it sent during its earlier membership opens as before.
      const keys = this.former.get(d);
      this.former.delete(d);
      if (keys && !this.members.has(d)) this.received.set(d, keys);
    }
    while (this.former.size > FORMER_KEPT) this.former.delete(this.former.keys().next().value as string);
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
  processDistribution(from: string, plaintext: Uint8Array, standing: SenderStanding = {}): void {
    const keyring = this.keyring(from, standing, 'its sender key is ignored');
    const d = decodeSenderKeyDistribution(plaintext);
    if (d.groupId !== this.groupId) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'this sender key is for another group');
    const keys = (keyring.get(from) ?? []).filter((k) => k.keyId !== d.keyId);
    keyring.delete(from);
    keyring.set(from, [ReceivedSenderKey.fromDistribution(d), ...keys].slice(0, KEYS_KEPT_PER_SENDER));
    while (this.former.size > FORMER_KEPT) this.former.delete(this.former.keys().next().value as string);
  }

  /** Where `from`'s keys are: a member's, or a former member's when the message was sent before it left. */
  private keyring(from: string, standing: SenderStanding, refused: string): Map<string, ReceivedSenderKey[]> {
    if (this.members.has(from)) return this.received;
    if (standing.sentBeforeLeaving) return this.former;
    throw new MessengerCryptoError('E_NOT_A_MEMBER', `device ${from} is not a member of this group; ${refused}`, { address: from });
  }

  /** One ciphertext for every member device: the contract's shared `ciphertext`, base64url. */
  encrypt(plaintext: Uint8Array): string {
    if (!this.own) throw new MessengerCryptoError('E_NO_SESSION', 'no sender key yet: set the members first');
    return toBase64url(this.own.encrypt(plaintext));
  }

  decrypt(from: string, ciphertext: string, standing: SenderStanding = {}): Uint8Array {
    const keyring = this.keyring(from, standing, 'its message is refused');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64url(ciphertext);
    } catch {
      throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the group ciphertext is not base64url');
    }
    const m = decodeGroupMessage(bytes);
    const key = keyring.get(from)?.find((k) => k.keyId === m.keyId);
    if (!key) throw new MessengerCryptoError('E_UNKNOWN_SENDER_KEY', `no sender key ${m.keyId} from device ${from}: its 'sender-key' message has not arrived, or this device was not a member when it was sent`, { address: from });
    return key.decrypt(m);
  }

  toJSON(): JsonRecord {
    const keyrings = (m: Map<string, ReceivedSenderKey[]>) => [...m].map(([from, keys]) => ({ from, keys: keys.map((k) => k.toJSON()) }));
    return { v: 1, groupId: this.groupId, ownAddress: this.ownAddress, own: this.own?.toJSON() ?? null, members: [...this.members], received: keyrings(this.received), former: keyrings(this.former) };
  }

  static fromJSON(json: unknown, random: RandomSource = systemRandom): GroupSession {
    const j = asRecord(json, 'group');
    asVersion(j.v, 'group.v', 1);
    const g = new GroupSession(asString(j.groupId, 'group.groupId'), asString(j.ownAddress, 'group.ownAddress'), random);
    g.own = j.own === null ? null : OwnSenderKey.fromJSON(j.own);
    g.members = new Set(asArray(j.members, 'group.members').map((m, i) => asString(m, `group.members[${i}]`)));
    const keyrings = (list: unknown, name: string, into: Map<string, ReceivedSenderKey[]>) =>
      asArray(list, name).forEach((v, i) => {
        const r = asRecord(v, `${name}[${i}]`);
        into.set(asString(r.from, `${name}[${i}].from`), asArray(r.keys, `${name}[${i}].keys`).map((k) => ReceivedSenderKey.fromJSON(k)));
      });
    keyrings(j.received, 'group.received', g.received);
    // Kept since this field came; state saved before it has none.
    if (j.former !== undefined) keyrings(j.former, 'group.former', g.former);
    return g;
  }
}
