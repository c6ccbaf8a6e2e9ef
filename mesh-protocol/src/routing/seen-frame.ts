// What a router remembers about a frame it has seen, kept in the dedup cache under (from, id): one
// record per frame, shared by the layers, so a duplicate costs a lookup and no allocation.

import type { TimerHandle } from '../core/scheduler.ts';
import type { ChannelKey } from '../crypto/channel-key.ts';
import type { Urgency } from './urgency.ts';

export interface SeenFrame {
  // Written by the core, which hears every copy.
  firstHeardAt: number;
  /** Copies heard so far, including the first. */
  copies: number;
  /** Node ids known to have transmitted a copy (origin and relays we overheard). */
  transmitters: number[];
  /** SNR of the copy that first reached us. */
  snr: number;
  /**
   * The channel it authenticated on (undefined for our own). A frame with the same sender and id
   * on another channel is another frame: anyone with the Public key can seal one with a private
   * frame's sender and id, and it must not make the private one a duplicate.
   */
  channel: ChannelKey | undefined;
  /** Its destination (BROADCAST for everyone): only the destination's ack says it arrived. */
  to: number;
  /**
   * The highest frame counter heard on a copy of it. Its origin seals every transmission (a retry,
   * an outbox's resend) with a new, higher counter; a copy with no higher one is a relay's, or a
   * recording played back.
   */
  counter: number;
  /** When the first copy carrying `counter` was heard: repeats of that try come within an ack timeout of it. */
  counterAt: number;
  /** It carries an SOS or SOS stage (2) or another alert (1): relayed ahead of other traffic, in that order. */
  urgent: Urgency;
  /**
   * The first copy heard on air, which authenticated: a later copy with the same sealed bytes is
   * a duplicate without decrypting it (header.ts sameSealedFrame).
   */
  sealed?: Uint8Array;
  // Written by the flooding layer.
  /** Our relay, from the moment it is scheduled until it goes on air (cancellable until then). */
  pendingRelay?: PendingRelay;
  /** Our relays of it that went on air. */
  relayed: number;
  /** When we last took up a retry of it (at first, when we first heard it): see FloodingRouter.retryToCarry. */
  carriedAt: number;
  // Written by the reliable layer.
  lastAckSentAt: number;
}

export interface PendingRelay {
  timer: TimerHandle;
  /** The hop start of the copy our relay carries: the most hops it may be given. */
  hopStart: number;
  hopLimit: number;
  cancelled: boolean;
  /** The policy scheduled it as a last resort (RelayPolicy.lastResortDelay). */
  lastResort: boolean;
}

export function newSeenFrame(now: number, to: number, snr = 0, urgent: Urgency = 0, counter = 0, channel?: ChannelKey): SeenFrame {
  return { firstHeardAt: now, copies: 1, transmitters: [], channel, to, snr, counter, counterAt: now, relayed: 0, carriedAt: now, lastAckSentAt: -Infinity, urgent };
}
