// How long a sender waits for an ack before it sends a frame again. The reliable layer times its
// retries with it; the flooding layer uses it to tell an origin's retry from a late echo.

import { timeOnAirMs } from '../phy/airtime.ts';
import type { LoRaParams } from '../phy/lora-params.ts';
import { CW_MAX } from './relay-policy.ts';

/** Long enough for a flood of `bytes` to cross `hopLimit` hops and an ack to come back the same way. */
export function ackTimeoutMs(params: LoRaParams, slotMs: number, hopLimit: number, bytes: number): number {
  const airtime = timeOnAirMs(params, bytes);
  const perHop = airtime + (2 * CW_MAX + 2 ** CW_MAX) * slotMs;
  return 2 * Math.max(1, hopLimit) * perHop + 1_000;
}
