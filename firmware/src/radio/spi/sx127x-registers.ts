// The SX1276/77/78/79 (RFM95/96) LoRa register map as the driver and its twin use it (Semtech
// SX1276 datasheet, section 6.4): addresses, operating modes, IRQ flags, DIO0 mapping, and the
// encodings of frequency and bandwidth.

export const R = {
  Fifo: 0x00,
  OpMode: 0x01,
  FrfMsb: 0x06,
  FrfMid: 0x07,
  FrfLsb: 0x08,
  PaConfig: 0x09,
  PaRamp: 0x0a,
  Ocp: 0x0b,
  Lna: 0x0c,
  FifoAddrPtr: 0x0d,
  FifoTxBaseAddr: 0x0e,
  FifoRxBaseAddr: 0x0f,
  FifoRxCurrentAddr: 0x10,
  IrqFlagsMask: 0x11,
  IrqFlags: 0x12,
  RxNbBytes: 0x13,
  ModemStat: 0x18,
  PktSnrValue: 0x19,
  PktRssiValue: 0x1a,
  RssiValue: 0x1b,
  /** Bit 6 CrcOnPayload: whether the header of the frame just received said it carries a CRC. */
  HopChannel: 0x1c,
  ModemConfig1: 0x1d,
  ModemConfig2: 0x1e,
  SymbTimeoutLsb: 0x1f,
  PreambleMsb: 0x20,
  PreambleLsb: 0x21,
  PayloadLength: 0x22,
  MaxPayloadLength: 0x23,
  ModemConfig3: 0x26,
  /** Errata 2.3: the receiver's IF, fixed (with DetectOptimize bit 7 cleared) below 500 kHz. */
  IfFreq2: 0x2f,
  IfFreq1: 0x30,
  DetectOptimize: 0x31,
  InvertIq: 0x33,
  /** Errata 2.1: sensitivity settings, 0x02/0x64 (HF) or 0x02/0x7F (LF) at 500 kHz, 0x03/- otherwise. */
  HighBwOptimize1: 0x36,
  DetectionThreshold: 0x37,
  HighBwOptimize2: 0x3a,
  SyncWord: 0x39,
  DioMapping1: 0x40,
  DioMapping2: 0x41,
  Version: 0x42,
  PaDac: 0x4d,
} as const;

/** RegVersion of every SX1276/77/78/79 (and so RFM95/96/98). */
export const SX1276_VERSION = 0x12;
export const LONG_RANGE_MODE = 0x80;
/** Set below 525 MHz (the LF port: 433/470 MHz boards). */
export const LOW_FREQUENCY_MODE = 0x08;

export const MODE = { Sleep: 0, Standby: 1, FsTx: 2, Tx: 3, FsRx: 4, RxContinuous: 5, RxSingle: 6, Cad: 7 } as const;
export const MODE_NAMES = ['SLEEP', 'STDBY', 'FSTX', 'TX', 'FSRX', 'RX', 'RXSINGLE', 'CAD'] as const;

export const FLAG = {
  CadDetected: 1 << 0,
  FhssChangeChannel: 1 << 1,
  CadDone: 1 << 2,
  TxDone: 1 << 3,
  ValidHeader: 1 << 4,
  PayloadCrcError: 1 << 5,
  RxDone: 1 << 6,
  RxTimeout: 1 << 7,
} as const;

/** RegHopChannel bit 6 (CrcOnPayload, SX1276 datasheet register table): the received header announced a payload CRC (explicit header mode). */
export const CRC_ON_PAYLOAD = 0x40;

/** RegModemStat bits (LoRa mode): what the demodulator is doing right now. */
export const MODEM_STAT = { SignalDetected: 1 << 0, SignalSynchronized: 1 << 1, RxOnGoing: 1 << 2, HeaderInfoValid: 1 << 3, ModemClear: 1 << 4 } as const;

/** RegDioMapping1 bits 7:6: what DIO0 signals. */
export const DIO0 = { RxDone: 0x00, TxDone: 0x40, CadDone: 0x80 } as const;

/** Frf = f * 2^19 / 32 MHz. */
export function frfWord(hz: number): number {
  return Math.round((hz * 2 ** 19) / 32_000_000);
}

const BANDWIDTHS = [7_810, 10_420, 15_630, 20_830, 31_250, 41_670, 62_500, 125_000, 250_000, 500_000];

export function bandwidthCode127x(hz: number): number | undefined {
  const i = BANDWIDTHS.findIndex((b) => Math.abs(b - hz) < 50);
  return i < 0 ? undefined : i;
}

export function bandwidthFromCode127x(code: number): number | undefined {
  return BANDWIDTHS[code];
}

/**
 * The receiver settings of the SX1276/77/78 errata note (v1.1), as Semtech's LoRaMac-node (sx1276.c,
 * SX1276SetRxConfig / SX1276SetRx) and RIOT's sx127x driver write them:
 * 2.1 "Sensitivity optimization with a 500 kHz bandwidth": 0x36 = 0x02 and 0x3A = 0x64 above
 *     525 MHz, 0x7F below; any other bandwidth 0x36 = 0x03.
 * 2.3 "Receiver spurious reception of a LoRa signal": below 500 kHz, RegDetectOptimize bit 7
 *     (automatic IF) cleared and the IF fixed, 0x2F = 0x40 and 0x30 = 0x00 from 62.5 kHz up
 *     (narrower bandwidths also need the receive frequency shifted, which this driver does not do).
 * Undefined for a bandwidth this driver does not take.
 */
export function errataRegisters(bandwidthHz: number, frequencyHz: number): Array<[number, number]> | undefined {
  if (Math.abs(bandwidthHz - 500_000) < 50) {
    return [
      [R.DetectOptimize, 0xc3],
      [R.HighBwOptimize1, 0x02],
      [R.HighBwOptimize2, frequencyHz >= 525_000_000 ? 0x64 : 0x7f],
    ];
  }
  if (bandwidthHz < 62_450) return undefined;
  return [
    [R.DetectOptimize, 0x43],
    [R.IfFreq2, 0x40],
    [R.IfFreq1, 0x00],
    [R.HighBwOptimize1, 0x03],
  ];
}

/** Packet RSSI offset: -157 dBm on the HF port (862-1020 MHz), -164 on the LF port. */
export function rssiOffset(hz: number): number {
  return hz >= 779_000_000 ? -157 : -164;
}
