// Adafruit LoRa Radio Bonnet with OLED, RFM95W (868/915 MHz) or RFM96W (433 MHz): an SX1276/8 on
// CE1 with RESET on GPIO 25 and DIO0 on GPIO 22.

import type { BoardProfile } from './board-profile.ts';

export const adafruitRfm9xBonnet: BoardProfile = {
  name: 'adafruit-rfm9x-bonnet',
  title: 'Adafruit LoRa Radio Bonnet (RFM95W / RFM96W)',
  chip: 'sx1276',
  spi: { bus: 0, chipSelect: 1, speedHz: 2_000_000 },
  gpioChip: 'auto',
  pins: { reset: 25, irq: 22 },
  dio2AsRfSwitch: false,
  maxChipPowerDbm: 20,
  paGainDb: 0,
  frequencyRangeMhz: [410, 960],
  sources: [
    'Adafruit Learn, "Adafruit Radio Bonnets with OLED": pinout (CE1, RST GPIO25, DIO0 GPIO22; DIO1/DIO2 on GPIO23/24 are not used here)',
    'Meshtastic meshtasticd bin/config.d/lora-Adafruit-RFM9x.yaml (Module RF95, Reset 25, CS 7, IRQ 22)',
    'HopeRF RFM95W datasheet / Semtech SX1276 datasheet: RegVersion 0x12, PA_BOOST only, +20 dBm with PaDac',
  ],
  notes: [
    'CS 7 in meshtasticd is GPIO 7, which is CE1: /dev/spidev0.1.',
    'The RFM95W only brings out PA_BOOST: power is +2..+20 dBm (above +17 dBm through the high-power DAC). Adafruit\'s own library accepts up to 23 "dB" in its API but maps it to the same +20 dBm hardware limit.',
    'The 433 MHz bonnet (RFM96W) carries an SX1278: same registers, and the board\'s matching decides the band; set --frequency accordingly.',
  ],
};
