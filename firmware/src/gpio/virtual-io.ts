// The GPIO header's simulated twin: a johnny-five IO plugin with a Pi's 28 BCM lines, so the panel
// runs off the Pi unchanged. Tests press the button with setInput() and read back every write.

import { EventEmitter } from 'node:events';
import type { Scheduler } from '@unibos/mesh-protocol';
import { PI_GPIO_COUNT, bcmLine } from './bcm-pin.ts';
import type { BoardIo, PinId } from './johnny-five-panel.ts';

const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 });

/** Enough history for any test or a look back over a sim run, without growing for ever on a long run. */
const DEFAULT_MAX_WRITES_PER_PIN = 10_000;

export type Pull = 'up' | 'down' | 'none';

export interface PinWrite {
  /** Time on the injected scheduler. */
  atMs: number;
  /** As written: 0/1 from digitalWrite, 0..255 from analogWrite/pwmWrite. */
  value: number;
}

/** What johnny-five reads from `io.pins[n]`. */
export interface VirtualPinInfo {
  readonly supportedModes: readonly number[];
  mode: number;
  value: number;
  readonly report: 1;
  readonly analogChannel: 127;
}

export interface VirtualIoOptions {
  /** Stamps each write; the same scheduler the panel runs on. */
  scheduler: Scheduler;
  /** Emit 'connect' and 'ready' on the next tick, like a board that opens at once (default true). */
  autoReady?: boolean;
  maxWritesPerPin?: number;
}

interface Line {
  /** Level a test drives onto an input; undefined = only the pull resistor. */
  driven: 0 | 1 | undefined;
  pull: Pull;
  readers: Array<(value: number) => void>;
  lastReported: number | undefined;
  writes: PinWrite[];
}

export class VirtualIo extends EventEmitter implements BoardIo {
  readonly name = 'Virtual IO';
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly RESOLUTION = Object.freeze({ ADC: 1023, PWM: 255 });
  /** A Pi has no ADC. */
  readonly analogPins: readonly number[] = Object.freeze([]);
  /** Like raspi-io 11, every line can do PWM (software PWM there), so johnny-five's Led drives it with analogWrite. */
  readonly pins: VirtualPinInfo[];

  private readonly scheduler: Scheduler;
  private readonly maxWritesPerPin: number;
  private readonly lines: Line[];
  private ready = false;

  constructor(options: VirtualIoOptions) {
    super();
    this.scheduler = options.scheduler;
    this.maxWritesPerPin = options.maxWritesPerPin ?? DEFAULT_MAX_WRITES_PER_PIN;
    this.pins = Array.from({ length: PI_GPIO_COUNT }, () => ({
      supportedModes: Object.freeze([MODES.INPUT, MODES.OUTPUT, MODES.PWM]),
      // A Pi's lines are inputs at power-on.
      mode: MODES.INPUT,
      value: 0,
      report: 1 as const,
      analogChannel: 127 as const,
    }));
    this.lines = this.pins.map(() => ({ driven: undefined, pull: 'none', readers: [], lastReported: undefined, writes: [] }));
    if (options.autoReady ?? true) process.nextTick(() => this.emitReady());
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Opens the virtual board now (for `autoReady: false`, e.g. to test a start-up timeout). Idempotent. */
  emitReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.emit('connect');
    this.emit('ready');
  }

  /** 'GPIO17', 'BCM17', 17 and '17' all name BCM line 17 (raspi-io reads bare numbers as wiringPi; use names in config). */
  normalize(pin: PinId): number {
    return bcmLine(pin);
  }

  pinMode(pin: PinId, mode: number): void {
    const n = this.normalize(pin);
    const info = this.pinInfo(n);
    if (!info.supportedModes.includes(mode)) throw new Error(`${this.name}: pin ${n} does not support mode ${mode}`);
    info.mode = mode;
    // As on Firmata and raspi-io, (re)entering INPUT drops the pull resistor until a digitalWrite sets one.
    if (mode === MODES.INPUT) this.line(n).pull = 'none';
    this.notifyReaders(n);
  }

  digitalWrite(pin: PinId, value: number): void {
    const n = this.normalize(pin);
    const info = this.pinInfo(n);
    if (info.mode === MODES.INPUT) {
      // The IO-plugin convention: a write to an input selects its pull resistor instead of driving it.
      this.line(n).pull = value ? 'up' : 'down';
      this.notifyReaders(n);
      return;
    }
    info.mode = MODES.OUTPUT;
    this.record(n, value ? 1 : 0);
  }

  analogWrite(pin: PinId, value: number): void {
    this.pwmWrite(pin, value);
  }

  pwmWrite(pin: PinId, value: number): void {
    const n = this.normalize(pin);
    this.pinInfo(n).mode = MODES.PWM;
    this.record(n, value);
  }

  /** Reports the current level at once, then every change while the pin is an input. */
  digitalRead(pin: PinId, callback: (value: number) => void): void {
    const n = this.normalize(pin);
    const line = this.line(n);
    line.readers.push(callback);
    const value = this.level(n);
    line.lastReported = value;
    callback(value);
  }

  /** Drops every digitalRead subscription, as raspi-io's reset stops its polling. */
  reset(): void {
    for (const line of this.lines) {
      line.readers = [];
      line.lastReported = undefined;
    }
  }

  // --- test-facing API ---

  /** Drives an input line (a closed button to ground is 0). */
  setInput(pin: PinId, value: 0 | 1 | boolean): void {
    const n = this.normalize(pin);
    const mode = this.pinInfo(n).mode;
    if (mode !== MODES.INPUT) throw new Error(`${this.name}: pin ${n} is not an input (mode ${mode}); setInput drives inputs only`);
    this.line(n).driven = value ? 1 : 0;
    this.notifyReaders(n);
  }

  /** The line's level now: what an output was last set to (PWM > 0 counts as 1), or what an input reads. */
  level(pin: PinId): 0 | 1 {
    const n = this.normalize(pin);
    const info = this.pinInfo(n);
    const line = this.line(n);
    if (info.mode !== MODES.INPUT) return info.value > 0 ? 1 : 0;
    if (line.driven !== undefined) return line.driven;
    // A floating input reads low here; real ones read whatever they pick up.
    return line.pull === 'up' ? 1 : 0;
  }

  /** Every write to an output since start (capped at the newest maxWritesPerPin). */
  writes(pin: PinId): PinWrite[] {
    return this.line(this.normalize(pin)).writes.slice();
  }

  pull(pin: PinId): Pull {
    return this.line(this.normalize(pin)).pull;
  }

  modeOf(pin: PinId): number {
    return this.pinInfo(this.normalize(pin)).mode;
  }

  private record(n: number, value: number): void {
    this.pinInfo(n).value = value;
    const writes = this.line(n).writes;
    writes.push({ atMs: this.scheduler.now(), value });
    if (writes.length > this.maxWritesPerPin) writes.splice(0, writes.length - this.maxWritesPerPin);
  }

  private notifyReaders(n: number): void {
    const line = this.line(n);
    if (this.pinInfo(n).mode !== MODES.INPUT || line.readers.length === 0) return;
    const value = this.level(n);
    if (value === line.lastReported) return;
    line.lastReported = value;
    for (const reader of line.readers.slice()) reader(value);
  }

  private pinInfo(n: number): VirtualPinInfo {
    return this.pins[n]!;
  }

  private line(n: number): Line {
    return this.lines[n]!;
  }
}
