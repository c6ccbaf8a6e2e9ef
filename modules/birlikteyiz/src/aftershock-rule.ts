// The aftershock rule: which quakes near an earlier one are its aftershocks (Gardner and Knopoff's
// window), and which of them go into the mesh again (a strong one) or are only listed (a burst of small ones).

import type { RoundQuake } from './checkin-rounds.ts';

/**
 * How far from a main shock an aftershock is looked for, by the main shock's magnitude: Gardner and
 * Knopoff's (1974) window, the one seismologists decluster catalogues with (M4: 30 km, M6: 53 km,
 * M7.8: 89 km). Its time window (days to years) is longer than any round: an open round is the time window (with check-in rounds off, an
 * alert sequence's: see alert-sequences.ts).
 */
export function aftershockZoneKm(magnitude: number): number {
  return 10 ** (0.1238 * magnitude + 0.983);
}

/**
 * An aftershock goes into the mesh (and asks again) when it is at most this much smaller than the
 * strongest quake the round told the mesh of. Båth's law: a sequence's strongest aftershock is
 * typically 1.2 below the main shock, so the few big ones go out and the burst of smaller ones
 * (felt, listed in the round) does not fill the air.
 */
export const AFTERSHOCK_ALERT_WITHIN = 1.0;

/**
 * An aftershock this strong goes into the mesh whatever came before it: an M6.7 eleven minutes
 * after an M7.8 (Kahramanmaraş, 2023) is 1.1 below it and brings down what the first one cracked.
 */
export const AFTERSHOCK_ALWAYS_ALERT = 6.0;

/**
 * Whether a quake joining a round's (or an alert sequence's) `others` is strong enough to go into the mesh: AFTERSHOCK_ALWAYS_ALERT
 * or more, or within AFTERSHOCK_ALERT_WITHIN of the strongest the mesh was told of (of the
 * strongest listed when none was told: mesh alerts off, no gateway then).
 */
export function strongEnoughToTell(others: RoundQuake[], magnitude: number | null): boolean {
  if (magnitude === null) return false;
  if (magnitude >= AFTERSHOCK_ALWAYS_ALERT) return true;
  const told = others.map((q) => q.sentMagnitude).filter((m): m is number => m !== null);
  const reference = told.length ? told : others.map((q) => q.magnitude).filter((m): m is number => m !== null);
  return reference.length === 0 || magnitude >= Math.max(...reference) - AFTERSHOCK_ALERT_WITHIN - 1e-9;
}
