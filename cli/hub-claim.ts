// A device's claim at the hub: ask for a single-use challenge (POST /api/v1/devices/claim/challenge),
// answer it with the device's identity keys and a one-time claim token (POST /api/v1/devices/claim),
// and get the device's own credentials back. The hub checks that the keys are the ones behind the
// device id, so only the device itself can claim it. The claim says which kind of device this is,
// so the hub refuses (and does not spend) a token made for the other kind. Used by
// `unibos gateway claim`, `unibos node claim` and the demo.

import type { KeyObject } from 'node:crypto';
import { proveClaim, type ClaimChallenge } from '@unibos/mesh-protocol';
import { CliError } from './cli-error.ts';
import { say, sayMessage } from './cli-language.ts';

/**
 * A claim that did not go through, with what answered as fields to decide on: the message is in the
 * CLI's language (Turkish on a Turkish device), so nothing may be decided by reading it.
 */
export class HubClaimError extends CliError {
  /** The HTTP status; undefined when nothing answered (no route, refused connection, DNS). */
  readonly status: number | undefined;
  /** The hub's own error code (E_AUTH_INVALID, ...), only when the body is the hub's error and not, say, a proxy's page. */
  readonly code: string | undefined;
  /** Retry-After, when the answer had one. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, answer: { status?: number; code?: string; retryAfterMs?: number } = {}) {
    super(message);
    this.status = answer.status;
    this.code = answer.code;
    this.retryAfterMs = answer.retryAfterMs;
  }
}

/** The status, hub error code and Retry-After of an answer that was not the expected one. */
export function unexpectedAnswer(res: Response, body: unknown, message: string): HubClaimError {
  const b = body as { statusCode?: unknown; code?: unknown } | null;
  // The hub answers every error as { statusCode, code, error, message } with an E_ code.
  const code = b && b.statusCode === res.status && typeof b.code === 'string' && /^E_[A-Z0-9_]+$/.test(b.code) ? b.code : undefined;
  return new HubClaimError(message, { status: res.status, code, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) });
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export interface HubCredentials {
  url: string;
  username: string;
  password: string;
}

/** What a claim needs of the device's identity (firmware's NodeIdentity has it). */
export interface ClaimingIdentity {
  nodeId: number;
  privateKey: KeyObject;
  signingPrivateKey: KeyObject;
}

export async function claimGatewayAtHub(hubApi: string, token: string, identity: ClaimingIdentity, name?: string): Promise<HubCredentials> {
  const body = await claimAtHub(hubApi, token, identity, { kind: 'gateway', ...(name ? { name } : {}), capabilities: { radio: true } });
  if (!isCredentials(body.mqtt)) throw new CliError(say('the hub answered the claim without broker credentials: was the token made for a node? (kind "gateway" is needed)'));
  return body.mqtt;
}

/** A node's claim: the token its HTTP heartbeat carries. */
export async function claimNodeAtHub(hubApi: string, token: string, identity: ClaimingIdentity, name?: string): Promise<string> {
  const body = await claimAtHub(hubApi, token, identity, { kind: 'node', ...(name ? { name } : {}) });
  if (typeof body.deviceToken !== 'string') throw new CliError(say('the hub answered the claim without a device token: was the token made for a gateway? (kind "node" is needed)'));
  return body.deviceToken;
}

async function claimAtHub(hubApi: string, token: string, identity: ClaimingIdentity, extra: Record<string, unknown>): Promise<Record<string, unknown>> {
  const challenge = await post<ClaimChallenge>(hubApi, '/api/v1/devices/claim/challenge', undefined);
  if (typeof challenge.nonce !== 'string' || typeof challenge.hubPublicKey !== 'string') throw new CliError(say('the hub at {url} sent no usable claim challenge; is it a UNIBOS hub of this version?', { url: hubApi }));
  let proof: ReturnType<typeof proveClaim>;
  try {
    proof = proveClaim(challenge, token, { x25519PrivateKey: identity.privateKey, ed25519PrivateKey: identity.signingPrivateKey });
  } catch {
    // A nonce or key that is not what the claim protocol sends (a hub of another version, something else on that port).
    throw new CliError(say('the hub at {url} sent no usable claim challenge; is it a UNIBOS hub of this version?', { url: hubApi }));
  }
  const deviceId = identity.nodeId.toString(16).padStart(8, '0');
  return post<Record<string, unknown>>(hubApi, '/api/v1/devices/claim', { token, deviceId, proof, ...extra });
}

async function post<T>(hubApi: string, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, hubApi), {
      method: 'POST',
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new HubClaimError(say('cannot reach the hub at {url}: {reason}', { url: hubApi, reason: (err as Error).message }));
  }
  const answer = (await res.json().catch(() => ({}))) as T & { code?: string; message?: string };
  if (res.status !== 201) throw unexpectedAnswer(res, answer, say(answer.message == null ? 'the hub refused the claim ({status}): no reason given' : 'the hub refused the claim ({status}): {reason}', { status: answer.code ? `${res.status} ${answer.code}` : res.status, reason: sayMessage(String(answer.message)) }));
  return answer;
}

function isCredentials(v: unknown): v is HubCredentials {
  const c = v as Partial<HubCredentials> | null;
  return typeof c?.url === 'string' && typeof c.username === 'string' && typeof c.password === 'string';
}
