// Port watching: tells the modem or the NMEA GPS when its serial device node vanishes or comes back. Unplugging a
// USB adapter removes its device node, and killing socat its pty link. Reads on a hung-up pty
// return 0 bytes, which the serialport bindings retry forever instead of reporting, so the node
// vanishing is the only prompt sign; watching for it also makes a replug prompt.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type pino from 'pino';

export class DeviceNodeWatch {
  private watcher: FSWatcher | undefined;

  /** `onChange(present)` is called whenever the directory entry of `path` may have changed. */
  constructor(
    private readonly path: string,
    private readonly onChange: (present: boolean) => void,
    private readonly log: Pick<pino.Logger, 'debug'> | undefined,
  ) {}

  start(): void {
    if (this.watcher) return;
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, filename) => {
        if (filename === null || filename === name) this.onChange(existsSync(this.path));
      });
      this.watcher.on('error', () => this.stop());
    } catch (err) {
      this.log?.debug({ err: err instanceof Error ? err.message : String(err) }, 'cannot watch the device node; relying on I/O errors and timeouts');
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
