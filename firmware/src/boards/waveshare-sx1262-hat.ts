// Waveshare "SX1262 XXXM LoRaWAN/GNSS HAT" (868M and 915M versions; the 433/470 ones carry an
// SX1268): a Core1262 module on SPI0 with its NSS on GPIO 21, not on a CE line.

import type { BoardProfile } from './board-profile.ts';

export const waveshareSx1262Hat: BoardProfile = {
  name: 'waveshare-sx1262-hat',
  title: 'Waveshare SX1262 LoRaWAN/GNSS HAT (868M/915M)',
  chip: 'sx1262',
  spi: { bus: 0, chipSelect: 0, speedHz: 2_000_000, overlay: 'dtoverlay=spi0-1cs,cs0_pin=21' },
  gpioChip: 'auto',
  pins: { reset: 18, busy: 20, irq: 16 },
  dio2AsRfSwitch: true,
  maxChipPowerDbm: 22,
  paGainDb: 0,
  frequencyRangeMhz: [850, 930],
  sources: [
    'Waveshare wiki, SX1262 XXXM LoRaWAN/GNSS HAT: schematic and pin table (NSS GPIO21, BUSY GPIO20, RESET GPIO18, DIO1 GPIO16)',
    'Meshtastic meshtasticd bin/config.d/lora-waveshare-sxxx.yaml (CS 21, IRQ 16, Busy 20, Reset 18, DIO2_AS_RF_SWITCH)',
  ],
  notes: [
    'NSS is wired to GPIO 21, which is no hardware chip select: the kernel drives it as CE0 with the overlay above; without it /dev/spidev0.0 toggles GPIO 8 and the chip never answers.',
    'Crystal or TCXO: meshtasticd configures no DIO3 TCXO for this HAT, while Meshtastic firmware variants built on the same Core1262 module set 1.8 V. We follow meshtasticd (no TCXO); if probe reports "XOSC start" device errors, set "tcxoVoltage": 1.8 in a custom profile.',
    'An older meshtasticd profile also drove GPIO 6 as an antenna switch (SX126X_ANT_SW: 6); Waveshare\'s pin table does not list it and DIO2 switches the RF path, so we leave GPIO 6 alone.',
  ],
};
