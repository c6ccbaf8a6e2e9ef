// The real SPI bus: /dev/spidev<bus>.<cs> through the `spi-device` addon (an optional dependency,
// loaded only when a board is opened, so machines without it still run `unibos node --radio sim`).

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FirmwareError } from '../../firmware-error.ts';
import type { BoardProfile } from '../../boards/board-profile.ts';
import type { SpiBus } from './spi-bus.ts';

interface SpiDeviceHandle {
  transfer(message: Array<{ byteLength: number; sendBuffer: Buffer; receiveBuffer: Buffer; speedHz: number }>, cb: (err: Error | null | undefined) => void): void;
  close(cb: (err: Error | null | undefined) => void): void;
}
interface SpiDeviceModule {
  openSync(bus: number, device: number, options: { mode: number; maxSpeedHz: number }): SpiDeviceHandle;
}

export function spiDevicePath(board: BoardProfile): string {
  return `/dev/spidev${board.spi.bus}.${board.spi.chipSelect}`;
}

/** The fix for a missing SPI device node, with the board's chip-select overlay when it needs one. */
export function enableSpiFix(board: BoardProfile): string {
  if (!board.spi.overlay) return 'enable SPI (dtparam=spi=on in /boot/firmware/config.txt) and reboot';
  return `enable SPI (dtparam=spi=on in /boot/firmware/config.txt) and add "${board.spi.overlay}" (this board's chip select is not a CE pin), then reboot`;
}

export function enableSpiHint(board: BoardProfile): string {
  return `${spiDevicePath(board)} not found: ${enableSpiFix(board)}`;
}

export async function openSpiDevice(board: BoardProfile, paths: { exists: (p: string) => boolean } = { exists: existsSync }): Promise<SpiBus> {
  const path = spiDevicePath(board);
  if (!paths.exists(path)) throw new FirmwareError('E_MODEM_UNAVAILABLE', enableSpiHint(board));
  let mod: SpiDeviceModule;
  try {
    mod = createRequire(import.meta.url)('spi-device') as SpiDeviceModule;
  } catch (err) {
    throw new FirmwareError('E_MODEM_UNAVAILABLE', `the spi-device module is missing or did not build (${(err as Error).message.split('\n')[0]}): run \`npm rebuild spi-device\` (needs build-essential)`, { cause: err });
  }
  let device: SpiDeviceHandle;
  try {
    device = mod.openSync(board.spi.bus, board.spi.chipSelect, { mode: 0, maxSpeedHz: board.spi.speedHz });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FirmwareError('E_MODEM_UNAVAILABLE', enableSpiHint(board), { cause: err });
    if (code === 'EACCES') throw new FirmwareError('E_MODEM_UNAVAILABLE', `permission denied on ${path}: add the service user to the spi group (sudo usermod -aG spi $USER) and log in again`, { cause: err });
    throw new FirmwareError('E_MODEM_UNAVAILABLE', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  return {
    name: path,
    transfer: (tx) =>
      new Promise((resolve, reject) => {
        const sendBuffer = Buffer.from(tx);
        const receiveBuffer = Buffer.alloc(tx.length);
        device.transfer([{ byteLength: tx.length, sendBuffer, receiveBuffer, speedHz: board.spi.speedHz }], (err) => {
          if (err) reject(new FirmwareError('E_MODEM_UNAVAILABLE', `SPI transfer on ${path} failed: ${err.message}`, { cause: err }));
          else resolve(new Uint8Array(receiveBuffer));
        });
      }),
    close: () => new Promise((resolve) => device.close(() => resolve())),
  };
}
