// Per-region transmit budget: how much airtime this node may still spend in the rolling
// regulatory window, kept in a fixed ring of buckets so memory does not grow with traffic.

import type { Scheduler } from '../core/scheduler.ts';

export interface RegionRules {
  readonly name: string;
  /** Band edges we transmit in, Hz (informative; the radio config picks the channel). */
  readonly minFrequencyHz: number;
  readonly maxFrequencyHz: number;
  /** Share of the window a transmitter may be on air, 0..1 (1 = no duty-cycle limit). */
  readonly dutyCycle: number;
  /** Length of the window the share is measured over. */
  readonly windowMs: number;
  /** Longest single frame allowed on air, if the region limits dwell time. */
  readonly maxDwellMs?: number;
  /**
   * Most transmit power allowed, dBm at the radio's output (the regulation's ERP with an antenna of
   * 0 dBd, a plain dipole: a higher-gain antenna needs less).
   */
  readonly maxTxPowerDbm: number;
  /** The LoRa preset a device uses here unless told otherwise, if not LongFast (which the region's rules would refuse). */
  readonly defaultPreset?: 'MediumFast';
}

const HOUR_MS = 3_600_000;

/**
 * The regions we ship. Only the limits that change what the router may send or what a device may
 * be set up to do are kept here.
 *
 * - EU868: ETSI EN 300 220 / ERC Rec 70-03 sub-band 869.40–869.65 MHz (500 mW ERP, 27 dBm; 10 %
 *   duty cycle over one hour). It is our default because it allows ten times the 1 % of the rest
 *   of 863–870 MHz.
 * - EU433: 433.05–434.79 MHz SRD band, 10 mW ERP (10 dBm), 10 % duty cycle over one hour.
 * - US915: FCC part 15.247, 1 W (30 dBm) conducted, no duty cycle; at our bandwidths (< 500 kHz)
 *   each frame is limited to 400 ms dwell on a channel, which rules out LongFast: MediumFast is
 *   the default there. 30 dBm is the best-known LoRa mesh's figure; strictly, 15.247's 1 W is for
 *   frequency hopping or digital modulation of 500 kHz or more, and one 250 kHz channel may fall
 *   under 15.249's much lower limit instead. Not settled here.
 * - ANZ: 915–928 MHz under the AU/NZ class licences, 1 W EIRP (27 dBm at the output with a
 *   dipole's 2.15 dBi), no duty cycle.
 * - IN865: 865–867 MHz licence-exempt band, 1 W (30 dBm), no duty cycle.
 * - NONE: no limits at all, for the simulator and tests that measure routing rather than
 *   regulation; a device refuses it for a real radio.
 */
export const REGIONS = {
  EU868: { name: 'EU868', minFrequencyHz: 869_400_000, maxFrequencyHz: 869_650_000, dutyCycle: 0.1, windowMs: HOUR_MS, maxTxPowerDbm: 27 },
  EU433: { name: 'EU433', minFrequencyHz: 433_050_000, maxFrequencyHz: 434_790_000, dutyCycle: 0.1, windowMs: HOUR_MS, maxTxPowerDbm: 10 },
  US915: {
    name: 'US915',
    minFrequencyHz: 902_000_000,
    maxFrequencyHz: 928_000_000,
    dutyCycle: 1,
    windowMs: HOUR_MS,
    maxDwellMs: 400,
    maxTxPowerDbm: 30,
    defaultPreset: 'MediumFast',
  },
  ANZ: { name: 'ANZ', minFrequencyHz: 915_000_000, maxFrequencyHz: 928_000_000, dutyCycle: 1, windowMs: HOUR_MS, maxTxPowerDbm: 27 },
  IN865: { name: 'IN865', minFrequencyHz: 865_000_000, maxFrequencyHz: 867_000_000, dutyCycle: 1, windowMs: HOUR_MS, maxTxPowerDbm: 30 },
  NONE: { name: 'NONE', minFrequencyHz: 0, maxFrequencyHz: Number.POSITIVE_INFINITY, dutyCycle: 1, windowMs: HOUR_MS, maxTxPowerDbm: 30 },
} as const satisfies Record<string, RegionRules>;

export type RegionName = keyof typeof REGIONS;

/** Why a transmission is not allowed right now; surfaced so suppression is never silent. */
export type DutyCycleBlock = 'dwell' | 'budget';

/** Buckets per window: one per minute on an hourly window. */
export const DUTY_CYCLE_BUCKETS = 60;

export class DutyCycle {
  readonly rules: RegionRules;
  /** Airtime allowed per window, ms. */
  readonly budgetMs: number;
  private readonly scheduler: Pick<Scheduler, 'now'>;
  private readonly bucketMs: number;
  // One slot more than the window holds: the current, partly elapsed bucket plus DUTY_CYCLE_BUCKETS
  // full ones. A bucket leaves the budget only once all of it is older than the window, so the
  // count errs on the cautious side (a frame is remembered for 60–61 minutes, never less than 60).
  private readonly used = new Float64Array(DUTY_CYCLE_BUCKETS + 1);
  private readonly tags = new Float64Array(DUTY_CYCLE_BUCKETS + 1).fill(Number.NEGATIVE_INFINITY);

  constructor(region: RegionName | RegionRules, scheduler: Pick<Scheduler, 'now'>) {
    const rules = typeof region === 'string' ? REGIONS[region] : region;
    if (rules === undefined) throw new RangeError(`unknown region ${String(region)}`);
    if (!(rules.dutyCycle > 0 && rules.dutyCycle <= 1)) {
      throw new RangeError(`region ${rules.name}: duty cycle must be in (0, 1], got ${rules.dutyCycle}`);
    }
    if (!(rules.windowMs > 0) || !Number.isFinite(rules.windowMs)) {
      throw new RangeError(`region ${rules.name}: window must be a positive number of ms, got ${rules.windowMs}`);
    }
    this.rules = rules;
    this.scheduler = scheduler;
    this.budgetMs = rules.dutyCycle * rules.windowMs;
    this.bucketMs = rules.windowMs / DUTY_CYCLE_BUCKETS;
  }

  /** Accounts one transmission of `airtimeMs`, started now. */
  record(airtimeMs: number): void {
    checkAirtime(airtimeMs);
    const bucket = this.currentBucket();
    const slot = this.slotOf(bucket);
    if (this.tags[slot] !== bucket) {
      this.tags[slot] = bucket;
      this.used[slot] = 0;
    }
    this.used[slot] = this.used[slot]! + airtimeMs;
  }

  /** Airtime counted against the current window, ms. */
  usedMs(): number {
    const current = this.currentBucket();
    let sum = 0;
    for (let slot = 0; slot < this.used.length; slot++) {
      if (this.live(this.tags[slot]!, current)) sum += this.used[slot]!;
    }
    return sum;
  }

  /**
   * The airtime this window holds, by age: ms before now, counted from the end of each minute it
   * was spent in, so none is made older than it is. What a node saves to count it after a restart.
   */
  spent(): Array<{ ageMs: number; usedMs: number }> {
    const now = this.scheduler.now();
    const current = this.currentBucket();
    const out: Array<{ ageMs: number; usedMs: number }> = [];
    for (let slot = 0; slot < this.used.length; slot++) {
      const bucket = this.tags[slot]!;
      if (this.live(bucket, current) && this.used[slot]! > 0) out.push({ ageMs: Math.max(0, now - (bucket + 1) * this.bucketMs), usedMs: this.used[slot]! });
    }
    return out.sort((a, b) => a.ageMs - b.ageMs);
  }

  /**
   * Counts airtime spent before this budget existed (a restart: `spent()` of the last run, aged by
   * the time between), each amount at its age; amounts older than the window, or not numbers, are
   * ignored. Without it a node that restarts may spend a whole window's budget again.
   */
  restore(spent: ReadonlyArray<{ ageMs: number; usedMs: number }>): void {
    const now = this.scheduler.now();
    const current = this.currentBucket();
    for (const { ageMs, usedMs } of spent) {
      if (!(Number.isFinite(ageMs) && ageMs >= 0 && Number.isFinite(usedMs) && usedMs > 0 && usedMs <= this.rules.windowMs)) continue;
      const bucket = Math.floor((now - ageMs) / this.bucketMs);
      if (!this.live(bucket, current)) continue;
      const slot = this.slotOf(bucket);
      if (this.tags[slot] !== bucket) {
        this.tags[slot] = bucket;
        this.used[slot] = 0;
      }
      this.used[slot] = this.used[slot]! + usedMs;
    }
  }

  /** Share of the window spent transmitting, 0..1 (the regulatory limit is `rules.dutyCycle`). */
  usedFraction(): number {
    return this.usedMs() / this.rules.windowMs;
  }

  /** Why a frame of `airtimeMs` may not be sent now, or null if it may. */
  blockedBy(airtimeMs: number): DutyCycleBlock | null {
    checkAirtime(airtimeMs);
    if (this.rules.maxDwellMs !== undefined && airtimeMs > this.rules.maxDwellMs) return 'dwell';
    if (this.rules.dutyCycle >= 1) return null;
    return this.usedMs() + airtimeMs <= this.budgetMs ? null : 'budget';
  }

  canTransmit(airtimeMs: number): boolean {
    return this.blockedBy(airtimeMs) === null;
  }

  /** Milliseconds until a frame of `airtimeMs` fits the budget; Infinity if it never will (dwell, or longer than the budget). */
  waitMs(airtimeMs: number): number {
    const block = this.blockedBy(airtimeMs);
    if (block === null) return 0;
    if (block === 'dwell' || airtimeMs > this.budgetMs) return Number.POSITIVE_INFINITY;
    const current = this.currentBucket();
    const live: Array<{ bucket: number; used: number }> = [];
    for (let slot = 0; slot < this.used.length; slot++) {
      const bucket = this.tags[slot]!;
      if (this.live(bucket, current) && this.used[slot]! > 0) live.push({ bucket, used: this.used[slot]! });
    }
    live.sort((x, y) => x.bucket - y.bucket);
    let excess = this.usedMs() + airtimeMs - this.budgetMs;
    for (const { bucket, used } of live) {
      excess -= used;
      if (excess <= 0) {
        // The bucket stops counting once the current bucket is DUTY_CYCLE_BUCKETS past it.
        const freedAt = (bucket + DUTY_CYCLE_BUCKETS + 1) * this.bucketMs;
        return Math.max(0, freedAt - this.scheduler.now());
      }
    }
    return Number.POSITIVE_INFINITY;
  }

  private currentBucket(): number {
    return Math.floor(this.scheduler.now() / this.bucketMs);
  }

  private slotOf(bucket: number): number {
    const n = this.used.length;
    return ((bucket % n) + n) % n;
  }

  private live(bucket: number, current: number): boolean {
    return bucket <= current && bucket >= current - DUTY_CYCLE_BUCKETS;
  }
}

function checkAirtime(airtimeMs: number): void {
  if (!Number.isFinite(airtimeMs) || airtimeMs < 0) {
    throw new RangeError(`airtime must be a finite number of ms >= 0, got ${airtimeMs}`);
  }
}
