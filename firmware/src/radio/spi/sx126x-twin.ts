// A register-level twin of an SX1262/SX1268: it answers the driver's SPI frames as the chip
// does, drives BUSY and DIO1, obeys RESET, and sends and hears frames through an antenna on the
// simulated air (any mesh-protocol Radio: an in-process SimRadio or an AirRadio on `unibos air`),
// so an emulated chip exchanges frames with every other simulated node. It refuses what the chip
// refuses: a command while BUSY is high, a command in the wrong mode, a frame of the wrong length.
// Faults can be injected: a stuck BUSY, a spurious IRQ, a CRC or header error, a reset of its own.

import { MESH_SYNC_WORD, RealScheduler, sx126xSyncWord, timeOnAirMs, type LoRaParams, type Radio, type RxPacket, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { ChipLink } from './chip-link.ts';
import type { GpioPins, Level } from './gpio-pins.ts';
import { TwinPinSet } from './twin-gpio-pins.ts';
import { TwinRxGap } from './twin-rx-gap.ts';
import type { SpiBus } from './spi-bus.ts';
import {
  CHIP_MODE,
  IRQ,
  OP,
  PACKET_TYPE_GFSK,
  PACKET_TYPE_LORA,
  REG,
  bandwidthCode,
  bandwidthFromCode,
  frequencyWord,
  paConfig,
  statusByte,
  stepsToMs,
} from './sx126x-commands.ts';

type Mode = 'reset' | 'sleep' | 'stby_rc' | 'stby_xosc' | 'fs' | 'rx' | 'tx' | 'cad';

export interface Sx126xTwinOptions {
  board: BoardProfile;
  /** Where frames go and come from; without one the chip transmits into an empty room. */
  antenna?: Radio;
  scheduler?: Scheduler;
  /** How long an output change (RESET, TXEN, RXEN) takes to reach the chip, ms; default 0. The real GPIO is a process away (gpiod-tools-pins.ts). */
  gpioDelayMs?: number;
  /** How long a change of BUSY or DIO1 takes to reach the host, ms; default 0. The real one comes down gpiomon's pipe. */
  inputDelayMs?: number;
  /** How long the chip stays BUSY after a reset and during calibration, ms; default 3.5. */
  bootMs?: number;
}

/** Parameter bytes each opcode takes (LoRa packet type); a shorter frame is refused. */
const PARAM_BYTES: Record<number, number> = {
  [OP.SetStandby]: 1,
  [OP.SetRx]: 3,
  [OP.SetTx]: 3,
  [OP.SetSleep]: 1,
  [OP.SetRfFrequency]: 4,
  [OP.SetCadParams]: 7,
  [OP.Calibrate]: 1,
  [OP.SetPacketType]: 1,
  [OP.SetModulationParams]: 4,
  [OP.SetPacketParams]: 6,
  [OP.SetTxParams]: 2,
  [OP.SetBufferBaseAddress]: 2,
  [OP.SetPaConfig]: 4,
  [OP.SetRegulatorMode]: 1,
  [OP.SetDio3AsTcxoCtrl]: 4,
  [OP.CalibrateImage]: 2,
  [OP.SetDio2AsRfSwitchCtrl]: 1,
  [OP.SetCad]: 0,
  [OP.SetDioIrqParams]: 8,
  [OP.ClearIrqStatus]: 2,
  [OP.ClearDeviceErrors]: 2,
  [OP.GetStatus]: 1,
  [OP.GetPacketType]: 2,
  [OP.GetIrqStatus]: 3,
  [OP.GetRxBufferStatus]: 3,
  [OP.GetPacketStatus]: 4,
  [OP.GetRssiInst]: 2,
  [OP.GetDeviceErrors]: 3,
  [OP.WriteRegister]: 3,
  [OP.ReadRegister]: 4,
  [OP.WriteBuffer]: 2,
  [OP.ReadBuffer]: 3,
};

const STANDBY: ReadonlySet<Mode> = new Set(['stby_rc', 'stby_xosc']);
const XOSC_START_ERROR = 1 << 5;
const PLL_LOCK_ERROR = 1 << 6;

export class Sx126xTwin {
  /** Every frame the chip refused, and why: a correct driver leaves this empty. */
  readonly violations: string[] = [];
  /** Opcodes received, in order (names), for tests that check the driver's sequence. */
  readonly commands: string[] = [];
  readonly counters = { transfers: 0, transmitted: 0, received: 0, resets: 0, cutOff: 0 };
  /** Called as a transmission starts (tests cut the power there). */
  onTransmitStart: (() => void) | undefined;

  private readonly board: BoardProfile;
  private readonly antenna: Radio | undefined;
  private readonly scheduler: Scheduler;
  private readonly bootMs: number;

  private mode: Mode = 'stby_rc';
  /**
   * When the chip last left receive while a frame on its channel was arriving, and when it was
   * back (Infinity while away): the frame is lost unless it was back before the frame's sync word.
   */
  private readonly rxGap = new TwinRxGap();
  private busy: Level = 0;
  private busyStuck = false;
  private busyTimer: TimerHandle | undefined;
  private generation = 0;
  private corruptNext = false;
  private brokenHeaderNext = false;
  private noCrcNext = false;
  private lastCmdStatus = 0;
  private readonly pinLevels = new Map<number, Level>();
  private readonly pinSet: TwinPinSet;
  private dio1: Level = 0;
  private timers: TimerHandle[] = [];

  // Chip registers and settings, as after power-on.
  private packetType = PACKET_TYPE_GFSK;
  private frequency = 0;
  private sf = 7;
  private bw = 0x04;
  private cr = 1;
  private ldro = 0;
  private preamble = 8;
  private implicitHeader = false;
  private payloadLength = 0xff;
  private crcOn = true;
  private txBase = 0;
  private rxBase = 0;
  private irqMask = 0;
  private dio1Mask = 0;
  private irqStatus = 0;
  private deviceErrors = 0;
  private tcxoOn = false;
  /** SetPaConfig's duty cycle and hpMax, and SetTxParams' power, as last set. */
  private pa = { paDutyCycle: 0x04, hpMax: 0x07, dbm: 14 };
  private rxLength = 0;
  private rxStart = 0;
  private packetRssi = 0;
  private packetSnr = 0;
  private readonly buffer = new Uint8Array(256);
  private readonly registers = new Map<number, number>();

  constructor(options: Sx126xTwinOptions) {
    this.board = options.board;
    this.antenna = options.antenna;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.bootMs = options.bootMs ?? 3.5;
    this.pinSet = new TwinPinSet(
      {
        name: `${this.chipName} twin`,
        drive: (offset, level) => this.drive(offset, level),
        level: (offset) => this.lineLevel(offset),
      },
      { outputDelayMs: options.gpioDelayMs ?? 0, inputDelayMs: options.inputDelayMs ?? 0, scheduler: this.scheduler },
    );
    this.powerOn();
    this.antenna?.attach({
      onReceive: (p) => this.hear(p),
      onTransmitDone: () => this.airDone(),
    });
  }

  get chipName(): string {
    return this.board.chip.toUpperCase();
  }

  /** A bus and pins wired to this chip, as the driver's link. */
  link(): ChipLink {
    return { bus: this.bus(), pins: this.pins() };
  }

  // --- fault injection ------------------------------------------------------------------------

  /** The GPIO handed to the driver breaks, as when its gpiomon dies: no more edges until it is reopened. */
  failPins(message = 'gpiomon exited (SIGKILL)'): void {
    this.pinSet.failAll(message);
  }

  /** BUSY goes high and stays high until the RESET line is pulsed. */
  stickBusy(): void {
    this.busyStuck = true;
    this.setBusy(1);
  }

  /** A glitch on DIO1: the line rises and falls with no IRQ flag set. */
  spuriousIrq(): void {
    if (this.dio1 === 1) return;
    this.setLine(this.board.pins.irq, 1);
    this.setLine(this.board.pins.irq, 0);
  }

  /** The next frame heard arrives with a bad CRC. */
  corruptNextReception(): void {
    this.corruptNext = true;
  }

  /** The next frame heard has a header saying it carries no CRC (noise that passed the header check, or a foreign frame). */
  noCrcOnNextReception(): void {
    this.noCrcNext = true;
  }

  /** The next frame heard has a broken header: HeaderErr, no payload, and the chip keeps listening. */
  breakNextHeader(): void {
    this.brokenHeaderNext = true;
  }

  /** The chip resets on its own (a brown-out): settings gone, whatever it was sending never finishes. */
  glitchReset(): void {
    this.counters.resets++;
    this.enter('reset');
    this.boot();
  }

  /** One register as the driver left it, for tests. */
  register(address: number): number {
    return this.reg(address);
  }

  /** The chip's configuration as the driver left it, for tests. */
  get configuration(): { packetType: number; frequencyHz: number; sf: number; bandwidthHz: number | undefined; mode: Mode; syncWord: number } {
    return {
      packetType: this.packetType,
      frequencyHz: Math.round((this.frequency * 32_000_000) / 2 ** 25),
      sf: this.sf,
      bandwidthHz: bandwidthFromCode(this.bw),
      mode: this.mode,
      syncWord: (this.reg(REG.LoraSyncWordMsb) << 8) | this.reg(REG.LoraSyncWordLsb),
    };
  }

  // --- the bus --------------------------------------------------------------------------------

  private bus(): SpiBus {
    return {
      name: `${this.chipName} twin`,
      transfer: async (tx) => this.transfer(tx),
      close: async () => undefined,
    };
  }

  private pins(): GpioPins {
    return this.pinSet.pins();
  }

  private lineLevel(offset: number): Level {
    if (offset === this.board.pins.busy) return this.busy;
    if (offset === this.board.pins.irq) return this.dio1;
    return this.pinLevels.get(offset) ?? 0;
  }

  private setLine(offset: number, level: Level): void {
    this.pinSet.edge(offset, level);
  }

  /** The host drives one of our inputs: RESET, or a board line (TXEN, RXEN, enable). */
  private drive(offset: number, level: Level): void {
    // RESET has a pull-up inside the chip: unclaimed, it reads high.
    const before = this.pinLevels.get(offset) ?? (offset === this.board.pins.reset ? 1 : 0);
    this.pinLevels.set(offset, level);
    if (offset !== this.board.pins.reset || before === level) return;
    if (level === 0) {
      this.generation++;
      this.cancelTimers();
      this.enter('reset');
      this.setBusy(1);
    } else {
      this.counters.resets++;
      this.boot();
    }
  }

  private transfer(tx: Uint8Array): Uint8Array {
    this.counters.transfers++;
    const rx = new Uint8Array(tx.length);
    if (tx.length === 0) return rx;
    const op = tx[0]!;
    const name = OP_NAMES.get(op) ?? `0x${op.toString(16)}`;
    if (this.mode === 'reset') return rx; // held in reset: MISO stays low
    if (this.busy === 1) {
      this.violations.push(`${name} sent while BUSY was high`);
      return rx.fill(0xff);
    }
    this.commands.push(name);
    const need = PARAM_BYTES[op];
    if (need === undefined) return this.refuse(rx, `unknown opcode 0x${op.toString(16)}`);
    if (tx.length - 1 < need) return this.refuse(rx, `${name} needs ${need} parameter bytes, got ${tx.length - 1}`);
    const p = tx.subarray(1);
    const status = (): number => statusByte(this.chipModeCode(), this.lastCmdStatus);
    rx.fill(status());
    const problem = this.execute(op, name, p, rx);
    if (problem) return this.refuse(rx, problem);
    this.lastCmdStatus = 0;
    this.afterCommand(op);
    return rx;
  }

  private refuse(rx: Uint8Array, why: string): Uint8Array {
    this.violations.push(why);
    this.lastCmdStatus = 4; // command processing error
    return rx;
  }

  /** Runs one command; returns why it was refused, or undefined. */
  private execute(op: number, name: string, p: Uint8Array, rx: Uint8Array): string | undefined {
    const inStandby = STANDBY.has(this.mode);
    const lora = this.packetType === PACKET_TYPE_LORA;
    switch (op) {
      case OP.GetStatus:
        return undefined;
      case OP.SetStandby:
        if (this.mode === 'tx' || this.mode === 'rx' || this.mode === 'cad') this.generation++;
        this.cancelTimers();
        this.enter(p[0] === 1 ? 'stby_xosc' : 'stby_rc');
        return undefined;
      case OP.SetSleep:
        this.enter('sleep');
        return undefined;
      case OP.SetDio3AsTcxoCtrl:
        if (this.mode !== 'stby_rc') return `${name} is only taken in STDBY_RC`;
        if (p[0]! > 7) return `${name}: TCXO voltage code ${p[0]} is not one of 0..7`;
        this.tcxoOn = true;
        return undefined;
      case OP.Calibrate:
        if (this.mode !== 'stby_rc') return `${name} is only taken in STDBY_RC`;
        // A board whose crystal is a TCXO fed from DIO3 cannot start its oscillator until DIO3 is switched on.
        // Errors stay set until ClearDeviceErrors, a calibration that went well included.
        if (this.board.tcxoVoltage !== undefined && !this.tcxoOn) this.deviceErrors |= XOSC_START_ERROR | PLL_LOCK_ERROR;
        return undefined;
      case OP.CalibrateImage:
        if (this.mode !== 'stby_rc') return `${name} is only taken in STDBY_RC`;
        return undefined;
      case OP.SetRegulatorMode:
      case OP.SetDio2AsRfSwitchCtrl:
        return undefined;
      case OP.SetPacketType:
        if (!inStandby) return `${name} is only taken in standby (chip is in ${this.mode})`;
        if (p[0]! > 1) return `${name}: packet type ${p[0]} is not GFSK (0) or LoRa (1)`;
        this.packetType = p[0]!;
        return undefined;
      case OP.SetRfFrequency:
        this.frequency = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
        return undefined;
      case OP.SetPaConfig:
        if (p[0]! > 0x04) return `${name}: paDutyCycle 0x${p[0]!.toString(16)} above 0x04 can damage the PA`;
        if (p[1]! > 0x07) return `${name}: hpMax 0x${p[1]!.toString(16)} above 0x07`;
        if (this.board.chip !== 'sx1268' && p[2] !== 0) return `${name}: deviceSel ${p[2]} selects the SX1261's PA on an SX1262`;
        this.pa.paDutyCycle = p[0]!;
        this.pa.hpMax = p[1]!;
        return undefined;
      case OP.SetTxParams: {
        const dbm = (p[0]! << 24) >> 24;
        if (dbm < -9 || dbm > 22) return `${name}: power ${dbm} dBm is outside -9..+22`;
        if (p[1]! > 7) return `${name}: ramp time code ${p[1]} is not one of 0..7`;
        this.pa.dbm = dbm;
        return undefined;
      }
      case OP.SetBufferBaseAddress:
        this.txBase = p[0]!;
        this.rxBase = p[1]!;
        return undefined;
      case OP.SetModulationParams:
        if (!lora) return `${name} with LoRa parameters before SetPacketType(LoRa)`;
        if (p[0]! < 5 || p[0]! > 12) return `${name}: SF${p[0]} is outside 5..12`;
        if (bandwidthFromCode(p[1]!) === undefined) return `${name}: bandwidth code 0x${p[1]!.toString(16)} is not a LoRa bandwidth`;
        if (p[2]! < 1 || p[2]! > 4) return `${name}: coding rate code ${p[2]} is outside 1..4`;
        this.sf = p[0]!;
        this.bw = p[1]!;
        this.cr = p[2]!;
        this.ldro = p[3]! & 1;
        return undefined;
      case OP.SetPacketParams:
        if (!lora) return `${name} with LoRa parameters before SetPacketType(LoRa)`;
        if (p[4]! > 1 || p[2]! > 1) return `${name}: header type and CRC are 0 or 1`;
        this.preamble = (p[0]! << 8) | p[1]!;
        this.implicitHeader = p[2] === 1;
        this.payloadLength = p[3]!;
        this.crcOn = p[4] === 1;
        return undefined;
      case OP.SetCadParams:
        if (p[0]! > 4) return `${name}: cadSymbolNum ${p[0]} is not one of 0..4`;
        return undefined;
      case OP.SetDioIrqParams:
        this.irqMask = ((p[0]! << 8) | p[1]!) & IRQ.All;
        this.dio1Mask = ((p[2]! << 8) | p[3]!) & IRQ.All;
        this.updateDio1();
        return undefined;
      case OP.ClearIrqStatus:
        this.irqStatus &= ~((p[0]! << 8) | p[1]!);
        this.updateDio1();
        return undefined;
      case OP.GetIrqStatus: {
        // While a frame arrives the chip has flagged its preamble and (soon after) its header. The
        // twin shows them for the frame's whole time on the air (its air says no more), and only
        // while it lasts: a frame the air then loses would leave them latched on the chip until its
        // HeaderErr or CrcErr, which the twin does not raise for it.
        const arriving = this.frameArriving() ? (IRQ.PreambleDetected | IRQ.SyncWordValid | IRQ.HeaderValid) & this.irqMask : 0;
        rx[2] = ((this.irqStatus | arriving) >> 8) & 0xff;
        rx[3] = (this.irqStatus | arriving) & 0xff;
        return undefined;
      }
      case OP.GetPacketType:
        rx[2] = this.packetType;
        return undefined;
      case OP.GetRxBufferStatus:
        rx[2] = this.rxLength;
        rx[3] = this.rxStart;
        return undefined;
      case OP.GetPacketStatus:
        rx[2] = this.packetRssi;
        rx[3] = this.packetSnr & 0xff;
        rx[4] = this.packetRssi;
        return undefined;
      case OP.GetRssiInst:
        rx[2] = this.antenna?.isChannelBusy() ? 180 : 240;
        return undefined;
      case OP.GetDeviceErrors:
        rx[2] = (this.deviceErrors >> 8) & 0xff;
        rx[3] = this.deviceErrors & 0xff;
        return undefined;
      case OP.ClearDeviceErrors:
        this.deviceErrors = 0;
        return undefined;
      case OP.WriteRegister: {
        const address = (p[0]! << 8) | p[1]!;
        for (let i = 2; i < p.length; i++) this.registers.set(address + i - 2, p[i]!);
        return undefined;
      }
      case OP.ReadRegister: {
        const address = (p[0]! << 8) | p[1]!;
        for (let i = 4; i < rx.length; i++) rx[i] = this.reg(address + i - 4);
        return undefined;
      }
      case OP.WriteBuffer: {
        const offset = p[0]!;
        const data = p.subarray(1);
        if (offset + data.length > 256) return `${name}: ${data.length} bytes at offset ${offset} run past the 256-byte buffer`;
        this.buffer.set(data, offset);
        return undefined;
      }
      case OP.ReadBuffer: {
        const offset = p[0]!;
        const n = rx.length - 3;
        if (offset + n > 256) return `${name}: ${n} bytes at offset ${offset} run past the 256-byte buffer`;
        rx.set(this.buffer.subarray(offset, offset + n), 3);
        return undefined;
      }
      case OP.SetTx:
        return this.startTx(name, stepsToMs((p[0]! << 16) | (p[1]! << 8) | p[2]!));
      case OP.SetRx:
        if (!lora) return `${name} before SetPacketType(LoRa)`;
        if (this.frequency === 0) return `${name} before SetRfFrequency`;
        if (this.mode === 'sleep') return `${name} while asleep`;
        this.generation++;
        this.cancelTimers();
        this.enter('rx');
        return undefined;
      case OP.SetCad:
        return this.startCad(name);
      default:
        return `unknown opcode 0x${op.toString(16)}`;
    }
  }

  private afterCommand(op: number): void {
    // BUSY rises with NSS and falls once the command is done: a calibration takes milliseconds,
    // anything else a moment the host still has to wait for.
    this.setBusy(1);
    if (op === OP.Calibrate || op === OP.CalibrateImage) this.busyTimer = this.scheduler.schedule(this.bootMs, () => this.releaseBusy());
    else setImmediate(() => this.releaseBusy());
  }

  private releaseBusy(): void {
    if (this.busyStuck || this.mode === 'reset') return;
    this.setBusy(0);
  }

  // --- radio ----------------------------------------------------------------------------------

  private startTx(name: string, timeoutMs: number): string | undefined {
    if (this.packetType !== PACKET_TYPE_LORA) return `${name} before SetPacketType(LoRa)`;
    if (this.frequency === 0) return `${name} before SetRfFrequency`;
    if (this.mode === 'sleep') return `${name} while asleep`;
    if (this.payloadLength === 0) return `${name} with a payload length of 0 (SetPacketParams)`;
    if (this.txBase + this.payloadLength > 256) return `${name}: payload runs past the buffer`;
    const full = paConfig(this.board.chip === 'sx1268' ? 'sx1268' : 'sx1262');
    if ((this.pa.paDutyCycle !== full.paDutyCycle || this.pa.hpMax !== full.hpMax) && this.pa.dbm !== 22) {
      // Table 13-21's lower rows already reduce the power and are meant with SetTxParams at +22 dBm.
      this.violations.push(`${name} with SetPaConfig(0x0${this.pa.paDutyCycle}, 0x0${this.pa.hpMax}), a row meant for SetTxParams +22 dBm, and SetTxParams ${this.pa.dbm} dBm: the power is cut twice`);
    }
    const wide = bandwidthFromCode(this.bw) === 500_000;
    if (wide === ((this.reg(REG.TxModulation) & 0x04) !== 0)) {
      this.violations.push(`${name} at ${wide ? '500 kHz with' : `${(bandwidthFromCode(this.bw) ?? 0) / 1000} kHz without`} bit 2 of register 0x0889 set: distorted chirps (datasheet 15.1)`);
    }
    const frame = this.buffer.slice(this.txBase, this.txBase + this.payloadLength);
    this.generation++;
    this.cancelTimers();
    this.enter('tx');
    const gen = this.generation;
    this.counters.transmitted++;
    this.onTransmitStart?.();
    const txLineDown = this.board.pins.txEnable !== undefined && this.pinLevels.get(this.board.pins.txEnable) !== 1;
    if (txLineDown) this.violations.push(`SetTx with TXEN (GPIO ${this.board.pins.txEnable}) low: the PA is not connected to the antenna`);
    if (timeoutMs > 0) this.later(timeoutMs, () => gen === this.generation && this.finish('tx', IRQ.Timeout));
    if (this.antenna && !txLineDown && this.onAntennaChannel()) {
      this.airGeneration = gen;
      this.antenna.transmit(frame);
    } else {
      // Nobody on our channel: the frame still takes its time on air.
      this.later(timeOnAirMs(this.shape(), frame.length), () => gen === this.generation && this.finish('tx', IRQ.TxDone));
    }
    return undefined;
  }

  private airGeneration = -1;

  private airDone(): void {
    if (this.airGeneration === this.generation && this.mode === 'tx') this.finish('tx', IRQ.TxDone);
    this.airGeneration = -1;
  }

  private startCad(name: string): string | undefined {
    if (this.packetType !== PACKET_TYPE_LORA) return `${name} before SetPacketType(LoRa)`;
    if (this.frequency === 0) return `${name} before SetRfFrequency`;
    if (!STANDBY.has(this.mode) && this.mode !== 'rx' && this.mode !== 'fs') return `${name} while in ${this.mode}`;
    this.generation++;
    this.cancelTimers();
    this.enter('cad');
    const gen = this.generation;
    const symbolMs = 2 ** this.sf / ((bandwidthFromCode(this.bw) ?? 125_000) / 1000);
    this.later(4 * symbolMs, () => {
      if (gen !== this.generation) return;
      const busy = this.antenna !== undefined && this.onAntennaChannel() && this.antenna.isChannelBusy();
      this.finish('cad', IRQ.CadDone | (busy ? IRQ.CadDetected : 0));
    });
    return undefined;
  }

  /** A frame arrives from the air. */
  private hear(packet: RxPacket): void {
    if (this.mode !== 'rx' || !this.onAntennaChannel()) return;
    // A receiver taken out of RX (standby, CAD, TX) in the middle of a frame has stopped
    // demodulating it; back in RX it picks the frame up only if the preamble is not over yet.
    if (this.rxGap.missedSync(this.shape(), packet.bytes.length, this.scheduler.now())) {
      this.counters.cutOff++;
      return;
    }
    if (this.brokenHeaderNext) {
      this.brokenHeaderNext = false;
      this.raise(IRQ.PreambleDetected | IRQ.SyncWordValid | IRQ.HeaderErr);
      return;
    }
    const n = packet.bytes.length;
    const start = this.rxBase;
    const room = 256 - start;
    this.buffer.set(packet.bytes.subarray(0, room), start);
    if (n > room) this.buffer.set(packet.bytes.subarray(room), 0); // the buffer wraps
    this.rxLength = n;
    this.rxStart = start;
    this.packetRssi = Math.max(0, Math.min(255, Math.round(-packet.rssi * 2)));
    this.packetSnr = Math.max(-128, Math.min(127, Math.round(packet.snr * 4)));
    this.counters.received++;
    // The header tells whether the payload carries a CRC; the chip checks it (and may raise CrcErr)
    // only then, and keeps what the header said in bit 4 of 0x076B.
    const withCrc = this.antenna!.params.crc && !this.noCrcNext;
    this.noCrcNext = false;
    this.registers.set(REG.LoraHeaderCrc, (this.reg(REG.LoraHeaderCrc) & ~0x10) | (withCrc ? 0x10 : 0));
    let flags = IRQ.PreambleDetected | IRQ.SyncWordValid | IRQ.HeaderValid | IRQ.RxDone;
    if (this.corruptNext) {
      this.corruptNext = false;
      if (withCrc) flags |= IRQ.CrcErr;
    }
    this.raise(flags);
  }

  private finish(from: 'tx' | 'cad', flags: number): void {
    if (this.mode !== from) return;
    // TX and CAD fall back to STDBY_RC when they end.
    this.mode = 'stby_rc';
    this.generation++;
    this.raise(flags);
  }

  private raise(flags: number): void {
    this.irqStatus |= flags & this.irqMask;
    this.updateDio1();
  }

  private updateDio1(): void {
    const level: Level = (this.irqStatus & this.dio1Mask) !== 0 ? 1 : 0;
    if (level === this.dio1) return;
    this.dio1 = level;
    this.setLine(this.board.pins.irq, level);
  }

  /** Changes the chip mode; leaving RX while a frame is arriving loses that frame. */
  private enter(mode: Mode): void {
    if (this.mode === 'rx' && mode !== 'rx' && this.frameArriving()) this.rxGap.left(this.scheduler.now());
    if (mode === 'rx' && this.mode !== 'rx') this.rxGap.back(this.scheduler.now());
    this.mode = mode;
  }

  /** A frame on the chip's channel is on the air while it listens. */
  private frameArriving(): boolean {
    return this.mode === 'rx' && this.antenna !== undefined && this.onAntennaChannel() && this.antenna.isChannelBusy();
  }

  /** The chip hears and reaches the antenna's air only on the air's channel and modulation. */
  private onAntennaChannel(): boolean {
    const a: LoRaParams | undefined = this.antenna?.params;
    if (!a) return false;
    const sync = (this.reg(REG.LoraSyncWordMsb) << 8) | this.reg(REG.LoraSyncWordLsb);
    return (
      this.frequency === frequencyWord(a.frequencyHz) &&
      this.sf === a.sf &&
      this.bw === bandwidthCode(a.bandwidthHz) &&
      sync === sx126xSyncWord(MESH_SYNC_WORD) &&
      !this.implicitHeader
    );
  }

  private shape(): LoRaParams {
    return {
      sf: Math.max(6, this.sf),
      bandwidthHz: bandwidthFromCode(this.bw) ?? 125_000,
      codingRate: this.cr,
      preambleSymbols: this.preamble,
      explicitHeader: !this.implicitHeader,
      crc: this.crcOn,
      lowDataRateOptimize: this.ldro === 1,
      txPowerDbm: 14,
      frequencyHz: 0,
    };
  }

  // --- power and reset ------------------------------------------------------------------------

  private powerOn(): void {
    this.registers.clear();
    this.registers.set(REG.LoraSyncWordMsb, 0x14);
    this.registers.set(REG.LoraSyncWordLsb, 0x24);
    // Only bit 2 is modelled: set out of reset, as datasheet 15.1.2 implies (its workaround clears
    // it for 500 kHz and keeps it set for everything else).
    this.registers.set(REG.TxModulation, 0x04);
    this.packetType = PACKET_TYPE_GFSK;
    this.frequency = 0;
    this.sf = 7;
    this.bw = 0x04;
    this.cr = 1;
    this.ldro = 0;
    this.preamble = 8;
    this.implicitHeader = false;
    this.payloadLength = 0xff;
    this.crcOn = true;
    this.txBase = 0;
    this.rxBase = 0;
    this.irqMask = 0;
    this.dio1Mask = 0;
    this.irqStatus = 0;
    // At power-on the chip starts its oscillator before anyone switched on a TCXO fed from DIO3.
    this.deviceErrors = this.board.tcxoVoltage !== undefined ? XOSC_START_ERROR : 0;
    this.tcxoOn = false;
    this.pa = { paDutyCycle: 0x04, hpMax: 0x07, dbm: 14 };
    this.lastCmdStatus = 0;
    this.mode = 'stby_rc';
    this.updateDio1();
  }

  private boot(): void {
    this.generation++;
    this.cancelTimers();
    this.busyStuck = false;
    this.powerOn();
    this.setBusy(1);
    this.busyTimer = this.scheduler.schedule(this.bootMs, () => this.releaseBusy());
  }

  private setBusy(level: Level): void {
    if (level === 0) {
      this.busyTimer?.cancel();
      this.busyTimer = undefined;
    }
    if (this.busy === level) return;
    this.busy = level;
    if (this.board.pins.busy !== undefined) this.setLine(this.board.pins.busy, level);
  }

  private chipModeCode(): number {
    switch (this.mode) {
      case 'stby_xosc':
        return CHIP_MODE.StandbyXosc;
      case 'fs':
        return CHIP_MODE.Fs;
      case 'rx':
      case 'cad':
        return CHIP_MODE.Rx;
      case 'tx':
        return CHIP_MODE.Tx;
      default:
        return CHIP_MODE.StandbyRc;
    }
  }

  private reg(address: number): number {
    return this.registers.get(address) ?? 0;
  }

  private later(ms: number, fn: () => void): void {
    const t = this.scheduler.schedule(ms, () => {
      this.timers = this.timers.filter((x) => x !== t);
      fn();
    });
    this.timers.push(t);
  }

  private cancelTimers(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }

  /** Stops every timer the twin holds (tests end with it). */
  dispose(): void {
    this.cancelTimers();
    this.busyTimer?.cancel();
    this.generation++;
  }
}

const OP_NAMES = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
