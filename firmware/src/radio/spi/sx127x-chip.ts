// The SX1276/RFM95 driver: register reads and writes over SPI (address bit 7 = write), the FIFO
// for payloads, DIO0 remapped per operation (RxDone, TxDone, CadDone), packet RSSI/SNR from
// RegPktRssiValue/RegPktSnrValue. The chip has no BUSY line: the datasheet's waits are timed.

import { lowDataRateOn, MESH_SYNC_WORD, RealScheduler, type LoRaParams, type RxPacket, type Scheduler } from '@unibos/mesh-protocol';
import { FirmwareError } from '../../firmware-error.ts';
import { chipPowerDbm, type BoardProfile } from '../../boards/board-profile.ts';
import type { ChipIdentity, ChipIrq, LoraChip, Reception } from './lora-chip.ts';
import type { ChipLink, OpenChipLink } from './chip-link.ts';
import type { GpioInput, GpioOutput } from './gpio-pins.ts';
import { CRC_ON_PAYLOAD, DIO0, FLAG, LONG_RANGE_MODE, LOW_FREQUENCY_MODE, MODE, MODE_NAMES, MODEM_STAT, R, SX1276_VERSION, bandwidthCode127x, errataRegisters, frfWord, rssiOffset } from './sx127x-registers.ts';

export interface Sx127xChipOptions {
  board: BoardProfile;
  link: OpenChipLink;
  scheduler?: Scheduler;
}

export class Sx127xChip implements LoraChip {
  readonly model = 'SX1276';
  readonly busyWaits = 0;
  private readonly board: BoardProfile;
  private readonly scheduler: Scheduler;
  private link: ChipLink | undefined;
  private resetLine: GpioOutput | undefined;
  private dio0: GpioInput | undefined;
  private enables: GpioOutput[] = [];
  private lf = 0;
  private frequencyHz = 0;
  /** We send every frame with a CRC and expect one on every frame we take. */
  private crcRequired = false;

  constructor(private readonly options: Sx127xChipOptions) {
    this.board = options.board;
    this.scheduler = options.scheduler ?? new RealScheduler();
  }

  async open(): Promise<void> {
    const link = await this.options.link();
    this.link = link;
    try {
      for (const line of this.board.pins.enable ?? []) this.enables.push(await link.pins.output(line, 1));
      this.resetLine = await link.pins.output(this.board.pins.reset, 1);
      this.dio0 = await link.pins.input(this.board.pins.irq);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.resetLine = this.dio0 = undefined;
    this.enables = [];
    if (!link) return;
    await link.bus.close().catch(() => undefined);
    await link.pins.close().catch(() => undefined);
  }

  async reset(): Promise<void> {
    const reset = this.need(this.resetLine);
    // Datasheet 7.2.2: NRESET low for more than 100 us, then 5 ms before the chip is ready.
    await reset.set(0);
    await this.pause(1);
    await reset.set(1);
    await this.pause(6);
  }

  async identify(): Promise<ChipIdentity> {
    const version = (await this.read(R.Version, 1))[0]!;
    if (version === 0x00 || version === 0xff) {
      throw new FirmwareError('E_MODEM_UNAVAILABLE', `no SX1276 answered on ${this.busName()}: RegVersion read 0x${hex(version)} (MISO stuck ${version ? 'high' : 'low'}): check the SPI device, chip select and RESET pin (GPIO ${this.board.pins.reset}) in the board profile`);
    }
    if (version !== SX1276_VERSION) {
      throw new FirmwareError('E_MODEM_UNAVAILABLE', `the chip on ${this.busName()} has RegVersion 0x${hex(version)}, not an SX1276/RFM95 (0x12)${version === 0x22 ? ': 0x22 is an SX1272, which this driver does not drive' : ''}`);
    }
    return { chip: 'SX1276', evidence: `RegVersion 0x${hex(version)}` };
  }

  async configure(p: LoRaParams): Promise<void> {
    const bw = bandwidthCode127x(p.bandwidthHz);
    if (bw === undefined) throw new FirmwareError('E_CONFIG', `the SX1276 has no ${p.bandwidthHz} Hz LoRa bandwidth`);
    if (p.sf < 7 || p.sf > 12) throw new FirmwareError('E_CONFIG', `the SX1276 takes spreading factors 7..12 with an explicit header, not ${p.sf}`);
    const errata = errataRegisters(p.bandwidthHz, p.frequencyHz);
    if (errata === undefined) throw new FirmwareError('E_CONFIG', `the SX1276 driver takes LoRa bandwidths from 62.5 kHz up, not ${p.bandwidthHz} Hz (narrower ones need the errata's receive frequency shift)`);
    this.lf = p.frequencyHz < 525_000_000 ? LOW_FREQUENCY_MODE : 0;
    this.frequencyHz = p.frequencyHz;
    this.crcRequired = p.crc;
    // LongRangeMode can only change in Sleep: go to FSK sleep, then LoRa sleep.
    await this.write(R.OpMode, MODE.Sleep | this.lf);
    await this.write(R.OpMode, LONG_RANGE_MODE | MODE.Sleep | this.lf);
    const frf = frfWord(p.frequencyHz);
    await this.write(R.FrfMsb, (frf >> 16) & 0xff, (frf >> 8) & 0xff, frf & 0xff);
    await this.power(p.txPowerDbm);
    await this.write(R.Lna, 0x23); // maximum gain, LNA boost on the HF port
    await this.write(R.FifoTxBaseAddr, 0x00, 0x00); // TX and RX base (0x0e, 0x0f): one frame at a time uses all 256 bytes
    await this.write(R.ModemConfig1, (bw << 4) | (p.codingRate << 1) | (p.explicitHeader ? 0 : 1));
    await this.write(R.ModemConfig2, (p.sf << 4) | (p.crc ? 0x04 : 0));
    await this.write(R.PreambleMsb, (p.preambleSymbols >> 8) & 0xff, p.preambleSymbols & 0xff);
    await this.write(R.MaxPayloadLength, 0xff);
    await this.write(R.ModemConfig3, (lowDataRateOn(p) ? 0x08 : 0) | 0x04 /* AGC auto */);
    // DetectOptimize's low bits 0x03 and DetectionThreshold 0x0A are SF7..12's (the datasheet's register table);
    // bit 7 and the IF and sensitivity registers follow the errata note (errataRegisters).
    for (const [address, value] of errata) await this.write(address, value);
    await this.write(R.DetectionThreshold, 0x0a);
    await this.write(R.SyncWord, MESH_SYNC_WORD);
    await this.write(R.IrqFlagsMask, FLAG.FhssChangeChannel);
    await this.write(R.IrqFlags, 0xff);
    await this.setMode(MODE.Standby);
  }

  async receive(): Promise<void> {
    await this.write(R.DioMapping1, DIO0.RxDone);
    await this.setMode(MODE.RxContinuous);
  }

  async standby(): Promise<void> {
    await this.setMode(MODE.Standby);
  }

  async transmit(frame: Uint8Array): Promise<void> {
    await this.write(R.DioMapping1, DIO0.TxDone);
    await this.write(R.FifoAddrPtr, 0x00);
    await this.write(R.Fifo, ...frame);
    await this.write(R.PayloadLength, frame.length);
    await this.setMode(MODE.Tx);
  }

  async startCad(): Promise<void> {
    await this.setMode(MODE.Standby);
    await this.write(R.DioMapping1, DIO0.CadDone);
    await this.setMode(MODE.Cad);
  }

  async takeIrq(): Promise<ChipIrq> {
    const raw = (await this.read(R.IrqFlags, 1))[0]!;
    if (raw !== 0) await this.write(R.IrqFlags, raw);
    const rxDone = (raw & FLAG.RxDone) !== 0;
    // PayloadCrcError is only raised when the header announced a CRC: a header saying "no CRC" (a
    // noise header that passed its 5-bit check, or a foreign frame) leaves a payload nobody
    // checked. RadioHead's RH_RF95 drops such a frame as a stray; so do we, as a CRC error.
    const unchecked = rxDone && this.crcRequired && ((await this.read(R.HopChannel, 1))[0]! & CRC_ON_PAYLOAD) === 0;
    return {
      raw,
      txDone: (raw & FLAG.TxDone) !== 0,
      rxDone,
      crcError: (raw & FLAG.PayloadCrcError) !== 0 || unchecked,
      headerError: false,
      cadDone: (raw & FLAG.CadDone) !== 0,
      cadDetected: (raw & FLAG.CadDetected) !== 0,
      timeout: false,
      frameArriving: (raw & FLAG.ValidHeader) !== 0,
    };
  }

  /** RegModemStat (0x18) is live, not latched: read as Meshtastic's RadioLibRF95::isReceiving and RadioHead's RH_RF95::isReceiving read it. */
  async receiving(): Promise<Reception> {
    const [stat] = await this.read(R.ModemStat, 1);
    if (stat! & MODEM_STAT.HeaderInfoValid) return 'header';
    return stat! & (MODEM_STAT.SignalDetected | MODEM_STAT.SignalSynchronized) ? 'preamble' : 'none';
  }

  async readPacket(): Promise<RxPacket> {
    const [n] = await this.read(R.RxNbBytes, 1);
    const [start] = await this.read(R.FifoRxCurrentAddr, 1);
    await this.write(R.FifoAddrPtr, start!);
    const bytes = await this.read(R.Fifo, n!);
    const [snrRaw, rssiRaw] = await this.read(R.PktSnrValue, 2);
    const snr = ((snrRaw! << 24) >> 24) / 4;
    // Datasheet 5.5.5: below the noise floor the SNR corrects the packet RSSI.
    const rssi = rssiOffset(this.frequencyHz) + rssiRaw! + (snr < 0 ? snr : 0);
    return { bytes, rssi, snr };
  }

  async lostConfiguration(): Promise<boolean> {
    const [op] = await this.read(R.OpMode, 1);
    return (op! & LONG_RANGE_MODE) === 0;
  }

  onLinkFault(fn: (err: Error) => void): () => void {
    return this.need(this.link).pins.onFault?.(fn) ?? (() => undefined);
  }

  irqLineHigh(): boolean {
    return this.need(this.dio0).read() === 1;
  }

  onInterrupt(fn: () => void): () => void {
    return this.need(this.dio0).onChange((level) => level === 1 && fn());
  }

  async deviceErrors(): Promise<string[]> {
    return [];
  }

  async mode(): Promise<string> {
    const [op] = await this.read(R.OpMode, 1);
    if ((op! & LONG_RANGE_MODE) === 0) return 'FSK';
    const m = MODE_NAMES[op! & 7]!;
    return m;
  }

  // --- the wire -------------------------------------------------------------------------------

  /** PA_BOOST (the only PA the RFM95 brings out): +2..+17 dBm, +20 dBm with the high-power DAC. */
  private async power(dbm: number): Promise<void> {
    const p = chipPowerDbm(this.board, dbm);
    if (p > 17) {
      await this.write(R.PaDac, 0x87);
      await this.write(R.PaConfig, 0x80 | 0x70 | (p - 5));
      await this.write(R.Ocp, 0x20 | 0x1b); // 240 mA
    } else {
      await this.write(R.PaDac, 0x84);
      await this.write(R.PaConfig, 0x80 | 0x70 | (p - 2));
      await this.write(R.Ocp, 0x20 | 0x0b); // 100 mA
    }
  }

  private setMode(mode: number): Promise<void> {
    return this.write(R.OpMode, LONG_RANGE_MODE | this.lf | mode);
  }

  private async write(address: number, ...bytes: number[]): Promise<void> {
    await this.need(this.link).bus.transfer(Uint8Array.of(0x80 | address, ...bytes));
  }

  private async read(address: number, n: number): Promise<Uint8Array> {
    const tx = new Uint8Array(1 + n);
    tx[0] = address & 0x7f;
    const rx = await this.need(this.link).bus.transfer(tx);
    return rx.slice(1);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(ms, resolve));
  }

  private busName(): string {
    return this.link?.bus.name ?? 'the SPI bus';
  }

  private need<T>(v: T | undefined): T {
    if (v === undefined) throw new FirmwareError('E_MODEM_UNAVAILABLE', 'the SX1276 is not open');
    return v;
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
