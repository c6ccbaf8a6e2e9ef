// A generic Ebyte E22-900M30S HAT (1 W SX1262 module; the MeshAdv-Pi pinout most such HATs copy):
// NSS on GPIO 21, host-driven TXEN/RXEN for the module's RF switch, TCXO on DIO3.

import type { BoardProfile } from './board-profile.ts';

export const e22900m30sHat: BoardProfile = {
  name: 'e22-900m30s-hat',
  title: 'Ebyte E22-900M30S HAT (MeshAdv-Pi pinout)',
  chip: 'sx1262',
  spi: { bus: 0, chipSelect: 0, speedHz: 2_000_000, overlay: 'dtoverlay=spi0-1cs,cs0_pin=21' },
  gpioChip: 'auto',
  pins: { reset: 18, busy: 20, irq: 16, txEnable: 13, rxEnable: 12 },
  tcxoVoltage: 1.8,
  dio2AsRfSwitch: false,
  maxChipPowerDbm: 22,
  paGainDb: 8,
  frequencyRangeMhz: [850, 930],
  sources: [
    'Ebyte E22-900M30S user manual: pin list (NSS, BUSY, DIO1, NRST, TXEN, RXEN), TCXO, 30 dBm output',
    'MeshAdv-Pi HAT schematic and Meshtastic meshtasticd bin/config.d/lora-MeshAdv-900M30S.yaml (CS 21, IRQ 16, Busy 20, Reset 18, TXen 13, RXen 12, DIO3_TCXO_VOLTAGE)',
  ],
  notes: [
    'The module switches its antenna between PA and LNA through TXEN/RXEN, driven here from the host; some home-made HATs instead tie DIO2 to TXEN. With such a board set "dio2AsRfSwitch": true and drop txEnable in a custom profile.',
    'PA gain: Ebyte rates the module at 30 dBm from about 22 dBm in; Meshtastic variants disagree (TX_GAIN_LORA 7 in one, "set tx_power to 13" in another). We take 8 dB, so --tx-power 30 asks 22 dBm of the chip. The E22-900M33S is driven harder: cap maxChipPowerDbm at 8 in a custom profile, as the meshtasticd file says.',
    'NSS on GPIO 21 needs the chip-select overlay above, as on the Waveshare HAT.',
  ],
};
