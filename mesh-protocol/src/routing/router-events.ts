// What a router tells its user (a device, a gateway, the simulator): one typed event per outcome.

import type { FrameHeader } from '../frame/header.ts';
import type { Data, DataKind } from '../frame/schema.ts';
import type { DropReason } from './router-stats.ts';

export interface Delivery {
  from: number;
  to: number;
  id: number;
  kind: DataKind;
  data: Data;
  /** Relays between the sender and us (0 = heard directly). */
  hops: number;
  rssi: number;
  snr: number;
  rxTimeMs: number;
  viaMqtt: boolean;
  channel: string;
}

export type NakReason = 'MAX_RETRANSMIT' | string;

export interface RouterEvents {
  deliver: [Delivery];
  /** Our frame `id` was acknowledged: by the destination, or (broadcast) by a relay overheard. */
  ack: [{ id: number; by: number; implicit: boolean }];
  /** Our frame `id` left the antenna (once per transmission, retries included). */
  sent: [{ id: number }];
  /** Our frame `id` was refused (the transmit queue dropped it) or never acknowledged. */
  nak: [{ id: number; reason: NakReason }];
  /** Every authenticated frame heard for the first time, for gateways and loggers. */
  heard: [{ header: FrameHeader; data: Data; bytes: Uint8Array; rssi: number; snr: number }];
  drop: [{ reason: DropReason; detail?: string }];
}
