// Devices (browsers, CLIs) that have logged in to an account before: each successful login hands
// out a device token (256 bits, kept only as SHA-256), and a login that presents it for the same
// account skips the per-account lock. An attacker guessing passwords has no such token, so the
// owner is never locked out of their own devices by someone else's failures. Unused tokens expire.

import { randomBytes } from 'node:crypto';
import { tokenDigest } from '../storage/token-digest.ts';
import type { HubDb } from '../storage/hub-db.ts';

export const KNOWN_DEVICE_TTL_MS = 180 * 86_400_000;

export class KnownDevices {
  private readonly stmt;

  constructor(
    db: HubDb,
    private readonly now: () => number,
    private readonly ttlMs: number = KNOWN_DEVICE_TTL_MS,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS auth_known_devices (
      hash BLOB PRIMARY KEY,
      user_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS auth_known_devices_user ON auth_known_devices (user_id);`);
    this.stmt = {
      insert: db.prepare<[Buffer, string, number, number]>('INSERT INTO auth_known_devices (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      holder: db.prepare<[Buffer, number], { user_id: string }>('SELECT user_id FROM auth_known_devices WHERE hash = ? AND expires_at > ?'),
      touch: db.prepare<[number, Buffer]>('UPDATE auth_known_devices SET expires_at = ? WHERE hash = ?'),
      prune: db.prepare<[number]>('DELETE FROM auth_known_devices WHERE expires_at <= ?'),
    };
    this.stmt.prune.run(now());
  }

  /** A new device token for `userId` (after a successful login). */
  issue(userId: string): string {
    const token = `ukd_${randomBytes(32).toString('base64url')}`;
    const now = this.now();
    this.stmt.insert.run(tokenDigest(token), userId, now, now + this.ttlMs);
    return token;
  }

  /** Whether `token` was handed to `userId` and has not expired. */
  proves(token: string, userId: string): boolean {
    return this.stmt.holder.get(tokenDigest(token), this.now())?.user_id === userId;
  }

  /** Used again after a successful login: it lives another full term. */
  renew(token: string): void {
    this.stmt.touch.run(this.now() + this.ttlMs, tokenDigest(token));
  }
}
