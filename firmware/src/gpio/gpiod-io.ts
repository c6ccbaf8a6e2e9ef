// The panel's pins on the GPIO character device through libgpiod's tools (the radio's
// gpiod-tools-pins.ts), as a johnny-five IO plugin: no root and no pigpio, so it works for the
// image's unprivileged `unibos` user, which raspi-io cannot.

import { EventEmitter } from 'node:events';
import { FirmwareError } from '../firmware-error.ts';
import { openGpiodPins, type GpiodBias, type GpiodPins } from '../radio/spi/gpiod-tools-pins.ts';
import type { GpioInput, GpioOutput, Level } from '../radio/spi/gpio-pins.ts';
import { PI_GPIO_COUNT, bcmLine } from './bcm-pin.ts';
import type { BoardIo, PinId } from './johnny-five-panel.ts';

const MODES = Object.freeze({ INPUT: 0, OUTPUT: 1 });

export type GpiodPull = 'up' | 'down' | 'none';

export interface GpiodIoOptions {
  /** A chip as gpiodetect names it ('gpiochip0'), or 'auto' (default): the chip of the 40-pin header, found by label as for the SPI radios. */
  chip?: string;
  /** Opened as outputs, low (LED dark, buzzer silent). */
  outputs: readonly PinId[];
  /** Opened as inputs with this pull resistor. */
  inputs: ReadonlyArray<{ pin: PinId; pull: GpiodPull }>;
}

const BIAS: Record<GpiodPull, GpiodBias> = { up: 'pull-up', down: 'pull-down', none: 'as-is' };

/**
 * Opens every line before it returns: libgpiod's tools set a line's direction and pull when they
 * request it, and the IO-plugin calls (pinMode, digitalWrite) are synchronous. Rejects with
 * E_GPIO_UNAVAILABLE saying why (tools not installed, chip not found, a line held by another program).
 */
export async function openGpiodIo(options: GpiodIoOptions): Promise<GpiodIo> {
  const chip = options.chip ?? 'auto';
  const outputs = options.outputs.map(bcmLine);
  const inputs = options.inputs.map(({ pin, pull }) => ({ line: bcmLine(pin), pull }));
  const all = [...outputs, ...inputs.map((i) => i.line)];
  const twice = all.find((n, i) => all.indexOf(n) !== i);
  if (twice !== undefined) throw new FirmwareError('E_CONFIG', `GPIO${twice} is named for two of the panel's parts`);
  const what = [...outputs.map((n) => `GPIO${n} out`), ...inputs.map(({ line, pull }) => `GPIO${line} in${pull === 'none' ? '' : `, pull-${pull}`}`)].join('; ');
  let pins: GpiodPins | undefined;
  try {
    pins = await openGpiodPins(chip);
    const opened = new Map<number, Line>();
    for (const line of outputs) opened.set(line, { kind: 'output', out: await pins.output(line, 0) });
    for (const { line, pull } of inputs) opened.set(line, { kind: 'input', pull, in: await pins.input(line, { bias: BIAS[pull] }) });
    return new GpiodIo(pins, opened);
  } catch (err) {
    await pins?.close().catch(() => undefined);
    throw new FirmwareError(
      'E_GPIO_UNAVAILABLE',
      `gpiod could not open the panel's GPIO lines (${what}) on ${chip === 'auto' ? 'the header chip' : chip}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

type Line = { kind: 'output'; out: GpioOutput } | { kind: 'input'; pull: GpiodPull; in: GpioInput };

export class GpiodIo extends EventEmitter implements BoardIo {
  readonly name: string;
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly analogPins: readonly number[] = Object.freeze([]);
  /** Each line opened supports only the direction it was opened with; the rest of the header none. */
  readonly pins: ReadonlyArray<{ readonly supportedModes: readonly number[] }>;

  private readonly unsubscribe: Array<() => void> = [];
  private readonly pending = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly gpio: GpiodPins,
    private readonly lines: ReadonlyMap<number, Line>,
  ) {
    super();
    this.name = `gpiod ${gpio.name}`;
    this.pins = Array.from({ length: PI_GPIO_COUNT }, (_, n) => {
      const line = lines.get(n);
      return { supportedModes: Object.freeze(line === undefined ? [] : [line.kind === 'output' ? MODES.OUTPUT : MODES.INPUT]) };
    });
    // A gpioset or gpiomon that died: the LED or the button no longer works until the pins are opened again.
    this.unsubscribe.push(gpio.onFault((err) => this.report(new FirmwareError('E_GPIO_UNAVAILABLE', err.message, { cause: err }))));
  }

  /** Open from the start: openGpiodIo returns only once every line is requested. */
  get isReady(): boolean {
    return this.closing === undefined;
  }

  normalize(pin: PinId): number {
    return bcmLine(pin);
  }

  pinMode(pin: PinId, mode: number): void {
    const { n, line } = this.line(pin);
    const wanted = line.kind === 'output' ? MODES.OUTPUT : MODES.INPUT;
    if (mode !== wanted) throw new Error(`${this.name}: GPIO${n} was opened as an ${line.kind}, and a line's direction is fixed when gpiod opens it`);
  }

  digitalWrite(pin: PinId, value: number): void {
    const { n, line } = this.line(pin);
    if (line.kind === 'input') {
      // The IO-plugin convention: a write to an input selects its pull resistor. gpiomon set it when it opened the line.
      const pull: GpiodPull = value ? 'up' : 'down';
      if (pull !== line.pull) throw new Error(`${this.name}: GPIO${n} was opened with pull ${line.pull}, not ${pull}`);
      return;
    }
    const level: Level = value ? 1 : 0;
    const done = line.out.set(level).catch((err: unknown) => {
      if (!this.closing) this.report(new FirmwareError('E_GPIO_UNAVAILABLE', `${this.name}: could not set GPIO${n} to ${level}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Reports the level at once, then every change gpiomon sees (also as 'digital-read-N', as IO plugins do). */
  digitalRead(pin: PinId, callback: (value: number) => void): void {
    const { n, line } = this.line(pin);
    if (line.kind !== 'input') throw new Error(`${this.name}: GPIO${n} is an output`);
    let last = line.in.read();
    this.unsubscribe.push(
      line.in.onChange((level) => {
        // gpiomon can report two edges of one kind when a bounce was shorter than it could see.
        if (level === last) return;
        last = level;
        callback(level);
        this.emit(`digital-read-${n}`, level);
      }),
    );
    callback(last);
  }

  /** Resolves once every level written so far is on the line (or has failed and been reported). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops reporting and releases every line (the gpioset and gpiomon processes end). */
  reset(): void {
    void this.close();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const off of this.unsubscribe.splice(0)) off();
      // The last writes (stop() switches LED and buzzer off) land before the lines are let go.
      await this.flush();
      await this.gpio.close();
    })();
    return this.closing;
  }

  private line(pin: PinId): { n: number; line: Line } {
    const n = bcmLine(pin);
    const line = this.lines.get(n);
    if (!line) throw new Error(`${this.name}: GPIO${n} was not opened (the panel opens only its own pins)`);
    if (this.closing) throw new Error(`${this.name}: closed`);
    return { n, line };
  }

  private report(err: FirmwareError): void {
    // Before johnny-five's Board listens, an 'error' with no listener would throw out of the emitter.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
