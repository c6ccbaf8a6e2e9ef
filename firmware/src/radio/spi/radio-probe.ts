// `unibos radio probe`: finds the board's chip and says what is wrong when it cannot, one check
// at a time, each failure with the fix (enable SPI, install libgpiod's tools, check RESET, ...).
// Against the twin it runs the same driver code over the emulated chip.

import { existsSync } from 'node:fs';
import { REGIONS, timeOnAirMs, MESH_MAX_FRAME, type LoRaParams } from '@unibos/mesh-protocol';
import { chipPowerDbm, type BoardProfile } from '../../boards/board-profile.ts';
import { FirmwareError } from '../../firmware-error.ts';
import { CountingSpiBus } from './spi-bus.ts';
import type { OpenChipLink } from './chip-link.ts';
import { enableSpiFix, spiDevicePath } from './spi-device-bus.ts';
import { headerChip, listGpioChips } from './gpiod-tools-pins.ts';
import { hardwareLink, makeChip, makeTwin } from './spi-radio-factory.ts';
import type { LoraChip } from './lora-chip.ts';

export interface ProbeStep {
  ok: boolean;
  what: string;
  /** What to change when it failed. */
  fix?: string;
}

export interface ProbeReport {
  board: BoardProfile;
  /** Lines describing the board and the frequency plan. */
  summary: Array<[string, string]>;
  steps: ProbeStep[];
  ok: boolean;
  /** SPI frames the probe sent. */
  commands: number;
}

export interface ProbeOptions {
  board: BoardProfile;
  params: LoRaParams;
  region: keyof typeof REGIONS;
  preset: string;
  /** Probe the board's register-level twin instead of the hardware. */
  twin?: boolean;
  exists?: (path: string) => boolean;
}

export async function probeRadio(o: ProbeOptions): Promise<ProbeReport> {
  const { board, params } = o;
  const steps: ProbeStep[] = [];
  const summary = describe(o);
  let commands = 0;
  const finish = (): ProbeReport => ({ board, summary, steps, ok: steps.every((s) => s.ok), commands });

  let open: OpenChipLink;
  if (o.twin) {
    const twin = makeTwin(board);
    open = async () => twin.link();
    steps.push({ ok: true, what: `emulated ${board.chip.toUpperCase()} (register-level twin) instead of ${spiDevicePath(board)}` });
  } else {
    const path = spiDevicePath(board);
    if (!(o.exists ?? existsSync)(path)) {
      steps.push({ ok: false, what: `${path} not found`, fix: enableSpiFix(board) });
      return finish();
    }
    steps.push({ ok: true, what: `${path} present` });
    try {
      const chips = await listGpioChips();
      const found = board.gpioChip === 'auto' ? headerChip(chips) : chips.find((c) => c.name === board.gpioChip);
      if (!found) {
        steps.push({ ok: false, what: `GPIO chip ${board.gpioChip === 'auto' ? 'of the 40-pin header' : board.gpioChip} not found (have: ${chips.map((c) => `${c.name} [${c.label}]`).join(', ') || 'none'})`, fix: 'set "gpioChip" in a custom board profile to the chip gpiodetect lists for the header' });
        return finish();
      }
      steps.push({ ok: true, what: `GPIO lines on ${found.name} [${found.label}]` });
    } catch (err) {
      steps.push({ ok: false, what: 'cannot list GPIO chips', fix: (err as Error).message });
      return finish();
    }
    open = hardwareLink(board);
  }

  let counting: CountingSpiBus | undefined;
  const chip: LoraChip = makeChip(board, async () => {
    const link = await open();
    counting = new CountingSpiBus(link.bus);
    return { bus: counting, pins: link.pins };
  });
  try {
    try {
      await chip.open();
    } catch (err) {
      steps.push({ ok: false, what: 'cannot open the SPI device or GPIO lines', fix: (err as Error).message });
      return finish();
    }
    const step = async (what: string, fix: (err: FirmwareError) => string, fn: () => Promise<string | void>): Promise<boolean> => {
      try {
        const detail = await fn();
        steps.push({ ok: true, what: detail ? `${what}: ${detail}` : what });
        return true;
      } catch (err) {
        const e = err instanceof FirmwareError ? err : new FirmwareError('E_MODEM_ERROR', String((err as Error).message ?? err));
        steps.push({ ok: false, what: `${what}: ${e.message}`, fix: fix(e) });
        return false;
      }
    };
    const busyFix = (e: FirmwareError): string =>
      /BUSY/.test(e.message) ? `BUSY never went low: check the RESET pin (GPIO ${board.pins.reset}) and BUSY pin (GPIO ${board.pins.busy}) in the profile, and that the HAT is seated` : e.message;
    if (!(await step('reset', busyFix, () => chip.reset()))) return finish();
    if (
      !(await step(
        'chip answers',
        (e) => (/MISO|answered|RegVersion/.test(e.message) ? `${e.message}${board.spi.overlay ? `; this board needs "${board.spi.overlay}" in config.txt` : ''}` : busyFix(e)),
        async () => {
          const id = await chip.identify();
          return `${id.chip}, ${id.evidence}`;
        },
      ))
    ) {
      return finish();
    }
    if (!(await step('configured for LoRa', busyFix, () => chip.configure(params)))) return finish();
    await step(
      'device errors',
      () => (board.tcxoVoltage === undefined ? 'the oscillator did not start: if the module has a TCXO, set "tcxoVoltage" (1.8 is usual) in a custom profile' : `the oscillator did not start: check "tcxoVoltage" (${board.tcxoVoltage} V) against the module's datasheet`),
      async () => {
        const errors = await chip.deviceErrors();
        if (errors.length > 0) throw new FirmwareError('E_MODEM_ERROR', errors.join(', '));
        return 'none';
      },
    );
    await step('listening', busyFix, async () => {
      await chip.receive();
      return `chip mode ${await chip.mode()}`;
    });
  } finally {
    commands = counting?.transfers ?? 0;
    await chip.close();
  }
  return finish();
}

function describe(o: ProbeOptions): Array<[string, string]> {
  const { board: b, params: p } = o;
  const pins = [`RESET GPIO ${b.pins.reset}`, b.pins.busy !== undefined ? `BUSY GPIO ${b.pins.busy}` : undefined, `${b.chip === 'sx1276' ? 'DIO0' : 'DIO1'} GPIO ${b.pins.irq}`, b.pins.txEnable !== undefined ? `TXEN GPIO ${b.pins.txEnable}` : undefined, b.pins.rxEnable !== undefined ? `RXEN GPIO ${b.pins.rxEnable}` : undefined, b.pins.enable?.length ? `held high: GPIO ${b.pins.enable.join(', ')}` : undefined].filter(Boolean).join(', ');
  const chipPower = chipPowerDbm(b, p.txPowerDbm);
  const rules = REGIONS[o.region];
  const longest = timeOnAirMs(p, MESH_MAX_FRAME);
  return [
    ['board', `${b.title} (${b.name})`],
    ['chip', `${b.chip.toUpperCase()} on ${spiDevicePath(b)} at ${b.spi.speedHz / 1e6} MHz${b.spi.overlay ? ` (needs ${b.spi.overlay})` : ''}`],
    ['pins', `${pins} (gpio chip ${b.gpioChip})`],
    ['rf', [b.tcxoVoltage !== undefined ? `TCXO ${b.tcxoVoltage} V on DIO3` : b.chip === 'sx1276' ? 'crystal' : 'crystal (no TCXO)', b.dio2AsRfSwitch ? 'DIO2 switches the antenna' : b.pins.txEnable !== undefined ? 'TXEN/RXEN switch the antenna' : undefined, b.paGainDb > 0 ? `external PA +${b.paGainDb} dB` : 'no external PA'].filter(Boolean).join('; ')],
    ['plan', `${o.region} ${o.preset}: ${(p.frequencyHz / 1e6).toFixed(3)} MHz, SF${p.sf}, ${p.bandwidthHz / 1000} kHz, CR 4/${4 + p.codingRate}, ${chipPower + b.paGainDb} dBm out (chip ${chipPower} dBm)`],
    ['airtime', `a ${MESH_MAX_FRAME}-byte frame takes ${Math.round(longest)} ms; duty cycle ${Math.round(rules.dutyCycle * 100)} %${'maxDwellMs' in rules ? `, dwell limit ${rules.maxDwellMs} ms` : ''} (the mesh protocol's rules)`],
  ];
}
