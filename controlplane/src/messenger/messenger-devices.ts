// The rules around messenger devices: a bundle is verified before anything is stored, a user has
// at most MESSENGER_LIMITS.maxDevicesPerUser active devices, an identity key never changes in place
// (a new key is a new device, announced to every conversation partner), and a revoked device's
// inbox goes with it. Bundles are only ever fetched within the org.

import { randomUUID } from 'node:crypto';
import { MESSENGER_LIMITS, verifyDeviceBundle, type PublishedDeviceBundle } from '@unibos/messenger-crypto';
import { HubError, notFound } from '../hub-error.ts';
import type { DeviceBundleView, DeviceDirectory, MessengerDevice } from './device-directory.ts';
import type { MailboxStore } from './mailbox-store.ts';
import type { MessengerEvents } from './messenger-events.ts';
import type { MessengerMetrics } from './messenger-metrics.ts';

export interface MessengerDevicesDeps {
  directory: DeviceDirectory;
  mailbox: MailboxStore;
  events: MessengerEvents;
  metrics: MessengerMetrics;
  /** Whether the user belongs to the org (a user of another org does not exist for this one). */
  isOrgMember: (orgId: string, userId: string) => boolean;
  now: () => number;
}

/** One-time prekeys one caller may take from one user's devices per hour. */
export const PREKEY_FETCHES_PER_HOUR = 20;

/** Fetches per key within the last hour; keys whose hour has passed are forgotten as new ones come. */
class FetchBudget {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  take(key: string, nowMs: number): boolean {
    const w = this.windows.get(key);
    if (!w || nowMs - w.startMs >= 3_600_000) {
      if (this.windows.size >= 10_000) for (const [k, old] of this.windows) if (nowMs - old.startMs >= 3_600_000) this.windows.delete(k);
      this.windows.set(key, { startMs: nowMs, count: 1 });
      return true;
    }
    return ++w.count <= PREKEY_FETCHES_PER_HOUR;
  }
}

export class MessengerDevices {
  private readonly prekeyBudget = new FetchBudget();

  constructor(private readonly d: MessengerDevicesDeps) {}

  register(orgId: string, userId: string, name: string, body: unknown): MessengerDevice {
    const bundle = this.verified(body);
    if (this.d.directory.activeDevicesOf(orgId, userId).length >= MESSENGER_LIMITS.maxDevicesPerUser) {
      this.d.metrics.refused.inc({ reason: 'limit_reached' });
      throw new HubError('E_LIMIT_REACHED', `at most ${MESSENGER_LIMITS.maxDevicesPerUser} messenger devices per user: revoke one first`);
    }
    // An identity key is a device: the same key again would let an old device come back silently.
    const existing = this.d.directory.deviceWithIdentity(orgId, bundle.identityKey);
    if (existing) throw new HubError('E_CONFLICT', 'this identity key is already registered; a new device needs new keys');
    const device = this.d.directory.register(orgId, userId, { id: randomUUID(), name, bundle, nowMs: this.d.now() });
    this.d.events.toPartners(orgId, userId, 'messenger.devices_changed', { userId, deviceId: device.id, change: 'added', identityKey: device.identityKey });
    return device;
  }

  list(orgId: string, userId: string): MessengerDevice[] {
    return this.d.directory.activeDevicesOf(orgId, userId);
  }

  /** The caller's own active device, or 404. */
  own(orgId: string, userId: string, deviceId: string): MessengerDevice {
    const device = this.d.directory.activeDevice(orgId, deviceId);
    if (!device || device.userId !== userId) throw notFound('messenger device');
    return device;
  }

  revoke(orgId: string, userId: string, deviceId: string): void {
    const device = this.own(orgId, userId, deviceId);
    this.d.directory.revoke(device.id, this.d.now());
    this.d.mailbox.dropDevice(device.id);
    this.d.events.toPartners(orgId, userId, 'messenger.devices_changed', { userId, deviceId: device.id, change: 'revoked', identityKey: device.identityKey });
  }

  /** New one-time prekeys and a rotated signed prekey, under the device's unchanged identity. */
  refill(orgId: string, userId: string, deviceId: string, body: unknown): MessengerDevice {
    const device = this.own(orgId, userId, deviceId);
    const bundle = this.verified(body);
    if (bundle.identityKey !== device.identityKey || bundle.signingKey !== device.signingKey) {
      throw new HubError('E_CONFLICT', 'a device\u2019s identity and signing keys never change: register a new device instead');
    }
    if (device.oneTimePrekeys + bundle.oneTimePrekeys.length > MESSENGER_LIMITS.maxOneTimePrekeys) {
      this.d.metrics.refused.inc({ reason: 'limit_reached' });
      throw new HubError('E_LIMIT_REACHED', `a device holds at most ${MESSENGER_LIMITS.maxOneTimePrekeys} one-time prekeys (${device.oneTimePrekeys} unspent)`);
    }
    return this.d.directory.refill(orgId, device.id, bundle);
  }

  /**
   * Every active device of a user in the caller's org, one one-time prekey taken from each. A caller
   * who keeps fetching the same user's bundles (beyond what starting sessions needs) gets them
   * without one-time prekeys, so nobody can drain another's: X3DH works without one, as Signal's
   * does when they run out.
   */
  bundles(orgId: string, callerId: string, userId: string): DeviceBundleView[] {
    if (!this.d.isOrgMember(orgId, userId)) throw notFound('user');
    const oneTime = this.prekeyBudget.take(`${orgId} ${callerId} ${userId}`, this.d.now());
    if (!oneTime) this.d.metrics.refused.inc({ reason: 'prekey_budget' });
    return this.d.directory.takeBundles(orgId, userId, oneTime);
  }

  /**
   * Every active device's identity key, and nothing taken: what safety numbers and key pins need.
   * Looking at a safety number must not use up the one-time prekeys that sessions start with.
   */
  identityKeys(orgId: string, userId: string): Array<{ deviceId: string; name: string; identityKey: string }> {
    if (!this.d.isOrgMember(orgId, userId)) throw notFound('user');
    return this.d.directory.activeDevicesOf(orgId, userId).map((d) => ({ deviceId: d.id, name: d.name, identityKey: d.identityKey }));
  }

  private verified(body: unknown): PublishedDeviceBundle {
    const check = verifyDeviceBundle(body);
    if (!check.ok) {
      this.d.metrics.refused.inc({ reason: 'bad_bundle' });
      throw new HubError('E_BAD_BUNDLE', `device bundle refused (${check.code}): ${check.reason}`);
    }
    return check.bundle;
  }
}
