// Trust on first use per *user*: the identity keys of all of a user's devices, pinned the first
// time the client sees the user. Re-registering is a new device with a new key on this hub, so a
// key the pin does not hold is a key change: it waits, pending, until the user accepts it after
// comparing safety numbers. A device that disappears (revoked) just leaves the pin: that cannot
// give anyone access.

import { MessengerClientError } from './messenger-client-error.ts';

export type UserTrustStatus = 'new' | 'trusted' | 'verified' | 'key_changed';

interface UserPin {
  /** deviceId -> identity key (base64url) the user accepted. */
  keys: Record<string, string>;
  /** deviceId -> identity key seen since and not accepted yet. */
  pending: Record<string, string>;
  verified: boolean;
}

export class UserKeyPins {
  private readonly users = new Map<string, UserPin>();

  status(userId: string): UserTrustStatus {
    const pin = this.users.get(userId);
    if (!pin) return 'new';
    if (Object.keys(pin.pending).length > 0) return 'key_changed';
    return pin.verified ? 'verified' : 'trusted';
  }

  isPinned(userId: string): boolean {
    return this.users.has(userId);
  }

  /**
   * The user's devices as the hub lists them now. The first list is pinned; later, devices that
   * are gone leave the pin and a key it does not hold becomes pending. Returns the status after.
   */
  observe(userId: string, devices: Array<{ deviceId: string; identityKey: string }>): UserTrustStatus {
    const pin = this.users.get(userId);
    if (!pin) {
      this.users.set(userId, { keys: Object.fromEntries(devices.map((d) => [d.deviceId, d.identityKey])), pending: {}, verified: false });
      return 'trusted';
    }
    const present = new Set(devices.map((d) => d.deviceId));
    for (const id of Object.keys(pin.keys)) if (!present.has(id)) delete pin.keys[id];
    for (const id of Object.keys(pin.pending)) if (!present.has(id)) delete pin.pending[id];
    for (const d of devices) this.observeOne(userId, d.deviceId, d.identityKey);
    return this.status(userId);
  }

  /** Whether one device's key is accepted; an unknown one is recorded as pending. The user must be pinned. */
  observeOne(userId: string, deviceId: string, identityKey: string): boolean {
    const pin = this.users.get(userId);
    if (!pin) throw new MessengerClientError('E_STATE_MALFORMED', `user ${userId} has no pin yet`);
    if (pin.keys[deviceId] === identityKey) return true;
    pin.pending[deviceId] = identityKey;
    return false;
  }

  isAccepted(userId: string, deviceId: string): boolean {
    return this.users.get(userId)?.keys[deviceId] !== undefined;
  }

  /** Accepted keys, and with `withPending` the ones waiting too (what a safety number is compared over). */
  keys(userId: string, withPending = false): string[] {
    const pin = this.users.get(userId);
    if (!pin) return [];
    return [...Object.values(pin.keys), ...(withPending ? Object.values(pin.pending) : [])];
  }

  /** The keys waiting to be accepted, sorted (what an accept must name). */
  pendingKeys(userId: string): string[] {
    return Object.values(this.users.get(userId)?.pending ?? {}).sort();
  }

  pendingDevices(userId: string): string[] {
    return Object.keys(this.users.get(userId)?.pending ?? {});
  }

  usersWithChanges(): string[] {
    return [...this.users].filter(([, p]) => Object.keys(p.pending).length > 0).map(([u]) => u);
  }

  /**
   * The user accepts the pending keys, which must be exactly `expected` (what they compared): a key
   * pending that they did not see refuses it all (E_KEYS_CHANGED_AGAIN). Verification starts over.
   */
  accept(userId: string, expected: string[]): Array<{ deviceId: string; identityKey: string }> {
    const pin = this.users.get(userId);
    if (!pin) return [];
    if (this.pendingKeys(userId).join('\n') !== [...new Set(expected)].sort().join('\n')) {
      throw new MessengerClientError('E_KEYS_CHANGED_AGAIN', `the keys of ${userId} changed again after they were shown: nothing was accepted`, 0, { userId });
    }
    const accepted = Object.entries(pin.pending).map(([deviceId, identityKey]) => ({ deviceId, identityKey }));
    Object.assign(pin.keys, pin.pending);
    pin.pending = {};
    pin.verified = false;
    return accepted;
  }

  markVerified(userId: string): void {
    const pin = this.users.get(userId);
    if (!pin || Object.keys(pin.pending).length > 0) throw new MessengerClientError('E_KEY_CHANGED', `accept ${userId}'s changed keys before marking them verified`);
    pin.verified = true;
  }

  toJSON(): Record<string, UserPin> {
    return Object.fromEntries(this.users);
  }

  static fromJSON(json: unknown): UserKeyPins {
    const out = new UserKeyPins();
    if (typeof json !== 'object' || json === null) throw new MessengerClientError('E_STATE_MALFORMED', 'the saved user pins are not an object');
    for (const [userId, v] of Object.entries(json as Record<string, unknown>)) {
      const p = v as Partial<UserPin>;
      const isMap = (m: unknown): m is Record<string, string> => typeof m === 'object' && m !== null && Object.values(m).every((k) => typeof k === 'string');
      if (!isMap(p.keys) || !isMap(p.pending) || typeof p.verified !== 'boolean') throw new MessengerClientError('E_STATE_MALFORMED', `the saved pin of user ${userId} is malformed`);
      out.users.set(userId, { keys: { ...p.keys }, pending: { ...p.pending }, verified: p.verified });
    }
    return out;
  }
}
