// Refresh-token sessions in SQLite (one row written per login and per refresh): 256-bit random
// tokens stored only as SHA-256, grouped in families. Each refresh spends the presented token and
// issues the next one in its family; presenting a spent token again means it was stolen or
// replayed, so the whole family is revoked. Logout revokes the family.

import { randomBytes, randomUUID } from 'node:crypto';
import { tokenDigest } from '../storage/token-digest.ts';
import { HubError } from '../hub-error.ts';
import type { HubDb } from '../storage/hub-db.ts';

interface TokenRow {
  family_id: string;
  user_id: string;
  org_id: string;
  expires_at: number;
  spent_at: number | null;
  revoked_at: number | null;
}

export interface RefreshGrant {
  userId: string;
  orgId: string;
  familyId: string;
}

export function sha256Hex(value: string): string {
  return tokenDigest(value).toString('hex');
}

export class RefreshTokens {
  private readonly stmt;

  constructor(
    private readonly db: HubDb,
    private readonly ttlS: number,
    private readonly now: () => number,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS auth_refresh_families (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    CREATE TABLE IF NOT EXISTS auth_refresh_tokens (
      hash TEXT PRIMARY KEY,
      family_id TEXT NOT NULL REFERENCES auth_refresh_families (id) ON DELETE CASCADE,
      user_id TEXT NOT NULL,
      org_id TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      spent_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS auth_refresh_tokens_family ON auth_refresh_tokens (family_id);
    CREATE INDEX IF NOT EXISTS auth_refresh_families_user ON auth_refresh_families (user_id);`);
    this.stmt = {
      insertFamily: db.prepare<[string, string, number]>('INSERT INTO auth_refresh_families (id, user_id, created_at) VALUES (?, ?, ?)'),
      insertToken: db.prepare<[string, string, string, string, number, number]>('INSERT INTO auth_refresh_tokens (hash, family_id, user_id, org_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      find: db.prepare<[string], TokenRow>('SELECT t.family_id, t.user_id, t.org_id, t.expires_at, t.spent_at, f.revoked_at FROM auth_refresh_tokens t JOIN auth_refresh_families f ON f.id = t.family_id WHERE t.hash = ?'),
      spend: db.prepare<[number, string]>('UPDATE auth_refresh_tokens SET spent_at = ? WHERE hash = ? AND spent_at IS NULL'),
      revokeFamily: db.prepare<[number, string]>('UPDATE auth_refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUser: db.prepare<[number, string]>('UPDATE auth_refresh_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'),
      // A family is dead once revoked or once its newest token has expired.
      prune: db.prepare<[number, number]>('DELETE FROM auth_refresh_families WHERE revoked_at < ? OR id NOT IN (SELECT family_id FROM auth_refresh_tokens WHERE expires_at > ?)'),
    };
    this.prune();
  }

  /** A new family (a new login) with its first token. */
  issue(userId: string, orgId: string): { token: string; familyId: string } {
    const familyId = randomUUID();
    const token = this.db.transaction(() => {
      this.stmt.insertFamily.run(familyId, userId, this.now());
      return this.insert(familyId, userId, orgId);
    })();
    return { token, familyId };
  }

  /**
   * Spends `token` and returns the grant it carried plus the next token of its family (for `orgId`
   * if given, e.g. when the holder lost the membership it was issued for). A spent token revokes
   * its family and answers E_AUTH_REUSED.
   */
  rotate(token: string, chooseOrg: (grant: RefreshGrant) => string | null): { grant: RefreshGrant; token: string } {
    const hash = sha256Hex(token);
    const outcome = this.db.transaction((): { grant: RefreshGrant; token: string } | HubError => {
      const row = this.stmt.find.get(hash);
      if (!row || row.revoked_at !== null) return new HubError('E_AUTH_INVALID', 'invalid refresh token: log in again');
      const now = this.now();
      if (row.spent_at !== null) {
        this.stmt.revokeFamily.run(now, row.family_id);
        return new HubError('E_AUTH_REUSED', 'refresh token was already used: every session from this login is now revoked; log in again');
      }
      if (row.expires_at <= now) return new HubError('E_AUTH_EXPIRED', 'refresh token expired: log in again');
      const grant = { userId: row.user_id, orgId: row.org_id, familyId: row.family_id };
      const orgId = chooseOrg(grant);
      if (!orgId) {
        this.stmt.revokeFamily.run(now, row.family_id);
        return new HubError('E_AUTH_INVALID', 'this account no longer belongs to any org');
      }
      this.stmt.spend.run(now, hash);
      return { grant: { ...grant, orgId }, token: this.insert(row.family_id, row.user_id, orgId) };
    })();
    // Thrown outside the transaction so the revocation commits.
    if (outcome instanceof HubError) throw outcome;
    return outcome;
  }

  /** Revokes the family of `token` (spent or not); unknown tokens are ignored. */
  revoke(token: string): void {
    const row = this.stmt.find.get(sha256Hex(token));
    if (row) this.stmt.revokeFamily.run(this.now(), row.family_id);
  }

  revokeAllOf(userId: string): void {
    this.stmt.revokeUser.run(this.now(), userId);
  }

  prune(): void {
    const now = this.now();
    this.stmt.prune.run(now - 86_400_000, now);
  }

  private insert(familyId: string, userId: string, orgId: string): string {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.stmt.insertToken.run(sha256Hex(token), familyId, userId, orgId, now, now + this.ttlS * 1000);
    return token;
  }
}
