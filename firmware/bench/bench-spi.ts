// The SPI path's cost per LoRa frame, for the firmware bench: frames sent one at a time from one
// SX126x/SX127x driver to another over their register-level twins on a simulated medium.
//   commands per frame: SPI frames the sender's driver issues (CAD, buffer, TX, back to RX) and
//                       the receiver's (IRQ status, buffer status, read, packet status);
//   driver CPU per frame: process CPU for the run, minus the same traffic between two plain
//                       simulated radios (the medium's share) and minus the time spent inside
//                       the twins' SPI handling (the emulated chips' share);
//   time on air:        the driver's measured figure for a frame on a real-time air next to the
//                       model's (the simulated air's timers run in whole milliseconds, so it can
//                       read a little under the model; on hardware the chip's TxDone decides).

import { RealScheduler, SeededRandom, SimMedium, loraParams, type LoRaParams, type Scheduler, type TimerHandle } from '@unibos/mesh-protocol';
import type { BoardProfile } from '../src/boards/board-profile.ts';
import { SpiLoraRadio } from '../src/radio/spi/spi-lora-radio.ts';
import { makeChip, makeTwin } from '../src/radio/spi/spi-radio-factory.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';
import type { SpiBus } from '../src/radio/spi/spi-bus.ts';
import type { ManagedRadio } from '../src/node/managed-radio.ts';

/** The fastest common LoRa shape, so a few hundred frames take seconds. */
export const BENCH_SPI_PARAMS: LoRaParams = loraParams('ShortFast', { bandwidthHz: 500_000, preambleSymbols: 8, frequencyHz: 869_525_000 });

export interface SpiPathFigures {
  chip: string;
  frames: number;
  txCommandsPerFrame: number;
  rxCommandsPerFrame: number;
  /** Driver CPU, sender and receiver together, per frame, ms. */
  driverCpuMsPerFrame: number;
  /** Measured time on air over the model's, for the last frame. */
  airtimeMeasuredMs: number;
  airtimeModelMs: number;
}

/**
 * For the CPU figures the air does not wait out each frame's time on air: its timers fire on the
 * next turn of the event loop, so the run measures work rather than idle wake-ups. The drivers and
 * twins keep real time. Time on air is measured in a separate run on a real-time air.
 */
class NoWaitScheduler implements Scheduler {
  private readonly real = new RealScheduler();
  now(): number {
    return this.real.now();
  }
  schedule(_delayMs: number, fn: () => void): TimerHandle {
    const t = setImmediate(fn);
    return { cancel: () => clearImmediate(t) };
  }
}

function medium(realTime: boolean): SimMedium {
  return new SimMedium({ params: BENCH_SPI_PARAMS, scheduler: realTime ? new RealScheduler() : new NoWaitScheduler(), random: new SeededRandom(3), link: () => ({ rssi: -90, snr: 8 }) });
}

/** Sends `frames` frames a->b one at a time; resolves when the last one has been received. */
async function traffic(a: ManagedRadio, b: ManagedRadio, frames: number): Promise<number> {
  let received = 0;
  let done = 0;
  let wake: (() => void) | undefined;
  b.attach({ onReceive: () => (received++, wake?.()), onTransmitDone: () => undefined });
  a.attach({ onReceive: () => undefined, onTransmitDone: () => (done++, wake?.()) });
  const payload = new Uint8Array(16).map((_, i) => i);
  const t0 = process.cpuUsage();
  for (let i = 1; i <= frames; i++) {
    a.transmit(payload);
    // The next frame goes once this one was heard and the sender is back in receive.
    while (received < i || done < i) await new Promise<void>((resolve) => (wake = resolve));
  }
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1000;
}

export async function measureSimBaseline(frames: number): Promise<number> {
  const m = medium(false);
  const s = new RealScheduler();
  const a = new SimManagedRadio(m.radio(1), s);
  const b = new SimManagedRadio(m.radio(2), s);
  await a.open();
  await b.open();
  return traffic(a, b, frames);
}

export async function measureSpiPath(board: BoardProfile, frames: number, baselineCpuMs: number): Promise<SpiPathFigures> {
  const cpu = await run(board, frames, false);
  const air = await run(board, AIRTIME_FRAMES, true);
  return {
    chip: board.chip.toUpperCase(),
    frames,
    txCommandsPerFrame: cpu.txCommands / frames,
    rxCommandsPerFrame: cpu.rxCommands / frames,
    driverCpuMsPerFrame: Math.max(0, cpu.cpuMs - baselineCpuMs - cpu.twinMs) / frames,
    airtimeMeasuredMs: air.measuredMs,
    airtimeModelMs: air.modelMs,
  };
}

/** Frames sent on a real-time air to read the driver's measured time on air. */
const AIRTIME_FRAMES = 5;

async function run(board: BoardProfile, frames: number, realTime: boolean) {
  const m = medium(realTime);
  let twinMs = 0;
  const sides = [1, 2].map((id) => {
    const twin = makeTwin(board, { antenna: m.radio(id) });
    const counter = { transfers: 0 };
    const chip = makeChip(board, async () => {
      const link = twin.link();
      const timed: SpiBus = {
        name: link.bus.name,
        transfer: (tx) => {
          counter.transfers++;
          const t = performance.now();
          const p = link.bus.transfer(tx);
          twinMs += performance.now() - t;
          return p;
        },
        close: () => link.bus.close(),
      };
      return { bus: timed, pins: link.pins };
    });
    return { twin, counter, radio: new SpiLoraRadio({ chip, params: BENCH_SPI_PARAMS, board: board.name, healthCheckMs: 0, random: () => 0.5 }) };
  });
  const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
  await a.radio.open();
  await b.radio.open();
  const txBefore = a.counter.transfers;
  const rxBefore = b.counter.transfers;
  twinMs = 0;
  const cpuMs = await traffic(a.radio, b.radio, frames);
  const result = {
    txCommands: a.counter.transfers - txBefore,
    rxCommands: b.counter.transfers - rxBefore,
    cpuMs,
    twinMs,
    measuredMs: a.radio.stats.lastTimeOnAirMs,
    modelMs: a.radio.stats.lastModelTimeOnAirMs,
  };
  await a.radio.close();
  await b.radio.close();
  a.twin.dispose();
  b.twin.dispose();
  return result;
}
