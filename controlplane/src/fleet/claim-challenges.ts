// The hub's outstanding claim challenges: each a nonce and the private half of a key pair made
// for it alone, good once and for a short while. Kept in memory: a hub restart only makes a device
// ask again, and nothing here is worth an fsync. Bounded, because anyone may ask for one.

import { createClaimChallenge, type ClaimChallenge } from '@unibos/mesh-protocol';
import type { KeyObject } from 'node:crypto';
import { HeldCounts } from '../platform/held-counts.ts';

export interface OpenChallenge {
  challenge: ClaimChallenge;
  hubPrivateKey: KeyObject;
  expiresMs: number;
  /** Who asked (an address block): each holds at most maxPerHolder, so no one fills the hub's room. */
  holder: string;
}

/** Why no challenge was issued: the asker holds its most, or the hub does. */
export type ChallengeRefusal = 'holder_full' | 'hub_full';

export class ClaimChallenges {
  /** nonce -> challenge, in issue order (a Map keeps insertion order), so expiry sweeps from the front. */
  private readonly open = new Map<string, OpenChallenge>();
  /** Each holder's challenges outstanding. */
  private readonly held = new HeldCounts();

  constructor(private readonly o: { ttlMs: number; max: number; maxPerHolder: number }) {}

  /** A new challenge for `holder`, or why not: it holds `maxPerHolder`, or `max` are outstanding. */
  issue(now: number, holder: string): OpenChallenge | ChallengeRefusal {
    this.expire(now);
    if (!this.held.take(holder, this.o.maxPerHolder)) return 'holder_full';
    if (this.open.size >= this.o.max) {
      this.held.give(holder);
      return 'hub_full';
    }
    const { challenge, hubPrivateKey } = createClaimChallenge();
    const entry = { challenge, hubPrivateKey, expiresMs: now + this.o.ttlMs, holder };
    this.open.set(challenge.nonce, entry);
    return entry;
  }

  /** Takes the challenge out for good (used or not, it never answers twice); null if unknown or expired. */
  take(nonce: string, now: number): OpenChallenge | null {
    const entry = this.open.get(nonce);
    if (!entry) return null;
    this.remove(entry);
    return entry.expiresMs > now ? entry : null;
  }

  private expire(now: number): void {
    for (const c of this.open.values()) {
      if (c.expiresMs > now) break;
      this.remove(c);
    }
  }

  private remove(c: OpenChallenge): void {
    this.open.delete(c.challenge.nonce);
    this.held.give(c.holder);
  }
}
