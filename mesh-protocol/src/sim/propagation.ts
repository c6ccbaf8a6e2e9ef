// Radio propagation for the simulator: log-distance path loss plus per-link log-normal shadowing,
// the thermal noise floor, and the SX127x demodulation limits that decide who hears whom.

import type { LoRaParams } from '../phy/lora-params.ts';
import { SeededRandom } from '../core/random.ts';

export interface PropagationModel {
  /** Path loss at the 1 m reference distance, dB. */
  referenceLossDb: number;
  /** How fast loss grows with distance: 2 in free space, ~2.7–3.5 near the ground among houses and trees. */
  pathLossExponent: number;
  /** Standard deviation of the per-link shadowing (obstacles a straight-line model misses), dB. */
  shadowingSigmaDb: number;
  /** Receiver noise figure, dB. */
  noiseFigureDb: number;
}

/**
 * Defaults for handheld and rooftop-less nodes in suburban/rural terrain.
 *
 * - referenceLossDb 40: free space at 1 m is 31.2 dB at 868 MHz (31.7 dB at 915 MHz); the extra
 *   ~9 dB stands for what small ground-level nodes lose in practice (short, often detuned
 *   antennas, the body, the ground within the first Fresnel zone). With the exponent below this
 *   gives a mean LongFast range at 14 dBm of about 8 km, in line with what is reported for
 *   ground-level links, not the tens of km of hilltop ones.
 * - pathLossExponent 2.7: the usual figure for suburban/rural ground-level links at sub-GHz.
 * - shadowingSigmaDb 6: typical of outdoor measurements (4–8 dB).
 * - noiseFigureDb 6: SX127x-class receiver; it reproduces the datasheet's -137 dBm at SF12/BW125.
 */
export const DEFAULT_PROPAGATION: Readonly<PropagationModel> = Object.freeze({
  referenceLossDb: 40,
  pathLossExponent: 2.7,
  shadowingSigmaDb: 6,
  noiseFigureDb: 6,
});

export interface LinkBudget {
  /** Received signal strength, dBm. */
  rssi: number;
  /** Signal-to-noise ratio, dB. */
  snr: number;
  /** Whether the SNR is at or above the spreading factor's demodulation limit. */
  audible: boolean;
}

/** Minimum SNR the SX127x demodulates at each spreading factor (datasheet), dB. */
const SNR_FLOOR_DB: Readonly<Record<number, number>> = {
  6: -5,
  7: -7.5,
  8: -10,
  9: -12.5,
  10: -15,
  11: -17.5,
  12: -20,
};

export function snrFloorDb(sf: number): number {
  const floor = SNR_FLOOR_DB[sf];
  if (floor === undefined) throw new RangeError(`spreading factor must be an integer 6..12, got ${sf}`);
  return floor;
}

/** Thermal noise in the channel bandwidth plus the receiver's noise figure, dBm. */
export function noiseFloorDbm(bandwidthHz: number, noiseFigureDb: number = DEFAULT_PROPAGATION.noiseFigureDb): number {
  if (!Number.isFinite(bandwidthHz) || bandwidthHz <= 0) {
    throw new RangeError(`bandwidth must be a positive number of Hz, got ${bandwidthHz}`);
  }
  return -174 + 10 * Math.log10(bandwidthHz) + noiseFigureDb;
}

/** Mean path loss at `distanceM`; distances under the 1 m reference count as 1 m (near field). */
export function pathLossDb(distanceM: number, model: PropagationModel = DEFAULT_PROPAGATION): number {
  if (!(distanceM >= 0) || !Number.isFinite(distanceM)) {
    throw new RangeError(`distance must be a finite number of metres >= 0, got ${distanceM}`);
  }
  return model.referenceLossDb + 10 * model.pathLossExponent * Math.log10(Math.max(distanceM, 1));
}

/**
 * What a receiver at `distanceM` sees of a transmission with `params`. `shadowingDb` is extra
 * loss on this link (positive = weaker), normally from `linkShadowingDb`.
 */
export function linkBudget(
  distanceM: number,
  params: Pick<LoRaParams, 'sf' | 'bandwidthHz' | 'txPowerDbm'>,
  shadowingDb = 0,
  model: PropagationModel = DEFAULT_PROPAGATION,
): LinkBudget {
  const rssi = params.txPowerDbm - pathLossDb(distanceM, model) - shadowingDb;
  const snr = rssi - noiseFloorDbm(params.bandwidthHz, model.noiseFigureDb);
  return { rssi, snr, audible: snr >= snrFloorDb(params.sf) };
}

/**
 * Shadowing of the link between nodes `a` and `b` (u32 node numbers), drawn once from a normal
 * distribution with the given sigma. The same for (a, b) and (b, a), since obstacles between two
 * nodes block both directions, and the same for every run with the same seed.
 */
export function linkShadowingDb(seed: number, a: number, b: number, sigmaDb: number = DEFAULT_PROPAGATION.shadowingSigmaDb): number {
  const x = a >>> 0;
  const y = b >>> 0;
  const lo = Math.min(x, y);
  const hi = Math.max(x, y);
  const rng = new SeededRandom(mix32(mix32(mix32(seed >>> 0) ^ lo) + hi));
  // Box–Muller; 1 - next() is in (0, 1], so the log is finite.
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return sigmaDb * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Distance at which the mean (unshadowed) SNR reaches the demodulation limit; 0 if not even 1 m works. */
export function rangeM(params: Pick<LoRaParams, 'sf' | 'bandwidthHz' | 'txPowerDbm'>, model: PropagationModel = DEFAULT_PROPAGATION): number {
  const maxLossDb = params.txPowerDbm - noiseFloorDbm(params.bandwidthHz, model.noiseFigureDb) - snrFloorDb(params.sf);
  if (maxLossDb < model.referenceLossDb) return 0;
  return 10 ** ((maxLossDb - model.referenceLossDb) / (10 * model.pathLossExponent));
}

// A 32-bit finaliser (lowbias32), so neighbouring node numbers get unrelated streams.
function mix32(v: number): number {
  let x = v >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
