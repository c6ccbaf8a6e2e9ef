// A device key's fingerprint for people to read aloud and compare: the first 20 bytes of SHA-256
// over the raw identity public key, in groups of four hex digits. The same key gives the same
// fingerprint on every device, so two people compare what each of their CLIs prints.

import { createHash } from 'node:crypto';
import { fromBase64url } from '@unibos/messenger-crypto';

export function keyFingerprint(identityKey: string): string {
  const hex = createHash('sha256').update(fromBase64url(identityKey)).digest('hex').slice(0, 40);
  return hex.match(/.{4}/g)!.join(' ');
}
