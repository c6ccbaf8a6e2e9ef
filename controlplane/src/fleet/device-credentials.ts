// Claim tokens and the device credentials they turn into. An admin makes a claim token for a
// gateway or a node; the device presents it once with its id and receives its own secret:
// a gateway an MQTT password for the hub broker, a node a token for the HTTP heartbeat. Secrets
// are 256 random bits, kept only as SHA-256 hashes: with that much entropy a slow KDF adds
// nothing but latency on every heartbeat and connect.

import { randomBytes } from 'node:crypto';
import { digestMatches, tokenDigest as sha256 } from '../storage/token-digest.ts';
import type { HubDb } from '../storage/hub-db.ts';
import type { DeviceKind } from './fleet-store.ts';

export interface ClaimToken {
  token: string;
  orgId: string;
  kind: DeviceKind;
  name: string | null;
  expiresMs: number;
}

export interface DeviceCredential {
  orgId: string;
  id: string;
  kind: DeviceKind;
}

interface CredRow {
  org_id: string;
  id: string;
  kind: string;
  secret_hash: Buffer;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_claim_tokens (
  token_hash BLOB PRIMARY KEY,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER,
  used_by TEXT
);
CREATE TABLE IF NOT EXISTS fleet_credentials (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  secret_hash BLOB NOT NULL,
  created_ms INTEGER NOT NULL
);`;


export class DeviceCredentials {
  private readonly stmt;
  /** id -> credential, so a heartbeat costs a map lookup and one hash, not a query. */
  private readonly cache = new Map<string, CredRow>();

  constructor(private readonly db: HubDb) {
    db.exec(SCHEMA);
    this.stmt = {
      insertClaim: db.prepare<[Buffer, string, string, string | null, number, number]>('INSERT INTO fleet_claim_tokens (token_hash, org_id, kind, name, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      getClaim: db.prepare<[Buffer], { org_id: string; kind: string; name: string | null; expires_ms: number; used_ms: number | null }>('SELECT * FROM fleet_claim_tokens WHERE token_hash = ?'),
      useClaim: db.prepare<[number, string, Buffer]>('UPDATE fleet_claim_tokens SET used_ms = ?, used_by = ? WHERE token_hash = ? AND used_ms IS NULL'),
      getCred: db.prepare<[string], CredRow>('SELECT * FROM fleet_credentials WHERE id = ?'),
      upsertCred: db.prepare<[string, string, string, Buffer, number]>(
        'INSERT INTO fleet_credentials (id, org_id, kind, secret_hash, created_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, kind = excluded.kind, secret_hash = excluded.secret_hash, created_ms = excluded.created_ms',
      ),
      removeCred: db.prepare<[string, string]>('DELETE FROM fleet_credentials WHERE id = ? AND org_id = ?'),
    };
  }

  createClaimToken(orgId: string, kind: DeviceKind, name: string | null, ttlMs: number, nowMs: number): ClaimToken {
    const token = `ubc_${randomBytes(24).toString('base64url')}`;
    this.stmt.insertClaim.run(sha256(token), orgId, kind, name, nowMs, nowMs + ttlMs);
    return { token, orgId, kind, name, expiresMs: nowMs + ttlMs };
  }

  /**
   * Spends a claim token for device `id` and issues its secret, in one transaction. Returns null
   * for an unknown, used or expired token, an id owned by another org, or a token of the other
   * kind for an id already claimed (indistinguishable). Claiming again replaces the secret.
   */
  claim(token: string, id: string, nowMs: number): { orgId: string; kind: DeviceKind; name: string | null; secret: string } | null {
    const hash = sha256(token);
    return this.db.transaction(() => {
      const row = this.stmt.getClaim.get(hash);
      if (!row || row.used_ms !== null || row.expires_ms <= nowMs) return null;
      const existing = this.stmt.getCred.get(id);
      // Another org's device, or a node token aimed at a gateway's id (or the reverse): refused.
      if (existing && (existing.org_id !== row.org_id || existing.kind !== row.kind)) return null;
      this.stmt.useClaim.run(nowMs, id, hash);
      const kind: DeviceKind = row.kind === 'gateway' ? 'gateway' : 'node';
      const secret = randomBytes(32).toString('base64url');
      const secretHash = sha256(secret);
      this.stmt.upsertCred.run(id, row.org_id, kind, secretHash, nowMs);
      this.cache.delete(id);
      return { orgId: row.org_id, kind, name: row.name, secret };
    })();
  }

  /** The device whose id and secret these are, or null. Constant time in the secret. */
  verify(id: string, secret: string): DeviceCredential | null {
    let row = this.cache.get(id);
    if (!row) {
      row = this.stmt.getCred.get(id);
      if (!row) return null;
      this.cache.set(id, row);
    }
    if (!digestMatches(secret, row.secret_hash)) return null;
    return { orgId: row.org_id, id: row.id, kind: row.kind === 'gateway' ? 'gateway' : 'node' };
  }

  revoke(orgId: string, id: string): void {
    this.stmt.removeCred.run(id, orgId);
    this.cache.delete(id);
  }
}
