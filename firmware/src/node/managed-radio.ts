// What the node loop needs from a radio beyond the router's `Radio`: opening and closing it, and
// knowing whether it can send right now (a modem mid-reset, an unplugged adapter, a lost air).

import type { Radio } from '@unibos/mesh-protocol';
import type { LatLon } from '../geo/distance.ts';

export interface ManagedRadio extends Radio {
  open(): Promise<void>;
  close(): Promise<void>;
  /** 'ready' when frames can be sent; anything else means hold them in the outbox. */
  readonly state: string;
  /** Something the radio works around but the owner should fix (an old modem firmware), else undefined. */
  readonly warning?: string | undefined;
  onStateChange(fn: (state: string) => void): void;
  /** The simulated radio follows the (simulated) GPS; real radios ignore it. */
  moveTo?(position: LatLon): void;
}
