// Port watching: tells the modem or the NMEA GPS when its serial device node vanishes or comes back. Unplugging a
// USB adapter removes its device node, and killing socat its pty link. Reads on a hung-up pty
// return 0 bytes, which the serialport bindings retry forever instead of reporting, so the node
// vanishing is the only prompt sign; watching for it also makes a replug prompt.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type pino from 'pino';

/** How a directory is watched: `fs.watch`, or a test's wrapper around it. */
export type WatchDirectory = (dir: string, listener: (event: string, filename: string | null) => void) => FSWatcher;

/** Looks at the disk again when the directory to watch went meanwhile, at most this often in a row. */
const LOOK_AGAIN = 8;

export class DeviceNodeWatch {
  private watcher: FSWatcher | undefined;
  private lookAgain = LOOK_AGAIN;

  /** `onChange(present)` is called whenever the directory entry of `path` may have changed. */
  constructor(
    private readonly path: string,
    private readonly onChange: (present: boolean) => void,
    private readonly log: Pick<pino.Logger, 'debug'> | undefined,
    private readonly watchDirectory: WatchDirectory = (dir, listener) => watch(dir, listener),
  ) {}

  /**
   * Watches the device node's directory or, while that is missing, the nearest directory that exists:
   * /dev/serial/by-id vanishes with the last USB serial adapter and comes back with the next one.
   */
  start(): void {
    if (this.watcher) return;
    const parent = dirname(this.path);
    let dir = parent;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    // The one entry of `dir` that matters: the node itself, or the first missing directory on the way to it.
    const entry = dir === parent ? basename(this.path) : (relative(dir, this.path).split(sep)[0] ?? '');
    try {
      const watcher = this.watchDirectory(dir, (_event, filename) => {
        if (this.watcher !== watcher) return;
        // The watched directory went (its inotify watch dies with it), or the missing one came back: move.
        if (!existsSync(dir) || (dir !== parent && (filename === null || filename === entry))) {
          this.restart();
          this.onChange(existsSync(this.path));
        } else if (filename === null || filename === entry) {
          this.onChange(existsSync(this.path));
        }
      });
      watcher.on('error', () => {
        if (this.watcher === watcher) this.restart();
      });
      this.watcher = watcher;
      this.lookAgain = LOOK_AGAIN;
    } catch (err) {
      // The directory went between the look and the watch (the adapter unplugged): look again (a few
      // times: a directory that keeps vanishing, or a file system that says so of one that exists, must not recurse for ever).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.lookAgain-- > 0) return this.start();
      this.log?.debug({ err: err instanceof Error ? err.message : String(err) }, 'cannot watch the device node; relying on I/O errors and timeouts');
      return;
    }
    // The missing directory may have come between the look above and the watch (udev makes /dev/serial/by-id and
    // its link within microseconds): the watch would never hear of it, nor of the link inside it. Move on now.
    if (dir !== parent && existsSync(join(dir, entry))) {
      this.restart();
      this.onChange(existsSync(this.path));
    }
  }

  /** Watches afresh: after the port was reopened, the old watch may be on a directory that is gone. */
  restart(): void {
    this.stop();
    this.start();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
