// One process at a time holds a messenger device's state: two would each run their own ratchets
// from one saved state and reuse message keys (and the later save would roll the other's back). The
// lock is a listening socket the kernel frees when its process ends, crashed or not, so it is never
// left stuck; a second process asks it who holds it and is refused.

import { createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { say } from './cli-language.ts';

/** The process that holds a device, as it answers on its lock. */
export interface DeviceHolder {
  pid: number;
  command: string;
}

/** Another process uses this device's state: this one must send and save nothing. Exit code 1. */
export class DeviceInUse extends Error {
  override name = 'DeviceInUse';
}

/** Held for the life of the process (kept here so nothing closes it). */
const held = new Map<string, Server>();

/**
 * Takes the device in `dir` for this process (`command` is what a refused process is told it
 * runs, e.g. `msg read --follow`), or throws DeviceInUse naming the process that has it.
 */
export async function lockDevice(dir: string, command: string): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const real = realpathSync(dir);
  if (held.has(real)) return;
  const address = lockAddress(real, lockKey(real));
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await listen(address, { pid: process.pid, command });
    if (server) {
      server.unref();
      held.set(real, server);
      if (address.startsWith('/')) process.once('exit', () => unlinkQuietly(address));
      return;
    }
    const holder = await ask(address);
    if (holder !== 'gone') {
      throw new DeviceInUse(
        holder
          ? say('the messenger device in {dir} is in use by another unibos process (pid {pid}: `unibos {command}`); two at once would reuse message keys, so nothing was done. Stop that one (Ctrl-C in its terminal) and try again', { dir, pid: holder.pid, command: holder.command })
          : say('the messenger device in {dir} is in use by another unibos process; two at once would reuse message keys, so nothing was done. Stop that one (e.g. a `unibos msg read --follow`) and try again', { dir }),
      );
    }
    // A socket file left by a process that crashed (abstract sockets and pipes go with their process).
    if (address.startsWith('/')) unlinkQuietly(address);
  }
  throw new DeviceInUse(say('the messenger device in {dir} is in use by another unibos process; two at once would reuse message keys, so nothing was done. Stop that one (e.g. a `unibos msg read --follow`) and try again', { dir }));
}

/**
 * A random key kept in the device's folder (0600, in a 0700 folder), made on first use: the lock's
 * name comes from it, not from the folder's path. Another user cannot read it, so cannot take the
 * lock first or ask who holds it; and a copy of the folder (a backup restored beside it) holds the
 * same key, so it is the same device and the same lock.
 */
function lockKey(realDir: string): string {
  const file = join(realDir, 'device.lock-key');
  // Written whole, then linked into place: two first uses at once agree on one key, never read half of one.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(16).toString('hex'), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkQuietly(tmp);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Linux: an abstract socket (no file; gone the moment its process is). Windows: a named pipe (the
 * same). Elsewhere a socket file in the data dir, replaced when nothing answers on it.
 */
function lockAddress(realDir: string, key: string): string {
  const id = createHash('sha256').update(key).digest('hex').slice(0, 32);
  if (process.platform === 'linux') return `\0unibos-msg-${id}`;
  if (process.platform === 'win32') return `\\\\?\\pipe\\unibos-msg-${id}`;
  return join(realDir, 'device.lock');
}

function listen(address: string, me: DeviceHolder): Promise<Server | null> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(`${JSON.stringify(me)}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(null) : reject(err)));
    server.listen(address, () => resolve(server));
  });
}

/** Who holds the lock (null: someone does, but did not say who in time), or 'gone' when nobody answers. */
function ask(address: string): Promise<DeviceHolder | null | 'gone'> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let text = '';
    let connected = false;
    // A holder busy decrypting answers late: it is alive (it took the connection), just unnamed.
    const timer = setTimeout(() => (socket.destroy(), resolve(null)), 2000);
    timer.unref();
    socket.setEncoding('utf8');
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (!connected) return resolve('gone');
      try {
        const h = JSON.parse(text) as DeviceHolder;
        resolve(Number.isSafeInteger(h.pid) && typeof h.command === 'string' ? h : null);
      } catch {
        resolve(null);
      }
    });
  });
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
