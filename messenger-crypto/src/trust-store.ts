// Trust on first use, per device: the first identity key seen for a device address is pinned, and
// a different key later is a key change that is reported and never silently accepted; sessions
// refuse to encrypt to or decrypt from that device until the user accepts the new key. A user can
// also mark a key verified (after comparing safety numbers) or revoke a device for good.

import { equalBytes } from '@noble/ciphers/utils.js';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { asArray, asBoolean, asBytes, asRecord, asString, asVersion, b64, type JsonRecord } from './state-json.ts';

export type TrustStatus = 'new' | 'trusted' | 'verified' | 'key_changed' | 'revoked';

interface Pin {
  identityKey: Uint8Array;
  verified: boolean;
  revoked: boolean;
  /** A different key this device presented and the user has not accepted yet. */
  changedTo: Uint8Array | null;
}

export class TrustStore {
  private readonly pins = new Map<string, Pin>();

  /** What we know about `identityKey` for `address`, without changing anything. */
  status(address: string, identityKey: Uint8Array): TrustStatus {
    const pin = this.pins.get(address);
    if (!pin) return 'new';
    if (pin.revoked) return 'revoked';
    if (!equalBytes(pin.identityKey, identityKey)) return 'key_changed';
    return pin.verified ? 'verified' : 'trusted';
  }

  /**
   * The check every encrypt and decrypt goes through: passes a new or known key, and throws
   * E_KEY_CHANGED (recording the change for the UI) or E_DEVICE_REVOKED otherwise. It does not pin:
   * a key is pinned only once a message under it authenticated (pinIfNew), so a forged first
   * message cannot plant a key.
   */
  require(address: string, identityKey: Uint8Array): void {
    const status = this.status(address, identityKey);
    if (status === 'new') return;
    if (status === 'revoked') throw new MessengerCryptoError('E_DEVICE_REVOKED', `device ${address} was revoked; nothing is sent to or accepted from it`, { address });
    if (status === 'key_changed') {
      const pin = this.pins.get(address)!;
      pin.changedTo = identityKey.slice();
      throw new MessengerCryptoError('E_KEY_CHANGED', `the identity key of device ${address} changed; compare safety numbers and accept the new key before messages are exchanged again`, {
        address,
        previousKey: b64(pin.identityKey),
        newKey: b64(identityKey),
      });
    }
  }

  /** Pins the first key seen for `address`; a known address keeps its pin. */
  pinIfNew(address: string, identityKey: Uint8Array): void {
    if (!this.pins.has(address)) this.pins.set(address, { identityKey: identityKey.slice(), verified: false, revoked: false, changedTo: null });
  }

  /** Devices that presented a changed key the user has not accepted. */
  pendingKeyChanges(): { address: string; previousKey: string; newKey: string }[] {
    return [...this.pins].filter(([, p]) => p.changedTo && !p.revoked).map(([address, p]) => ({ address, previousKey: b64(p.identityKey), newKey: b64(p.changedTo!) }));
  }

  /** The user accepts `newKey` for `address` (after comparing safety numbers, ideally). Verification is reset. */
  acceptKeyChange(address: string, newKey: Uint8Array): void {
    const pin = this.pins.get(address);
    if (pin?.revoked) throw new MessengerCryptoError('E_DEVICE_REVOKED', `device ${address} was revoked`, { address });
    this.pins.set(address, { identityKey: newKey.slice(), verified: false, revoked: false, changedTo: null });
  }

  /** The user compared safety numbers and they matched for this key. */
  markVerified(address: string, identityKey: Uint8Array): void {
    const pin = this.pins.get(address);
    if (!pin || !equalBytes(pin.identityKey, identityKey)) throw new MessengerCryptoError('E_KEY_CHANGED', `the key to verify is not the one pinned for ${address}`, { address });
    pin.verified = true;
  }

  revoke(address: string): void {
    const pin = this.pins.get(address);
    if (pin) pin.revoked = true;
    else this.pins.set(address, { identityKey: new Uint8Array(32), verified: false, revoked: true, changedTo: null });
  }

  pinnedKey(address: string): Uint8Array | undefined {
    return this.pins.get(address)?.identityKey;
  }

  toJSON(): JsonRecord {
    return {
      v: 1,
      pins: [...this.pins].map(([address, p]) => ({ address, identityKey: b64(p.identityKey), verified: p.verified, revoked: p.revoked, changedTo: p.changedTo ? b64(p.changedTo) : null })),
    };
  }

  static fromJSON(json: unknown): TrustStore {
    const j = asRecord(json, 'trust');
    asVersion(j.v, 'trust.v', 1);
    const store = new TrustStore();
    asArray(j.pins, 'trust.pins').forEach((v, i) => {
      const p = asRecord(v, `trust.pins[${i}]`);
      store.pins.set(asString(p.address, `trust.pins[${i}].address`), {
        identityKey: asBytes(p.identityKey, `trust.pins[${i}].identityKey`, 32),
        verified: asBoolean(p.verified, `trust.pins[${i}].verified`),
        revoked: asBoolean(p.revoked, `trust.pins[${i}].revoked`),
        changedTo: p.changedTo === null ? null : asBytes(p.changedTo, `trust.pins[${i}].changedTo`, 32),
      });
    });
    return store;
  }
}
