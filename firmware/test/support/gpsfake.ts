// A real gpsd fed from a recorded NMEA log by gpsfake (Debian package gpsd-clients), so the gpsd
// client is tested against gpsd itself rather than against our idea of its protocol.

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
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
 *
 * Resolves once gpsd reads the pty, so every sentence released from then on reaches gpsd:
 * - -n (as the node's own gpsd runs, GPSD_OPTIONS="-n") makes gpsd open and probe the receiver when
 *   it is added, not when a client first watches. Opening and probing flush the tty for about a
 *   second, which swallowed whatever gpsfake had played meanwhile.
 * - gpsfake adds the pty through gpsd's control socket as soon as the socket's file exists, which
 *   gpsd creates a moment before it listens on it. A connection refused there is dropped without a
 *   word, gpsd never gets the receiver and the whole log is played to nobody; so once gpsd says it
 *   is listening, its device list is checked and the pty added if missing.
 */
export async function startGpsfake(log: string, port: number, dir: string): Promise<Gpsfake> {
  // -D 3: gpsd logs "listening on port" (to gpsfake's stderr) once its control socket and port both listen.
  const child = spawn('gpsfake', ['-n', '-D', '3', '-P', String(port), '-1', '-c', '0.1', '-q', '-i', '-W', '1', log], {
    // Its own process group, so one kill reaches the gpsd it started.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: dir },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.on('error', () => undefined); // it may exit before we stop writing
  // Both gpsd listening and gpsfake's first prompt, which comes after gpsfake's attempt to add the pty.
  await new Promise<void>((resolve, reject) => {
    let prompted = false;
    let listening = false;
    let seen = '';
    let logged = '';
    const settle = (): void => {
      if (!prompted || !listening) return;
      child.stdout!.off('data', onStdout);
      child.stderr!.off('data', onStderr);
      child.off('exit', onExit);
      resolve();
    };
    const onStdout = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      prompted ||= /line 1:/.test(seen);
      settle();
    };
    const onStderr = (chunk: Buffer): void => {
      logged = (logged + chunk.toString('latin1')).slice(-4096);
      listening ||= /gpsd:INFO: listening on port/.test(logged);
      settle();
    };
    const onExit = (code: number | null): void => reject(new Error(`gpsfake exited (${code}) before it was ready: ${seen.slice(-500)} ${logged.slice(-500)}`));
    child.stdout!.on('data', onStdout);
    child.stderr!.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', (err) => reject(new Error(`cannot run gpsfake (Debian package gpsd-clients): ${err.message}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const control = join(dir, `gpsfake-${child.pid}.sock`);
  try {
    // gpsfake's add is the only one, so an empty list means it was lost. With -n, gpsd answers an add
    // only once it has opened and probed the pty.
    const devices = (await gpsdControl(control, '?devices')).split('\n').filter((path) => path !== '');
    if (devices.length === 0) await gpsdControl(control, `+${playedPty(child.pid!)}`);
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
    throw err;
  }
  return {
    release: (lines) => {
      child.stdin!.write('\n'.repeat(lines));
    },
    unplug: async () => {
      const paths = await gpsdDevices(port);
      for (const path of paths) await gpsdControl(control, `-${path}`);
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

/**
 * The pty gpsfake plays into. It holds two: the pair it opens at start only to see that ptys work
 * (and never closes), and the one for the receiver, the only one it makes readable by all (0666).
 */
function playedPty(pid: number): string {
  const ptys = readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return /^\/dev\/pts\/\d+$/.test(target) && (statSync(target).mode & 0o777) === 0o666 ? [target] : [];
    } catch {
      return [];
    }
  });
  if (ptys.length !== 1) throw new Error(`gpsfake ${pid} holds ${ptys.length} ptys open to all, not one: ${ptys.join(', ')}`);
  return ptys[0]!;
}

/**
 * One command on gpsd's control socket (`-/dev/pts/3` removes a device, `+` adds one, `?devices` lists
 * them); resolves on its answer, which ends in OK, and rejects on ERROR.
 */
function gpsdControl(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let answer = '';
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`${command}\r\n\0`));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (!/(^|\n)(OK|ERROR)\n$/.test(answer)) return;
      socket.destroy();
      if (answer.endsWith('ERROR\n')) reject(new Error(`gpsd's control socket answered ${JSON.stringify(answer)} to ${command}`));
      else resolve(answer.slice(0, -'OK\n'.length));
    });
    socket.on('close', () => reject(new Error(`gpsd's control socket closed after ${JSON.stringify(answer)}, answering ${command}`)));
  });
}
