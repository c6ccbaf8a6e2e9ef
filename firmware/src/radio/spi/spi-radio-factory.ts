// Which driver, twin and link go with a board: the one place that knows SX126x from SX127x and
// real copper from an emulated chip.

import type { LoRaParams, Radio, Scheduler } from '@unibos/mesh-protocol';
import type { Logger } from 'pino';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { OpenChipLink } from './chip-link.ts';
import type { LoraChip } from './lora-chip.ts';
import { Sx126xChip } from './sx126x-chip.ts';
import { Sx126xTwin } from './sx126x-twin.ts';
import { Sx127xChip } from './sx127x-chip.ts';
import { Sx127xTwin } from './sx127x-twin.ts';
import { SpiLoraRadio } from './spi-lora-radio.ts';
import { openSpiDevice } from './spi-device-bus.ts';
import { openGpiodPins } from './gpiod-tools-pins.ts';

export type ChipTwin = Sx126xTwin | Sx127xTwin;

export function makeChip(board: BoardProfile, link: OpenChipLink, options: { scheduler?: Scheduler; busyTimeoutMs?: number } = {}): LoraChip {
  return board.chip === 'sx1276' ? new Sx127xChip({ board, link, ...options }) : new Sx126xChip({ board, link, ...options });
}

export function makeTwin(board: BoardProfile, options: { antenna?: Radio; scheduler?: Scheduler; gpioDelayMs?: number; inputDelayMs?: number } = {}): ChipTwin {
  return board.chip === 'sx1276' ? new Sx127xTwin({ board, ...options }) : new Sx126xTwin({ board, ...options });
}

/** The real link: the board's /dev/spidev and its GPIO lines on the header's chip. */
export function hardwareLink(board: BoardProfile): OpenChipLink {
  return async () => {
    const bus = await openSpiDevice(board);
    try {
      const pins = await openGpiodPins(board.gpioChip);
      return { bus, pins };
    } catch (err) {
      await bus.close();
      throw err;
    }
  };
}

export interface SpiRadioBuild {
  radio: SpiLoraRadio;
  /** Present when the chip is emulated. */
  twin?: ChipTwin;
}

/**
 * The node's SPI radio for a board: on the real bus, or (`antenna` given) on the chip's
 * register-level twin attached to that antenna on the simulated air.
 */
export function buildSpiRadio(
  board: BoardProfile,
  params: LoRaParams,
  options: { antenna?: Radio; openAntenna?: () => Promise<void>; closeAntenna?: () => Promise<void>; logger?: Logger } = {},
): SpiRadioBuild {
  if (options.antenna) {
    const twin = makeTwin(board, { antenna: options.antenna });
    // The antenna joins the air when the radio opens and leaves it when the radio closes.
    const chip = makeChip(board, async () => {
      await options.openAntenna?.();
      const link = twin.link();
      return { pins: link.pins, bus: { name: link.bus.name, transfer: link.bus.transfer, close: async () => options.closeAntenna?.() } };
    });
    return { radio: new SpiLoraRadio({ chip, params, board: `${board.name} (twin)`, ...(options.logger ? { logger: options.logger } : {}) }), twin };
  }
  const chip = makeChip(board, hardwareLink(board));
  return { radio: new SpiLoraRadio({ chip, params, board: board.name, ...(options.logger ? { logger: options.logger } : {}) }) };
}
