// The best-known LoRa mesh's managed flooding, as published: SNR-weighted contention window, and
// a client cancels its pending relay the moment it overhears anyone else relay the frame.
// Dedicated routers wait less and never cancel.

import { contentionWindow, snrWeightedDelay, type RelayContext, type RelayPolicy } from './relay-policy.ts';

export class ManagedFloodPolicy implements RelayPolicy {
  readonly name = 'managed';
  constructor(private readonly role: 'client' | 'router' = 'client') {}

  relayDelay(ctx: RelayContext): number {
    if (this.role === 'router') return ctx.random.int(2 * contentionWindow(ctx.snr)) * ctx.slotMs;
    return snrWeightedDelay(ctx.snr, ctx.slotMs, ctx.random);
  }

  cancelOnDuplicate(): boolean {
    return this.role !== 'router';
  }
}
