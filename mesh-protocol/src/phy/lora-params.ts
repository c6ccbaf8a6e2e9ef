// LoRa modulation settings shared by the airtime model, radios and the simulator.

export interface LoRaParams {
  /** Spreading factor 6..12. */
  sf: number;
  /** Bandwidth in Hz (125000, 250000, 500000, ...). */
  bandwidthHz: number;
  /** Coding rate denominator offset: 1..4 for 4/5..4/8. */
  codingRate: number;
  /** Preamble length in symbols. */
  preambleSymbols: number;
  /** Explicit header (true) or implicit (false). */
  explicitHeader: boolean;
  crc: boolean;
  /** Low-data-rate optimisation; undefined = automatic (on when a symbol lasts 16 ms or more). */
  lowDataRateOptimize?: boolean;
  /** Transmit power in dBm. */
  txPowerDbm: number;
  /** Centre frequency in Hz. */
  frequencyHz: number;
}

/** The most a LoRa packet carries (its length byte): what the airtime model accepts. */
export const LORA_MAX_PAYLOAD = 255;
/**
 * The longest frame of the mesh: what every radio we drive carries. A RAK3172's RUI3 firmware takes
 * AT+PSEND payloads of at most 500 hex digits, so 250 bytes; a longer frame would be refused there
 * (and relayed by no RAK3172 node), so the mesh refuses it at the door.
 */
export const MESH_MAX_FRAME = 250;

/**
 * The mesh's LoRa sync word, in the one-byte form an SX127x takes: 0x12, a private network's (LoRaWAN
 * uses 0x34, so its packets never reach our decoder). Every radio must use it to hear the others.
 */
export const MESH_SYNC_WORD = 0x12;

/** A one-byte sync word in the two-byte form of an SX126x (and an STM32WL, a RAK3172's radio): 0x12 -> 0x1424. */
export function sx126xSyncWord(syncWord: number): number {
  return ((syncWord & 0xf0) << 8) | ((syncWord & 0x0f) << 4) | 0x0404;
}

/** Presets named as the best-known LoRa mesh names them, so operators recognise them. */
export const LORA_PRESETS = {
  LongFast: { sf: 11, bandwidthHz: 250_000, codingRate: 1 },
  LongSlow: { sf: 12, bandwidthHz: 125_000, codingRate: 4 },
  MediumFast: { sf: 9, bandwidthHz: 250_000, codingRate: 1 },
  ShortFast: { sf: 7, bandwidthHz: 250_000, codingRate: 1 },
} as const;

export type LoRaPresetName = keyof typeof LORA_PRESETS;

export function loraParams(preset: LoRaPresetName = 'LongFast', overrides: Partial<LoRaParams> = {}): LoRaParams {
  return {
    ...LORA_PRESETS[preset],
    preambleSymbols: 16,
    explicitHeader: true,
    crc: true,
    txPowerDbm: 14,
    frequencyHz: 869_525_000,
    ...overrides,
  };
}
