// The DevicePanel on real pins: a johnny-five Board over libgpiod's tools (gpiod-io.ts) or raspi-io
// on a Pi, or over the virtual IO plugin elsewhere. johnny-five does the IO; debounce, hold and every pattern run on the injected
// scheduler, because johnny-five's own Button/Led/Pin timers are wall-clock intervals.
// johnny-five itself (~12 MB resident) is loaded by start(), so a node without a panel never has it.

import { RealScheduler, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import type { ButtonPress, DevicePanel, PanelStatus } from './device-panel.ts';
import { LED_PATTERNS, ledPatternFor, steadyLedPattern, type LedPatternName, type OnOffPattern, type OnOffStep } from './led-patterns.ts';
import { openGpiodIo } from './gpiod-io.ts';
import { PressClassifier } from './press-classifier.ts';
import { VirtualIo } from './virtual-io.ts';

/** A pin as the IO plugin names it; use raspi-io's BCM names ('GPIO17'), which the virtual IO also reads. */
export type PinId = number | string;

/** The part of a johnny-five IO plugin (raspi-io, VirtualIo, or another) the panel relies on. */
export interface BoardIo {
  readonly name: string;
  readonly isReady: boolean;
  readonly MODES: { readonly INPUT: number; readonly OUTPUT: number };
  readonly pins: ReadonlyArray<{ readonly supportedModes: readonly number[] }>;
  readonly analogPins: readonly number[];
  normalize?(pin: PinId): number;
  pinMode(pin: PinId, mode: number): void;
  digitalWrite(pin: PinId, value: number): void;
  digitalRead(pin: PinId, callback: (value: number) => void): void;
  reset?(): void;
  /** Releases the pins; stop() waits for it, so a restart does not find its own lines still held. */
  close?(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  emit(event: string, ...args: unknown[]): boolean;
}

export interface PanelPins {
  button: PinId;
  led: PinId;
  buzzer: PinId;
}

/**
 * BCM numbering. GPIO17 (header pin 11, ground on 9), GPIO23 (16) and GPIO24 (18, ground on 14/20)
 * stay clear of UART (14/15, modem/GPS), I2C (2/3), SPI0 (7-11) and the M0/M1 lines (GPIO22/27)
 * of the common UART LoRa HATs; GPIO23/24 are pulled down at power-on, so the buzzer is silent at boot.
 */
export const DEFAULT_PANEL_PINS: Readonly<PanelPins> = Object.freeze({ button: 'GPIO17', led: 'GPIO23', buzzer: 'GPIO24' });

export const DEFAULT_HOLD_MS = 3_000;
export const DEFAULT_DEBOUNCE_MS = 30;
/** raspi-io opens pigpio at start-up; far longer than that means it is wedged. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** Long enough to see, short enough that a busy mesh does not keep the LED lit. */
export const ACTIVITY_FLASH_MS = 40;

export type BuzzerAlert = 'sos' | 'alert';

/** The IO plugins the panel can build itself. */
export type PanelIoType = 'gpiod' | 'raspi' | 'virtual';

const MORSE_UNIT_MS = 100;

/** "... --- ..." twice (6.8 s): recognisable as SOS by anyone, unlike a generic beep. */
function morseSos(repeats: number): OnOffStep[] {
  const dot = MORSE_UNIT_MS;
  const dash = 3 * MORSE_UNIT_MS;
  const letter = (mark: number): OnOffStep[] => [
    { on: true, ms: mark },
    { on: false, ms: dot },
    { on: true, ms: mark },
    { on: false, ms: dot },
    { on: true, ms: mark },
  ];
  const word: OnOffStep[] = [
    ...letter(dot),
    { on: false, ms: 3 * MORSE_UNIT_MS },
    ...letter(dash),
    { on: false, ms: 3 * MORSE_UNIT_MS },
    ...letter(dot),
    { on: false, ms: 7 * MORSE_UNIT_MS },
  ];
  return Array.from({ length: repeats }, () => word).flat();
}

export const BUZZER_PATTERNS: Readonly<Record<BuzzerAlert, OnOffPattern>> = {
  sos: { steps: morseSos(2), repeat: false },
  // Three quick beeps (0.9 s): "look at the device", without the weight of an SOS.
  alert: {
    steps: [
      { on: true, ms: 150 },
      { on: false, ms: 150 },
      { on: true, ms: 150 },
      { on: false, ms: 150 },
      { on: true, ms: 150 },
      { on: false, ms: 150 },
    ],
    repeat: false,
  },
};

/** pino's child loggers fit this. */
export interface PanelLogger {
  warn(obj: object, msg: string): void;
}

export interface JohnnyFivePanelOptions {
  /**
   * 'gpiod': libgpiod's tools on the GPIO character device (no root needed); 'raspi' (default): raspi-io
   * (pigpio, root only), loaded only on a Pi; 'virtual': a VirtualIo on the panel's scheduler; or an IO plugin you own.
   */
  io?: PanelIoType | BoardIo;
  /** For io 'gpiod': the chip as gpiodetect names it, or 'auto' (default): the 40-pin header's chip, found by its label. */
  gpiodChip?: string;
  pins?: Partial<PanelPins>;
  /** Button to ground with the pull-up enabled, so pressed reads low (default true). False: button to 3V3 with the pull-down. */
  buttonActiveLow?: boolean;
  holdMs?: number;
  debounceMs?: number;
  /** How long start() waits for the board's 'ready' before E_GPIO_UNAVAILABLE. */
  readyTimeoutMs?: number;
  scheduler?: Scheduler;
  logger?: PanelLogger;
}

/** The process facts that decide whether raspi-io can exist here. */
export interface Host {
  platform: string;
  arch: string;
}

/** johnny-five's Board as the panel uses it; its published types lack `sigint` and type `io` as any. */
interface J5Board {
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  pinMode(pin: PinId, mode: number): unknown;
  digitalWrite(pin: PinId, value: number): unknown;
  digitalRead(pin: PinId, callback: (value: number) => void): unknown;
}

interface J5BoardOptions {
  io: BoardIo;
  // No REPL on stdin and no console.log from Board.log: the runtime logs through pino.
  repl: false;
  debug: false;
  // johnny-five's SIGINT handler calls process.reallyExit, which would skip our shutdown.
  sigint: false;
  timeout: number;
}

type J5BoardConstructor = new (options: J5BoardOptions) => J5Board;

async function loadBoard(): Promise<J5BoardConstructor> {
  const five = (await import('johnny-five')).default;
  return five.Board as unknown as J5BoardConstructor;
}

/** One start..stop: callbacks from an earlier board check `closed` and fall silent. */
interface Session {
  board: J5Board;
  io: BoardIo;
  ownsIo: boolean;
  closed: boolean;
  /** False until the button has been seen released: a button jammed or held at boot must not send SOS. */
  armed: boolean;
}

/** Plays an on/off pattern on the scheduler; a new play() replaces the old one. */
class OnOffPlayer {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly output: (on: boolean) => void,
  ) {}

  play(pattern: OnOffPattern, onEnd: () => void): void {
    this.stop();
    const run = (index: number): void => {
      const step = pattern.steps[index];
      if (step === undefined) {
        this.timer = undefined;
        onEnd();
        return;
      }
      this.output(step.on);
      const next = index + 1 === pattern.steps.length && pattern.repeat ? 0 : index + 1;
      this.timer = this.scheduler.schedule(step.ms, () => run(next));
    };
    run(0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}

export class JohnnyFivePanel implements DevicePanel {
  readonly pins: Readonly<PanelPins>;
  readonly buttonActiveLow: boolean;
  readonly holdMs: number;
  readonly debounceMs: number;
  readonly readyTimeoutMs: number;

  private readonly ioOption: PanelIoType | BoardIo;
  private readonly gpiodChip: string;
  private readonly scheduler: Scheduler;
  private readonly logger: PanelLogger;
  private readonly classifier: PressClassifier;
  private readonly ledPlayer: OnOffPlayer;
  private readonly buzzerPlayer: OnOffPlayer;
  private readonly listeners: Array<(press: ButtonPress) => void> = [];

  private session: Session | undefined;
  private starting: Promise<void> | undefined;
  private createdVirtualIo: VirtualIo | undefined;

  private status: PanelStatus = { gpsFix: false, sos: 'none' };
  private ledPattern: LedPatternName | undefined;
  /** The acknowledged SOS has had its solid phase; stays set until the SOS state changes. */
  private ackSolidShown = false;
  private ledBase = false;
  private flashTimer: TimerHandle | undefined;
  private flashLevel = false;
  private ledWritten: boolean | undefined;
  private buzzerWritten: boolean | undefined;
  private buzzerAlert: BuzzerAlert | undefined;

  constructor(options: JohnnyFivePanelOptions = {}) {
    this.ioOption = options.io ?? 'raspi';
    this.gpiodChip = options.gpiodChip ?? 'auto';
    this.pins = Object.freeze({
      button: options.pins?.button ?? DEFAULT_PANEL_PINS.button,
      led: options.pins?.led ?? DEFAULT_PANEL_PINS.led,
      buzzer: options.pins?.buzzer ?? DEFAULT_PANEL_PINS.buzzer,
    });
    this.buttonActiveLow = options.buttonActiveLow ?? true;
    this.holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.logger = options.logger ?? { warn: () => undefined };

    if (!Number.isFinite(this.debounceMs) || this.debounceMs < 0) {
      throw new FirmwareError('E_CONFIG', `gpio.debounceMs must be a number of ms >= 0, got ${this.debounceMs}`);
    }
    if (!Number.isFinite(this.holdMs) || this.holdMs <= this.debounceMs) {
      throw new FirmwareError('E_CONFIG', `gpio.holdMs must be a number of ms above gpio.debounceMs (${this.debounceMs}), got ${this.holdMs}`);
    }
    if (!Number.isFinite(this.readyTimeoutMs) || this.readyTimeoutMs <= 0) {
      throw new FirmwareError('E_CONFIG', `gpio.readyTimeoutMs must be a number of ms > 0, got ${this.readyTimeoutMs}`);
    }
    const names = Object.entries(this.pins).map(([role, pin]) => `${role}=${String(pin)}`);
    if (new Set(Object.values(this.pins).map((pin) => String(pin).toUpperCase())).size !== 3) {
      throw new FirmwareError('E_CONFIG', `gpio.pins must be three different pins, got ${names.join(', ')}`);
    }

    this.classifier = new PressClassifier(
      { scheduler: this.scheduler, debounceMs: this.debounceMs, holdMs: this.holdMs },
      (press) => this.emitPress(press),
    );
    this.ledPlayer = new OnOffPlayer(this.scheduler, (on) => {
      this.ledBase = on;
      this.writeLed();
    });
    this.buzzerPlayer = new OnOffPlayer(this.scheduler, (on) => this.writeBuzzer(on));
  }

  /** The VirtualIo created for `io: 'virtual'` (to press the button from a dev tool); undefined otherwise. */
  get virtualIo(): VirtualIo | undefined {
    return this.createdVirtualIo;
  }

  /** The IO plugin of the running board (to watch or drive its pins from a test or dev tool); undefined when stopped. */
  get boardIo(): BoardIo | undefined {
    return this.session?.io;
  }

  get running(): boolean {
    return this.session !== undefined;
  }

  start(): Promise<void> {
    if (this.session) return Promise.resolve();
    this.starting ??= this.open().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.closed = true;

    this.classifier.reset();
    this.ledPlayer.stop();
    this.buzzerPlayer.stop();
    this.flashTimer?.cancel();
    this.flashTimer = undefined;
    this.ledPattern = undefined;
    this.buzzerAlert = undefined;
    this.ledBase = false;
    try {
      // Straight to the board, not through the change filter: whatever happened, leave both dark and silent.
      session.board.digitalWrite(this.pins.led, 0);
      session.board.digitalWrite(this.pins.buzzer, 0);
    } catch (err) {
      this.logger.warn({ err }, 'gpio: could not switch LED and buzzer off');
    }
    this.ledWritten = undefined;
    this.buzzerWritten = undefined;
    // raspi-io polls inputs on intervals until reset, gpiod holds its lines with processes until closed;
    // an IO plugin handed to us belongs to the caller.
    if (session.ownsIo) await this.releaseIo(session.io);
  }

  onButton(listener: (press: ButtonPress) => void): void {
    this.listeners.push(listener);
  }

  setStatus(status: PanelStatus): void {
    if (status.sos !== 'acknowledged') this.ackSolidShown = false;
    this.status = { gpsFix: status.gpsFix, sos: status.sos };
    if (this.session) this.updateLedPattern();
  }

  flashActivity(): void {
    // One flash per burst of traffic: a flash already showing absorbs the rest.
    if (!this.session || this.flashTimer) return;
    // Inverted against what the pattern shows now, so it is visible even on a solid LED.
    this.flashLevel = !this.ledBase;
    this.flashTimer = this.scheduler.schedule(ACTIVITY_FLASH_MS, () => {
      this.flashTimer = undefined;
      this.writeLed();
    });
    this.writeLed();
  }

  alert(kind: BuzzerAlert): void {
    if (!this.session) return;
    // Nothing cuts an SOS short, and a repeat (relays forward the same alert many times) plays on
    // rather than restarting mid-pattern; only an SOS may take over from an alert.
    if (this.buzzerAlert === 'sos' || this.buzzerAlert === kind) return;
    this.buzzerAlert = kind;
    this.buzzerPlayer.play(BUZZER_PATTERNS[kind], () => {
      this.buzzerAlert = undefined;
      this.writeBuzzer(false);
    });
  }

  private async open(): Promise<void> {
    const Board = await loadBoard();
    const { io, ownsIo } = await this.resolveIo();
    // Only the plugins we build: abstract-io's base class has a normalize() that always throws.
    const roleOfLine = new Map<number, string>();
    for (const [role, pin] of ownsIo ? Object.entries(this.pins) : []) {
      let line: number | undefined;
      try {
        line = io.normalize?.(pin);
      } catch (err) {
        throw new FirmwareError('E_CONFIG', `gpio.pins.${role}: ${io.name} does not know pin ${JSON.stringify(pin)} (${messageOf(err)})`, { cause: err });
      }
      if (line === undefined) continue;
      const other = roleOfLine.get(line);
      if (other !== undefined) throw new FirmwareError('E_CONFIG', `gpio.pins.${role} and gpio.pins.${other} name the same pin (${io.name} line ${line})`);
      roleOfLine.set(line, role);
    }

    let board: J5Board;
    try {
      board = new Board({ io, repl: false, debug: false, sigint: false, timeout: this.readyTimeoutMs });
    } catch (err) {
      if (ownsIo) await this.releaseIo(io);
      throw new FirmwareError('E_GPIO_UNAVAILABLE', `johnny-five could not use ${io.name} as a board: ${messageOf(err)}`, { cause: err });
    }
    const session: Session = {
      board,
      io,
      ownsIo,
      closed: false,
      armed: false,
    };
    try {
      await this.waitReady(session);
      this.configurePins(session);
    } catch (err) {
      session.closed = true;
      if (ownsIo) await this.releaseIo(io);
      throw err;
    }
    this.session = session;
    this.updateLedPattern();
  }

  private async releaseIo(io: BoardIo): Promise<void> {
    try {
      io.reset?.();
      await io.close?.();
    } catch (err) {
      this.logger.warn({ err }, `gpio: ${io.name} failed to reset`);
    }
  }

  private async resolveIo(): Promise<{ io: BoardIo; ownsIo: boolean }> {
    const choice = this.ioOption;
    if (choice === 'virtual') {
      this.createdVirtualIo ??= new VirtualIo({ scheduler: this.scheduler });
      return { io: this.createdVirtualIo, ownsIo: true };
    }
    if (choice === 'raspi') return { io: await loadRaspiIo(this.pins), ownsIo: true };
    if (choice === 'gpiod') {
      const { button, led, buzzer } = this.pins;
      const io = await openGpiodIo({
        chip: this.gpiodChip,
        outputs: [led, buzzer],
        inputs: [{ pin: button, pull: this.buttonActiveLow ? 'up' : 'down' }],
      });
      return { io, ownsIo: true };
    }
    return { io: choice, ownsIo: false };
  }

  private waitReady(session: Session): Promise<void> {
    const { board, io } = session;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = this.scheduler.schedule(this.readyTimeoutMs, () => {
        settled = true;
        reject(new FirmwareError('E_GPIO_UNAVAILABLE', `GPIO board (${io.name}) did not become ready within ${this.readyTimeoutMs} ms`));
      });
      board.on('ready', () => {
        if (settled) return;
        settled = true;
        timer.cancel();
        resolve();
      });
      // Kept for the board's whole life: an 'error' with no listener would throw out of the emitter.
      board.on('error', (err) => {
        if (settled) {
          if (!session.closed) this.logger.warn({ err }, `gpio: ${io.name} reported an error`);
          return;
        }
        settled = true;
        timer.cancel();
        reject(new FirmwareError('E_GPIO_UNAVAILABLE', `GPIO board (${io.name}) failed to start: ${messageOf(err)}`, { cause: err }));
      });
    });
  }

  private configurePins(session: Session): void {
    const { board, io } = session;
    const { button, led, buzzer } = this.pins;
    try {
      // Plain digital outputs, not johnny-five's Led: on raspi-io 11 every pin reports PWM, and Led would
      // run software PWM for a lamp that is only ever on or off.
      board.pinMode(led, io.MODES.OUTPUT);
      board.digitalWrite(led, 0);
      board.pinMode(buzzer, io.MODES.OUTPUT);
      board.digitalWrite(buzzer, 0);
      board.pinMode(button, io.MODES.INPUT);
      // IO-plugin convention: writing to an input selects its pull resistor.
      board.digitalWrite(button, this.buttonActiveLow ? 1 : 0);
    } catch (err) {
      if (err instanceof FirmwareError) throw err;
      throw new FirmwareError('E_GPIO_UNAVAILABLE', `could not set up GPIO pins on ${io.name} (${describePins(this.pins)}): ${messageOf(err)}`, { cause: err });
    }
    this.ledWritten = false;
    this.buzzerWritten = false;
    this.classifier.reset();
    board.digitalRead(button, (value) => this.onButtonLevel(session, value));
  }

  private onButtonLevel(session: Session, value: number): void {
    if (session.closed) return;
    const pressed = this.buttonActiveLow ? value === 0 : value !== 0;
    if (!session.armed) {
      if (pressed) {
        this.logger.warn({ pin: this.pins.button }, 'gpio: button reads pressed at start; ignoring it until it is released');
        return;
      }
      session.armed = true;
    }
    this.classifier.input(pressed);
  }

  private emitPress(press: ButtonPress): void {
    for (const listener of this.listeners.slice()) {
      try {
        listener(press);
      } catch (err) {
        this.logger.warn({ err, press }, 'gpio: button listener threw');
      }
    }
  }

  private updateLedPattern(): void {
    const name =
      this.status.sos === 'acknowledged' && this.ackSolidShown ? steadyLedPattern(this.status.gpsFix) : ledPatternFor(this.status);
    if (name === this.ledPattern) return;
    this.ledPattern = name;
    // Only a pattern that does not repeat ends: the acknowledged SOS's solid phase.
    this.ledPlayer.play(LED_PATTERNS[name], () => {
      this.ackSolidShown = true;
      this.ledPattern = undefined;
      this.updateLedPattern();
    });
  }

  private writeLed(): void {
    const session = this.session;
    if (!session) return;
    const level = this.flashTimer ? this.flashLevel : this.ledBase;
    if (level === this.ledWritten) return;
    this.ledWritten = level;
    session.board.digitalWrite(this.pins.led, level ? 1 : 0);
  }

  private writeBuzzer(on: boolean): void {
    const session = this.session;
    if (!session || on === this.buzzerWritten) return;
    this.buzzerWritten = on;
    session.board.digitalWrite(this.pins.buzzer, on ? 1 : 0);
  }
}

const RASPI_IO_MODULE: string = 'raspi-io';

interface RaspiIoOptions {
  includePins: PinId[];
  enableSerial: boolean;
  enableI2C: boolean;
}

type RaspiIoConstructor = new (options: RaspiIoOptions) => unknown;

/** Loads raspi-io (an optional dependency that installs only on arm) and opens the panel's pins with it. */
export async function loadRaspiIo(pins: Readonly<PanelPins>, host: Host = process): Promise<BoardIo> {
  if (host.platform !== 'linux' || (host.arch !== 'arm' && host.arch !== 'arm64')) {
    throw new FirmwareError(
      'E_GPIO_UNAVAILABLE',
      `GPIO io 'raspi' needs a Raspberry Pi (linux on arm or arm64), but this is ${host.platform}/${host.arch}, ` +
        `where raspi-io cannot be installed; use io 'virtual' off the Pi`,
    );
  }
  let mod: unknown;
  try {
    mod = await import(RASPI_IO_MODULE);
  } catch (err) {
    const notInstalled = isObject(err) && err.code === 'ERR_MODULE_NOT_FOUND';
    throw new FirmwareError(
      'E_GPIO_UNAVAILABLE',
      notInstalled
        ? 'raspi-io is not installed: it is an optional dependency that npm installs only on arm; run npm install on the Pi itself'
        : `raspi-io failed to load: ${messageOf(err)}`,
      { cause: err },
    );
  }
  const RaspiIO = raspiIoConstructor(mod);
  if (!RaspiIO) throw new FirmwareError('E_GPIO_UNAVAILABLE', 'raspi-io loaded but exports no RaspiIO; expected raspi-io 11');
  let io: unknown;
  try {
    // Only our three pins: by default raspi-io drives every free GPIO low at start-up (including a
    // LoRa HAT's mode lines), opens the UART at 9600 baud on boards without Bluetooth and claims I2C.
    io = new RaspiIO({ includePins: [pins.button, pins.led, pins.buzzer], enableSerial: false, enableI2C: false });
  } catch (err) {
    throw new FirmwareError(
      'E_GPIO_UNAVAILABLE',
      `raspi-io could not open the GPIO (${describePins(pins)}): ${messageOf(err)}; it must run as root, with no other pigpio user such as pigpiod`,
      { cause: err },
    );
  }
  if (!isBoardIo(io)) throw new FirmwareError('E_GPIO_UNAVAILABLE', 'raspi-io returned an object that is not a johnny-five IO plugin');
  return io;
}

function raspiIoConstructor(mod: unknown): RaspiIoConstructor | undefined {
  // CommonJS through import(): the exports may sit on the namespace or on its default.
  for (const candidate of [mod, isObject(mod) ? mod.default : undefined]) {
    if (isObject(candidate) && typeof candidate.RaspiIO === 'function') return candidate.RaspiIO as RaspiIoConstructor;
  }
  return undefined;
}

function isBoardIo(value: unknown): value is BoardIo {
  if (!isObject(value)) return false;
  const modes = value.MODES;
  return (
    isObject(modes) &&
    typeof modes.INPUT === 'number' &&
    typeof modes.OUTPUT === 'number' &&
    ['pinMode', 'digitalWrite', 'digitalRead', 'on', 'once', 'emit'].every((method) => typeof value[method] === 'function')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (isObject(err) && typeof err.message === 'string') return err.message;
  return String(err);
}

function describePins(pins: Readonly<PanelPins>): string {
  return `button ${String(pins.button)}, LED ${String(pins.led)}, buzzer ${String(pins.buzzer)}`;
}
