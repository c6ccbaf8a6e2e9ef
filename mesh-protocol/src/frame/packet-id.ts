// Packet ids: low 10 bits a rolling counter, top 22 bits fresh randomness per packet, never 0.
// The counter keeps a burst from one node distinct; the random bits keep ids distinct across reboots.

import type { Random } from '../core/random.ts';

const COUNTER_MASK = 0x3ff;

export class PacketIdGenerator {
  private readonly random: Random;
  private counter: number;

  constructor(random: Random) {
    this.random = random;
    // Starting at a random point avoids every node emitting ...001 right after boot.
    this.counter = random.u32() & COUNTER_MASK;
  }

  next(): number {
    this.counter = (this.counter + 1) & COUNTER_MASK;
    for (;;) {
      const id = ((this.random.u32() & ~COUNTER_MASK) | this.counter) >>> 0;
      // Id 0 means "no id" (never deduplicated), so it must never be sent.
      if (id !== 0) return id;
    }
  }
}
