// Messenger devices and their published keys (the `messenger_devices` and `messenger_prekeys`
// tables): registration, revocation, prekey refills and the bundles others fetch to start a
// session, each fetch taking one one-time prekey per device so none is ever handed out twice.

import type { PublishedDeviceBundle } from '@unibos/messenger-crypto';
import type { HubDb } from '../storage/hub-db.ts';

export interface SignedPrekey {
  keyId: number;
  publicKey: string;
  signature: string;
}

/** A device as its own user sees it. */
export interface MessengerDevice {
  id: string;
  userId: string;
  name: string;
  identityKey: string;
  signingKey: string;
  signedPrekey: SignedPrekey;
  /** One-time prekeys still unspent (a client refills below a threshold). */
  oneTimePrekeys: number;
  createdAt: string;
  /** When the device last fetched its inbox (to the minute), null if it has not since the hub kept this. */
  lastSeenAt: string | null;
}

/** What a peer fetches to start a session with one device. */
export interface DeviceBundleView {
  deviceId: string;
  name: string;
  identityKey: string;
  signingKey: string;
  signedPrekey: SignedPrekey;
  oneTimePrekey: { keyId: number; publicKey: string } | null;
}

interface DeviceRow {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  identity_key: string;
  signing_key: string;
  signed_prekey: string;
  created_ms: number;
  revoked_ms: number | null;
  seen_ms: number | null;
  prekeys: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messenger_devices (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  identity_key TEXT NOT NULL,
  signing_key TEXT NOT NULL,
  signed_prekey TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
CREATE INDEX IF NOT EXISTS messenger_devices_user ON messenger_devices (org_id, user_id, revoked_ms);
CREATE TABLE IF NOT EXISTS messenger_prekeys (
  device_id TEXT NOT NULL,
  key_id INTEGER NOT NULL,
  public_key TEXT NOT NULL,
  PRIMARY KEY (device_id, key_id)
);`;

/** A device's last sight is kept to the minute: a sync is not a write each time. */
const SEEN_RESOLUTION_MS = 60_000;

const WITH_COUNT = `SELECT d.*, (SELECT COUNT(*) FROM messenger_prekeys p WHERE p.device_id = d.id) AS prekeys FROM messenger_devices d`;

export class DeviceDirectory {
  private readonly stmt;

  constructor(private readonly db: HubDb) {
    db.exec(SCHEMA);
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(messenger_devices)').all().some((c) => c.name === 'seen_ms')) db.exec('ALTER TABLE messenger_devices ADD COLUMN seen_ms INTEGER');
    this.stmt = {
      insert: db.prepare<{ id: string; org: string; user: string; name: string; ik: string; sk: string; spk: string; t: number }>(
        'INSERT INTO messenger_devices (id, org_id, user_id, name, identity_key, signing_key, signed_prekey, created_ms) VALUES (@id, @org, @user, @name, @ik, @sk, @spk, @t)',
      ),
      addPrekey: db.prepare<[string, number, string]>('INSERT OR REPLACE INTO messenger_prekeys (device_id, key_id, public_key) VALUES (?, ?, ?)'),
      active: db.prepare<[string, string], DeviceRow>(`${WITH_COUNT} WHERE d.org_id = ? AND d.id = ? AND d.revoked_ms IS NULL`),
      activeOfUser: db.prepare<[string, string], DeviceRow>(`${WITH_COUNT} WHERE d.org_id = ? AND d.user_id = ? AND d.revoked_ms IS NULL ORDER BY d.n`),
      activeOfOrg: db.prepare<[string], DeviceRow>(`${WITH_COUNT} WHERE d.org_id = ? AND d.revoked_ms IS NULL ORDER BY d.n`),
      byIdentity: db.prepare<[string, string], { id: string }>('SELECT id FROM messenger_devices WHERE org_id = ? AND identity_key = ?'),
      seen: db.prepare<[number, string, number]>('UPDATE messenger_devices SET seen_ms = ? WHERE id = ? AND revoked_ms IS NULL AND (seen_ms IS NULL OR seen_ms < ?)'),
      revoke: db.prepare<[number, string]>('UPDATE messenger_devices SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL'),
      dropPrekeys: db.prepare<[string]>('DELETE FROM messenger_prekeys WHERE device_id = ?'),
      setSignedPrekey: db.prepare<[string, string]>('UPDATE messenger_devices SET signed_prekey = ? WHERE id = ?'),
      takePrekey: db.prepare<[string], { key_id: number; public_key: string }>(
        'DELETE FROM messenger_prekeys WHERE rowid = (SELECT rowid FROM messenger_prekeys WHERE device_id = ? ORDER BY key_id LIMIT 1) RETURNING key_id, public_key',
      ),
    };
  }

  /** The user's active device, or null (revoked, another user's, another org's, or none). */
  activeDevice(orgId: string, deviceId: string): MessengerDevice | null {
    const row = this.stmt.active.get(orgId, deviceId);
    return row ? toDevice(row) : null;
  }

  activeDevicesOf(orgId: string, userId: string): MessengerDevice[] {
    return this.stmt.activeOfUser.all(orgId, userId).map(toDevice);
  }

  /** Every active device of the org (mesh messages find their device by its virtual address). */
  activeDevicesOfOrg(orgId: string): MessengerDevice[] {
    return this.stmt.activeOfOrg.all(orgId).map(toDevice);
  }

  /** Any device, active or revoked, that ever published this identity key in the org. */
  deviceWithIdentity(orgId: string, identityKey: string): string | null {
    return this.stmt.byIdentity.get(orgId, identityKey)?.id ?? null;
  }

  register(orgId: string, userId: string, input: { id: string; name: string; bundle: PublishedDeviceBundle; nowMs: number }): MessengerDevice {
    const { bundle } = input;
    this.db.transaction(() => {
      this.stmt.insert.run({ id: input.id, org: orgId, user: userId, name: input.name, ik: bundle.identityKey, sk: bundle.signingKey, spk: JSON.stringify(bundle.signedPrekey), t: input.nowMs });
      for (const k of bundle.oneTimePrekeys) this.stmt.addPrekey.run(input.id, k.keyId, k.publicKey);
    })();
    return this.activeDevice(orgId, input.id)!;
  }

  /** New one-time prekeys (a key id already held is replaced) and the signed prekey rotated. */
  refill(orgId: string, deviceId: string, bundle: PublishedDeviceBundle): MessengerDevice {
    this.db.transaction(() => {
      this.stmt.setSignedPrekey.run(JSON.stringify(bundle.signedPrekey), deviceId);
      for (const k of bundle.oneTimePrekeys) this.stmt.addPrekey.run(deviceId, k.keyId, k.publicKey);
    })();
    return this.activeDevice(orgId, deviceId)!;
  }

  /** The device fetched its inbox: its owner's device list says when (written at most once a minute). */
  seen(deviceId: string, nowMs: number): void {
    this.stmt.seen.run(nowMs, deviceId, nowMs - SEEN_RESOLUTION_MS);
  }

  revoke(deviceId: string, nowMs: number): void {
    this.db.transaction(() => {
      this.stmt.revoke.run(nowMs, deviceId);
      this.stmt.dropPrekeys.run(deviceId);
    })();
  }

  /** Every active device's bundle, taking one one-time prekey from each (null once they ran out, or when `oneTime` is false). */
  takeBundles(orgId: string, userId: string, oneTime = true): DeviceBundleView[] {
    return this.db.transaction(() =>
      this.stmt.activeOfUser.all(orgId, userId).map((row) => {
        const otk = oneTime ? this.stmt.takePrekey.get(row.id) : undefined;
        return {
          deviceId: row.id,
          name: row.name,
          identityKey: row.identity_key,
          signingKey: row.signing_key,
          signedPrekey: JSON.parse(row.signed_prekey) as SignedPrekey,
          oneTimePrekey: otk ? { keyId: otk.key_id, publicKey: otk.public_key } : null,
        };
      }),
    )();
  }
}

function toDevice(row: DeviceRow): MessengerDevice {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    identityKey: row.identity_key,
    signingKey: row.signing_key,
    signedPrekey: JSON.parse(row.signed_prekey) as SignedPrekey,
    oneTimePrekeys: row.prekeys,
    createdAt: new Date(row.created_ms).toISOString(),
    lastSeenAt: row.seen_ms === null ? null : new Date(row.seen_ms).toISOString(),
  };
}
