// Counters every router keeps, so suppressed or dropped traffic is visible, never silent.

export type DropReason =
  | 'E_FRAME_TOO_SHORT'
  | 'E_FRAME_TOO_LARGE'
  | 'E_BAD_HEADER'
  | 'E_UNKNOWN_CHANNEL'
  | 'E_AUTH_FAILED'
  | 'E_BAD_PAYLOAD'
  | 'E_REPLAY'
  | 'duplicate'
  | 'own-frame'
  | 'duty-cycle'
  | 'channel-busy'
  | 'queue-full'
  | 'radio-error'
  | 'seal-failed'
  | 'E_BAD_TRACE'
  | 'trace-too-long'
  | 'trace-rate-limited';

export class RouterStats {
  rxFrames = 0;
  delivered = 0;
  originated = 0;
  txFrames = 0;
  txAirtimeMs = 0;
  relaysScheduled = 0;
  relaysSent = 0;
  relaysCancelled = 0;
  /** Flooded direct messages not relayed because their destination is farther than the hops left. */
  floodRelaysOutOfReach = 0;
  /** Hand-overs to a next hop that was never overheard relaying: the route was dropped, the frame flooded. */
  routesFailed = 0;
  retransmissions = 0;
  acksReceived = 0;
  naks = 0;
  readonly drops = new Map<DropReason, number>();

  drop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  dropCount(reason?: DropReason): number {
    if (reason) return this.drops.get(reason) ?? 0;
    let total = 0;
    for (const n of this.drops.values()) total += n;
    return total;
  }
}
