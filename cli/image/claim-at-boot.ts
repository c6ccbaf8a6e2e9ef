// The claim first boot prepared (<state>/device/claim.json), made by unibos-claim.service once the
// network is up: retried with exponential backoff while the hub cannot be reached, is busy or
// failing, or something else answers in its place (a field device may boot hours before its uplink
// works), given up only when the hub itself refuses. Then the token is spent, so claim.json is removed.

import { existsSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { formatNodeId, loadOrCreateIdentity } from '@unibos/firmware';
import { CliError } from '../cli-error.ts';
import { claimGatewayAtHub, claimNodeAtHub, HubClaimError, unexpectedAnswer } from '../hub-claim.ts';
import { writeSecretFile } from '../secret-file.ts';
import type { JournalLine } from './first-boot.ts';

export interface PendingClaim {
  kind: 'gateway' | 'node';
  hubApi: string;
  token?: string;
  /** gateway+hub on one device: log in to the local hub as its first admin and make the token. */
  admin?: { email: string; password: string };
  name?: string;
}

export interface BackoffOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** Injected so tests need not wait; resolves after `ms`. */
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

// At most a minute (and a half, with jitter) between tries: once the uplink works, the device should
// be on the hub within minutes, and a fleet retrying once a minute is no load for a hub.
export const DEFAULT_BACKOFF: BackoffOptions = { firstDelayMs: 2_000, maxDelayMs: 60_000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random };

export type ClaimOutcome = { status: 'claimed'; deviceId: string; attempts: number } | { status: 'refused'; message: string; attempts: number } | { status: 'nothing-to-claim' };

// Answers that say "not now" whoever sends them.
const RETRIED_STATUS = new Set([408, 425, 429]);
// The hub's codes for "not now": busy, rate limited, or a challenge lost because the hub restarted
// between challenge and claim (the token is checked after the challenge, so it is not spent).
const RETRIED_CODES = new Set(['E_UNAVAILABLE', 'E_RATE_LIMITED', 'E_CHALLENGE_INVALID']);

/**
 * Errors worth another try: no answer, "not now", a failing hub, or an answer that is not the hub's
 * own error (a proxy's 404 or 401 page while the hub restarts). Decided on the status and the hub's
 * code, never on the message, which is in the device's language.
 */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof HubClaimError)) return false;
  if (err.status === undefined || err.status >= 500 || RETRIED_STATUS.has(err.status)) return true;
  return err.code === undefined || RETRIED_CODES.has(err.code);
}

export async function claimAtBoot(deviceDir: string, say: JournalLine, backoff: BackoffOptions = DEFAULT_BACKOFF): Promise<ClaimOutcome> {
  const file = join(deviceDir, 'claim.json');
  if (!existsSync(file)) return { status: 'nothing-to-claim' };
  const claim = JSON.parse(readFileSync(file, 'utf8')) as PendingClaim;
  const identity = loadOrCreateIdentity(join(deviceDir, 'identity.json'));
  const deviceId = formatNodeId(identity.nodeId);
  let delay = backoff.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const token = claim.token ?? (await tokenFromLocalHub(claim));
      if (claim.kind === 'gateway') {
        const mqtt = await claimGatewayAtHub(claim.hubApi, token, identity, claim.name);
        writeSecretFile(join(deviceDir, 'hub.json'), `${JSON.stringify(mqtt, null, 2)}\n`);
      } else {
        const deviceToken = await claimNodeAtHub(claim.hubApi, token, identity, claim.name);
        writeSecretFile(join(deviceDir, 'hub-device.json'), `${JSON.stringify({ hubApi: claim.hubApi, deviceId, deviceToken }, null, 2)}\n`);
      }
      unlinkSync(file);
      say(6, `${claim.kind} ${deviceId} claimed at ${claim.hubApi} (attempt ${attempt})`);
      return { status: 'claimed', deviceId, attempts: attempt };
    } catch (err) {
      const message = (err as Error).message;
      if (!isTransient(err)) {
        // A refused token will be refused again: keep the reason, drop the secret.
        renameSync(file, join(deviceDir, 'claim.refused.json'));
        writeSecretFile(join(deviceDir, 'claim.refused.json'), `${JSON.stringify({ kind: claim.kind, hubApi: claim.hubApi, reason: message, atMs: Date.now() }, null, 2)}\n`);
        say(3, `the claim at ${claim.hubApi} failed for good (${message}); make a new claim token and run 'sudo -u ${userInfo().username} unibos ${claim.kind} claim --hub-api ${claim.hubApi} --token T --data-dir ${deviceDir}'`);
        return { status: 'refused', message, attempts: attempt };
      }
      // Retry-After is the hub's word on when; kept within the backoff's own limits.
      const retryAfter = err instanceof HubClaimError ? err.retryAfterMs : undefined;
      const wait = retryAfter === undefined ? Math.round(delay * (0.5 + backoff.random())) : Math.min(backoff.maxDelayMs, Math.max(backoff.firstDelayMs, retryAfter));
      say(4, `claim attempt ${attempt} at ${claim.hubApi}: ${message}; trying again in ${Math.round(wait / 1000)} s`);
      await backoff.sleep(wait);
      delay = Math.min(backoff.maxDelayMs, delay * 2);
    }
  }
}

async function tokenFromLocalHub(claim: PendingClaim): Promise<string> {
  if (!claim.admin) throw new CliError('claim.json has neither a token nor the local hub admin');
  const post = async (path: string, body: unknown, auth?: string): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, claim.hubApi), { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });
    } catch (err) {
      throw new HubClaimError(`cannot reach the hub at ${claim.hubApi}: ${(err as Error).message}`);
    }
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status >= 300) throw unexpectedAnswer(res, answer, `the local hub answered ${path} with ${res.status}: ${String(answer.message ?? '')}`);
    return answer;
  };
  const login = await post('/api/v1/auth/login', { email: claim.admin.email, password: claim.admin.password });
  const made = await post('/api/v1/claim-tokens', { kind: claim.kind }, String(login.accessToken));
  if (typeof made.token !== 'string') throw new CliError('the local hub made no claim token');
  return made.token;
}
