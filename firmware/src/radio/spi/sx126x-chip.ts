// The SX1262/SX1268 driver: every command waits for BUSY low first (datasheet 8.3.1), then goes
// out as one SPI frame. BUSY is heard late (gpiomon's edges come down a pipe), so after a command
// it counts as high until its fall is heard, a pulse too short to be reported is surely over, or
// the command's known duration (calibration, reset) has passed. Configuration follows the
// datasheet's order (standby, TCXO, calibration, RF switch, packet type, frequency, PA, buffer,
// modulation, packet, sync word, IRQ routing).

import { lowDataRateOn, MESH_SYNC_WORD, RealScheduler, sx126xSyncWord, type LoRaParams, type RxPacket, type Scheduler } from '@unibos/mesh-protocol';
import { FirmwareError } from '../../firmware-error.ts';
import { chipPowerDbm, type BoardProfile } from '../../boards/board-profile.ts';
import type { ChipIdentity, ChipIrq, LoraChip, Reception } from './lora-chip.ts';
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
/**
 * The IRQs the chip flags at all (SetDioIrqParams' IrqMask): those on DIO1, plus PreambleDetected
 * and HeaderValid, which only say a frame is arriving. A masked IRQ is never set in GetIrqStatus
 * (DS_SX1261-2 13.3.1), so without them the driver cannot tell the chip is mid-frame before it
 * leaves receive (Meshtastic's SX126xInterface::isActivelyReceiving reads the same two flags).
 */
const IRQ_FLAGGED = IRQ_MASK | IRQ.PreambleDetected | IRQ.HeaderValid;
/** The mesh's sync word in the SX126x's two-byte form (0x12 -> 0x1424). */
const SYNC_WORD = [sx126xSyncWord(MESH_SYNC_WORD) >> 8, sx126xSyncWord(MESH_SYNC_WORD) & 0xff];
/** A full calibration keeps BUSY high about 3.5 ms (datasheet 13.1.12); a reset runs one before BUSY falls. */
const CALIBRATION_MS = 3.5;
/** Commands whose BUSY lasts a known time: it counts as high that long whatever the pin was last heard to say. */
const BUSY_FLOOR_MS: Partial<Record<number, number>> = { [OP.Calibrate]: CALIBRATION_MS, [OP.CalibrateImage]: CALIBRATION_MS };
/**
 * How long after a command to wait for BUSY's fall to be heard. The GPIO reports a pulse of a few
 * microseconds as (at least) a fall, a pipe's delay later; waiting for it means no fall of an
 * earlier command is still on its way when the next command goes out and is taken for that
 * command's. Past this the pulse was not reported, and the level heard decides.
 */
const BUSY_EDGE_WAIT_MS = 5;

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
  private offBusy: (() => void) | undefined;
  /** When the last command (or the reset) made BUSY rise, how long it surely stays high, and whether its fall was heard since. */
  private busySince = 0;
  private busyFloorMs = 0;
  private busyFell = true;
  private wakeOnFall: (() => void) | undefined;
  /** We send every frame with a CRC and expect one on every frame we take. */
  private crcRequired = false;
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
      this.offBusy = this.busy.onChange((level) => {
        if (level !== 0) return;
        this.busyFell = true;
        this.wakeOnFall?.();
      });
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
    this.offBusy?.();
    this.offBusy = undefined;
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
    this.busyRose(CALIBRATION_MS);
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
      // The chip tried its oscillator at power-on before DIO3 fed the TCXO: that XOSC start error is no fault (datasheet 13.3.6).
      await this.cmd(OP.ClearDeviceErrors, 0, 0);
    }
    // Calibrate every block again: with a TCXO the first calibration ran before its supply was on.
    await this.cmd(OP.Calibrate, 0x7f);
    if (this.board.dio2AsRfSwitch) await this.cmd(OP.SetDio2AsRfSwitchCtrl, 0x01);
    await this.cmd(OP.SetPacketType, PACKET_TYPE_LORA);
    await this.cmd(OP.CalibrateImage, ...imageCalibrationBand(p.frequencyHz));
    const f = frequencyWord(p.frequencyHz);
    await this.cmd(OP.SetRfFrequency, (f >>> 24) & 0xff, (f >> 16) & 0xff, (f >> 8) & 0xff, f & 0xff);
    const pa = paConfig(this.board.chip === 'sx1268' ? 'sx1268' : 'sx1262');
    await this.cmd(OP.SetPaConfig, pa.paDutyCycle, pa.hpMax, pa.deviceSel, pa.paLut);
    await this.cmd(OP.SetTxParams, chipPowerDbm(this.board, p.txPowerDbm) & 0xff, 0x04 /* 200 us ramp */);
    const clamp = (await this.readRegister(REG.TxClampConfig, 1))[0]!;
    await this.writeRegister(REG.TxClampConfig, [clamp | 0x1e]);
    // Datasheet 15.1.2 (RadioLib's fixSensitivity does the same): at 500 kHz the transmitted
    // chirps are distorted unless bit 2 of 0x0889 is cleared; every other bandwidth needs it set.
    // The register keeps its value until a reset, and configure() runs after every reset.
    const txMod = (await this.readRegister(REG.TxModulation, 1))[0]!;
    await this.writeRegister(REG.TxModulation, [bw === 0x06 /* 500 kHz */ ? txMod & ~0x04 : txMod | 0x04]);
    await this.cmd(OP.SetBufferBaseAddress, 0x00, 0x00);
    await this.cmd(OP.SetModulationParams, p.sf, bw, p.codingRate, lowDataRateOn(p) ? 1 : 0);
    await this.packetParams(p, 0xff);
    await this.writeRegister(REG.LoraSyncWordMsb, SYNC_WORD);
    await this.cmd(OP.SetDioIrqParams, IRQ_FLAGGED >> 8, IRQ_FLAGGED & 0xff, IRQ_MASK >> 8, IRQ_MASK & 0xff, 0, 0, 0, 0);
    // CAD over 4 symbols with the detection peak Semtech's AN1200.48 suggests per spreading factor.
    await this.cmd(OP.SetCadParams, 0x02, Math.min(30, p.sf + 14), 10, 0x00, 0, 0, 0);
    await this.cmd(OP.ClearIrqStatus, IRQ.All >> 8, IRQ.All & 0xff);
    this.params = p;
    this.crcRequired = p.crc;
  }

  async receive(): Promise<void> {
    await this.txEnable?.set(0);
    await this.rxEnable?.set(1);
    await this.cmd(OP.SetRx, (RX_CONTINUOUS >> 16) & 0xff, (RX_CONTINUOUS >> 8) & 0xff, RX_CONTINUOUS & 0xff);
  }

  async standby(): Promise<void> {
    await this.cmd(OP.SetStandby, STANDBY_RC);
  }

  async transmit(frame: Uint8Array, timeoutMs: number): Promise<void> {
    const p = this.need(this.params);
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
    const rxDone = (raw & IRQ.RxDone) !== 0;
    // CrcErr is only raised when the header announced a CRC: a header saying "no CRC" (noise whose
    // header passed its 5-bit check, or a foreign frame) leaves a payload nobody checked. Dropped
    // as a CRC error, as RadioHead drops such a frame on an SX127x.
    const unchecked = rxDone && this.crcRequired && ((await this.readRegister(REG.LoraHeaderCrc, 1))[0]! & 0x10) === 0;
    return {
      raw,
      txDone: (raw & IRQ.TxDone) !== 0,
      rxDone,
      crcError: (raw & IRQ.CrcErr) !== 0 || unchecked,
      headerError: (raw & IRQ.HeaderErr) !== 0,
      cadDone: (raw & IRQ.CadDone) !== 0,
      cadDetected: (raw & IRQ.CadDetected) !== 0,
      timeout: (raw & IRQ.Timeout) !== 0,
      frameArriving: (raw & (IRQ.PreambleDetected | IRQ.HeaderValid)) !== 0,
    };
  }

  async receiving(): Promise<Reception> {
    const d = await this.get(OP.GetIrqStatus, 2);
    const raw = (d[1]! << 8) | d[2]!;
    if (raw & IRQ.HeaderValid) return 'header';
    return raw & IRQ.PreambleDetected ? 'preamble' : 'none';
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

  irqLineHigh(): boolean {
    return this.need(this.irq).read() === 1;
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
    const rx = await link.bus.transfer(tx);
    this.busyRose(BUSY_FLOOR_MS[tx[0]!] ?? 0);
    return rx;
  }

  /** BUSY went high just now (a command, a reset) and stays so at least `floorMs`; the level last heard is stale until its fall is. */
  private busyRose(floorMs: number): void {
    this.busySince = this.scheduler.now();
    this.busyFloorMs = floorMs;
    this.busyFell = false;
  }

  private async waitReady(after: string): Promise<void> {
    const busy = this.need(this.busy);
    const since = (): number => this.scheduler.now() - this.busySince;
    if (!this.busyFell || since() < this.busyFloorMs) this.busyWaits++;
    // Timers count from the event loop's last look at the clock, which can be late: check the clock itself.
    while (since() < this.busyFloorMs) await this.pause(this.busyFloorMs - since());
    const edgeWaitMs = Math.max(this.busyFloorMs, BUSY_EDGE_WAIT_MS);
    if (!this.busyFell) {
      while (!this.busyFell && since() < edgeWaitMs) await this.untilFall(edgeWaitMs - since());
      // A pulse nobody reported: let what is already on its way in (I/O, callbacks) land before the level is read.
      if (!this.busyFell) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // The fall was heard, or the pulse was too short to be: the level heard now is the chip's, give or take a pipe.
    if (busy.read() === 0) return;
    this.busyWaits++;
    if (!(await waitForLevel(busy, 0, this.busyTimeoutMs, this.scheduler))) {
      throw new FirmwareError('E_MODEM_TIMEOUT', `BUSY (GPIO ${this.board.pins.busy}) stayed high for ${this.busyTimeoutMs} ms after ${after}: the ${this.model} is hung or held in reset (check the RESET pin, GPIO ${this.board.pins.reset}, in the board profile)`);
    }
  }

  /** Resolves when BUSY's fall is heard, or after `ms`. */
  private untilFall(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel();
        this.wakeOnFall = undefined;
        resolve();
      };
      const timer = this.scheduler.schedule(ms, done);
      this.wakeOnFall = done;
    });
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
