// The one-time setup token that lets the first admin in before any user exists. Stored only as
// a SHA-256 hash in SQLite, valid 24 h; each start while no user exists issues a fresh one (the
// plain token lives only in the process that printed it) and replaces the last.

import { randomBytes } from 'node:crypto';
import { digestMatches } from '../storage/token-digest.ts';
import type { HubDb } from '../storage/hub-db.ts';
import { sha256Hex } from './refresh-tokens.ts';

export const SETUP_TOKEN_TTL_MS = 24 * 3600 * 1000;

export class SetupTokens {
  private readonly stmt;
  private plain: string | null = null;

  constructor(
    db: HubDb,
    private readonly now: () => number,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS auth_setup_token (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      hash TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    );`);
    this.stmt = {
      put: db.prepare<[string, number]>('INSERT OR REPLACE INTO auth_setup_token (id, hash, expires_at) VALUES (1, ?, ?)'),
      get: db.prepare<[], { hash: string; expires_at: number }>('SELECT hash, expires_at FROM auth_setup_token WHERE id = 1'),
      clear: db.prepare('DELETE FROM auth_setup_token'),
    };
  }

  issue(): string {
    const token = randomBytes(24).toString('base64url');
    this.stmt.put.run(sha256Hex(token), this.now() + SETUP_TOKEN_TTL_MS);
    this.plain = token;
    return token;
  }

  /** The token issued by this process, while it is still unused. */
  current(): string | null {
    return this.plain;
  }

  check(token: string): 'ok' | 'invalid' | 'expired' {
    const row = this.stmt.get.get();
    if (!row || !digestMatches(token, Buffer.from(row.hash, 'hex'))) return 'invalid';
    return row.expires_at <= this.now() ? 'expired' : 'ok';
  }

  clear(): void {
    this.stmt.clear.run();
    this.plain = null;
  }
}
