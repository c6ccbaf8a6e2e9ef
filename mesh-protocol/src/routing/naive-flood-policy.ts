// Plain flooding: every node rebroadcasts every new frame once. The reference for reach.

import { snrWeightedDelay, type RelayContext, type RelayPolicy } from './relay-policy.ts';

export class NaiveFloodPolicy implements RelayPolicy {
  readonly name = 'naive';
  relayDelay(ctx: RelayContext): number {
    return snrWeightedDelay(ctx.snr, ctx.slotMs, ctx.random);
  }
  cancelOnDuplicate(): boolean {
    return false;
  }
}
