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
  ModemConfig1: 0x1d,
  ModemConfig2: 0x1e,
  SymbTimeoutLsb: 0x1f,
  PreambleMsb: 0x20,
  PreambleLsb: 0x21,
  PayloadLength: 0x22,
  MaxPayloadLength: 0x23,
  ModemConfig3: 0x26,
  DetectOptimize: 0x31,
  InvertIq: 0x33,
  DetectionThreshold: 0x37,
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

/** Packet RSSI offset: -157 dBm on the HF port (862-1020 MHz), -164 on the LF port. */
export function rssiOffset(hz: number): number {
  return hz >= 779_000_000 ? -157 : -164;
}
