// The transmit side of a router: one frame on air at a time, listen-before-talk with random
// backoff, the regional duty-cycle budget, and polite traffic held back on a busy channel.

import type { Random } from '../core/random.ts';
import type { Scheduler, TimerHandle } from '../core/scheduler.ts';
import { timeOnAirMs } from '../phy/airtime.ts';
import type { Radio } from '../phy/radio.ts';
import { POLITE_TRAFFIC_LIMIT_PERCENT, type ChannelUtilization } from './channel-utilization.ts';
import type { DutyCycle } from './duty-cycle.ts';
import type { DropReason, RouterStats } from './router-stats.ts';
import type { Urgency } from './urgency.ts';

export type TxKind = 'ack' | 'origin' | 'relay' | 'beacon';

/** Lower sends first: acks unblock other senders' retries, relays keep floods moving. */
const PRIORITY: Record<TxKind, number> = { ack: 0, origin: 1, relay: 1, beacon: 2 };
/** Urgent frames go before any other kind: an SOS or an SOS stage (-2), then other alerts (-1). */
const rank = (item: TxItem): number => (item.urgent ? -item.urgent : PRIORITY[item.kind]);

/**
 * Whether `item` may push `queued` out of a full queue: the more urgent over the less (an SOS
 * relay over a relayed earthquake alert, any urgent frame over the rest), and, equally urgent, our
 * own over a relay.
 */
const outranks = (item: TxItem, queued: TxItem): boolean => {
  const mine = item.urgent ?? 0;
  const theirs = queued.urgent ?? 0;
  return mine > 0 && (theirs < mine || (theirs === mine && item.kind !== 'relay' && queued.kind === 'relay'));
};

export interface TxItem {
  /** Bytes on air (for the airtime budget before the frame exists). */
  length: number;
  kind: TxKind;
  /** Telemetry and beacons: skipped when the channel is busier than the polite threshold. */
  polite?: boolean;
  /**
   * An SOS or SOS stage (2), or another alert (1, "I am safe" among them), ours or relayed: it goes ahead of
   * everything less urgent, makes room in a full queue by pushing out the newest less urgent frame,
   * and waits for the duty-cycle budget instead of being dropped.
   */
  urgent?: Urgency;
  /**
   * Called right before the frame goes on air: returns the bytes to send (our own frames are
   * sealed now, so frame counters rise in transmission order), or null to withdraw it (a relay
   * someone else covered).
   */
  prepare: () => Uint8Array | null;
  onSent?: () => void;
  /** The queue gave up on it (counted under `reason`); a sender waiting for an ack must know. */
  onDropped?: (reason: DropReason) => void;
}

const MAX_QUEUE = 64;
const MAX_CSMA_TRIES = 20;
/** Listen-before-talk backoff: a random wait of 1..64 slots while the channel is busy. */
const CSMA_BACKOFF_SLOTS = 64;
/**
 * An urgent frame listens again within 16 slots (its relay window): where a few dozen relays of
 * one SOS share the air, up to 64 slots (1.8 s on LongFast) a try kept relays waiting long after
 * the channel had cleared (random-50 SOS p99 7.5-7.8 s -> 6.6-6.8 s on five sets of 12 seeds,
 * reach within 0.01); 8 slots let the relays waiting together collide (reach 0.98 -> 0.96).
 */
const URGENT_BACKOFF_SLOTS = 16;

export class TxQueue {
  private readonly queue: TxItem[] = [];
  private onAir: TxItem | undefined;
  private wake: TimerHandle | undefined;
  private csmaTries = 0;
  /** The wake ends a wait for the duty-cycle budget (not a listen-before-talk backoff or an urgent hold). */
  private waitingForBudget = false;
  /** Until then nothing but urgent frames starts: an SOS waiting out its short slot owns the radio. */
  private urgentHoldUntil = 0;

  constructor(
    private readonly radio: Radio,
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly slotMs: number,
    private readonly duty: DutyCycle,
    private readonly utilization: ChannelUtilization,
    private readonly stats: RouterStats,
    /** Counts and reports a frame we gave up on. */
    private readonly drop: (reason: DropReason) => void,
  ) {}

  get length(): number {
    return this.queue.length + (this.onAir ? 1 : 0);
  }

  enqueue(item: TxItem): boolean {
    if (item.polite && this.utilization.percent() > POLITE_TRAFFIC_LIMIT_PERCENT) {
      this.giveUp(item, 'channel-busy');
      return false;
    }
    if (this.queue.length >= MAX_QUEUE) {
      // Queued by rank, so the first frame it outranks from the end is the least urgent and, among
      // equals, the newest. Our own SOS or alert outranks an equally urgent relay, and an SOS relay
      // a relayed alert: relayed alerts wait for the duty-cycle budget rather than being dropped, so
      // an aftershock burst (or anyone flooding alerts) could otherwise fill the queue and have an
      // SOS, here or passing through, refused.
      let victim = this.queue.length - 1;
      while (victim >= 0 && !outranks(item, this.queue[victim]!)) victim--;
      if (victim < 0) {
        this.giveUp(item, 'queue-full');
        return false;
      }
      const [last] = this.queue.splice(victim, 1);
      this.giveUp(last!, 'queue-full');
    }
    const p = rank(item);
    let i = this.queue.length;
    while (i > 0 && rank(this.queue[i - 1]!) > p) i--;
    this.queue.splice(i, 0, item);
    // An urgent frame now at the head does not sleep out the wait of the frame it overtook: a text
    // waiting an hour for the duty-cycle budget, or its listen-before-talk backoff. Nor does any
    // frame that overtook one waiting for the budget (an ack, behind a long text): it may fit.
    if (i === 0 && this.wake && ((item.urgent ?? 0) > (this.queue[1]?.urgent ?? 0) || this.waitingForBudget)) {
      this.wake.cancel();
      this.wake = undefined;
      this.waitingForBudget = false;
    }
    this.pump();
    return true;
  }

  /**
   * An urgent frame will be queued in `ms` (its contention slot): no other frame may start in the
   * meantime, or a text that happened to be ready first would hold the radio for a whole airtime.
   */
  holdForUrgent(ms: number): void {
    this.urgentHoldUntil = Math.max(this.urgentHoldUntil, this.scheduler.now() + ms);
  }

  /** The radio reports the end of our transmission. */
  transmitDone(ok: boolean): void {
    const item = this.onAir;
    this.onAir = undefined;
    if (item) {
      if (ok) item.onSent?.();
      else this.giveUp(item, 'radio-error');
    }
    this.pump();
  }

  private pump(): void {
    if (this.onAir || this.wake || this.queue.length === 0) return;
    const item = this.queue[0]!;
    if (!item.urgent && this.scheduler.now() < this.urgentHoldUntil) {
      this.sleep(this.urgentHoldUntil - this.scheduler.now());
      return;
    }
    const airtime = timeOnAirMs(this.radio.params, item.length);
    const blocked = this.duty.blockedBy(airtime);
    if (blocked) {
      // A frame longer than the region's dwell limit can never go; a late relay is worth little
      // and others may cover it. Our own frames wait for the budget.
      const waitMs = blocked === 'dwell' ? Number.POSITIVE_INFINITY : this.duty.waitMs(airtime);
      // A frame longer than the whole budget would wait forever, and every frame behind it too.
      if (!Number.isFinite(waitMs) || (!item.urgent && (item.kind === 'relay' || item.kind === 'beacon'))) {
        this.queue.shift();
        this.giveUp(item, 'duty-cycle');
        this.pump();
      } else {
        this.sleep(waitMs);
        this.waitingForBudget = true;
      }
      return;
    }
    if (this.radio.isChannelBusy() && this.csmaTries < MAX_CSMA_TRIES) {
      this.csmaTries++;
      this.sleep((1 + this.random.int(item.urgent ? URGENT_BACKOFF_SLOTS : CSMA_BACKOFF_SLOTS)) * this.slotMs);
      return;
    }
    this.csmaTries = 0;
    this.queue.shift();
    let bytes: Uint8Array | null;
    try {
      bytes = item.prepare();
    } catch {
      // Sealing failed (the frame counter could not reserve its next block: a full disk). The
      // frame is given up like any other the queue cannot send, and the frames behind it still go.
      this.giveUp(item, 'seal-failed');
      this.pump();
      return;
    }
    if (!bytes) {
      this.pump();
      return;
    }
    this.onAir = item;
    const now = this.scheduler.now();
    this.duty.record(airtime);
    this.utilization.record(now, airtime);
    this.stats.txFrames++;
    this.stats.txAirtimeMs += airtime;
    this.radio.transmit(bytes);
  }

  private giveUp(item: TxItem, reason: DropReason): void {
    this.drop(reason);
    item.onDropped?.(reason);
  }

  private sleep(ms: number): void {
    this.waitingForBudget = false;
    this.wake = this.scheduler.schedule(ms, () => {
      this.wake = undefined;
      this.waitingForBudget = false;
      this.pump();
    });
  }
}
