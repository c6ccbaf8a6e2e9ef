// The GPIO pins a chip twin hands its driver: outputs drive the twin's lines, inputs read them and
// hear their edges. Like the real ones (gpiod-tools-pins.ts) they can be slow (an output is a
// gpioset started; an input level is what gpiomon last printed through a pipe) and can break on
// their own (a helper process dying): then they go dead (no edges, no levels set, reads stuck at
// the last level) and say so through onFault, until the driver closes them and opens new ones.

import type { Scheduler } from '@unibos/mesh-protocol';
import { FirmwareError } from '../../firmware-error.ts';
import type { GpioInput, GpioOutput, GpioPins, Level } from './gpio-pins.ts';

/** The twin's side of its lines. */
export interface TwinLines {
  name: string;
  /** The host drives one of the chip's inputs (RESET, or a board line). */
  drive(offset: number, level: Level): void;
  /** The level of one of the chip's outputs (BUSY, DIO), or of a line the host drove. */
  level(offset: number): Level;
}

export class TwinPinSet {
  private readonly handedOut = new Set<{ fail(message: string): void }>();
  private readonly listeners = new Map<number, Set<(level: Level) => void>>();

  constructor(
    private readonly lines: TwinLines,
    /**
     * An output change reaches the chip `outputDelayMs` after set(), which resolves then (0: at
     * once). An input's edge reaches the host `inputDelayMs` after the chip made it, and read()
     * says the level last heard (0: the chip's level, at once), as gpiomon's output arrives.
     */
    private readonly options: { outputDelayMs: number; inputDelayMs?: number; scheduler: Scheduler },
  ) {}

  /** A fresh set of pins: one per link the driver opens. */
  pins(): GpioPins {
    const { lines } = this;
    const { outputDelayMs, scheduler } = this.options;
    const inputDelayMs = this.options.inputDelayMs ?? 0;
    /** With an input delay: the level of each input as last heard, and who hears its edges. */
    const heard = new Map<number, Level>();
    const hearers = new Map<number, Set<(level: Level) => void>>();
    const watch = (offset: number, fn: (level: Level) => void): (() => void) => this.listen(offset, fn);
    const listen = (offset: number, fn: (level: Level) => void): (() => void) => {
      if (inputDelayMs <= 0) return watch(offset, fn);
      const set = hearers.get(offset)!;
      set.add(fn);
      return () => set.delete(fn);
    };
    /** Our hooks on the twin's lines, dropped when these pins die. */
    const hooks: Array<() => void> = [];
    let alive = true;
    const drive = async (offset: number, level: Level): Promise<void> => {
      if (outputDelayMs > 0) await new Promise<void>((resolve) => scheduler.schedule(outputDelayMs, resolve));
      if (alive) lines.drive(offset, level);
    };
    const frozen = new Map<number, Level>();
    const inputs = new Set<number>();
    const faults = new Set<(err: Error) => void>();
    const handle = {
      fail: (message: string): void => {
        if (!alive) return;
        for (const offset of inputs) frozen.set(offset, inputDelayMs > 0 ? heard.get(offset)! : lines.level(offset));
        alive = false;
        this.handedOut.delete(handle);
        for (const off of hooks) off();
        const err = new FirmwareError('E_MODEM_ERROR', message);
        for (const fn of [...faults]) fn(err);
      },
    };
    this.handedOut.add(handle);
    return {
      name: lines.name,
      async output(offset: number, initial: Level): Promise<GpioOutput> {
        await drive(offset, initial);
        return { set: (level) => drive(offset, level) };
      },
      async input(offset: number): Promise<GpioInput> {
        if (inputDelayMs > 0 && !hearers.has(offset)) {
          // Like gpioget then gpiomon: the level now, then each edge once it came down the pipe.
          heard.set(offset, lines.level(offset));
          hearers.set(offset, new Set());
          hooks.push(
            watch(offset, (level) =>
              scheduler.schedule(inputDelayMs, () => {
                if (!alive) return;
                heard.set(offset, level);
                for (const fn of [...hearers.get(offset)!]) fn(level);
              }),
            ),
          );
        }
        inputs.add(offset);
        const level = (): Level => (inputDelayMs > 0 ? heard.get(offset)! : lines.level(offset));
        return {
          read: () => (alive ? level() : (frozen.get(offset) ?? 0)),
          onChange: (fn) => listen(offset, (level) => alive && fn(level)),
        };
      },
      onFault: (fn) => {
        faults.add(fn);
        return () => faults.delete(fn);
      },
      close: async () => {
        alive = false;
        this.handedOut.delete(handle);
        for (const off of hooks) off();
      },
    };
  }

  /** The twin's line `offset` changed to `level`: every input watching it hears the edge. */
  edge(offset: number, level: Level): void {
    for (const fn of [...(this.listeners.get(offset) ?? [])]) fn(level);
  }

  private listen(offset: number, fn: (level: Level) => void): () => void {
    let set = this.listeners.get(offset);
    if (!set) this.listeners.set(offset, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Every set of pins handed out so far breaks, as when their gpiomon dies. */
  failAll(message: string): void {
    for (const h of [...this.handedOut]) h.fail(message);
  }
}
