// A register-level twin of an SX1276/RFM95: the register map behind the SPI bus, the FIFO, DIO0
// as the mapping says, RESET, and an antenna on the simulated air (any mesh-protocol Radio), so
// it exchanges frames with every other simulated node. It refuses what the chip would not do:
// switching LoRa/FSK outside Sleep, writing modem settings while receiving or sending, touching
// the FIFO in Sleep, sending a zero-length payload, talking to it within 5 ms of a reset.
// Faults can be injected: a spurious DIO0 pulse, a CRC error, a reset of its own.

import { MESH_SYNC_WORD, RealScheduler, timeOnAirMs, type LoRaParams, type Radio, type RxPacket, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { ChipLink } from './chip-link.ts';
import type { GpioPins, Level } from './gpio-pins.ts';
import { TwinPinSet } from './twin-gpio-pins.ts';
import { TwinRxGap } from './twin-rx-gap.ts';
import type { SpiBus } from './spi-bus.ts';
import { errataRegisters, CRC_ON_PAYLOAD, DIO0, FLAG, LONG_RANGE_MODE, MODE, MODEM_STAT, R, SX1276_VERSION, bandwidthCode127x, bandwidthFromCode127x, frfWord } from './sx127x-registers.ts';

export interface Sx127xTwinOptions {
  board: BoardProfile;
  antenna?: Radio;
  scheduler?: Scheduler;
  /** How long an output change (RESET) takes to reach the chip, ms; default 0. The real GPIO is a process away (gpiod-tools-pins.ts). */
  gpioDelayMs?: number;
  /** How long a change of DIO0 takes to reach the host, ms; default 0. The real one comes down gpiomon's pipe. */
  inputDelayMs?: number;
  /** Start-up time after RESET during which SPI is not served, ms; default 5. */
  bootMs?: number;
}

/** Settings the datasheet says to write only in Sleep or Standby. */
const CONFIG_REGISTERS: ReadonlySet<number> = new Set([R.FrfMsb, R.FrfMid, R.FrfLsb, R.ModemConfig1, R.ModemConfig2, R.ModemConfig3, R.SyncWord, R.PreambleMsb, R.PreambleLsb]);

export class Sx127xTwin {
  readonly violations: string[] = [];
  readonly counters = { transfers: 0, transmitted: 0, received: 0, resets: 0, cutOff: 0 };
  /** Called as a transmission starts (tests cut the power there). */
  onTransmitStart: (() => void) | undefined;

  private readonly board: BoardProfile;
  private readonly antenna: Radio | undefined;
  private readonly scheduler: Scheduler;
  private readonly bootMs: number;
  private readonly regs = new Uint8Array(0x80);
  private readonly fifo = new Uint8Array(256);
  private readonly pinSet: TwinPinSet;
  private readonly pinLevels = new Map<number, Level>();
  private dio0: Level = 0;
  private inReset = false;
  private bootingUntil = 0;
  private generation = 0;
  private airGeneration = -1;
  private corruptNext = false;
  private noCrcNext = false;
  /**
   * When the chip last left receive while a frame on its channel was arriving, and when it was
   * back (Infinity while away): the frame is lost unless it was back before the frame's sync word.
   */
  private readonly rxGap = new TwinRxGap();
  private timers: TimerHandle[] = [];

  constructor(options: Sx127xTwinOptions) {
    this.board = options.board;
    this.antenna = options.antenna;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.bootMs = options.bootMs ?? 5;
    this.pinSet = new TwinPinSet(
      {
        name: 'SX1276 twin',
        drive: (offset, level) => this.drive(offset, level),
        level: (offset) => (offset === this.board.pins.irq ? this.dio0 : 0),
      },
      { outputDelayMs: options.gpioDelayMs ?? 0, inputDelayMs: options.inputDelayMs ?? 0, scheduler: this.scheduler },
    );
    this.powerOn();
    this.antenna?.attach({ onReceive: (p) => this.hear(p), onTransmitDone: () => this.airDone() });
  }

  get chipName(): string {
    return 'SX1276';
  }

  link(): ChipLink {
    return { bus: this.bus(), pins: this.pins() };
  }

  // --- fault injection ------------------------------------------------------------------------

  /** The GPIO handed to the driver breaks, as when its gpiomon dies: no more edges until it is reopened. */
  failPins(message = 'gpiomon exited (SIGKILL)'): void {
    this.pinSet.failAll(message);
  }

  /** A glitch on DIO0: a pulse with no IRQ flag set. */
  spuriousIrq(): void {
    if (this.dio0 === 1) return;
    this.emit(1);
    this.emit(0);
  }

  corruptNextReception(): void {
    this.corruptNext = true;
  }

  /** The next frame heard has a header saying it carries no CRC (noise that passed the header check, or a foreign frame). */
  noCrcOnNextReception(): void {
    this.noCrcNext = true;
  }

  /** The chip resets on its own: registers back to their defaults (FSK mode), a transmission cut short. */
  glitchReset(): void {
    this.counters.resets++;
    this.noteLeavingRx();
    this.generation++;
    this.cancelTimers();
    this.powerOn();
  }

  /** The twin has no BUSY line; a stuck chip looks like one that stopped answering SPI. */
  stickBusy(): void {
    this.inReset = true;
  }

  /** One register as the driver left it, for tests. */
  register(address: number): number {
    return this.regs[address & 0x7f]!;
  }

  get configuration(): { longRange: boolean; mode: number; frequencyHz: number; sf: number; bandwidthHz: number | undefined; syncWord: number } {
    const frf = (this.regs[R.FrfMsb]! << 16) | (this.regs[R.FrfMid]! << 8) | this.regs[R.FrfLsb]!;
    return {
      longRange: (this.regs[R.OpMode]! & LONG_RANGE_MODE) !== 0,
      mode: this.regs[R.OpMode]! & 7,
      frequencyHz: Math.round((frf * 32_000_000) / 2 ** 19),
      sf: this.regs[R.ModemConfig2]! >> 4,
      bandwidthHz: bandwidthFromCode127x(this.regs[R.ModemConfig1]! >> 4),
      syncWord: this.regs[R.SyncWord]!,
    };
  }

  // --- the bus --------------------------------------------------------------------------------

  private bus(): SpiBus {
    return { name: 'SX1276 twin', transfer: async (tx) => this.transfer(tx), close: async () => undefined };
  }

  private pins(): GpioPins {
    return this.pinSet.pins();
  }

  private drive(offset: number, level: Level): void {
    const before = this.pinLevels.get(offset) ?? (offset === this.board.pins.reset ? 1 : 0);
    this.pinLevels.set(offset, level);
    if (offset !== this.board.pins.reset || before === level) return;
    if (level === 0) {
      this.noteLeavingRx();
      this.inReset = true;
      this.generation++;
      this.cancelTimers();
    } else {
      this.inReset = false;
      this.counters.resets++;
      this.powerOn();
      this.bootingUntil = this.scheduler.now() + this.bootMs;
    }
  }

  private transfer(tx: Uint8Array): Uint8Array {
    this.counters.transfers++;
    const rx = new Uint8Array(tx.length);
    if (tx.length === 0 || this.inReset) return rx;
    if (this.scheduler.now() < this.bootingUntil) {
      this.violations.push('SPI access within 5 ms of a reset');
      return rx;
    }
    const write = (tx[0]! & 0x80) !== 0;
    const address = tx[0]! & 0x7f;
    if (address === R.Fifo) {
      if ((this.regs[R.OpMode]! & 7) === MODE.Sleep) {
        this.violations.push('FIFO accessed in Sleep mode');
        return rx;
      }
      for (let i = 1; i < tx.length; i++) {
        const ptr = this.regs[R.FifoAddrPtr]!;
        if (write) this.fifo[ptr] = tx[i]!;
        else rx[i] = this.fifo[ptr]!;
        this.regs[R.FifoAddrPtr] = (ptr + 1) & 0xff;
      }
      return rx;
    }
    for (let i = 1; i < tx.length; i++) {
      const a = address + i - 1;
      if (a >= 0x80) break;
      if (write) {
        const why = this.writeRegister(a, tx[i]!);
        if (why) this.violations.push(why);
      } else {
        rx[i] = a === R.ModemStat ? this.modemStat() : this.regs[a]!;
      }
    }
    return rx;
  }

  /** One register write; returns why the chip would not take it. */
  private writeRegister(a: number, v: number): string | undefined {
    const op = this.regs[R.OpMode]!;
    const mode = op & 7;
    if (a === R.Version) return 'RegVersion is read-only';
    if (a === R.OpMode) {
      if ((v & LONG_RANGE_MODE) !== (op & LONG_RANGE_MODE) && mode !== MODE.Sleep) return 'LongRangeMode changed outside Sleep';
      if ((v & 7) !== MODE.RxContinuous || (v & LONG_RANGE_MODE) === 0) this.noteLeavingRx();
      else if (mode !== MODE.RxContinuous) this.rxGap.back(this.scheduler.now());
      this.regs[a] = v;
      this.modeChanged(v & 7, mode);
      return undefined;
    }
    if (CONFIG_REGISTERS.has(a) && mode !== MODE.Sleep && mode !== MODE.Standby) return `register 0x${a.toString(16)} written while in mode ${mode} (only in Sleep or Standby)`;
    if (a === R.IrqFlags) {
      this.regs[a] = this.regs[a]! & ~v; // write 1 to clear
      this.updateDio0();
      return undefined;
    }
    if (a === R.RxNbBytes || a === R.HopChannel || a === R.PktSnrValue || a === R.PktRssiValue || a === R.FifoRxCurrentAddr) return `register 0x${a.toString(16)} is read-only`;
    this.regs[a] = v;
    if (a === R.DioMapping1 || a === R.IrqFlagsMask) this.updateDio0();
    return undefined;
  }

  private modeChanged(mode: number, before: number): void {
    if (mode === before) return;
    this.generation++;
    this.cancelTimers();
    const lora = (this.regs[R.OpMode]! & LONG_RANGE_MODE) !== 0;
    if (!lora) return;
    if (mode === MODE.Tx) this.startTx();
    else if (mode === MODE.Cad) this.startCad();
    else if (mode === MODE.RxContinuous || mode === MODE.RxSingle) this.checkErrata();
  }

  // --- radio ----------------------------------------------------------------------------------

  private startTx(): void {
    const n = this.regs[R.PayloadLength]!;
    if (n === 0) {
      this.violations.push('TX with RegPayloadLength 0');
      this.regs[R.OpMode] = (this.regs[R.OpMode]! & ~7) | MODE.Standby;
      return;
    }
    const base = this.regs[R.FifoTxBaseAddr]!;
    const frame = new Uint8Array(n);
    for (let i = 0; i < n; i++) frame[i] = this.fifo[(base + i) & 0xff]!;
    this.counters.transmitted++;
    this.onTransmitStart?.();
    const gen = this.generation;
    if (this.antenna && this.onAntennaChannel()) {
      this.airGeneration = gen;
      this.antenna.transmit(frame);
    } else {
      this.later(timeOnAirMs(this.shape(), n), () => gen === this.generation && this.finish(MODE.Tx, FLAG.TxDone));
    }
  }

  /** The errata note's receiver settings (sx127x-registers.ts errataRegisters) must be in place when RX starts. */
  private checkErrata(): void {
    const c = this.configuration;
    const wanted = errataRegisters(c.bandwidthHz ?? 125_000, c.frequencyHz) ?? [];
    const wrong = wanted.filter(([a, v]) => (a === R.DetectOptimize ? this.regs[a]! & 0x80 : this.regs[a]) !== (a === R.DetectOptimize ? v & 0x80 : v));
    if (wrong.length > 0) {
      this.violations.push(`RX at ${(c.bandwidthHz ?? 0) / 1000} kHz without the errata note's receiver settings (${wrong.map(([a, v]) => `0x${a.toString(16)}=0x${v.toString(16)}`).join(', ')}): ${c.bandwidthHz === 500_000 ? 'lost sensitivity (errata 2.1)' : 'spurious reception off channel (errata 2.3)'}`);
    }
  }

  private airDone(): void {
    if (this.airGeneration === this.generation && (this.regs[R.OpMode]! & 7) === MODE.Tx) this.finish(MODE.Tx, FLAG.TxDone);
    this.airGeneration = -1;
  }

  private startCad(): void {
    const gen = this.generation;
    const sf = this.regs[R.ModemConfig2]! >> 4;
    const bw = bandwidthFromCode127x(this.regs[R.ModemConfig1]! >> 4) ?? 125_000;
    this.later((2 * 2 ** sf) / (bw / 1000), () => {
      if (gen !== this.generation) return;
      const busy = this.antenna !== undefined && this.onAntennaChannel() && this.antenna.isChannelBusy();
      this.finish(MODE.Cad, FLAG.CadDone | (busy ? FLAG.CadDetected : 0));
    });
  }

  private hear(packet: RxPacket): void {
    const op = this.regs[R.OpMode]!;
    if (this.inReset || (op & LONG_RANGE_MODE) === 0 || (op & 7) !== MODE.RxContinuous || !this.onAntennaChannel()) return;
    // A receiver taken out of RX (standby, CAD, TX) in the middle of a frame has stopped
    // demodulating it; back in RX it picks the frame up only if the preamble is not over yet.
    if (this.rxGap.missedSync(this.shape(), packet.bytes.length, this.scheduler.now())) {
      this.counters.cutOff++;
      return;
    }
    const start = this.regs[R.FifoRxBaseAddr]!;
    packet.bytes.forEach((b, i) => (this.fifo[(start + i) & 0xff] = b));
    this.regs[R.RxNbBytes] = packet.bytes.length;
    this.regs[R.FifoRxCurrentAddr] = start;
    const snr = Math.max(-128, Math.min(127, Math.round(packet.snr * 4)));
    this.regs[R.PktSnrValue] = snr & 0xff;
    const offset = this.configuration.frequencyHz >= 779_000_000 ? -157 : -164;
    this.regs[R.PktRssiValue] = Math.max(0, Math.min(255, Math.round(packet.rssi - offset - (packet.snr < 0 ? packet.snr : 0))));
    this.counters.received++;
    // The header tells whether the payload carries a CRC; the chip checks it (and may raise
    // PayloadCrcError) only then, and says which in RegHopChannel's CrcOnPayload.
    const withCrc = this.antenna!.params.crc && !this.noCrcNext;
    this.noCrcNext = false;
    this.regs[R.HopChannel] = (this.regs[R.HopChannel]! & ~CRC_ON_PAYLOAD) | (withCrc ? CRC_ON_PAYLOAD : 0);
    let flags = FLAG.ValidHeader | FLAG.RxDone;
    if (this.corruptNext) {
      this.corruptNext = false;
      if (withCrc) flags |= FLAG.PayloadCrcError;
    }
    this.raise(flags);
  }

  /** In RX with a frame of its channel on the air. */
  private frameArriving(): boolean {
    const op = this.regs[R.OpMode]!;
    return !this.inReset && (op & LONG_RANGE_MODE) !== 0 && (op & 7) === MODE.RxContinuous && this.antenna !== undefined && this.onAntennaChannel() && this.antenna.isChannelBusy();
  }

  /** Called before the mode leaves RX: a frame arriving then is lost. */
  private noteLeavingRx(): void {
    if (this.frameArriving()) this.rxGap.left(this.scheduler.now());
  }

  /**
   * RegModemStat is live: signal detected, synchronised, RX on-going and header info valid while a
   * frame arrives, "modem clear" otherwise (RegModemStat, SX1276 datasheet register table). The twin's air says only that a
   * frame is on the air, so the header counts as valid from its start.
   */
  private modemStat(): number {
    if (!this.frameArriving()) return MODEM_STAT.ModemClear;
    return MODEM_STAT.SignalDetected | MODEM_STAT.SignalSynchronized | MODEM_STAT.RxOnGoing | MODEM_STAT.HeaderInfoValid;
  }

  private finish(from: number, flags: number): void {
    if ((this.regs[R.OpMode]! & 7) !== from) return;
    this.regs[R.OpMode] = (this.regs[R.OpMode]! & ~7) | MODE.Standby;
    this.generation++;
    this.raise(flags);
  }

  private raise(flags: number): void {
    this.regs[R.IrqFlags] = this.regs[R.IrqFlags]! | flags;
    this.updateDio0();
  }

  private updateDio0(): void {
    const mapping = this.regs[R.DioMapping1]! & 0xc0;
    const flag = mapping === DIO0.RxDone ? FLAG.RxDone : mapping === DIO0.TxDone ? FLAG.TxDone : mapping === DIO0.CadDone ? FLAG.CadDone : 0;
    const active = this.regs[R.IrqFlags]! & ~this.regs[R.IrqFlagsMask]! & flag;
    const level: Level = active ? 1 : 0;
    if (level === this.dio0) return;
    this.dio0 = level;
    this.emit(level);
  }

  private emit(level: Level): void {
    this.pinSet.edge(this.board.pins.irq, level);
  }

  private onAntennaChannel(): boolean {
    const a: LoRaParams | undefined = this.antenna?.params;
    if (!a) return false;
    const c = this.configuration;
    const frf = (this.regs[R.FrfMsb]! << 16) | (this.regs[R.FrfMid]! << 8) | this.regs[R.FrfLsb]!;
    return frf === frfWord(a.frequencyHz) && c.sf === a.sf && this.regs[R.ModemConfig1]! >> 4 === bandwidthCode127x(a.bandwidthHz) && c.syncWord === MESH_SYNC_WORD && (this.regs[R.ModemConfig1]! & 1) === 0;
  }

  private shape(): LoRaParams {
    const m1 = this.regs[R.ModemConfig1]!;
    const m2 = this.regs[R.ModemConfig2]!;
    return {
      sf: Math.max(6, m2 >> 4),
      bandwidthHz: bandwidthFromCode127x(m1 >> 4) ?? 125_000,
      codingRate: Math.max(1, (m1 >> 1) & 7),
      preambleSymbols: (this.regs[R.PreambleMsb]! << 8) | this.regs[R.PreambleLsb]!,
      explicitHeader: (m1 & 1) === 0,
      crc: (m2 & 0x04) !== 0,
      lowDataRateOptimize: (this.regs[R.ModemConfig3]! & 0x08) !== 0,
      txPowerDbm: 14,
      frequencyHz: 0,
    };
  }

  private powerOn(): void {
    this.regs.fill(0);
    this.regs[R.OpMode] = 0x09; // FSK, standby, LF mode
    this.regs[R.FrfMsb] = 0x6c;
    this.regs[R.FrfMid] = 0x80;
    this.regs[R.PaConfig] = 0x4f;
    this.regs[R.PaRamp] = 0x09;
    this.regs[R.Ocp] = 0x2b;
    this.regs[R.Lna] = 0x20;
    this.regs[R.FifoTxBaseAddr] = 0x80;
    this.regs[R.ModemConfig1] = 0x72;
    this.regs[R.ModemConfig2] = 0x70;
    this.regs[R.SymbTimeoutLsb] = 0x64;
    this.regs[R.PreambleLsb] = 0x08;
    this.regs[R.PayloadLength] = 0x01;
    this.regs[R.MaxPayloadLength] = 0xff;
    this.regs[R.DetectOptimize] = 0xc3;
    this.regs[R.DetectionThreshold] = 0x0a;
    this.regs[R.SyncWord] = 0x12;
    this.regs[R.Version] = SX1276_VERSION;
    this.regs[R.PaDac] = 0x84;
    this.fifo.fill(0);
    this.updateDio0();
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

  dispose(): void {
    this.cancelTimers();
    this.generation++;
  }
}
