// Refresh-token sessions in SQLite (one row written per login and per refresh): 256-bit random
// tokens stored only as SHA-256, grouped in families. Each refresh spends the presented token and
// issues the next one in its family; presenting a spent token again means it was stolen or
// replayed, so the whole family is revoked. Logout revokes the family.
//
// Except for a short grace period after a rotation: the answer may never have reached the holder
// (the page was reloaded, the link dropped), who then presents the same token again. Within
// REUSE_GRACE_MS that is answered with the same successor token, as long as nobody has spent it
// yet; the family still has a single live token, and a later replay still revokes it. The
// successor is kept sealed with a key derived from the spent token itself, so the database alone
// never yields a live token.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { tokenDigest } from '../storage/token-digest.ts';
import { HubError } from '../hub-error.ts';
import type { HubDb } from '../storage/hub-db.ts';

interface TokenRow {
  family_id: string;
  user_id: string;
  org_id: string;
  expires_at: number;
  spent_at: number | null;
  successor: Buffer | null;
  revoked_at: number | null;
}

/** How long after a rotation the spent token may be presented again for the same successor (a reload, a duplicated tab). */
export const REUSE_GRACE_MS = 30_000;

/** Dead sessions are pruned while the hub runs at most this often (and at every start). */
const PRUNE_EVERY_MS = 3600_000;

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
  private lastPruneMs = 0;

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
    // Added later: the successor, sealed, for a repeat within the grace period.
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(auth_refresh_tokens)').all().some((c) => c.name === 'successor')) db.exec('ALTER TABLE auth_refresh_tokens ADD COLUMN successor BLOB');
    this.stmt = {
      insertFamily: db.prepare<[string, string, number]>('INSERT INTO auth_refresh_families (id, user_id, created_at) VALUES (?, ?, ?)'),
      insertToken: db.prepare<[string, string, string, string, number, number]>('INSERT INTO auth_refresh_tokens (hash, family_id, user_id, org_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      find: db.prepare<[string], TokenRow>('SELECT t.family_id, t.user_id, t.org_id, t.expires_at, t.spent_at, t.successor, f.revoked_at FROM auth_refresh_tokens t JOIN auth_refresh_families f ON f.id = t.family_id WHERE t.hash = ?'),
      spend: db.prepare<[number, Buffer, string]>('UPDATE auth_refresh_tokens SET spent_at = ?, successor = ? WHERE hash = ? AND spent_at IS NULL'),
      // Only the newest spent token of a family can still be repeated: older sealed successors go.
      forgetSuccessors: db.prepare<[string, string]>('UPDATE auth_refresh_tokens SET successor = NULL WHERE family_id = ? AND hash != ? AND successor IS NOT NULL'),
      revokeFamily: db.prepare<[number, string]>('UPDATE auth_refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeUser: db.prepare<[number, string]>('UPDATE auth_refresh_families SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'),
      // A family is dead once revoked or once its newest token has expired.
      prune: db.prepare<[number, number]>('DELETE FROM auth_refresh_families WHERE revoked_at < ? OR id NOT IN (SELECT family_id FROM auth_refresh_tokens WHERE expires_at > ?)'),
      // A live session refreshed for months keeps only the spent tokens that could still be presented.
      pruneSpent: db.prepare<[number]>('DELETE FROM auth_refresh_tokens WHERE spent_at IS NOT NULL AND expires_at <= ?'),
    };
    this.prune();
  }

  /** A new family (a new login) with its first token. */
  issue(userId: string, orgId: string): { token: string; familyId: string } {
    this.pruneNowAndThen();
    const familyId = randomUUID();
    const token = this.db.transaction(() => {
      this.stmt.insertFamily.run(familyId, userId, this.now());
      return this.insert(familyId, userId, orgId);
    })();
    return { token, familyId };
  }

  /**
   * Spends `token` and returns the grant it carried plus the next token of its family (for `orgId`
   * if given, e.g. when the holder lost the membership it was issued for). The token just spent,
   * presented again within the grace period while its successor is unspent, answers with that same
   * successor; any other spent token revokes its family and answers E_AUTH_REUSED.
   */
  rotate(token: string, chooseOrg: (grant: RefreshGrant) => string | null): { grant: RefreshGrant; token: string } {
    this.pruneNowAndThen();
    const hash = sha256Hex(token);
    const outcome = this.db.transaction((): { grant: RefreshGrant; token: string } | HubError => {
      const row = this.stmt.find.get(hash);
      if (!row || row.revoked_at !== null) return new HubError('E_AUTH_INVALID', 'invalid refresh token: log in again');
      const now = this.now();
      if (row.spent_at !== null) {
        const again = now - row.spent_at <= REUSE_GRACE_MS ? this.unspentSuccessor(token, hash, row, now) : null;
        if (again) return again;
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
      const next = this.insert(row.family_id, row.user_id, orgId);
      this.stmt.spend.run(now, seal(token, hash, next), hash);
      this.stmt.forgetSuccessors.run(row.family_id, hash);
      return { grant: { ...grant, orgId }, token: next };
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

  /** The successor `token` was spent for, if it is still the family's live token. */
  private unspentSuccessor(token: string, hash: string, row: TokenRow, now: number): { grant: RefreshGrant; token: string } | null {
    const next = row.successor ? unseal(token, hash, row.successor) : null;
    const succ = next ? this.stmt.find.get(sha256Hex(next)) : undefined;
    if (!next || !succ || succ.spent_at !== null || succ.revoked_at !== null || succ.expires_at <= now) return null;
    return { grant: { userId: succ.user_id, orgId: succ.org_id, familyId: succ.family_id }, token: next };
  }

  prune(): void {
    const now = this.now();
    this.lastPruneMs = now;
    // A day's grace: a session that just ended still answers why (expired, reused) rather than "invalid".
    const before = now - 86_400_000;
    this.db.transaction(() => {
      this.stmt.prune.run(before, before);
      this.stmt.pruneSpent.run(before);
    })();
  }

  /** Logins and refreshes go on for as long as the hub runs: what they leave behind goes on the way. */
  private pruneNowAndThen(): void {
    if (this.now() - this.lastPruneMs >= PRUNE_EVERY_MS) this.prune();
  }

  private insert(familyId: string, userId: string, orgId: string): string {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    this.stmt.insertToken.run(sha256Hex(token), familyId, userId, orgId, now, now + this.ttlS * 1000);
    return token;
  }
}

/** The key that seals a successor: derived from the spent token, which the database does not hold. */
function sealKey(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, Buffer.alloc(0), 'unibos refresh successor v1', 32));
}

/** AES-256-GCM, bound to the spent token's row by its hash: iv (12) | tag (16) | ciphertext. */
function seal(token: string, hash: string, successor: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(token), iv);
  cipher.setAAD(Buffer.from(hash, 'hex'));
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function unseal(token: string, hash: string, box: Buffer): string | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(token), box.subarray(0, 12));
    decipher.setAAD(Buffer.from(hash, 'hex'));
    decipher.setAuthTag(box.subarray(12, 28));
    return Buffer.concat([decipher.update(box.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
