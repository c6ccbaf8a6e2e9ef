// systemd's notification protocol (sd_notify): readiness, status text, stopping, and watchdog
// keep-alives, sent as datagrams to $NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET) it does
// nothing. Node has no Unix datagram sockets of its own, so this uses the small `unix-dgram`
// addon, an optional dependency. If it did not build, each notification is handed to systemd's
// own `systemd-notify` tool instead: without READY=1 systemd would kill the node at start-up.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

interface DgramSocket {
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
}

export interface UnixDgramAddon {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

/** Runs `file` with `args` (no shell) and calls back once it has exited. */
export type ExecFn = (file: string, args: string[], env: NodeJS.ProcessEnv, done: (err: Error | null) => void) => void;

export interface SdNotifyOptions {
  env?: NodeJS.ProcessEnv;
  /** Told about problems sending (never thrown: notifications must not take the node down). */
  onError?: (message: string) => void;
  /** Loads the unix-dgram addon (tests inject one that fails). */
  loadAddon?: () => UnixDgramAddon;
  /** Runs systemd-notify when the addon is missing (tests inject a recorder). */
  exec?: ExecFn;
}

export type NotifyTransport = 'unix-dgram' | 'systemd-notify' | 'none';

const SYSTEMD_NOTIFY = 'systemd-notify';

function loadUnixDgram(): UnixDgramAddon {
  return createRequire(import.meta.url)('unix-dgram') as UnixDgramAddon;
}

const runFile: ExecFn = (file, args, env, done) => {
  // A hung systemd-notify must not hold back every later notification.
  execFile(file, args, { env, timeout: 5_000 }, (err) => done(err));
};

export class SystemdNotifier {
  private readonly socket: DgramSocket | undefined;
  private readonly path: string | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly exec: ExecFn;
  private watchdogTimer: NodeJS.Timeout | undefined;
  /** Fallback runs, one at a time, so systemd sees READY=1 before STOPPING=1. */
  private chain: Promise<void> = Promise.resolve();
  private offReason: string | undefined;
  readonly watchdogIntervalMs: number | undefined;
  readonly transport: NotifyTransport = 'none';

  constructor(private readonly options: SdNotifyOptions = {}) {
    const env = options.env ?? process.env;
    this.env = env;
    this.exec = options.exec ?? runFile;
    const raw = env.NOTIFY_SOCKET;
    const usec = Number(env.WATCHDOG_USEC);
    const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    if (Number.isFinite(usec) && usec > 0 && forUs) this.watchdogIntervalMs = Math.max(1, Math.floor(usec / 2000));
    if (!raw) {
      this.offReason = 'NOTIFY_SOCKET is not set';
      return;
    }
    // An address starting with @ is in the abstract namespace: a leading NUL byte on the wire.
    this.path = raw.startsWith('@') ? `\0${raw.slice(1)}` : raw;
    try {
      this.socket = (options.loadAddon ?? loadUnixDgram)().createSocket('unix_dgram');
      this.socket.on('error', (err) => this.options.onError?.(`sd_notify: ${err.message}`));
      this.transport = 'unix-dgram';
    } catch (err) {
      this.transport = 'systemd-notify';
      this.options.onError?.(`the unix-dgram addon is not available (${(err as Error).message}); sending systemd notifications through ${SYSTEMD_NOTIFY} instead`);
    }
  }

  get enabled(): boolean {
    return this.offReason === undefined;
  }

  get disabledReason(): string | undefined {
    return this.offReason;
  }

  ready(status?: string): void {
    this.send(status ? ['READY=1', `STATUS=${status}`] : ['READY=1']);
  }

  status(text: string): void {
    this.send([`STATUS=${text}`]);
  }

  stopping(): void {
    this.stopWatchdog();
    this.send(['STOPPING=1']);
  }

  /**
   * Pings the watchdog at half its interval from a timer, which only fires while the event loop
   * turns: a hung process misses its pings and systemd restarts it.
   */
  startWatchdog(): void {
    if (!this.watchdogIntervalMs || this.watchdogTimer) return;
    this.watchdogTimer = setInterval(() => this.send(['WATCHDOG=1']), this.watchdogIntervalMs);
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

  private send(assignments: string[]): void {
    if (this.transport === 'unix-dgram' && this.socket && this.path) {
      const buf = Buffer.from(assignments.join('\n'));
      this.socket.send(buf, 0, buf.length, this.path, (err) => {
        if (err) this.options.onError?.(`sd_notify to ${this.path}: ${err.message}`);
      });
    } else if (this.transport === 'systemd-notify' && this.enabled) {
      // --pid names us: systemd-notify is a short-lived child, not the service's main process
      // (hence NotifyAccess=all in the unit).
      const args = [`--pid=${process.pid}`, ...assignments];
      this.chain = this.chain.then(
        () =>
          new Promise<void>((resolve) => {
            this.exec(SYSTEMD_NOTIFY, args, this.env, (err) => {
              if (err) this.fallbackFailed(err as NodeJS.ErrnoException);
              resolve();
            });
          }),
      );
    }
  }

  private fallbackFailed(err: NodeJS.ErrnoException): void {
    // Missing binary: say so once and stop trying every watchdog period.
    if (err.code === 'ENOENT') {
      this.offReason = `the unix-dgram addon is not available and ${SYSTEMD_NOTIFY} is not installed`;
      this.options.onError?.(`systemd notifications are off: ${this.offReason}`);
      return;
    }
    this.options.onError?.(`${SYSTEMD_NOTIFY}: ${err.message}`);
  }
}
