// The boards `--board NAME` knows, and how a name or a path becomes a BoardProfile.

import { FirmwareError } from '../firmware-error.ts';
import { bcmLine } from '../gpio/bcm-pin.ts';
import { DEFAULT_PANEL_PINS } from '../gpio/johnny-five-panel.ts';
import { checkBoard, loadBoardFile, type BoardProfile } from './board-profile.ts';
import { adafruitRfm9xBonnet } from './adafruit-rfm9x-bonnet.ts';
import { e22900m30sHat } from './e22-900m30s-hat.ts';
import { rak6421Boards } from './rak6421.ts';
import { waveshareSx1262Hat } from './waveshare-sx1262-hat.ts';

export const BOARDS: readonly BoardProfile[] = [waveshareSx1262Hat, ...rak6421Boards, e22900m30sHat, adafruitRfm9xBonnet];

for (const b of BOARDS) checkBoard(b, b.name);

/** A built-in board by name, or a custom profile when the value looks like a path (has a / or ends in .json). */
export function resolveBoard(nameOrPath: string): BoardProfile {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.json')) return loadBoardFile(nameOrPath);
  const board = BOARDS.find((b) => b.name === nameOrPath);
  if (!board) {
    throw new FirmwareError('E_CONFIG', `unknown board "${nameOrPath}": choose one of ${BOARDS.map((b) => b.name).join(', ')}, or give the path of a JSON board profile`);
  }
  return board;
}

/** The SOS panel's pins (button, LED, buzzer) that `profile` drives too, by the panel's name for them: both cannot have a line. */
export function panelPinsTaken(profile: BoardProfile): string[] {
  const taken = new Set<number>([profile.pins.reset, profile.pins.irq, ...[profile.pins.busy, profile.pins.txEnable, profile.pins.rxEnable].filter((p): p is number => p !== undefined), ...(profile.pins.enable ?? [])]);
  return Object.entries(DEFAULT_PANEL_PINS).filter(([, pin]) => taken.has(bcmLine(pin))).map(([role, pin]) => `${String(pin)} (the ${role})`);
}
