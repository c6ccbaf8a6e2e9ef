// What the status LED shows for each device state, as on/off timelines. Pure data and choice;
// the panel plays them on its scheduler. On a battery device the LED is dark almost all the time.

import type { PanelStatus } from './device-panel.ts';

/** One stretch of an on/off signal (the LED here; the buzzer uses the same shape). */
export interface OnOffStep {
  on: boolean;
  ms: number;
}

export interface OnOffPattern {
  steps: readonly OnOffStep[];
  /** A pattern that does not repeat ends after its last step; the LED then falls back to the steady pattern. */
  repeat: boolean;
}

export type LedPatternName = 'sos-pending' | 'sos-taken' | 'sos-acknowledged' | 'gps-fix' | 'no-fix';

/** How long the LED stays solid once an admin acknowledged the SOS. */
export const SOS_ACK_SOLID_MS = 10_000;

export const LED_PATTERNS: Readonly<Record<LedPatternName, OnOffPattern>> = {
  // 5 Hz: impossible to mistake for the idle heartbeat, and it says "your SOS is still going out".
  'sos-pending': {
    steps: [
      { on: true, ms: 100 },
      { on: false, ms: 100 },
    ],
    repeat: true,
  },
  // 0.5 Hz: "a gateway has your SOS on its way to the hub (or the hub has it); nobody has looked yet".
  // Calmer than pending, still unlike any idle pattern.
  'sos-taken': {
    steps: [
      { on: true, ms: 200 },
      { on: false, ms: 1_800 },
    ],
    repeat: true,
  },
  // Solid for a while so the person sees the acknowledgement from a distance, then back to normal.
  'sos-acknowledged': { steps: [{ on: true, ms: SOS_ACK_SOLID_MS }], repeat: false },
  // One short blink every 5 s: alive and located, at 1 % duty.
  'gps-fix': {
    steps: [
      { on: true, ms: 50 },
      { on: false, ms: 4_950 },
    ],
    repeat: true,
  },
  // A double blink every 3 s: alive but without a position, distinguishable at a glance.
  'no-fix': {
    steps: [
      { on: true, ms: 50 },
      { on: false, ms: 250 },
      { on: true, ms: 50 },
      { on: false, ms: 2_650 },
    ],
    repeat: true,
  },
};

/** The pattern to start for a status; an acknowledged SOS starts with the solid phase. */
export function ledPatternFor(status: PanelStatus): LedPatternName {
  if (status.sos === 'pending') return 'sos-pending';
  if (status.sos === 'taken') return 'sos-taken';
  if (status.sos === 'acknowledged') return 'sos-acknowledged';
  return steadyLedPattern(status.gpsFix);
}

/** The pattern shown when nothing urgent is going on (also after the acknowledgement's solid phase). */
export function steadyLedPattern(gpsFix: boolean): LedPatternName {
  return gpsFix ? 'gps-fix' : 'no-fix';
}

/** Length of one pass through the pattern. */
export function periodMs(pattern: OnOffPattern): number {
  return pattern.steps.reduce((sum, step) => sum + step.ms, 0);
}

/** Fraction of a pass the output is on: the LED's share of the battery budget. */
export function dutyCycle(pattern: OnOffPattern): number {
  const on = pattern.steps.reduce((sum, step) => sum + (step.on ? step.ms : 0), 0);
  return on / periodMs(pattern);
}
