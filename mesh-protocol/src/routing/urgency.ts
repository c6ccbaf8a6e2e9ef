// Which frames go ahead of everything else on air, ours or relayed: an SOS, an alert, and the SOS
// stages travelling back to the person who raised it (a person waiting for help feels every wait).

import type { Data } from '../frame/schema.ts';

export function isUrgent(data: Data): boolean {
  return data.alert !== undefined || data.routing?.sos !== undefined;
}
