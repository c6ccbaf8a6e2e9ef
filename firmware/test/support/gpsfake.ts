// A real gpsd fed from a recorded NMEA log by gpsfake (Debian package gpsd-clients), so the gpsd
// client is tested against gpsd itself rather than against our idea of its protocol.

import { spawn, spawnSync } from 'node:child_process';

export interface Gpsfake {
  /** Lets gpsfake play `lines` more sentences (it waits for a newline before each one). */
  release(lines: number): void;
  /** Kills gpsfake and its gpsd; resolves when they are gone. */
  kill(): Promise<void>;
}

/**
 * gpsfake starts its own gpsd on `port` and plays `log` into it over a pty. -i makes it wait for a
 * newline on stdin before each sentence, so no sentence goes out before the client under test is
 * watching; -W 1 makes it exit 1 s after the log ends instead of spinning for the default 60 s.
 * `dir` is a scratch directory for gpsd's control socket.
 */
export async function startGpsfake(log: string, port: number, dir: string): Promise<Gpsfake> {
  const child = spawn('gpsfake', ['-P', String(port), '-1', '-c', '0.1', '-q', '-i', '-W', '1', log], {
    // Its own process group, so one kill reaches the gpsd it started.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: dir },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.on('error', () => undefined); // it may exit before we stop writing
  child.stderr!.resume();
  // The first prompt comes after gpsd is listening and has the pty as a device.
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (/line 1:/.test(seen)) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`gpsfake exited (${code}) before it was ready: ${seen.slice(-500)}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => reject(new Error(`cannot run gpsfake (Debian package gpsd-clients): ${err.message}`)));
  });
  child.stdout!.resume();
  return {
    release: (lines) => {
      child.stdin!.write('\n'.repeat(lines));
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      await exited;
      // gpsd exports fixes in a SysV shared-memory segment keyed by port and, having dropped root, cannot remove it.
      spawnSync('ipcrm', ['-M', `0x4770${port.toString(16).padStart(4, '0')}`], { stdio: 'ignore' });
    },
  };
}
