// For the register-level twins: when the chip left receive in the middle of a frame and when it was
// back, so the twin loses the frame as a chip would. After the preamble come the sync word and
// header, without which the chip cannot demodulate the rest (the LoRa packet structure in
// DS_SX1261-2 and the SX1276 datasheet); an absence within the preamble leaves it time to lock on again.

import { timeOnAirMs, type LoRaParams } from '@unibos/mesh-protocol';

export class TwinRxGap {
  private cutAt = -Infinity;
  private backAt = -Infinity;

  /** The chip left receive at `now` while a frame was arriving. */
  left(now: number): void {
    this.cutAt = now;
    this.backAt = Infinity;
  }

  /** The chip is in receive again at `now` (after leaving it during a frame). */
  back(now: number): void {
    if (this.backAt === Infinity) this.backAt = now;
  }

  /** Whether a frame of `bytes` ending `now` was missed: the chip was away at its sync word or later. */
  missedSync(shape: LoRaParams, bytes: number, now: number): boolean {
    const start = now - timeOnAirMs(shape, bytes);
    const syncAt = start + (shape.preambleSymbols * 2 ** shape.sf * 1000) / shape.bandwidthHz;
    return this.cutAt >= start && this.backAt > syncAt;
  }
}
