// How busy the channel has been (our transmissions plus everything we heard) over the last
// 60 s, in one-second buckets; the router backs off polite traffic when it climbs.

import type { Scheduler } from '../core/scheduler.ts';

export const CHANNEL_UTILIZATION_WINDOW_MS = 60_000;
/** Above this, polite traffic (telemetry, node info) is skipped. */
export const POLITE_TRAFFIC_LIMIT_PERCENT = 25;
/** Above this, the channel is congested: hold back everything that can wait. */
export const CONGESTED_LIMIT_PERCENT = 40;

const BUCKET_MS = 1000;
const WINDOW_BUCKETS = CHANNEL_UTILIZATION_WINDOW_MS / BUCKET_MS;
// The ring also holds as many future buckets as past ones, because a transmission is usually
// recorded when it starts and so extends past now (the slowest 255-byte frame lasts ~15 s).
const RING = 2 * WINDOW_BUCKETS;

export class ChannelUtilization {
  private readonly scheduler: Pick<Scheduler, 'now'>;
  private readonly busy = new Float64Array(RING);
  private readonly tags = new Float64Array(RING).fill(Number.NEGATIVE_INFINITY);

  constructor(scheduler: Pick<Scheduler, 'now'>) {
    this.scheduler = scheduler;
  }

  /**
   * Accounts the channel as busy for [startMs, startMs + durationMs). Overlapping records (a
   * collision we heard, or our own frame over someone else's) are summed, as the radio was
   * occupied by each; the share is capped at 100 %. Busy time older than the window, or more
   * than a window ahead of now, is ignored.
   */
  record(startMs: number, durationMs: number): void {
    if (!Number.isFinite(startMs)) throw new RangeError(`busy period start must be finite, got ${startMs}`);
    if (!Number.isFinite(durationMs) || durationMs < 0) {
      throw new RangeError(`busy period duration must be a finite number of ms >= 0, got ${durationMs}`);
    }
    const current = Math.floor(this.scheduler.now() / BUCKET_MS);
    const oldest = current - WINDOW_BUCKETS + 1;
    const newest = current + WINDOW_BUCKETS;
    const end = startMs + durationMs;
    const first = Math.max(Math.floor(startMs / BUCKET_MS), oldest);
    const last = Math.min(Math.ceil(end / BUCKET_MS) - 1, newest);
    for (let bucket = first; bucket <= last; bucket++) {
      const overlap = Math.min(end, (bucket + 1) * BUCKET_MS) - Math.max(startMs, bucket * BUCKET_MS);
      if (overlap <= 0) continue;
      const slot = ((bucket % RING) + RING) % RING;
      if (this.tags[slot] !== bucket) {
        this.tags[slot] = bucket;
        this.busy[slot] = 0;
      }
      this.busy[slot] = this.busy[slot]! + overlap;
    }
  }

  /** Busy share of the last 60 s (the current second included), 0..100. */
  percent(): number {
    const current = Math.floor(this.scheduler.now() / BUCKET_MS);
    const oldest = current - WINDOW_BUCKETS + 1;
    let sum = 0;
    for (let slot = 0; slot < RING; slot++) {
      const bucket = this.tags[slot]!;
      if (bucket >= oldest && bucket <= current) sum += this.busy[slot]!;
    }
    return Math.min(100, (100 * sum) / CHANNEL_UTILIZATION_WINDOW_MS);
  }
}
