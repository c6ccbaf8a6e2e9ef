// Synthetic mesh traffic for benchmarks (this one and the gateway's): sealed broadcast frames from
// a set of senders, a mix of text, position, telemetry and NodeInfo, and a radio to feed them in.

import {
  BROADCAST,
  DEFAULT_CHANNEL,
  encodeData,
  sealFrame,
  type Data,
  type LoRaParams,
  type RadioListener,
  type SeededRandom,
} from '@unibos/mesh-protocol';
import type { ManagedRadio } from '../src/node/managed-radio.ts';

/** A radio that hands us its listener and never transmits (the bench feeds it frames). */
export class FeedRadio implements ManagedRadio {
  listener: RadioListener | undefined;
  state = 'ready';
  constructor(readonly params: LoRaParams) {}
  attach(l: RadioListener): void {
    this.listener = l;
  }
  transmit(): void {}
  isChannelBusy(): boolean {
    return false;
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  onStateChange(): void {}
}

/** `count` frames from `senders` nodes numbered from `firstSender`, counters rising per sender. */
export function sampleFrames(count: number, firstSender: number, senders: number, rng: SeededRandom): Uint8Array[] {
  const out: Uint8Array[] = [];
  const counters = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const from = firstSender + (i % senders);
    const counter = (counters.get(from) ?? 0) + 1;
    counters.set(from, counter);
    const kind = i % 4;
    const data: Data =
      kind === 0
        ? { text: `status report ${i} from the field, all well here` }
        : kind === 1
          ? { position: { latitudeI: 410_000_000 + i, longitudeI: 290_000_000 + i, altitudeM: 30, time: 1_790_000_000 + i, precisionBits: 32, satsInView: 8, fixQuality: 3, groundSpeed: 1, groundTrack: 90 } }
          : kind === 2
            ? { telemetry: { batteryLevel: 80, voltage: 3.9, cpuTemperature: 45, uptimeS: i, channelUtilization: 5, airUtilTx: 1 } }
            : { nodeInfo: { longName: `node ${from}`, shortName: 'n', hwModel: 'UNIBOS', role: 'CLIENT', publicKey: new Uint8Array(32) } };
    const header = { to: BROADCAST, from, id: 1 + rng.int(0xfffffffe), hopLimit: 0, hopStart: 0, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: from & 0xff, counter };
    out.push(sealFrame(header, encodeData(data), DEFAULT_CHANNEL));
  }
  return out;
}
