// Per-account login protection, on top of the per-address rate limit: the 10th failure in a row
// for one account, from whatever addresses, locks it for 1 s, and each further failure doubles
// the lock (2 s, 4 s, ... at most 15 min); the count is forgotten an hour after the last failure. Kept in hub.db so
// a restart does not hand an attacker a fresh allowance. Keyed by the email as typed (normalized),
// known account or not, so a lock says nothing about whether the account exists.

import { normalizeEmail } from '../accounts/account-store.ts';
import { HubError } from '../hub-error.ts';
import type { HubDb } from '../storage/hub-db.ts';

export interface LoginThrottlePolicy {
  /** The failure that first locks the account; one source alone meets the per-address limit (10 a minute) first. */
  readonly lockAfterFailures: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A quiet spell this long after the last failure clears the account's count. */
  readonly forgetAfterMs: number;
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottlePolicy = {
  lockAfterFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

/** A login refused without looking at the password: answered 429 with Retry-After. */
export class LoginThrottledError extends HubError {
  constructor(readonly retryAfterS: number) {
    super('E_LOGIN_THROTTLED', `too many failed logins for this account: try again in ${retryAfterS} s, or log in from a device that has logged in before`);
  }
}

interface Row {
  failures: number;
  last_failure_at: number;
  locked_until: number;
}

export class LoginThrottle {
  private readonly stmt;
  private writes = 0;

  constructor(
    private readonly db: HubDb,
    private readonly now: () => number,
    private readonly policy: LoginThrottlePolicy = LOGIN_THROTTLE_DEFAULTS,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS auth_login_failures (
      account TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      last_failure_at INTEGER NOT NULL,
      locked_until INTEGER NOT NULL
    )`);
    this.stmt = {
      get: db.prepare<[string], Row>('SELECT failures, last_failure_at, locked_until FROM auth_login_failures WHERE account = ?'),
      put: db.prepare<[string, number, number, number]>('INSERT OR REPLACE INTO auth_login_failures (account, failures, last_failure_at, locked_until) VALUES (?, ?, ?, ?)'),
      clear: db.prepare<[string]>('DELETE FROM auth_login_failures WHERE account = ?'),
      prune: db.prepare<[number, number]>('DELETE FROM auth_login_failures WHERE last_failure_at < ? AND locked_until < ?'),
    };
    this.prune();
  }

  /** Throws LoginThrottledError while `email`'s account is locked. */
  check(email: string): void {
    const row = this.stmt.get.get(accountKey(email));
    const wait = row ? row.locked_until - this.now() : 0;
    if (wait > 0) throw new LoginThrottledError(Math.ceil(wait / 1000));
  }

  /** A wrong password (or unknown email): counts, and from the lockAfterFailures-th on locks the account, longer each time. */
  failed(email: string): void {
    const account = accountKey(email);
    const now = this.now();
    this.db.transaction(() => {
      const row = this.stmt.get.get(account);
      const failures = (row && now - row.last_failure_at < this.policy.forgetAfterMs ? row.failures : 0) + 1;
      const over = failures - this.policy.lockAfterFailures;
      // 2^over passes any cap quickly; the exponent is bounded so the number stays finite.
      const lockedUntil = over >= 0 ? now + Math.min(this.policy.baseDelayMs * 2 ** Math.min(over, 40), this.policy.maxDelayMs) : 0;
      this.stmt.put.run(account, failures, now, lockedUntil);
    })();
    // Emails nobody uses leave rows behind; they go once forgotten.
    if (++this.writes % 1000 === 0) this.prune();
  }

  /** The password was right: the count starts over. */
  succeeded(email: string): void {
    this.stmt.clear.run(accountKey(email));
  }

  prune(): void {
    const now = this.now();
    this.stmt.prune.run(now - this.policy.forgetAfterMs, now);
  }
}

function accountKey(email: string): string {
  return normalizeEmail(email);
}
