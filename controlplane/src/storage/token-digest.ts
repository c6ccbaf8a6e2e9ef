// Random bearer secrets (refresh, API, device, claim and setup tokens) are kept only as SHA-256
// digests: with 192 bits or more of randomness a slow KDF would add latency to every request,
// not safety. Passwords, which people choose, use scrypt instead (accounts/password-hash.ts).

import { hash, timingSafeEqual } from 'node:crypto';

export function tokenDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** Whether `secret` digests to `digest`, in constant time. */
export function digestMatches(secret: string, digest: Buffer): boolean {
  const d = tokenDigest(secret);
  return d.length === digest.length && timingSafeEqual(d, digest);
}
