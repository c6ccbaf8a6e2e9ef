// How a chip driver reaches its chip: a SPI bus and GPIO pins, opened together when the radio
// opens (and again after it closed). The real link opens /dev/spidev and the GPIO character
// device; a twin's link hands out the emulator's own bus and pins.

import type { SpiBus } from './spi-bus.ts';
import type { GpioPins } from './gpio-pins.ts';

export interface ChipLink {
  bus: SpiBus;
  pins: GpioPins;
}

/** Opens the bus and the pins; rejects with E_MODEM_UNAVAILABLE and a fix when either is missing. */
export type OpenChipLink = () => Promise<ChipLink>;
