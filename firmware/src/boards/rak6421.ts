// RAK6421 WisBlock Pi HAT with a RAK13300 (SX1262, +22 dBm) or RAK13302 (SX1262 with a 1 W PA) in
// IO slot 1 or 2. The slots differ in chip select and pins; the modules in output power.

import type { BoardProfile } from './board-profile.ts';

const SOURCES = [
  'RAKwireless RAK6421 WisBlock Pi HAT datasheet: IO slot signals (IO3..IO6) and their Raspberry Pi GPIOs',
  'RAKwireless RAK13300 / RAK13302 datasheets: SX1262 with TCXO on DIO3 and DIO2 RF switch; RAK13302 adds a PA of about 8 dB',
  'Meshtastic meshtasticd bin/config.d/lora-RAK6421-13300-slot1.yaml, -slot2.yaml, lora-RAK6421-13302-slot1.yaml',
];

const SLOTS: Record<1 | 2, { chipSelect: number; pins: BoardProfile['pins'] }> = {
  1: { chipSelect: 0, pins: { reset: 16, busy: 24, irq: 22, enable: [12, 13] } },
  2: { chipSelect: 1, pins: { reset: 24, busy: 19, irq: 18 } },
};

function rak6421(module: 'rak13300' | 'rak13302', slot: 1 | 2): BoardProfile {
  const s = SLOTS[slot];
  return {
    name: `rak6421-${module}-slot${slot}`,
    title: `RAK6421 Pi HAT with ${module.toUpperCase()} in IO slot ${slot}`,
    chip: 'sx1262',
    spi: { bus: 0, chipSelect: s.chipSelect, speedHz: 2_000_000 },
    gpioChip: 'auto',
    pins: { ...s.pins, ...(s.pins.enable ? { enable: [...s.pins.enable] } : {}) },
    tcxoVoltage: 1.8,
    dio2AsRfSwitch: true,
    maxChipPowerDbm: 22,
    paGainDb: module === 'rak13302' ? 8 : 0,
    frequencyRangeMhz: [863, 928],
    sources: SOURCES,
    notes: [
      'Slot 1 uses CE0 (/dev/spidev0.0), slot 2 CE1 (/dev/spidev0.1). RESET of slot 2 (GPIO 24) is BUSY of slot 1: two radios in both slots need distinct wiring that this profile does not cover.',
      slot === 1
        ? 'Enable lines: the current meshtasticd slot-1 profiles hold GPIO 12 and 13 high (module power and IO3 antenna-switch supply); an earlier RAK6421 profile did not. We hold them high: a radio without them hears nothing.'
        : 'Slot 2 needs no enable lines in the meshtasticd profile; the antenna-switch supply (IO3, GPIO 23) is left alone as there.',
      module === 'rak13302'
        ? 'RAK13302: the chip drives a PA of about +8 dB (meshtasticd TX_GAIN_LORA 8), so asking for 30 dBm sets the chip to 22 dBm. Regional limits still apply: the region rules cap --tx-power.'
        : 'RAK13300: +22 dBm from the chip, no external PA.',
      'TCXO at 1.8 V: meshtasticd sets DIO3_TCXO_VOLTAGE: true, which means 1.8 V.',
    ],
  };
}

export const rak6421Boards: BoardProfile[] = [rak6421('rak13300', 1), rak6421('rak13300', 2), rak6421('rak13302', 1), rak6421('rak13302', 2)];
