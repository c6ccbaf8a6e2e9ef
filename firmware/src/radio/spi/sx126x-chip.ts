// The SX1262/SX1268 driver: every command waits for BUSY low first (datasheet 8.3.1), then goes
// out as one SPI frame. Configuration follows the datasheet's order (standby, TCXO, calibration,
// RF switch, packet type, frequency, PA, buffer, modulation, packet, sync word, IRQ routing).

import { lowDataRateOn, RealScheduler, type LoRaParams, type RxPacket, type Scheduler } from '@unibos/mesh-protocol';
import { FirmwareError } from '../../firmware-error.ts';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { ChipIdentity, ChipIrq, LoraChip } from './lora-chip.ts';
import type { ChipLink, OpenChipLink } from './chip-link.ts';
import { waitForLevel, type GpioInput, type GpioOutput } from './gpio-pins.ts';
import {
  CHIP_MODE_NAMES,
  DEVICE_ERRORS,
  IRQ,
  OP,
  PACKET_TYPE_LORA,
  REG,
  RX_CONTINUOUS,
  STANDBY_RC,
  bandwidthCode,
  frequencyWord,
  imageCalibrationBand,
  paConfig,
  parseStatus,
  tcxoVoltageCode,
  timerSteps,
} from './sx126x-commands.ts';

export interface Sx126xChipOptions {
  board: BoardProfile;
  link: OpenChipLink;
  scheduler?: Scheduler;
  /** How long BUSY may stay high before the chip counts as hung; default 100 ms (calibration takes ~3.5 ms). */
  busyTimeoutMs?: number;
}

/** The IRQs routed to DIO1. */
const IRQ_MASK = IRQ.TxDone | IRQ.RxDone | IRQ.HeaderErr | IRQ.CrcErr | IRQ.CadDone | IRQ.CadDetected | IRQ.Timeout;
/** A private network's sync word ("0x12" on an SX127x). */
const SYNC_WORD = [0x14, 0x24];

export class Sx126xChip implements LoraChip {
  readonly model: string;
  busyWaits = 0;
  private readonly board: BoardProfile;
  private readonly scheduler: Scheduler;
  private readonly busyTimeoutMs: number;
  private link: ChipLink | undefined;
  private reset_: GpioOutput | undefined;
  private busy: GpioInput | undefined;
  private irq: GpioInput | undefined;
  private txEnable: GpioOutput | undefined;
  private rxEnable: GpioOutput | undefined;
  private enables: GpioOutput[] = [];
  private lastCommand = 'none';
  /** What configure() set, for the packet length of each transmission. */
  private params: LoRaParams | undefined;

  constructor(private readonly options: Sx126xChipOptions) {
    this.board = options.board;
    this.model = options.board.chip.toUpperCase();
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.busyTimeoutMs = options.busyTimeoutMs ?? 100;
  }

  async open(): Promise<void> {
    const link = await this.options.link();
    this.link = link;
    try {
      const { pins } = this.board;
      for (const line of pins.enable ?? []) this.enables.push(await link.pins.output(line, 1));
      this.reset_ = await link.pins.output(pins.reset, 1);
      this.busy = await link.pins.input(pins.busy!);
      this.irq = await link.pins.input(pins.irq);
      if (pins.txEnable !== undefined) this.txEnable = await link.pins.output(pins.txEnable, 0);
      if (pins.rxEnable !== undefined) this.rxEnable = await link.pins.output(pins.rxEnable, 0);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.enables = [];
    this.reset_ = this.busy = this.irq = this.txEnable = this.rxEnable = undefined;
    if (!link) return;
    await link.bus.close().catch(() => undefined);
    await link.pins.close().catch(() => undefined);
  }

  async reset(): Promise<void> {
    const reset = this.need(this.reset_);
    // NRESET low for at least 100 us; the chip then boots (BUSY high) for a few ms.
    await reset.set(0);
    await this.pause(1);
    await reset.set(1);
    await this.pause(1);
    await this.waitReady('the reset');
  }

  async identify(): Promise<ChipIdentity> {
    const status = (await this.get(OP.GetStatus, 0))[0]!;
    if (status === 0x00 || status === 0xff) {
      throw new FirmwareError('E_MODEM_UNAVAILABLE', `no ${this.model} answered on ${this.busName()}: GetStatus read 0x${hex(status)} (MISO stuck ${status ? 'high' : 'low'}): check the SPI device and chip select in the board profile`);
    }
    const { chipMode } = parseStatus(status);
    const mode = CHIP_MODE_NAMES[chipMode];
    if (mode === undefined) throw new FirmwareError('E_MODEM_UNAVAILABLE', `the chip on ${this.busName()} answered GetStatus with 0x${hex(status)}, which is no SX126x chip mode`);
    const sync = await this.readRegister(REG.LoraSyncWordMsb, 2);
    return { chip: this.model, evidence: `status 0x${hex(status)} (${mode}), LoRa sync word 0x${hex(sync[0]!)}${hex(sync[1]!)}` };
  }

  async configure(p: LoRaParams): Promise<void> {
    const bw = bandwidthCode(p.bandwidthHz);
    if (bw === undefined) throw new FirmwareError('E_CONFIG', `the ${this.model} has no ${p.bandwidthHz} Hz LoRa bandwidth`);
    if (p.sf < 5 || p.sf > 12) throw new FirmwareError('E_CONFIG', `the ${this.model} takes spreading factors 5..12, not ${p.sf}`);
    await this.cmd(OP.SetStandby, STANDBY_RC);
    if (this.board.tcxoVoltage !== undefined) {
      const steps = timerSteps(5);
      await this.cmd(OP.SetDio3AsTcxoCtrl, tcxoVoltageCode(this.board.tcxoVoltage)!, steps >> 16, (steps >> 8) & 0xff, steps & 0xff);
    }
    // Calibrate every block again: with a TCXO the first calibration ran before its supply was on.
    await this.cmd(OP.Calibrate, 0x7f);
    if (this.board.dio2AsRfSwitch) await this.cmd(OP.SetDio2AsRfSwitchCtrl, 0x01);
    await this.cmd(OP.SetPacketType, PACKET_TYPE_LORA);
    await this.cmd(OP.CalibrateImage, ...imageCalibrationBand(p.frequencyHz));
    const f = frequencyWord(p.frequencyHz);
    await this.cmd(OP.SetRfFrequency, (f >>> 24) & 0xff, (f >> 16) & 0xff, (f >> 8) & 0xff, f & 0xff);
    const power = this.chipPower(p.txPowerDbm);
    const pa = paConfig(this.board.chip === 'sx1268' ? 'sx1268' : 'sx1262', power);
    await this.cmd(OP.SetPaConfig, pa.paDutyCycle, pa.hpMax, pa.deviceSel, pa.paLut);
    await this.cmd(OP.SetTxParams, power & 0xff, 0x04 /* 200 us ramp */);
    await this.cmd(OP.SetBufferBaseAddress, 0x00, 0x00);
    await this.cmd(OP.SetModulationParams, p.sf, bw, p.codingRate, lowDataRateOn(p) ? 1 : 0);
    await this.packetParams(p, 0xff);
    await this.writeRegister(REG.LoraSyncWordMsb, SYNC_WORD);
    await this.cmd(OP.SetDioIrqParams, IRQ_MASK >> 8, IRQ_MASK & 0xff, IRQ_MASK >> 8, IRQ_MASK & 0xff, 0, 0, 0, 0);
    // CAD over 4 symbols with the detection peak Semtech's AN1200.48 suggests per spreading factor.
    await this.cmd(OP.SetCadParams, 0x02, Math.min(30, p.sf + 14), 10, 0x00, 0, 0, 0);
    await this.cmd(OP.ClearIrqStatus, IRQ.All >> 8, IRQ.All & 0xff);
    this.params = p;
  }

  async receive(): Promise<void> {
    await this.txEnable?.set(0);
    await this.rxEnable?.set(1);
    await this.cmd(OP.SetRx, (RX_CONTINUOUS >> 16) & 0xff, (RX_CONTINUOUS >> 8) & 0xff, RX_CONTINUOUS & 0xff);
  }

  async transmit(frame: Uint8Array, timeoutMs: number): Promise<void> {
    const p = this.need(this.params);
    await this.cmd(OP.SetStandby, STANDBY_RC);
    // In explicit-header mode the payload length of SetPacketParams is what goes out.
    await this.packetParams(p, frame.length);
    await this.transfer(Uint8Array.of(OP.WriteBuffer, 0x00, ...frame), 'WriteBuffer');
    // The antenna is on the PA before the chip starts sending, not a gpioset restart later.
    await this.rxEnable?.set(0);
    await this.txEnable?.set(1);
    const steps = timerSteps(timeoutMs);
    await this.cmd(OP.SetTx, (steps >> 16) & 0xff, (steps >> 8) & 0xff, steps & 0xff);
  }

  async startCad(): Promise<void> {
    await this.cmd(OP.SetStandby, STANDBY_RC);
    await this.txEnable?.set(0);
    await this.rxEnable?.set(1);
    await this.cmd(OP.SetCad);
  }

  async takeIrq(): Promise<ChipIrq> {
    const d = await this.get(OP.GetIrqStatus, 2);
    const raw = (d[1]! << 8) | d[2]!;
    if (raw !== 0) await this.cmd(OP.ClearIrqStatus, raw >> 8, raw & 0xff);
    return {
      raw,
      txDone: (raw & IRQ.TxDone) !== 0,
      rxDone: (raw & IRQ.RxDone) !== 0,
      crcError: (raw & IRQ.CrcErr) !== 0,
      headerError: (raw & IRQ.HeaderErr) !== 0,
      cadDone: (raw & IRQ.CadDone) !== 0,
      cadDetected: (raw & IRQ.CadDetected) !== 0,
      timeout: (raw & IRQ.Timeout) !== 0,
    };
  }

  async readPacket(): Promise<RxPacket> {
    const buf = await this.get(OP.GetRxBufferStatus, 2);
    const length = buf[1]!;
    const start = buf[2]!;
    const data = await this.transfer(Uint8Array.of(OP.ReadBuffer, start, 0x00, ...new Uint8Array(length)), 'ReadBuffer');
    const st = await this.get(OP.GetPacketStatus, 3);
    const rssi = -st[1]! / 2;
    const snr = ((st[2]! << 24) >> 24) / 4;
    return { bytes: data.slice(3), rssi, snr };
  }

  async lostConfiguration(): Promise<boolean> {
    const d = await this.get(OP.GetPacketType, 1);
    return d[1] !== PACKET_TYPE_LORA;
  }

  onLinkFault(fn: (err: Error) => void): () => void {
    return this.need(this.link).pins.onFault?.(fn) ?? (() => undefined);
  }

  onInterrupt(fn: () => void): () => void {
    return this.need(this.irq).onChange((level) => level === 1 && fn());
  }

  async deviceErrors(): Promise<string[]> {
    const d = await this.get(OP.GetDeviceErrors, 2);
    const bits = (d[1]! << 8) | d[2]!;
    if (bits !== 0) await this.cmd(OP.ClearDeviceErrors, 0, 0);
    return DEVICE_ERRORS.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
  }

  async mode(): Promise<string> {
    const status = (await this.get(OP.GetStatus, 0))[0]!;
    return CHIP_MODE_NAMES[parseStatus(status).chipMode] ?? `unknown (0x${hex(status)})`;
  }

  // --- the wire -------------------------------------------------------------------------------

  private chipPower(dbm: number): number {
    return Math.max(-9, Math.min(this.board.maxChipPowerDbm, Math.round(dbm - this.board.paGainDb)));
  }

  private packetParams(p: LoRaParams, payloadLength: number): Promise<Uint8Array> {
    return this.cmd(OP.SetPacketParams, (p.preambleSymbols >> 8) & 0xff, p.preambleSymbols & 0xff, p.explicitHeader ? 0x00 : 0x01, payloadLength, p.crc ? 0x01 : 0x00, 0x00);
  }

  private cmd(op: number, ...params: number[]): Promise<Uint8Array> {
    return this.transfer(Uint8Array.of(op, ...params), opName(op));
  }

  /** A Get command: the opcode, a NOP that clocks out the status, then `n` data bytes. Returns [status, ...data]. */
  private async get(op: number, n: number): Promise<Uint8Array> {
    const tx = new Uint8Array(2 + n);
    tx[0] = op;
    const rx = await this.transfer(tx, opName(op));
    return rx.slice(1);
  }

  private async readRegister(address: number, n: number): Promise<Uint8Array> {
    const rx = await this.transfer(Uint8Array.of(OP.ReadRegister, address >> 8, address & 0xff, 0x00, ...new Uint8Array(n)), 'ReadRegister');
    return rx.slice(4);
  }

  private writeRegister(address: number, bytes: number[]): Promise<Uint8Array> {
    return this.transfer(Uint8Array.of(OP.WriteRegister, address >> 8, address & 0xff, ...bytes), 'WriteRegister');
  }

  private async transfer(tx: Uint8Array, what: string): Promise<Uint8Array> {
    const link = this.need(this.link);
    await this.waitReady(`${this.lastCommand}`);
    this.lastCommand = what;
    return link.bus.transfer(tx);
  }

  private async waitReady(after: string): Promise<void> {
    const busy = this.need(this.busy);
    if (busy.read() === 0) return;
    this.busyWaits++;
    // Most commands release BUSY within microseconds: a turn of the event loop is cheaper than a timer.
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (busy.read() === 0) return;
    }
    if (!(await waitForLevel(busy, 0, this.busyTimeoutMs, this.scheduler))) {
      throw new FirmwareError('E_MODEM_TIMEOUT', `BUSY (GPIO ${this.board.pins.busy}) stayed high for ${this.busyTimeoutMs} ms after ${after}: the ${this.model} is hung or held in reset (check the RESET pin, GPIO ${this.board.pins.reset}, in the board profile)`);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(ms, resolve));
  }

  private busName(): string {
    return this.link?.bus.name ?? 'the SPI bus';
  }

  private need<T>(v: T | undefined): T {
    if (v === undefined) throw new FirmwareError('E_MODEM_UNAVAILABLE', `the ${this.model} is not open`);
    return v;
  }
}

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));

function opName(op: number): string {
  return OP_NAMES.get(op) ?? `0x${hex(op)}`;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
