// Sessions stay bounded while the hub runs: a family logged out or expired a day ago goes, and so
// do the spent tokens of a long-refreshed session once they expired a day ago, without waiting
// for a restart.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefreshTokens } from '../src/auth/refresh-tokens.ts';
import { tempHubDb } from './support/temp-hub-db.ts';

test('logged-out and expired sessions, and a long session\u2019s old spent tokens, are pruned while the hub runs', (t) => {
  const db = tempHubDb(t, 'refresh');
  let now = Date.UTC(2026, 0, 1);
  const ttlS = 3600;
  const tokens = new RefreshTokens(db, ttlS, () => now);
  const count = (table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

  // Logged out at once, and one left to expire.
  tokens.revoke(tokens.issue('u1', 'o1').token);
  tokens.issue('u2', 'o1');
  // A session refreshed every 15 minutes for three days.
  let live = tokens.issue('u3', 'o1').token;
  for (let i = 0; i < 3 * 96; i++) {
    now += 15 * 60_000;
    live = tokens.rotate(live, (g) => g.orgId).token;
  }
  tokens.issue('u4', 'o1');

  assert.equal(count('auth_refresh_families'), 2, 'the logged-out and the expired session are gone; the live one and the new one stay');
  assert.ok(count('auth_refresh_tokens') <= 2 + 2 * 96 + 1, `spent tokens that expired a day ago are gone (${count('auth_refresh_tokens')} rows)`);
  // The live session still works, and its reused token is still caught within a token's life.
  const next = tokens.rotate(live, (g) => g.orgId).token;
  assert.ok(next.length > 0);
});
