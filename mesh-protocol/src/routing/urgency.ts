// Which frames go ahead of everything else on air, ours or relayed: first a person's own call (an
// SOS, "I am safe", and the SOS stages travelling back to whoever raised it: a person waiting for
// help feels every wait), then every other alert (an earthquake, a flood warning), then the rest.
// An aftershock burst of alerts must never hold back a call for help queued behind it.

import type { Data } from '../frame/schema.ts';

/** 0: ordinary traffic; 1: an alert; 2: an SOS, "I am safe" or an SOS stage. Higher goes first. */
export type Urgency = 0 | 1 | 2;

export function urgencyOf(data: Data): Urgency {
  if (data.routing?.sos !== undefined || data.alert?.level === 'SOS' || data.alert?.level === 'SAFE') return 2;
  return data.alert !== undefined ? 1 : 0;
}
