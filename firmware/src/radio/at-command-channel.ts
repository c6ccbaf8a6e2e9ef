// The AT command channel to a RUI3 modem over one serial port: opens and releases the port, writes
// one command at a time from a queue, matches OK / AT_* error / value lines to it (with a timeout),
// and hands every line that answers no command (a frame, TX done, a restart) to its listener.

import pino from 'pino';
import { createRequire } from 'node:module';
import type { SerialPort } from 'serialport';
import type { Scheduler, TimerHandle } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { readLines } from '../net/line-reader.ts';
import { AT_STOP_RX, parseModemLine, type AtErrorCode, type ModemLine } from './rui3-at.ts';

/** Longest line a RUI3 modem sends: a 255-byte frame (another radio may send one) as hex plus the event prefix, with room to spare. */
const MAX_MODEM_LINE = 1024;

/** Why something the modem said (or did not say) was thrown away. */
export type ModemDropReason = 'garbage-line' | 'bad-rx-payload' | 'timeout' | 'modem-error';

/** A line the modem sent on its own, not as a reply to a command. */
export type ModemEvent = Extract<ModemLine, { kind: 'tx-done' | 'rx' | 'bad-rx' | 'rx-timeout' | 'restarted' | 'banner' | 'event' }>;

export interface AtChannelListener {
  onEvent(event: ModemEvent): void;
  onDrop(reason: ModemDropReason, detail: string): void;
  /** The modem answered AT_BUSY_ERROR (counted apart: it is retried, not a fault). */
  onBusyReply(): void;
  /** The port went away under us (closed by the OS, device unplugged). */
  onPortLost(reason: string): void;
}

export interface AtCommandChannelOptions {
  path: string;
  baudRate: number;
  commandTimeoutMs: number;
  scheduler: Scheduler;
  log: pino.Logger;
  /** True while the driver is closing: only the command that parks the radio is still written. */
  closing: () => boolean;
  listener: AtChannelListener;
}

interface PendingCommand {
  line: string;
  timeoutMs: number;
  /** For queries: the setting whose value line (`AT+NWM=0`) precedes the OK. */
  queryKey: string | undefined;
  value: string | undefined;
  timer: TimerHandle | undefined;
  resolve(value: string | undefined): void;
  reject(err: FirmwareError): void;
}

/** The modem answered `AT_<WORD>`: it is alive and refused this one command (the code says why). */
export class AtErrorReply extends FirmwareError {
  constructor(
    readonly atCode: AtErrorCode,
    message: string,
  ) {
    super(atCode === 'AT_BUSY_ERROR' ? 'E_MODEM_BUSY' : 'E_MODEM_ERROR', message);
  }
}

export interface CommandOptions {
  /** For queries: the setting whose value line (`AT+NWM=0`) precedes the OK. */
  queryKey?: string;
  /** Overrides the channel's timeout, for a command answered only after a restart (AT+NWM=0). */
  timeoutMs?: number;
}

export function asFirmwareError(err: unknown): FirmwareError {
  if (err instanceof FirmwareError) return err;
  return new FirmwareError('E_MODEM_ERROR', err instanceof Error ? err.message : String(err), { cause: err });
}

/** Keeps logs and error messages readable when the command carries 255 bytes of hex. */
function describeCommand(line: string): string {
  return line.startsWith('AT+PSEND=') ? `AT+PSEND=<${(line.length - 9) / 2} bytes>` : line;
}

export class AtCommandChannel {
  private port: SerialPort | undefined;
  private current: PendingCommand | undefined;
  private readonly queue: PendingCommand[] = [];
  private readonly path: string;
  private readonly listener: AtChannelListener;

  constructor(private readonly options: AtCommandChannelOptions) {
    this.path = options.path;
    this.listener = options.listener;
  }

  /** A port is held (open, or lost and not yet noticed). */
  get hasPort(): boolean {
    return this.port !== undefined;
  }

  get isOpen(): boolean {
    return this.port?.isOpen === true;
  }

  /** No command in flight or queued. */
  get idle(): boolean {
    return !this.current && this.queue.length === 0;
  }

  /** Opens the port; rejects with E_MODEM_UNAVAILABLE when it is missing or busy. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const unavailable = (err: Error): FirmwareError =>
        new FirmwareError('E_MODEM_UNAVAILABLE', `cannot open the LoRa modem port ${this.path}: ${err.message.replace(/^Error: /, '')}`, { cause: err });
      let port: SerialPort;
      try {
        // Required at first open, not imported: exporting the modem class must not load serialport (~14 MB).
        const { SerialPort: Port } = createRequire(import.meta.url)('serialport') as typeof import('serialport');
        port = new Port({ path: this.path, baudRate: this.options.baudRate, autoOpen: false });
      } catch (err) {
        reject(unavailable(asFirmwareError(err)));
        return;
      }
      port.open((err) => {
        if (err) {
          reject(unavailable(err));
          return;
        }
        if (this.options.closing()) {
          port.close();
          reject(new FirmwareError('E_MODEM_UNAVAILABLE', `the LoRa modem on ${this.path} was closed while opening`));
          return;
        }
        // Split on '\n' and trim the '\r': a '\r\n' delimiter would glue together lines that end in a bare '\n'.
        // latin1 maps every byte to one character, so line noise cannot merge into multi-byte sequences.
        readLines(
          port,
          MAX_MODEM_LINE,
          (line) => this.onLine(port, line),
          () => this.listener.onDrop('garbage-line', `a line longer than ${MAX_MODEM_LINE} characters`),
          'latin1',
        );
        port.on('close', (closeErr: Error | null | undefined) => this.onPortClosed(port, closeErr ?? undefined));
        port.on('error', (portErr: Error) => this.options.log.warn({ err: portErr.message }, 'serial port error'));
        this.port = port;
        resolve();
      });
    });
  }

  /** Releases the port on purpose: its close event is then ignored as stale. */
  async close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** The port is gone (closed under us, or its device node vanished): let go of it and say so. */
  lose(reason: string): void {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) port.close();
    this.listener.onPortLost(reason);
  }

  /** Queues one AT command; resolves with the value line a query printed before its OK. */
  command(line: string, options: CommandOptions = {}): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (this.options.closing() && line !== AT_STOP_RX) {
        reject(new FirmwareError('E_MODEM_UNAVAILABLE', `the LoRa modem on ${this.path} is closing`));
        return;
      }
      const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
      this.queue.push({ line, timeoutMs, queryKey: options.queryKey, value: undefined, timer: undefined, resolve, reject });
      this.pump();
    });
  }

  /** Takes the command in flight as answered if it is `line` (some builds restart instead of saying OK). */
  completeIf(line: string): void {
    if (this.current?.line === line) this.settle(this.current);
  }

  /** Rejects the command in flight and everything queued. */
  failAll(err: FirmwareError): void {
    const cmd = this.current;
    this.current = undefined;
    cmd?.timer?.cancel();
    const queued = this.queue.splice(0);
    cmd?.reject(err);
    for (const q of queued) q.reject(err);
  }

  private pump(): void {
    while (!this.current) {
      const next = this.queue.shift();
      if (!next) return;
      const port = this.port;
      if (!port?.isOpen) {
        next.reject(new FirmwareError('E_MODEM_UNAVAILABLE', `serial port ${this.path} is not open`));
        continue;
      }
      this.current = next;
      next.timer = this.options.scheduler.schedule(next.timeoutMs, () => this.onCommandTimeout(next));
      this.options.log.debug({ command: describeCommand(next.line) }, 'to modem');
      port.write(`${next.line}\r\n`, (err) => {
        if (err) this.settle(next, new FirmwareError('E_MODEM_UNAVAILABLE', `writing to ${this.path} failed: ${err.message}`, { cause: err }));
      });
    }
  }

  private settle(cmd: PendingCommand, err?: FirmwareError): void {
    if (this.current !== cmd) return;
    cmd.timer?.cancel();
    this.current = undefined;
    if (err) cmd.reject(err);
    else cmd.resolve(cmd.value);
    this.pump();
  }

  private onCommandTimeout(cmd: PendingCommand): void {
    if (this.current !== cmd) return;
    // A reply that turns up later is taken for the next command's; the recovery this timeout
    // triggers re-sends every setting, so such a shift cannot leave the radio misconfigured.
    this.listener.onDrop('timeout', `no reply to ${describeCommand(cmd.line)} within ${cmd.timeoutMs} ms`);
    this.settle(cmd, new FirmwareError('E_MODEM_TIMEOUT', `the LoRa modem on ${this.path} did not answer ${describeCommand(cmd.line)} within ${cmd.timeoutMs} ms`));
  }

  private errorReply(cmd: PendingCommand, code: AtErrorCode): FirmwareError {
    return new AtErrorReply(code, `the LoRa modem on ${this.path} answered ${code} to ${describeCommand(cmd.line)}`);
  }

  private onPortClosed(port: SerialPort, err: Error | undefined): void {
    if (port !== this.port) return;
    this.lose(`serial port ${this.path} closed${err ? `: ${err.message}` : ''} (modem unplugged?)`);
  }

  private onLine(port: SerialPort, raw: string): void {
    if (port !== this.port) return;
    const line = parseModemLine(raw);
    const cmd = this.current;
    switch (line.kind) {
      case 'blank':
        return;
      case 'ok':
        if (cmd) this.settle(cmd);
        else this.listener.onDrop('garbage-line', 'OK with no command waiting');
        return;
      case 'error':
        if (line.code === 'AT_BUSY_ERROR') this.listener.onBusyReply();
        this.listener.onDrop('modem-error', cmd ? `${line.code} to ${describeCommand(cmd.line)}` : `${line.code} with no command waiting`);
        if (cmd) this.settle(cmd, this.errorReply(cmd, line.code));
        return;
      case 'value':
        // Only a query's own setting counts; anything else is our command echoed back (ATE).
        if (cmd?.queryKey === line.command && raw.trim().toUpperCase() !== cmd.line.toUpperCase()) cmd.value = line.value;
        return;
      case 'garbage':
        // Older RUI3 builds print a query's value bare ("0" rather than "AT+NWM=0").
        if (cmd?.queryKey !== undefined && cmd.value === undefined && /^[\w.,:-]{1,40}$/.test(line.text)) {
          cmd.value = line.text;
          return;
        }
        this.listener.onDrop('garbage-line', line.text.slice(0, 80));
        return;
      default:
        this.listener.onEvent(line);
    }
  }
}
