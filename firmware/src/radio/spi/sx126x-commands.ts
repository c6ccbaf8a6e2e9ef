// The SX1261/2/8 command set as the driver and the twin both speak it (Semtech DS_SX1261-2,
// chapter 13): opcodes, the status byte, IRQ bits and the encodings of frequency, bandwidth,
// TCXO voltage and PA settings. One table, so the driver and its twin cannot drift apart.

export const OP = {
  GetStatus: 0xc0,
  SetStandby: 0x80,
  SetRx: 0x82,
  SetTx: 0x83,
  SetSleep: 0x84,
  SetRfFrequency: 0x86,
  SetCadParams: 0x88,
  Calibrate: 0x89,
  SetPacketType: 0x8a,
  SetModulationParams: 0x8b,
  SetPacketParams: 0x8c,
  SetTxParams: 0x8e,
  SetBufferBaseAddress: 0x8f,
  SetPaConfig: 0x95,
  SetRegulatorMode: 0x96,
  SetDio3AsTcxoCtrl: 0x97,
  CalibrateImage: 0x98,
  SetDio2AsRfSwitchCtrl: 0x9d,
  SetCad: 0xc5,
  SetDioIrqParams: 0x08,
  ClearIrqStatus: 0x02,
  ClearDeviceErrors: 0x07,
  WriteRegister: 0x0d,
  WriteBuffer: 0x0e,
  GetPacketType: 0x11,
  GetIrqStatus: 0x12,
  GetRxBufferStatus: 0x13,
  GetPacketStatus: 0x14,
  GetRssiInst: 0x15,
  GetDeviceErrors: 0x17,
  ReadRegister: 0x1d,
  ReadBuffer: 0x1e,
} as const;

export const PACKET_TYPE_GFSK = 0x00;
export const PACKET_TYPE_LORA = 0x01;
export const STANDBY_RC = 0x00;
export const STANDBY_XOSC = 0x01;
/** SetRx timeout meaning "stay in receive until told otherwise". */
export const RX_CONTINUOUS = 0xffffff;

/** Registers the driver touches. */
export const REG = {
  /** LoRa sync word, two bytes; 0x1424 for private networks (the "0x12" of the SX127x), 0x3444 for LoRaWAN. */
  LoraSyncWordMsb: 0x0740,
  LoraSyncWordLsb: 0x0741,
  /** Over-current protection; SetPaConfig sets it, re-set after SetPaConfig for 140 mA on the SX1262. */
  Ocp: 0x08e7,
  /**
   * TX modulation quality (datasheet 15.1, "Modulation Quality with 500 kHz LoRa Bandwidth"): bit 2
   * must be 0 for LoRa at 500 kHz and 1 for every other bandwidth, before any transmission.
   */
  TxModulation: 0x0889,
  /**
   * Bit 4: whether the header of the LoRa frame just received announced a payload CRC. Not in the
   * datasheet; Semtech's own driver (SWDR001 sx126x.c, sx126x_get_lora_params_from_header:
   * SX126X_REG_LR_HEADER_CRC) and RadioLib (getLoRaRxHeaderInfo) read it there.
   */
  LoraHeaderCrc: 0x076b,
  /** TX clamp; bits 4:1 set to 1111 lets the PA stand a mismatched antenna (datasheet 15.2, after each reset). */
  TxClampConfig: 0x08d8,
} as const;

export const IRQ = {
  TxDone: 1 << 0,
  RxDone: 1 << 1,
  PreambleDetected: 1 << 2,
  SyncWordValid: 1 << 3,
  HeaderValid: 1 << 4,
  HeaderErr: 1 << 5,
  CrcErr: 1 << 6,
  CadDone: 1 << 7,
  CadDetected: 1 << 8,
  Timeout: 1 << 9,
  All: 0x03ff,
} as const;

/** Chip mode in bits 6:4 of the status byte. */
export const CHIP_MODE = { StandbyRc: 2, StandbyXosc: 3, Fs: 4, Rx: 5, Tx: 6 } as const;
/** Command status in bits 3:1 of the status byte. */
export const CMD_STATUS = { DataAvailable: 2, Timeout: 3, ProcessingError: 4, ExecFailure: 5, TxDone: 6 } as const;

export function statusByte(chipMode: number, cmdStatus: number): number {
  return ((chipMode & 7) << 4) | ((cmdStatus & 7) << 1);
}

export function parseStatus(b: number): { chipMode: number; cmdStatus: number } {
  return { chipMode: (b >> 4) & 7, cmdStatus: (b >> 1) & 7 };
}

export const CHIP_MODE_NAMES: Record<number, string> = { 2: 'STBY_RC', 3: 'STBY_XOSC', 4: 'FS', 5: 'RX', 6: 'TX' };

/** GetDeviceErrors bits, named as the datasheet names them. */
export const DEVICE_ERRORS: ReadonlyArray<[number, string]> = [
  [1 << 0, 'RC64K calibration'],
  [1 << 1, 'RC13M calibration'],
  [1 << 2, 'PLL calibration'],
  [1 << 3, 'ADC calibration'],
  [1 << 4, 'image calibration'],
  [1 << 5, 'XOSC start (TCXO voltage or DIO3 wiring?)'],
  [1 << 6, 'PLL lock'],
  [1 << 8, 'PA ramp'],
];

/** RF frequency word: f * 2^25 / 32 MHz. */
export function frequencyWord(hz: number): number {
  return Math.round((hz * 2 ** 25) / 32_000_000);
}

export function frequencyFromWord(word: number): number {
  return (word * 32_000_000) / 2 ** 25;
}

const BANDWIDTHS: ReadonlyArray<[number, number]> = [
  [7_810, 0x00],
  [10_420, 0x08],
  [15_630, 0x01],
  [20_830, 0x09],
  [31_250, 0x02],
  [41_670, 0x0a],
  [62_500, 0x03],
  [125_000, 0x04],
  [250_000, 0x05],
  [500_000, 0x06],
];

/** The SetModulationParams code for a LoRa bandwidth in Hz, or undefined if the chip has none. */
export function bandwidthCode(hz: number): number | undefined {
  return BANDWIDTHS.find(([b]) => Math.abs(b - hz) < 50)?.[1];
}

export function bandwidthFromCode(code: number): number | undefined {
  return BANDWIDTHS.find(([, c]) => c === code)?.[0];
}

const TCXO_VOLTAGES: ReadonlyArray<[number, number]> = [
  [1.6, 0x00],
  [1.7, 0x01],
  [1.8, 0x02],
  [2.2, 0x03],
  [2.4, 0x04],
  [2.7, 0x05],
  [3.0, 0x06],
  [3.3, 0x07],
];

export function tcxoVoltageCode(volts: number): number | undefined {
  return TCXO_VOLTAGES.find(([v]) => Math.abs(v - volts) < 0.01)?.[1];
}

export interface PaConfig {
  paDutyCycle: number;
  hpMax: number;
  deviceSel: number;
  paLut: number;
}

/**
 * SetPaConfig for the high-power PA: the +22 dBm row of datasheet table 13-21 (SX1262: 0x04/0x07;
 * the SX1268's own datasheet: 0x04/0x06), whatever the power. The power itself goes only in
 * SetTxParams, as Semtech's driver and RadioLib do. The table's lower rows are meant with
 * SetTxParams at +22 dBm: used with the asked power as well, they cut it twice (+14 asked, about
 * +6 out).
 */
export function paConfig(chip: 'sx1262' | 'sx1268'): PaConfig {
  return { paDutyCycle: 0x04, hpMax: chip === 'sx1268' ? 0x06 : 0x07, deviceSel: 0x00, paLut: 0x01 };
}

/** CalibrateImage band bytes (datasheet table 9-2) for the band holding `hz`. */
export function imageCalibrationBand(hz: number): [number, number] {
  const mhz = hz / 1e6;
  if (mhz >= 902) return [0xe1, 0xe9];
  if (mhz >= 863) return [0xd7, 0xdb];
  if (mhz >= 779) return [0xc1, 0xc5];
  if (mhz >= 470) return [0x75, 0x81];
  return [0x6b, 0x6f];
}

/** Durations on the chip's 15.625 us timer (SetTx/SetRx timeouts, TCXO start-up). */
export function timerSteps(ms: number): number {
  return Math.min(0xfffffe, Math.max(0, Math.round((ms * 1000) / 15.625)));
}

export function stepsToMs(steps: number): number {
  return (steps * 15.625) / 1000;
}
