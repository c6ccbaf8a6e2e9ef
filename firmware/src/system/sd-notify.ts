// systemd's notification protocol (sd_notify): readiness, status text, stopping, and watchdog
// keep-alives, sent as datagrams to $NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET) it does
// nothing. Node has no Unix datagram sockets of its own, so this uses the small `unix-dgram`
// addon, an optional dependency: without it the node runs and logs that notifications are off.

import { createRequire } from 'node:module';

interface DgramSocket {
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
}

export interface SdNotifyOptions {
  env?: NodeJS.ProcessEnv;
  /** Told about problems sending (never thrown: notifications must not take the node down). */
  onError?: (message: string) => void;
}

export class SystemdNotifier {
  private readonly socket: DgramSocket | undefined;
  private readonly path: string | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  readonly watchdogIntervalMs: number | undefined;
  readonly disabledReason: string | undefined;

  constructor(private readonly options: SdNotifyOptions = {}) {
    const env = options.env ?? process.env;
    const raw = env.NOTIFY_SOCKET;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    if (Number.isFinite(usec) && usec > 0 && forUs) this.watchdogIntervalMs = Math.max(1, Math.floor(usec / 2000));
    if (!raw) {
      this.disabledReason = 'NOTIFY_SOCKET is not set';
      return;
    }
    // An address starting with @ is in the abstract namespace: a leading NUL byte on the wire.
    this.path = raw.startsWith('@') ? `\0${raw.slice(1)}` : raw;
    try {
      const require = createRequire(import.meta.url);
      const dgram = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
      this.socket = dgram.createSocket('unix_dgram');
      this.socket.on('error', (err) => this.options.onError?.(`sd_notify: ${err.message}`));
    } catch (err) {
      this.disabledReason = `the unix-dgram addon is not available (${(err as Error).message})`;
      this.options.onError?.(`systemd notifications are off: ${this.disabledReason}`);
    }
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  ready(status?: string): void {
    this.send(status ? `READY=1\nSTATUS=${status}` : 'READY=1');
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  stopping(): void {
    this.stopWatchdog();
    this.send('STOPPING=1');
  }

  /**
   * Pings the watchdog at half its interval from a timer, which only fires while the event loop
   * turns: a hung process misses its pings and systemd restarts it.
   */
  startWatchdog(): void {
    if (!this.watchdogIntervalMs || this.watchdogTimer) return;
    this.watchdogTimer = setInterval(() => this.send('WATCHDOG=1'), this.watchdogIntervalMs);
    this.watchdogTimer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  close(): void {
    this.stopWatchdog();
    this.socket?.close();
  }

  private send(message: string): void {
    if (!this.socket || !this.path) return;
    const buf = Buffer.from(message);
    this.socket.send(buf, 0, buf.length, this.path, (err) => {
      if (err) this.options.onError?.(`sd_notify to ${this.path}: ${err.message}`);
    });
  }
}
