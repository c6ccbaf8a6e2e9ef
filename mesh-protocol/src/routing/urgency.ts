// Which frames go ahead of everything else on air, ours or relayed: first a call for help (an SOS,
// and the SOS stages travelling back to whoever raised it: a person waiting for help feels every
// wait), then every other alert ("I am safe", an earthquake, a flood warning), then the rest. An
// aftershock burst of alerts, or everyone answering "I am safe" at once, must never hold back a
// call for help queued behind it; and answers to a quake must not push its later warnings out.

import type { Data } from '../frame/schema.ts';

/** 0: ordinary traffic; 1: an alert ("I am safe" among them); 2: an SOS or an SOS stage. Higher goes first. */
export type Urgency = 0 | 1 | 2;

export function urgencyOf(data: Data): Urgency {
  if (data.routing?.sos !== undefined || data.alert?.level === 'SOS') return 2;
  return data.alert !== undefined ? 1 : 0;
}

/** Every urgency, the one going first first: the order of every queue ranked by urgencyOf (the gateway's hub outbox too). */
export const URGENCY_ORDER: readonly Urgency[] = [2, 1, 0];
