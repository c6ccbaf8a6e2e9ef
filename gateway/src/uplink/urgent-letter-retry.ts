// Puts urgent dead letters (SOS, alerts) back in the queue by themselves, each after a delay that
// grows with the retries it has already had. A hub can hang up for reasons that are not the row
// (its keepalive, a restart loop, a proxy), so an SOS must not wait in the table for a human, nor
// behind routine traffic: a letter on its first failure goes back at once when the hub is seen
// storing again (hubIsTaking). One the hub truly refuses then costs one lone send per delay, never a tight loop.

import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import type { HubOutbox } from './hub-outbox.ts';
import { UplinkError } from './uplink-error.ts';

/** 1, 5, 15 minutes, then every hour: at most a lone send an hour for a message the hub always refuses. */
export const DEFAULT_URGENT_RETRY_DELAYS_MS: readonly number[] = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];

export interface UrgentLetterRetryOptions {
  outbox: HubOutbox;
  /** Monotonic time and timers: a wall clock that steps back must not hold an SOS for hours. */
  scheduler: Scheduler;
  /** The delay before retry n+1 is delaysMs[n]; the last one repeats. */
  delaysMs?: readonly number[];
  logger: Logger;
  /** After a letter went back in the queue. */
  onRetried?: () => void;
}

export class UrgentLetterRetry {
  private readonly outbox: HubOutbox;
  private readonly scheduler: Scheduler;
  private readonly delaysMs: readonly number[];
  private readonly log: Logger;
  private readonly onRetried: (() => void) | undefined;
  /** Letter seq -> when it is due, on the scheduler's clock. Not persisted: after a restart each letter waits its delay again. */
  private readonly due = new Map<number, number>();
  /** Letters waiting after their first failure: they go back as soon as the hub takes anything. */
  private readonly firstFailures = new Set<number>();
  private timer: { handle: TimerHandle; at: number } | undefined;

  constructor(options: UrgentLetterRetryOptions) {
    const delays = options.delaysMs ?? DEFAULT_URGENT_RETRY_DELAYS_MS;
    if (delays.length === 0 || !delays.every((d) => Number.isFinite(d) && d > 0)) {
      throw new UplinkError('E_UPLINK_CONFIG', `urgent retry delays must be positive numbers of ms, got ${JSON.stringify(delays)}`);
    }
    this.outbox = options.outbox;
    this.scheduler = options.scheduler;
    this.delaysMs = delays;
    this.log = options.logger;
    this.onRetried = options.onRetried;
  }

  /** The wait before an urgent letter that has had `retries` automatic retries goes back in the queue. */
  delayFor(retries: number): number {
    return this.delaysMs[Math.min(retries, this.delaysMs.length - 1)]!;
  }

  /** Takes up the urgent letters already in the table (an earlier run's, or made while stopped). */
  start(): void {
    try {
      for (const l of this.outbox.urgentDeadLetters()) this.track(l.seq, l.retries);
    } catch (err) {
      this.log.error({ err }, 'cannot read the urgent dead letters; they wait for a manual requeue');
    }
  }

  /** A new urgent letter: it goes back after its delay. */
  track(seq: number, retries: number): void {
    this.due.set(seq, this.scheduler.now() + this.delayFor(retries));
    if (retries === 0) this.firstFailures.add(seq);
    this.arm();
  }

  stop(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.due.clear();
    this.firstFailures.clear();
  }

  /**
   * The hub stored something (our status on a new connection, a message) after these letters
   * failed: what it hung up on was the hub, not them, and an SOS must not wait while routine traffic
   * flows. Letters on their first failure go back now; later ones keep their growing delay, so a
   * message the hub truly refuses cannot make a loop of hang-ups.
   */
  hubIsTaking(): void {
    if (this.firstFailures.size === 0) return;
    for (const seq of this.firstFailures) this.due.set(seq, this.scheduler.now());
    this.fire();
  }

  /** How long until the next automatic retry, or undefined if none is waiting. */
  get nextInMs(): number | undefined {
    if (this.due.size === 0) return undefined;
    return Math.max(0, Math.min(...this.due.values()) - this.scheduler.now());
  }

  private arm(): void {
    if (this.due.size === 0) return;
    const at = Math.min(...this.due.values());
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    this.timer = { at, handle: this.scheduler.schedule(at - this.scheduler.now(), () => this.fire()) };
  }

  private fire(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    const now = this.scheduler.now();
    let retried = 0;
    for (const [seq, at] of [...this.due]) {
      if (at > now) continue;
      this.due.delete(seq);
      this.firstFailures.delete(seq);
      try {
        // Undefined: requeued by hand (the CLI) or trimmed meanwhile; nothing left to do for it.
        if (this.outbox.retryDeadLetter(seq)) retried++;
      } catch (err) {
        // The database is locked or full: try again after the longest delay, not at once.
        this.due.set(seq, now + this.delaysMs[this.delaysMs.length - 1]!);
        this.log.error({ err, seq }, 'cannot put an urgent dead letter back in the queue');
      }
    }
    this.arm();
    if (retried > 0) this.onRetried?.();
  }
}
