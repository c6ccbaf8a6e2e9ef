// A virtual null-modem cable from socat, so serial drivers (LoRa modem, NMEA receiver) are tested on
// real ptys: the driver opens `hostPath`, the emulated device or a test feed opens `devicePath`.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `unplug()` kills socat (both ends see the port vanish, as with a pulled USB adapter); `plug()`
 * brings the same paths back, as when the device is plugged in again.
 */
export class PtyPair {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly hostPath: string,
    readonly devicePath: string,
  ) {}

  static async create(): Promise<PtyPair> {
    const dir = await mkdtemp(join(tmpdir(), 'unibos-pty-'));
    const pair = new PtyPair(dir, join(dir, 'host'), join(dir, 'device'));
    await pair.plug();
    return pair;
  }

  /** Starts socat and resolves once it reports the data loop running with both links in place. */
  async plug(): Promise<void> {
    if (this.proc) return;
    const proc = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    const stderr = proc.stderr!;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const finish = (err?: Error): void => {
        clearTimeout(guard);
        stderr.off('data', onData);
        proc.off('exit', onExit);
        proc.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('starting data transfer loop') && existsSync(this.hostPath) && existsSync(this.devicePath)) finish();
      };
      const onExit = (code: number | null): void => finish(new Error(`socat exited (${code}) before the pty pair was up: ${log}`));
      const onError = (err: Error): void => finish(new Error(`cannot run socat (Debian package socat): ${err.message}`, { cause: err }));
      const guard = setTimeout(() => finish(new Error(`socat did not bring the pty pair up within 5 s: ${log}`)), 5000);
      stderr.on('data', onData);
      proc.once('exit', onExit);
      proc.once('error', onError);
    }).catch(async (err: unknown) => {
      await this.unplug();
      throw err;
    });
    // Keep draining socat's log so it never blocks on a full pipe.
    stderr.resume();
  }

  /** Kills socat and waits for it to exit; the link paths disappear with it. */
  async unplug(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      });
    }
    await rm(this.hostPath, { force: true });
    await rm(this.devicePath, { force: true });
  }

  async dispose(): Promise<void> {
    await this.unplug();
    await rm(this.dir, { recursive: true, force: true });
  }
}
