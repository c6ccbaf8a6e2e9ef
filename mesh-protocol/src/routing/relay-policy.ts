// How a node decides whether and when to rebroadcast a flooded frame. The router owns the
// mechanics (timers, queue, dedup); a policy only answers these questions, so strategies can be
// compared on the same code in the simulator.

import type { Random } from '../core/random.ts';
import type { FrameHeader } from '../frame/header.ts';
import type { NeighborTable } from './neighbor-table.ts';

export interface RelayContext {
  self: number;
  header: FrameHeader;
  /** SNR of the copy that first reached us. */
  snr: number;
  /** Node ids known to have transmitted a copy of this frame (origin and relays we overheard). */
  transmitters: readonly number[];
  /** Copies heard so far, including the first. */
  copies: number;
  slotMs: number;
  /** How long this frame is on air, in slots. */
  airtimeSlots: number;
  /** An SOS, an alert or an SOS stage: it relays ahead of everything else. */
  urgent: boolean;
  random: Random;
  neighbors: NeighborTable;
  now: number;
  /** The relay being judged (cancelOnDuplicate) was scheduled by lastResortDelay, not relayDelay. */
  lastResort?: boolean;
}

/**
 * A router asks its policy synchronously and fills one RelayContext for every question: a policy
 * reads it during the call and keeps none of it (copy what it needs to remember).
 */
export interface RelayPolicy {
  readonly name: string;
  /** Wait before relaying a newly heard frame, in ms; null = do not relay. */
  relayDelay(ctx: RelayContext): number | null;
  /** A copy was overheard while our relay waits: true cancels our relay. */
  cancelOnDuplicate(ctx: RelayContext): boolean;
  /**
   * Asked when relayDelay declined: a later relay, for neighbours no one else may serve, that
   * cancelOnDuplicate then judges with `lastResort` set. Null (or no method) = do not relay.
   */
  lastResortDelay?(ctx: RelayContext): number | null;
}

export const CW_MIN = 3;
export const CW_MAX = 8;
const SNR_MIN = -20;
const SNR_MAX = 10;

/** Contention window from SNR: weak copies (far senders) get short windows and relay first. */
export function contentionWindow(snr: number): number {
  const t = (Math.min(Math.max(snr, SNR_MIN), SNR_MAX) - SNR_MIN) / (SNR_MAX - SNR_MIN);
  return Math.round(CW_MIN + t * (CW_MAX - CW_MIN));
}

/** The published client delay: 2·CWmax slots, then a random slot in [0, 2^CW). */
export function snrWeightedDelay(snr: number, slotMs: number, random: Random): number {
  return 2 * CW_MAX * slotMs + random.int(2 ** contentionWindow(snr)) * slotMs;
}
