// The hub's outstanding claim challenges: each a nonce and the private half of a key pair made
// for it alone, good once and for a short while. Kept in memory: a hub restart only makes a device
// ask again, and nothing here is worth an fsync. Bounded, because anyone may ask for one.

import { createClaimChallenge, type ClaimChallenge } from '@unibos/mesh-protocol';
import type { KeyObject } from 'node:crypto';

export interface OpenChallenge {
  challenge: ClaimChallenge;
  hubPrivateKey: KeyObject;
  expiresMs: number;
}

export class ClaimChallenges {
  /** nonce -> challenge, in issue order (a Map keeps insertion order), so expiry sweeps from the front. */
  private readonly open = new Map<string, OpenChallenge>();

  constructor(private readonly o: { ttlMs: number; max: number }) {}

  /** A new challenge, or null when `max` are outstanding and none has expired (the caller says "busy"). */
  issue(now: number): OpenChallenge | null {
    this.expire(now);
    if (this.open.size >= this.o.max) return null;
    const { challenge, hubPrivateKey } = createClaimChallenge();
    const entry = { challenge, hubPrivateKey, expiresMs: now + this.o.ttlMs };
    this.open.set(challenge.nonce, entry);
    return entry;
  }

  /** Takes the challenge out for good (used or not, it never answers twice); null if unknown or expired. */
  take(nonce: string, now: number): OpenChallenge | null {
    const entry = this.open.get(nonce);
    if (!entry) return null;
    this.open.delete(nonce);
    return entry.expiresMs > now ? entry : null;
  }

  private expire(now: number): void {
    for (const [nonce, c] of this.open) {
      if (c.expiresMs > now) break;
      this.open.delete(nonce);
    }
  }
}
