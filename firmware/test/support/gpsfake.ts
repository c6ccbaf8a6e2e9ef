// A real gpsd fed from a recorded NMEA log by gpsfake (Debian package gpsd-clients), so the gpsd
// client is tested against gpsd itself rather than against our idea of its protocol.

import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';

export interface Gpsfake {
  /** Lets gpsfake play `lines` more sentences (it waits for a newline before each one). */
  release(lines: number): void;
  /**
   * gpsd lets go of the receiver as it does when one is unplugged (its deactivate_device(): watchers
   * get only `{"class":"DEVICE","activated":0}`), through gpsd's control socket. gpsfake then sees
   * its receiver gone and ends, taking its gpsd with it a moment later.
   */
  unplug(): Promise<void>;
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
    unplug: async () => {
      const paths = await gpsdDevices(port);
      for (const path of paths) await gpsdControl(join(dir, `gpsfake-${child.pid}.sock`), `-${path}`);
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      await exited;
      // gpsd exports fixes in a SysV shared-memory segment keyed by port and, having dropped root, cannot remove it.
      spawnSync('ipcrm', ['-M', `0x4770${port.toString(16).padStart(4, '0')}`], { stdio: 'ignore' });
    },
  };
}

/** The paths of the receivers gpsd on `port` has, from its ?DEVICES answer. */
function gpsdDevices(port: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('connect', () => socket.write('?DEVICES;\n'));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        if (!line.includes('"class":"DEVICES"')) continue;
        const { devices } = JSON.parse(line) as { devices: Array<{ path: string }> };
        socket.destroy();
        resolve(devices.map((d) => d.path));
        return;
      }
    });
  });
}

/** One command on gpsd's control socket (`-/dev/pts/3` removes a device); resolves on its answer. */
function gpsdControl(path: string, command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${command}\r\n\0`));
    socket.once('data', (answer) => {
      socket.destroy();
      if (String(answer).startsWith('OK')) resolve();
      else reject(new Error(`gpsd's control socket answered ${JSON.stringify(String(answer))} to ${command}`));
    });
  });
}
