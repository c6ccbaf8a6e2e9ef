// Claim tokens and the device credentials they turn into. An admin makes a claim token for a
// gateway or a node; the device presents it once with its id and a proof that it holds the id's
// identity keys (see @unibos/mesh-protocol claim-proof), and receives its own secret: a gateway an
// MQTT password for the hub broker, a node a token for the HTTP heartbeat. Device ids are public
// (every frame carries one), so the token alone proves nothing about the device. Secrets are 256
// random bits, kept only as SHA-256 hashes: with that much entropy a slow KDF adds nothing but
// latency on every heartbeat and connect.

import { randomBytes } from 'node:crypto';
import { verifyClaimProof, type ClaimProof } from '@unibos/mesh-protocol';
import { digestMatches, tokenDigest as sha256 } from '../storage/token-digest.ts';
import type { HubDb } from '../storage/hub-db.ts';
import { ClaimChallenges, type ChallengeRefusal, type OpenChallenge } from './claim-challenges.ts';
import type { DeviceKind } from './fleet-store.ts';

/** Why a claim was refused; each is counted. */
export const CLAIM_REFUSALS = ['no_proof', 'bad_challenge', 'bad_proof', 'bad_token', 'owned_elsewhere', 'key_mismatch', 'kind_mismatch', 'token_kind'] as const;
export type ClaimRefusal = (typeof CLAIM_REFUSALS)[number];

export interface ClaimStats {
  accepted: number;
  refused: Record<ClaimRefusal, number>;
}

/** A challenge is answered by a device a few network round trips later; five minutes is generous. */
const CHALLENGE_TTL_MS = 5 * 60_000;
/** Anyone may ask for a challenge (rate limited per address); this caps the memory all of them hold. */
const MAX_OPEN_CHALLENGES = 10_000;
/**
 * Outstanding challenges one address block (an IPv4 address, an IPv6 /64) holds: a device claims
 * with one, a site of devices claiming at once with a few. So filling the hub's room takes a
 * thousand address blocks, not one /64 with an address per request.
 */
const MAX_CHALLENGES_PER_ADDRESS = 10;

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

export interface ClaimedDevice {
  orgId: string;
  kind: DeviceKind;
  name: string | null;
  secret: string;
}

interface CredRow {
  org_id: string;
  id: string;
  kind: string;
  secret_hash: Buffer;
  x25519_pub: Buffer | null;
  ed25519_pub: Buffer | null;
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
  created_ms INTEGER NOT NULL,
  x25519_pub BLOB,
  ed25519_pub BLOB
);`;

/** Hubs made before claims proved possession have no key columns yet. */
function addKeyColumns(db: HubDb): void {
  const cols = new Set(db.prepare<[], { name: string }>('PRAGMA table_info(fleet_credentials)').all().map((c) => c.name));
  if (!cols.has('x25519_pub')) db.exec('ALTER TABLE fleet_credentials ADD COLUMN x25519_pub BLOB');
  if (!cols.has('ed25519_pub')) db.exec('ALTER TABLE fleet_credentials ADD COLUMN ed25519_pub BLOB');
}


export class DeviceCredentials {
  private readonly stmt;
  /** id -> credential, so a heartbeat costs a map lookup and one hash, not a query. */
  private readonly cache = new Map<string, CredRow>();
  private readonly challenges = new ClaimChallenges({ ttlMs: CHALLENGE_TTL_MS, max: MAX_OPEN_CHALLENGES, maxPerHolder: MAX_CHALLENGES_PER_ADDRESS });
  readonly claimStats: ClaimStats = { accepted: 0, refused: Object.fromEntries(CLAIM_REFUSALS.map((r) => [r, 0])) as Record<ClaimRefusal, number> };

  constructor(private readonly db: HubDb) {
    db.exec(SCHEMA);
    addKeyColumns(db);
    this.stmt = {
      insertClaim: db.prepare<[Buffer, string, string, string | null, number, number]>('INSERT INTO fleet_claim_tokens (token_hash, org_id, kind, name, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      getClaim: db.prepare<[Buffer], { org_id: string; kind: string; name: string | null; expires_ms: number; used_ms: number | null }>('SELECT * FROM fleet_claim_tokens WHERE token_hash = ?'),
      useClaim: db.prepare<[number, string, Buffer]>('UPDATE fleet_claim_tokens SET used_ms = ?, used_by = ? WHERE token_hash = ? AND used_ms IS NULL'),
      getCred: db.prepare<[string], CredRow>('SELECT * FROM fleet_credentials WHERE id = ?'),
      upsertCred: db.prepare<[string, string, string, Buffer, number, Buffer, Buffer]>(
        `INSERT INTO fleet_credentials (id, org_id, kind, secret_hash, created_ms, x25519_pub, ed25519_pub) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET org_id = excluded.org_id, kind = excluded.kind, secret_hash = excluded.secret_hash, created_ms = excluded.created_ms,
           x25519_pub = excluded.x25519_pub, ed25519_pub = excluded.ed25519_pub`,
      ),
      removeCred: db.prepare<[string, string]>('DELETE FROM fleet_credentials WHERE id = ? AND org_id = ?'),
    };
  }

  createClaimToken(orgId: string, kind: DeviceKind, name: string | null, ttlMs: number, nowMs: number): ClaimToken {
    const token = `ubc_${randomBytes(24).toString('base64url')}`;
    this.stmt.insertClaim.run(sha256(token), orgId, kind, name, nowMs, nowMs + ttlMs);
    return { token, orgId, kind, name, expiresMs: nowMs + ttlMs };
  }

  /** A single-use challenge for a device about to claim from `address` (its block), or why not. */
  issueChallenge(nowMs: number, address: string): OpenChallenge['challenge'] | ChallengeRefusal {
    const issued = this.challenges.issue(nowMs, address);
    return typeof issued === 'string' ? issued : issued.challenge;
  }

  /**
   * A device's claim: its proof of holding the keys behind `id` (8 hex), checked against the
   * challenge it answers (spent whatever the outcome), then the claim token spent and the secret
   * issued in one transaction. Every refusal is counted, with its reason. `expectedKind` is what the
   * device is (older devices do not say): a token made for the other kind is refused unspent.
   */
  claim(token: string, id: string, proof: ClaimProof | undefined, nowMs: number, expectedKind?: DeviceKind): ClaimedDevice | { refused: ClaimRefusal } {
    const outcome = this.claimOnce(token, id, proof, nowMs, expectedKind);
    if ('refused' in outcome) this.claimStats.refused[outcome.refused]++;
    else this.claimStats.accepted++;
    return outcome;
  }

  private claimOnce(token: string, id: string, proof: ClaimProof | undefined, nowMs: number, expectedKind: DeviceKind | undefined): ClaimedDevice | { refused: ClaimRefusal } {
    if (!proof) return { refused: 'no_proof' };
    const open = this.challenges.take(proof.nonce, nowMs);
    if (!open) return { refused: 'bad_challenge' };
    const checked = verifyClaimProof({ challenge: open.challenge, hubPrivateKey: open.hubPrivateKey, deviceId: parseInt(id, 16), token, proof });
    if (!checked.ok) return { refused: 'bad_proof' };
    const hash = sha256(token);
    return this.db.transaction((): ClaimedDevice | { refused: ClaimRefusal } => {
      const row = this.stmt.getClaim.get(hash);
      if (!row || row.used_ms !== null || row.expires_ms <= nowMs) return { refused: 'bad_token' };
      // A device that says what it is keeps a token of the other kind unspent for the right device.
      if (expectedKind && row.kind !== expectedKind) return { refused: 'token_kind' };
      const existing = this.stmt.getCred.get(id);
      if (existing) {
        // Possession is proven, so the device may learn why: another org must let it go first.
        if (existing.org_id !== row.org_id) return { refused: 'owned_elsewhere' };
        // Ids are a 32-bit hash of the key: once claimed, the id stays with the keys that proved it.
        if (existing.x25519_pub && !existing.x25519_pub.equals(checked.x25519PublicKey)) return { refused: 'key_mismatch' };
        if (existing.kind !== row.kind) return { refused: 'kind_mismatch' };
      }
      this.stmt.useClaim.run(nowMs, id, hash);
      const kind: DeviceKind = row.kind === 'gateway' ? 'gateway' : 'node';
      const secret = randomBytes(32).toString('base64url');
      this.stmt.upsertCred.run(id, row.org_id, kind, sha256(secret), nowMs, checked.x25519PublicKey, checked.ed25519PublicKey);
      this.cache.delete(id);
      return { orgId: row.org_id, kind, name: row.name, secret };
    })();
  }

  /** The public keys a claimed device proved it holds (raw 32 bytes each), for end-to-end messaging. */
  publicKeys(orgId: string, id: string): { x25519: Buffer; ed25519: Buffer } | null {
    const row = this.stmt.getCred.get(id);
    if (!row || row.org_id !== orgId || !row.x25519_pub || !row.ed25519_pub) return null;
    return { x25519: row.x25519_pub, ed25519: row.ed25519_pub };
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
