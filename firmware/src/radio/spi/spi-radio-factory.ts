// Which driver and which twin go with a board's chip: one place that knows SX126x from SX127x.

import type { Radio, Scheduler } from '@unibos/mesh-protocol';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { OpenChipLink } from './chip-link.ts';
import type { LoraChip } from './lora-chip.ts';
import { Sx126xChip } from './sx126x-chip.ts';
import { Sx126xTwin } from './sx126x-twin.ts';
import { Sx127xChip } from './sx127x-chip.ts';
import { Sx127xTwin } from './sx127x-twin.ts';

export type ChipTwin = Sx126xTwin | Sx127xTwin;

export function makeChip(board: BoardProfile, link: OpenChipLink, options: { scheduler?: Scheduler; busyTimeoutMs?: number } = {}): LoraChip {
  return board.chip === 'sx1276' ? new Sx127xChip({ board, link, ...options }) : new Sx126xChip({ board, link, ...options });
}

export function makeTwin(board: BoardProfile, options: { antenna?: Radio; scheduler?: Scheduler } = {}): ChipTwin {
  return board.chip === 'sx1276' ? new Sx127xTwin({ board, ...options }) : new Sx126xTwin({ board, ...options });
}
