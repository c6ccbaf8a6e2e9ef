// Device secrets at rest: scrypt with a per-secret salt, stored as a PHC-style string
// ($scrypt$ln=14,r=8,p=1$salt$hash) so the cost can be raised later without invalidating old rows.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of scrypt's N (CPU/memory cost). */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

// Secrets are 256 random bits, so stretching is not what protects them; the cost only has to make a
// stolen table worthless for guessing weak secrets nobody issues, while a reconnect storm of a few
// hundred sensors on a Pi still verifies in seconds. N=2^14 (16 MiB) is Node's own default.
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 14, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// A row is data, not code: bound what a tampered or future row can make us allocate.
const LIMITS = { ln: [1, 20], r: [1, 32], p: [1, 16] } as const;
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

function derive(secret: Buffer, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    maxmem: Math.max(32 * 1024 * 1024, 256 * 2 ** params.ln * params.r),
  };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function inRange(value: number, [lo, hi]: readonly [number, number]): boolean {
  return Number.isInteger(value) && value >= lo && value <= hi;
}

export function parseSecretHash(stored: string): ParsedHash | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{16,})$/.exec(stored);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!inRange(params.ln, LIMITS.ln) || !inRange(params.r, LIMITS.r) || !inRange(params.p, LIMITS.p)) return null;
  if (128 * 2 ** params.ln * params.r > MAX_MEMORY_BYTES) return null;
  const salt = Buffer.from(m[4]!, 'base64url');
  const key = Buffer.from(m[5]!, 'base64url');
  if (salt.length > 64 || key.length < 16 || key.length > 64) return null;
  return { params, salt, key };
}

/** Whether `secret` hashes to `stored`; false for a malformed stored string. Constant time in the secret. */
export async function verifySecret(secret: Buffer, stored: string): Promise<boolean> {
  const parsed = parseSecretHash(stored);
  if (!parsed) return false;
  const key = await derive(secret, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}
