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

export const LORA_MAX_PAYLOAD = 255;

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
