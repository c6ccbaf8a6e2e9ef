// The GPIO boundary of a LoRa chip: RESET (and enable/antenna pins) as outputs, BUSY and the IRQ
// line (DIO1 on an SX126x, DIO0 on an SX127x) as inputs with change events. Offsets are line
// numbers on one GPIO chip (on a Raspberry Pi header: the BCM numbers). The kernel character
// device (gpiod-tools-pins.ts) and the chips' twins implement it.

import type { Scheduler } from '@unibos/mesh-protocol';

export type Level = 0 | 1;

export interface GpioOutput {
  /** Resolves once the line is at `level` (rejects if it could not be set). Changes of one line take effect in the order asked. */
  set(level: Level): Promise<void>;
}

export interface GpioInput {
  /** The level last seen on the line. */
  read(): Level;
  /** Called on every change of level; returns an unsubscribe function. */
  onChange(fn: (level: Level) => void): () => void;
}

export interface GpioPins {
  /** What the pins are, for messages: "gpiochip0" or "sx1262 twin". */
  readonly name: string;
  output(offset: number, initial: Level): Promise<GpioOutput>;
  input(offset: number): Promise<GpioInput>;
  /**
   * Called when the pins stopped working on their own after they were opened (a helper process
   * died: outputs no longer held, or no edges arriving). Only closing and opening them again helps.
   */
  onFault?(fn: (err: Error) => void): () => void;
  close(): Promise<void>;
}

/** Resolves true once `line` reads `level`, false after `timeoutMs` (no polling: change events). */
export function waitForLevel(line: GpioInput, level: Level, timeoutMs: number, scheduler: Scheduler): Promise<boolean> {
  if (line.read() === level) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = scheduler.schedule(timeoutMs, () => {
      off();
      resolve(line.read() === level);
    });
    const off = line.onChange((v) => {
      if (v !== level) return;
      timer.cancel();
      off();
      resolve(true);
    });
  });
}
