// Short-lived access tokens: HS256 JWTs (fast-jwt, the library under @fastify/jwt) carrying
// sub, org, role, typ 'access', iat, exp and jti, signed with a 32-byte key generated once into
// <dataDir>/secrets/jwt.key. Expiry is checked against the injected clock, after the signature.

import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSigner, createVerifier } from 'fast-jwt';
import { HubError } from '../hub-error.ts';
import { ROLES, type Role } from './auth-context.ts';

export interface AccessClaims {
  sub: string;
  org: string;
  role: Role;
  typ: 'access';
  iat: number;
  exp: number;
  jti: string;
}

const KEY_BYTES = 32;

/** Reads <dataDir>/secrets/jwt.key, creating it (0600, folder 0700) on first use. */
export function loadJwtKey(dataDir: string): Buffer {
  const dir = join(dataDir, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, 'jwt.key');
  try {
    // 'wx': two processes starting at once cannot both write a key; the loser reads the winner's.
    writeFileSync(path, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = readFileSync(path);
  if (key.length !== KEY_BYTES) throw new HubError('E_CONFIG', `${path} must hold ${KEY_BYTES} bytes; delete it to generate a new one (this logs everyone out)`);
  return key;
}

export class AccessTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verifyToken: (token: string) => unknown;

  constructor(
    key: Buffer,
    private readonly ttlS: number,
    private readonly now: () => number,
  ) {
    this.sign = createSigner({ key, algorithm: 'HS256' });
    // Expiry is ours to check (with the injected clock); the cache keeps repeated verification of
    // the same token (a UI polling a list) to a map lookup.
    this.verifyToken = createVerifier({ key, algorithms: ['HS256'], ignoreExpiration: true, ignoreNotBefore: true, cache: 1000, requiredClaims: ['sub', 'org', 'typ', 'exp', 'jti'] });
  }

  issue(userId: string, orgId: string, role: Role): { token: string; expiresIn: number } {
    const iat = Math.floor(this.now() / 1000);
    const token = this.sign({ sub: userId, org: orgId, role, typ: 'access', iat, exp: iat + this.ttlS, jti: randomUUID() });
    return { token, expiresIn: this.ttlS };
  }

  /** The token's claims; E_AUTH_INVALID for a bad token, E_AUTH_EXPIRED for a good but expired one. */
  verify(token: string): AccessClaims {
    let payload: unknown;
    try {
      payload = this.verifyToken(token);
    } catch {
      throw new HubError('E_AUTH_INVALID', 'invalid access token');
    }
    const claims = parseClaims(payload);
    if (!claims) throw new HubError('E_AUTH_INVALID', 'invalid access token');
    if (claims.exp * 1000 <= this.now()) throw new HubError('E_AUTH_EXPIRED', 'access token expired: refresh the session');
    return claims;
  }
}

function parseClaims(payload: unknown): AccessClaims | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (p.typ !== 'access' || typeof p.sub !== 'string' || typeof p.org !== 'string' || typeof p.jti !== 'string') return null;
  if (typeof p.iat !== 'number' || typeof p.exp !== 'number' || !ROLES.includes(p.role as Role)) return null;
  return { sub: p.sub, org: p.org, role: p.role as Role, typ: 'access', iat: p.iat, exp: p.exp, jti: p.jti };
}
