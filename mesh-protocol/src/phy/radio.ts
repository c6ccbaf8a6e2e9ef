// The hardware boundary: everything the router needs from a LoRa radio, nothing more.
// Implemented by the serial modem driver (firmware), the simulated radio, and test doubles.

import type { LoRaParams } from './lora-params.ts';

export interface RxPacket {
  bytes: Uint8Array;
  /** Received signal strength, dBm. */
  rssi: number;
  /** Signal-to-noise ratio, dB. */
  snr: number;
}

export interface RadioListener {
  /** A frame arrived intact (the radio's own CRC passed). */
  onReceive(packet: RxPacket): void;
  /** The frame passed to `transmit` has left the antenna (ok) or could not be sent. */
  onTransmitDone(ok: boolean, error?: string): void;
}

export interface Radio {
  readonly params: LoRaParams;
  /** One listener, the router that owns this radio. */
  attach(listener: RadioListener): void;
  /** Starts sending one frame; the radio is half-duplex and sends one frame at a time. */
  transmit(frame: Uint8Array): void;
  /** Carrier sense: true while the radio is transmitting or hears a transmission in progress. */
  isChannelBusy(): boolean;
}
