// The SPI boundary of a LoRa chip: one full-duplex transfer per chip-select frame. The real bus
// (spi-device-bus.ts, /dev/spidevB.C) and the chips' register-level twins implement it.

export interface SpiBus {
  /** What the bus is, for messages: "/dev/spidev0.0" or "sx1262 twin". */
  readonly name: string;
  /** Clocks `tx` out with chip select held low for the whole frame; resolves with what came back. */
  transfer(tx: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Counts frames on a bus; the bench and the probe report commands per LoRa frame with it. */
export class CountingSpiBus implements SpiBus {
  transfers = 0;
  bytes = 0;
  constructor(private readonly inner: SpiBus) {}
  get name(): string {
    return this.inner.name;
  }
  transfer(tx: Uint8Array): Promise<Uint8Array> {
    this.transfers++;
    this.bytes += tx.length;
    return this.inner.transfer(tx);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
