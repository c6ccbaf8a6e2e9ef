// User passwords at rest: scrypt (the shared PHC-string hash from @unibos/credentials). A login for an
// unknown email verifies against a decoy hash, so it costs the same time as a wrong password and
// does not reveal which emails have accounts.

import { hashSecret, verifySecret } from '@unibos/credentials';

export { MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH } from '@unibos/credentials';

let decoy: Promise<string> | null = null;

/** Computes the decoy hash ahead of the first login, so even that one costs no extra hash. */
export function primeDecoyHash(): Promise<string> {
  decoy ??= hashSecret(Buffer.from('decoy password that no account has', 'utf8'));
  return decoy;
}

export function hashPassword(password: string): Promise<string> {
  return hashSecret(Buffer.from(password, 'utf8'));
}

/** Verifies `password` against `stored`, or against the decoy when there is no stored hash (always false then). */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const target = stored ?? (await primeDecoyHash());
  const ok = await verifySecret(Buffer.from(password, 'utf8'), target);
  return ok && stored !== undefined;
}
