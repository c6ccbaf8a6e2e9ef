// Builds SPI radios on register-level twins attached to an in-process simulated medium on real
// time: the drivers, the twins and the air are the real code; only the copper is simulated.

import { RealScheduler, SeededRandom, SimMedium, type LoRaParams, type Link } from '@unibos/mesh-protocol';
import type { BoardProfile } from '../../src/boards/board-profile.ts';
import { SpiLoraRadio, type SpiLoraRadioOptions } from '../../src/radio/spi/spi-lora-radio.ts';
import { CountingSpiBus } from '../../src/radio/spi/spi-bus.ts';
import { makeTwin, makeChip, type ChipTwin } from '../../src/radio/spi/spi-radio-factory.ts';

export interface TwinRadio {
  twin: ChipTwin;
  radio: SpiLoraRadio;
  bus: CountingSpiBus;
}

export function realMedium(params: LoRaParams, link: (from: number, to: number) => Link | null = () => ({ rssi: -92.5, snr: 6.25 })): SimMedium {
  return new SimMedium({ params, scheduler: new RealScheduler(), random: new SeededRandom(1), link });
}

export async function twinRadio(
  medium: SimMedium,
  id: number,
  board: BoardProfile,
  params: LoRaParams,
  options: Partial<SpiLoraRadioOptions> = {},
  chipOptions: { busyTimeoutMs?: number } = {},
  twinOptions: { gpioDelayMs?: number; inputDelayMs?: number } = {},
): Promise<TwinRadio> {
  const twin = makeTwin(board, { antenna: medium.radio(id), ...twinOptions });
  let bus: CountingSpiBus | undefined;
  const counting = async () => {
    const link = twin.link();
    bus = new CountingSpiBus(link.bus);
    return { bus, pins: link.pins };
  };
  const chip = makeChip(board, counting, chipOptions);
  const radio = new SpiLoraRadio({ chip, params, board: board.name, healthCheckMs: 0, reconnectMinMs: 10, reconnectMaxMs: 100, txMarginMs: 500, random: () => 0.5, ...options });
  await radio.open();
  return { twin, radio, get bus() { return bus!; } };
}
