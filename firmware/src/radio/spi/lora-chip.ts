// What the SPI radio's state machine (spi-lora-radio.ts) needs from a LoRa chip: reset, identify,
// configure, receive, transmit, channel activity detection and its interrupt. The SX126x and
// SX127x drivers implement it over a SpiBus and GpioPins.

import type { LoRaParams, RxPacket } from '@unibos/mesh-protocol';

export interface ChipIrq {
  txDone: boolean;
  rxDone: boolean;
  crcError: boolean;
  headerError: boolean;
  cadDone: boolean;
  cadDetected: boolean;
  /** A TX or RX timeout the chip itself raised. */
  timeout: boolean;
  /** A preamble or valid header was flagged: a frame was arriving (no interrupt of its own). */
  frameArriving: boolean;
  /** The raw flags, for logs. */
  raw: number;
}

/** What `receiving()` found. */
export type Reception = 'none' | 'preamble' | 'header';

export interface ChipIdentity {
  /** "SX1262", "SX1276". */
  chip: string;
  /** What was read to tell: "status 0x22 (STBY_RC)", "RegVersion 0x12". */
  evidence: string;
}

export interface LoraChip {
  readonly model: string;
  /** Claims the bus and the pins. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Pulses RESET and waits until the chip answers (BUSY low on an SX126x). */
  reset(): Promise<void>;
  /** Reads what identifies the chip; throws E_MODEM_UNAVAILABLE when nothing sensible answers. */
  identify(): Promise<ChipIdentity>;
  /** Puts the chip in LoRa mode with `params`; leaves it in standby. */
  configure(params: LoRaParams): Promise<void>;
  /** Continuous receive. */
  receive(): Promise<void>;
  /** Stops receiving (or anything else) and waits in standby; a frame already received stays readable. */
  standby(): Promise<void>;
  /** From standby: writes the frame and starts sending it; the chip raises TxDone (or Timeout after `timeoutMs`). */
  transmit(frame: Uint8Array, timeoutMs: number): Promise<void>;
  /** Starts one channel activity detection; the chip raises CadDone (+ CadDetected). */
  startCad(): Promise<void>;
  /** Reads and clears the interrupt flags. */
  takeIrq(): Promise<ChipIrq>;
  /**
   * Whether the receiver is in the middle of a frame, read without clearing anything: a preamble
   * (perhaps noise), a valid header (a frame whose payload is still arriving), or nothing. Leaving
   * receive then (standby for a CAD or a transmission) loses that frame.
   */
  receiving(): Promise<Reception>;
  /** The packet just received (after RxDone without a CRC error). */
  readPacket(): Promise<RxPacket>;
  /** True when the chip has forgotten its configuration: it reset without being asked. */
  lostConfiguration(): Promise<boolean>;
  /** The interrupt line's level as last heard: high while a routed flag is still set. */
  irqLineHigh(): boolean;
  /** The interrupt line rose; returns an unsubscribe function. */
  onInterrupt(fn: () => void): () => void;
  /** The chip's link (its GPIO) broke on its own since open(): only close() and open() bring it back. */
  onLinkFault(fn: (err: Error) => void): () => void;
  /** Device errors the chip reports (SX126x GetDeviceErrors), cleared as they are read. */
  deviceErrors(): Promise<string[]>;
  /** The chip's current mode, for logs and the probe: "RX", "STBY_RC", "SLEEP". */
  mode(): Promise<string>;
  /** Time spent waiting for BUSY and its count (SX126x); 0 for chips without BUSY. */
  readonly busyWaits: number;
}
