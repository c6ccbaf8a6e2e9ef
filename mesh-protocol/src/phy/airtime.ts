// LoRa time on air (SX127x datasheet formula) and the contention slot derived from it; the
// duty-cycle budget, channel utilisation and relay timing all depend on these numbers.

import { LORA_MAX_PAYLOAD, type LoRaParams } from './lora-params.ts';

type Modulation = Pick<LoRaParams, 'sf' | 'bandwidthHz'>;
type FrameShape = Pick<
  LoRaParams,
  'sf' | 'bandwidthHz' | 'codingRate' | 'preambleSymbols' | 'explicitHeader' | 'crc' | 'lowDataRateOptimize'
>;

/** Semtech turns low-data-rate optimisation on from this symbol time (and the radio needs it to stay locked). */
export const LDRO_SYMBOL_TIME_MS = 16;

function checkModulation(params: Modulation): void {
  if (!Number.isInteger(params.sf) || params.sf < 6 || params.sf > 12) {
    throw new RangeError(`spreading factor must be an integer 6..12, got ${params.sf}`);
  }
  if (!Number.isFinite(params.bandwidthHz) || params.bandwidthHz <= 0) {
    throw new RangeError(`bandwidth must be a positive number of Hz, got ${params.bandwidthHz}`);
  }
}

function checkFrame(params: FrameShape, payloadBytes: number): void {
  checkModulation(params);
  if (!Number.isInteger(params.codingRate) || params.codingRate < 1 || params.codingRate > 4) {
    throw new RangeError(`coding rate must be an integer 1..4 (4/5..4/8), got ${params.codingRate}`);
  }
  if (!Number.isFinite(params.preambleSymbols) || params.preambleSymbols < 0) {
    throw new RangeError(`preamble length must be >= 0 symbols, got ${params.preambleSymbols}`);
  }
  if (!Number.isInteger(payloadBytes) || payloadBytes < 0 || payloadBytes > LORA_MAX_PAYLOAD) {
    throw new RangeError(`payload must be an integer 0..${LORA_MAX_PAYLOAD} bytes, got ${payloadBytes}`);
  }
}

/** Duration of one chirp: 2^SF / BW. */
export function symbolTimeMs(params: Modulation): number {
  checkModulation(params);
  return (2 ** params.sf * 1000) / params.bandwidthHz;
}

/** Whether low-data-rate optimisation applies: as configured, else automatically at T_sym >= 16 ms. */
export function lowDataRateOn(params: Modulation & Pick<LoRaParams, 'lowDataRateOptimize'>): boolean {
  return params.lowDataRateOptimize ?? symbolTimeMs(params) >= LDRO_SYMBOL_TIME_MS;
}

/** Symbols after the preamble: header, payload and CRC, including the 8 fixed symbols. */
export function payloadSymbols(params: FrameShape, payloadBytes: number): number {
  checkFrame(params, payloadBytes);
  const { sf } = params;
  const crc = params.crc ? 1 : 0;
  const implicitHeader = params.explicitHeader ? 0 : 1;
  const de = lowDataRateOn(params) ? 1 : 0;
  const numerator = 8 * payloadBytes - 4 * sf + 28 + 16 * crc - 20 * implicitHeader;
  const blocks = Math.ceil(numerator / (4 * (sf - 2 * de)));
  return 8 + Math.max(blocks * (params.codingRate + 4), 0);
}

/** How long a frame of `payloadBytes` occupies the channel, preamble included. */
export function timeOnAirMs(params: FrameShape, payloadBytes: number): number {
  const symbols = payloadSymbols(params, payloadBytes);
  const tSym = symbolTimeMs(params);
  return (params.preambleSymbols + 4.25) * tSym + symbols * tSym;
}

/** Contention slot (2.5 symbols for channel-activity detection plus radio turnaround and processing). */
export function slotTimeMs(params: Modulation): number {
  return 2.5 * symbolTimeMs(params) + 7.6;
}
