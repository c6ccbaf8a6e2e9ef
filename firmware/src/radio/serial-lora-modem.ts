// The node's real radio: a RAK3172 (RUI3 firmware, LoRa P2P) driven with AT commands over a
// serial port. This file is the modem's state machine (closed -> configuring -> ready <->
// recovering): configure (sync, switch to P2P, settings), transmit, health check and recovery.
// Commands and replies travel through the AT command channel (at-command-channel.ts); the device
// node is watched for unplug and replug (device-node-watch.ts).

import pino from 'pino';
import {
  MESH_SYNC_WORD,
  RealScheduler,
  timeOnAirMs,
  type LoRaParams,
  type Radio,
  type RadioListener,
  type Scheduler,
  type TimerHandle,
} from '@unibos/mesh-protocol';
import { FirmwareError, type FirmwareErrorCode } from '../firmware-error.ts';
import { AtCommandChannel, AtErrorReply, asFirmwareError, type ModemDropReason, type ModemEvent } from './at-command-channel.ts';
import { DeviceNodeWatch, type WatchDirectory } from '../device-node-watch.ts';
import {
  AT_CONTINUOUS_RX,
  AT_P2P_MODE,
  AT_PING,
  AT_QUERY_WORK_MODE,
  AT_STOP_RX,
  bandwidthIndexForm,
  MESH_LINK_COMMANDS,
  p2pConfigCommands,
  p2pSettings,
  psendCommand,
  rui3SyncWord,
  type P2pSettings,
} from './rui3-at.ts';
import { transmitRefusal } from './transmit-refusal.ts';

export type ModemState = 'closed' | 'configuring' | 'ready' | 'recovering';

export type { ModemDropReason } from './at-command-channel.ts';

export interface SerialLoraModemOptions {
  /** The UART: /dev/serial0 on a Raspberry Pi header, /dev/ttyUSB0 behind a USB adapter. */
  path: string;
  params: LoRaParams;
  /** RUI3 ships at 115200 8N1. */
  baudRate?: number;
  /** How long one AT command may wait for OK / AT_*; default 1000 ms. */
  commandTimeoutMs?: number;
  /** `AT` pings before the modem counts as absent; default 3. */
  syncAttempts?: number;
  /** How long a restart (after AT+NWM=0 switched modes) may take to print its banner; default 5000 ms. */
  bootTimeoutMs?: number;
  /** Added to the computed time on air before a missing `+EVT:TXP2P DONE` counts as a hang; default 2000 ms. */
  txDoneMarginMs?: number;
  /** AT_BUSY_ERROR replies to AT+PSEND that are retried before the transmit fails; default 3. */
  busyRetries?: number;
  /** First pause before retrying a busy send, growing linearly; default 100 ms. */
  busyRetryDelayMs?: number;
  /** First pause between recovery attempts (reopen/reconfigure), doubling up to reconnectMaxMs. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** An idle `AT` ping this often catches a modem that hung while only listening; 0 turns it off. */
  healthCheckMs?: number;
  scheduler?: Scheduler;
  /** How the device node's directory is watched (device-node-watch.ts): `fs.watch`, or a test's stand-in. */
  watchDirectory?: WatchDirectory;
  logger?: pino.Logger;
}

export interface SerialLoraModemStats {
  framesSent: number;
  framesReceived: number;
  /** Every transmit reported with ok=false (refusals included). */
  transmitFailures: number;
  /** Lines that are neither a reply nor an event we know. */
  garbageLines: number;
  /** +EVT:RXP2P events whose payload did not decode: frames lost. */
  badRxPayloads: number;
  /** Commands or transmissions the modem never answered. */
  timeouts: number;
  /** AT_* error replies, AT_BUSY_ERROR included. */
  modemErrors: number;
  busyReplies: number;
  /** Well-formed +EVT lines this driver has no use for. */
  ignoredEvents: number;
  /** Restarts the modem did on its own (boot banner seen when none was expected). */
  resets: number;
  /** Times the serial port was reopened after it went away. */
  reconnects: number;
  /** Times the modem was brought back to ready after any fault. */
  recoveries: number;
}

interface TxDoneWatch {
  seen: boolean;
  settle: ((err?: FirmwareError) => void) | undefined;
}

interface RestartWatch {
  resolve(restarted: boolean): void;
}

export class SerialLoraModem implements Radio {
  readonly params: LoRaParams;
  readonly path: string;
  readonly stats: SerialLoraModemStats = {
    framesSent: 0,
    framesReceived: 0,
    transmitFailures: 0,
    garbageLines: 0,
    badRxPayloads: 0,
    timeouts: 0,
    modemErrors: 0,
    busyReplies: 0,
    ignoredEvents: 0,
    resets: 0,
    reconnects: 0,
    recoveries: 0,
  };

  private readonly settings: P2pSettings;
  private readonly baudRate: number;
  private readonly commandTimeoutMs: number;
  private readonly syncAttempts: number;
  private readonly bootTimeoutMs: number;
  private readonly txDoneMarginMs: number;
  private readonly busyRetries: number;
  private readonly busyRetryDelayMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly healthCheckMs: number;
  private readonly scheduler: Scheduler;
  private readonly log: pino.Logger;

  private listener: RadioListener | undefined;
  private stateValue: ModemState = 'closed';
  private readonly stateListeners = new Set<(state: ModemState, reason: string) => void>();
  private readonly dropListeners = new Set<(reason: ModemDropReason, detail: string) => void>();

  private readonly channel: AtCommandChannel;
  private readonly deviceWatch: DeviceNodeWatch;
  private transmitting = false;
  private txDone: TxDoneWatch | undefined;
  private restartWatch: RestartWatch | undefined;
  private restartedUnexpectedly = false;
  private recovering = false;
  private closing = false;
  private healthTimer: TimerHandle | undefined;
  private readonly sleepers = new Set<() => void>();
  /** Times the device node was seen back during recovery; an attempt that began before the last one is out of date. */
  private nodeReturns = 0;
  private linkWarning: string | undefined;

  /** Throws E_CONFIG (naming the field) if the params cannot be set on a RUI3 modem. */
  constructor(options: SerialLoraModemOptions) {
    this.path = options.path;
    this.params = options.params;
    this.settings = p2pSettings(options.params);
    this.baudRate = options.baudRate ?? 115_200;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    this.syncAttempts = Math.max(1, options.syncAttempts ?? 3);
    this.bootTimeoutMs = options.bootTimeoutMs ?? 5000;
    this.txDoneMarginMs = options.txDoneMarginMs ?? 2000;
    this.busyRetries = Math.max(0, options.busyRetries ?? 3);
    this.busyRetryDelayMs = options.busyRetryDelayMs ?? 100;
    this.reconnectMinMs = options.reconnectMinMs ?? 250;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? 10_000);
    this.healthCheckMs = options.healthCheckMs ?? 30_000;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'serial-lora-modem', path: options.path });
    this.channel = new AtCommandChannel({
      path: this.path,
      baudRate: this.baudRate,
      commandTimeoutMs: this.commandTimeoutMs,
      scheduler: this.scheduler,
      log: this.log,
      closing: () => this.closing,
      listener: {
        onEvent: (event) => this.onEvent(event),
        onDrop: (reason, detail) => this.countDrop(reason, detail),
        onBusyReply: () => this.stats.busyReplies++,
        onPortLost: (reason) => this.portLost(reason),
      },
    });
    this.deviceWatch = new DeviceNodeWatch(this.path, (present) => this.onDeviceNode(present), this.log, options.watchDirectory);
  }

  get state(): ModemState {
    return this.stateValue;
  }

  /**
   * Set when the last configuration could not set everything the mesh needs (an older RUI3 without
   * AT+SYNCWORD): the modem works, but may not hear other radios. Says what to do about it.
   */
  get warning(): string | undefined {
    return this.linkWarning;
  }

  /** Called on every state change with a human-readable reason; returns an unsubscribe function. */
  onStateChange(fn: (state: ModemState, reason: string) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Called whenever a line, frame or reply is counted as dropped; returns an unsubscribe function. */
  onDrop(fn: (reason: ModemDropReason, detail: string) => void): () => void {
    this.dropListeners.add(fn);
    return () => this.dropListeners.delete(fn);
  }

  /**
   * Opens the port, puts the modem in P2P mode with our params and starts continuous receive.
   * Rejects with E_MODEM_UNAVAILABLE (port missing or busy) or E_MODEM_TIMEOUT (nothing answers).
   */
  async open(): Promise<void> {
    if (this.stateValue !== 'closed') {
      throw new FirmwareError('E_MODEM_BUSY', `the LoRa modem on ${this.path} is already ${this.stateValue}`);
    }
    this.closing = false;
    this.setState('configuring', 'opening');
    try {
      await this.channel.open();
      this.deviceWatch.start();
      await this.configure();
      if (this.closing) throw new FirmwareError('E_MODEM_UNAVAILABLE', `the LoRa modem on ${this.path} was closed while opening`);
    } catch (err) {
      this.failPending('open failed', 'E_MODEM_UNAVAILABLE');
      this.deviceWatch.stop();
      await this.channel.close();
      this.setState('closed', 'open failed');
      throw asFirmwareError(err);
    }
    this.setState('ready', 'configured');
    this.scheduleHealthCheck();
  }

  /** Stops receiving, fails anything in flight and releases the port. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed' && !this.channel.hasPort) return;
    const wasIdle = this.stateValue === 'ready' && !this.transmitting;
    this.closing = true;
    this.healthTimer?.cancel();
    for (const wake of [...this.sleepers]) wake();
    if (wasIdle) {
      // Parked in TX-idle the module draws far less than in continuous receive.
      await this.channel.command(AT_STOP_RX).catch(() => undefined);
    }
    this.failPending('the LoRa modem driver was closed', 'E_MODEM_UNAVAILABLE');
    this.deviceWatch.stop();
    await this.channel.close();
    this.setState('closed', 'closed');
  }

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  transmit(frame: Uint8Array): void {
    const refusal = transmitRefusal(frame, {
      transmitting: this.transmitting,
      ready: this.stateValue === 'ready' && !this.closing,
      notReady: `the LoRa modem on ${this.path} is ${this.closing ? 'closing' : this.stateValue}`,
    });
    if (refusal !== undefined) {
      this.stats.transmitFailures++;
      this.reportTransmitDone(false, refusal);
      return;
    }
    this.transmitting = true;
    // Copied: the caller may reuse its buffer before the command is written.
    void this.runTransmit(Uint8Array.from(frame));
  }

  /**
   * True while a frame is being sent. RUI3's continuous receive offers no carrier sense over AT, so
   * a transmission from someone else is not seen here until its +EVT:RXP2P arrives.
   */
  isChannelBusy(): boolean {
    return this.transmitting;
  }

  // --- transmit -------------------------------------------------------------------------------

  private async runTransmit(frame: Uint8Array): Promise<void> {
    let failure: FirmwareError | undefined;
    try {
      // RUI3 answers AT+PSEND with AT_BUSY_ERROR while continuous receive (65534) is on.
      await this.channel.command(AT_STOP_RX);
      this.txDone = { seen: false, settle: undefined };
      await this.sendWithBusyRetry(psendCommand(frame));
      await this.awaitTxDone(this.txDoneTimeoutMs(frame.length));
      this.stats.framesSent++;
    } catch (err) {
      failure = asFirmwareError(err);
    } finally {
      this.txDone = undefined;
    }
    if (failure && failure.code !== 'E_MODEM_BUSY') this.faulted(failure);
    // Listen again whether or not the frame went out: a deaf node is worse off than one that lost a frame.
    if (this.stateValue === 'ready' && !this.closing) {
      try {
        await this.channel.command(AT_CONTINUOUS_RX);
      } catch (err) {
        this.faulted(asFirmwareError(err));
      }
    }
    this.transmitting = false;
    if (failure) {
      this.stats.transmitFailures++;
      this.reportTransmitDone(false, failure.message);
    } else {
      this.reportTransmitDone(true);
    }
  }

  private async sendWithBusyRetry(line: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.channel.command(line);
        return;
      } catch (err) {
        const e = asFirmwareError(err);
        if (e instanceof AtErrorReply && e.atCode === 'AT_PARAM_ERROR') {
          // The module refused this payload and is otherwise fine: this frame fails, nothing is reset.
          throw new FirmwareError('E_BAD_REQUEST', `the LoRa modem refused the frame: ${e.message}`, { cause: e });
        }
        if (e.code !== 'E_MODEM_BUSY') throw e;
        if (attempt >= this.busyRetries) {
          throw new FirmwareError('E_MODEM_BUSY', `the LoRa modem stayed busy (AT_BUSY_ERROR) through ${attempt + 1} attempts to send`, { cause: e });
        }
        await this.sleep(this.busyRetryDelayMs * (attempt + 1));
        if (this.stateValue !== 'ready' || this.closing) throw new FirmwareError('E_MODEM_ERROR', `the LoRa modem became ${this.stateValue} while busy`);
      }
    }
  }

  private awaitTxDone(timeoutMs: number): Promise<void> {
    const watch = this.txDone;
    if (!watch || watch.seen) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.scheduler.schedule(timeoutMs, () => {
        watch.settle = undefined;
        this.countDrop('timeout', `no +EVT:TXP2P DONE within ${timeoutMs} ms`);
        reject(new FirmwareError('E_MODEM_TIMEOUT', `the LoRa modem on ${this.path} did not report the transmission done within ${timeoutMs} ms`));
      });
      watch.settle = (err) => {
        timer.cancel();
        watch.settle = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
  }

  private txDoneTimeoutMs(bytes: number): number {
    // SF5 is outside the airtime model; SF6 takes longer, so it still bounds the wait.
    const shape = { ...this.params, sf: Math.max(6, this.params.sf) };
    return Math.ceil(timeOnAirMs(shape, bytes)) + this.txDoneMarginMs;
  }

  private reportTransmitDone(ok: boolean, error?: string): void {
    // On a later tick, as a radio would, so a router calling transmit() is never re-entered.
    setImmediate(() => {
      try {
        if (error === undefined) this.listener?.onTransmitDone(ok);
        else this.listener?.onTransmitDone(ok, error);
      } catch (err) {
        this.log.error({ err }, 'radio listener threw in onTransmitDone');
      }
    });
  }

  // --- configuration --------------------------------------------------------------------------

  private async configure(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.restartedUnexpectedly = false;
      try {
        await this.configureOnce();
        return;
      } catch (err) {
        // A module that powers up just as we open prints its banner mid-sequence: worth one more go.
        if (!this.restartedUnexpectedly || attempt >= 2 || this.closing) throw err;
      }
    }
  }

  private async configureOnce(): Promise<void> {
    await this.sync();
    const mode = (await this.channel.command(AT_QUERY_WORK_MODE, { queryKey: 'NWM' }))?.trim();
    if (mode !== '0') {
      this.log.info({ mode: mode ?? 'unknown' }, 'switching the modem to LoRa P2P');
      await this.switchToP2p(mode !== undefined);
      await this.sync();
    }
    // Settings are refused with AT_BUSY_ERROR while a receive window is open.
    await this.channel.command(AT_STOP_RX);
    for (const line of p2pConfigCommands(this.settings)) await this.setting(line);
    const missing: string[] = [];
    for (const line of MESH_LINK_COMMANDS) {
      try {
        await this.channel.command(line);
      } catch (err) {
        // RUI3 builds before these commands existed must still work (on whatever their flash holds).
        if (!(err instanceof AtErrorReply && err.atCode === 'AT_COMMAND_NOT_FOUND')) throw err;
        missing.push(line.replace(/=.*$/, ''));
      }
    }
    this.noteMissingCommands(missing);
    await this.channel.command(AT_CONTINUOUS_RX);
  }

  /** One P2P setting; AT+PBW falls back to the index form on a build that refuses kHz. */
  private async setting(line: string): Promise<void> {
    try {
      await this.channel.command(line);
    } catch (err) {
      const indexForm = bandwidthIndexForm(line);
      if (indexForm === undefined || !(err instanceof AtErrorReply && err.atCode === 'AT_PARAM_ERROR')) throw err;
      this.log.info({ refused: line, retry: indexForm }, 'the modem wants the bandwidth as an index');
      await this.channel.command(indexForm);
    }
  }

  private noteMissingCommands(missing: string[]): void {
    if (missing.length === 0) {
      this.linkWarning = undefined;
      return;
    }
    const warning =
      `the RAK3172 on ${this.path} does not know ${missing.join(', ')} (RUI3 too old): it keeps the sync word, IQ and ` +
      `encryption settings in its flash (RUI3's default sync word 3444 is LoRaWAN's public one) and may not hear the ` +
      `mesh's other radios (sync word ${rui3SyncWord(MESH_SYNC_WORD)}). Update the module's RUI3 firmware (RAK WisToolBox or RAK's RUI3 image for the RAK3172).`;
    if (warning !== this.linkWarning) this.log.warn(warning);
    this.linkWarning = warning;
  }

  private async sync(): Promise<void> {
    let last: FirmwareError | undefined;
    for (let i = 0; i < this.syncAttempts; i++) {
      try {
        await this.channel.command(AT_PING);
        return;
      } catch (err) {
        last = asFirmwareError(err);
        // A garbled first byte gets AT_COMMAND_NOT_FOUND; silence gets a timeout. Anything else is final.
        if (last.code !== 'E_MODEM_TIMEOUT' && last.code !== 'E_MODEM_ERROR') throw last;
        if (this.closing) throw last;
      }
    }
    throw new FirmwareError(
      'E_MODEM_TIMEOUT',
      `the LoRa modem on ${this.path} did not answer AT with OK (${this.syncAttempts} tries, ${this.commandTimeoutMs} ms each): ` +
        `check wiring (TX to RX), power and the baud rate (${this.baudRate})`,
      { cause: last },
    );
  }

  /** AT+NWM=0 restarts a module that was in another mode; the banner says when it is back. */
  private async switchToP2p(restartCertain: boolean): Promise<void> {
    const restarted = new Promise<boolean>((resolve) => {
      const timer = this.scheduler.schedule(this.bootTimeoutMs, () => watch.resolve(false));
      const watch: RestartWatch = {
        resolve: (value) => {
          if (this.restartWatch !== watch) return;
          this.restartWatch = undefined;
          timer.cancel();
          resolve(value);
        },
      };
      this.restartWatch = watch;
    });
    try {
      // RUI3 answers with its boot banner, not OK: the command lasts as long as the restart may.
      await this.channel.command(AT_P2P_MODE, { timeoutMs: this.bootTimeoutMs });
    } catch (err) {
      this.restartWatch?.resolve(false);
      throw err;
    }
    // When the mode was unreadable the module may already have been in P2P and not restart at all.
    if (!(await restarted) && restartCertain) {
      throw new FirmwareError('E_MODEM_TIMEOUT', `the LoRa modem on ${this.path} did not restart into P2P mode within ${this.bootTimeoutMs} ms`);
    }
    if (this.closing) throw new FirmwareError('E_MODEM_UNAVAILABLE', 'closed while switching to P2P');
  }

  // --- recovery -------------------------------------------------------------------------------

  /** Decides whether a failed operation means the modem needs to be set up again. */
  private faulted(err: FirmwareError): void {
    // Busy, or one request refused (AT_PARAM_ERROR to a frame): the modem itself is fine.
    if (err.code === 'E_MODEM_BUSY' || err.code === 'E_BAD_REQUEST') return;
    this.startRecovery(err.message, err.code === 'E_MODEM_UNAVAILABLE' ? 'E_MODEM_UNAVAILABLE' : 'E_MODEM_ERROR');
  }

  private startRecovery(reason: string, code: FirmwareErrorCode): void {
    if (this.closing || this.stateValue === 'closed') return;
    this.failPending(reason, code);
    // During open() the caller hears about the failure instead.
    if (this.stateValue === 'configuring') return;
    this.setState('recovering', reason);
    if (this.recovering) return; // the running loop sees its commands fail and starts over
    this.recovering = true;
    void this.recover();
  }

  private async recover(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      const returnsBefore = this.nodeReturns;
      try {
        if (!this.channel.isOpen) {
          await this.channel.open();
          // The watch may have died with the device node's directory (/dev/serial/by-id goes with the last adapter).
          this.deviceWatch.restart();
          this.stats.reconnects++;
          this.log.info('serial port is back');
        }
        await this.configure();
        if (this.closing) break;
        this.recovering = false;
        this.stats.recoveries++;
        this.setState('ready', 'recovered');
        return;
      } catch (err) {
        if (this.closing) break;
        // The node came back while this attempt ran (after the open looked for it, say): no sleeper was there to
        // wake, so try again now rather than wait out the backoff.
        if (this.nodeReturns !== returnsBefore) {
          this.log.info({ attempt, err: asFirmwareError(err).message }, 'LoRa modem recovery attempt failed, but its serial device came back meanwhile: trying again now');
          continue;
        }
        const waitMs = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(attempt - 1, 20));
        this.log.warn({ attempt, waitMs, err: asFirmwareError(err).message }, 'LoRa modem recovery attempt failed');
        await this.sleep(waitMs);
      }
    }
    this.recovering = false;
  }

  /** Rejects the command in flight, everything queued, and any wait for TX done or a restart. */
  private failPending(reason: string, code: FirmwareErrorCode): void {
    const err = new FirmwareError(code, reason);
    this.channel.failAll(err);
    this.txDone?.settle?.(err);
    this.restartWatch?.resolve(false);
  }

  private scheduleHealthCheck(): void {
    this.healthTimer?.cancel();
    if (this.healthCheckMs <= 0 || this.closing) return;
    this.healthTimer = this.scheduler.schedule(this.healthCheckMs, () => {
      if (this.stateValue === 'ready' && !this.transmitting && this.channel.idle) {
        this.channel.command(AT_PING).catch((err: unknown) => this.faulted(asFirmwareError(err)));
      }
      this.scheduleHealthCheck();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        timer.cancel();
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.scheduler.schedule(ms, wake);
      this.sleepers.add(wake);
    });
  }

  // --- the port and what the modem says ------------------------------------------------------

  private portLost(reason: string): void {
    if (this.closing) return;
    this.log.warn(reason);
    if (this.stateValue === 'configuring') this.failPending(reason, 'E_MODEM_UNAVAILABLE');
    else this.startRecovery(reason, 'E_MODEM_UNAVAILABLE');
  }

  private onDeviceNode(present: boolean): void {
    if (!present && this.channel.hasPort) {
      this.channel.lose(`serial device ${this.path} disappeared (modem unplugged?)`);
    } else if (present && this.stateValue === 'recovering') {
      // Replugged: try now instead of at the end of the current backoff (or, mid-attempt, right after it).
      this.nodeReturns++;
      for (const wake of [...this.sleepers]) wake();
    }
  }

  /** A line the modem sent on its own: a frame, the end of a transmission, a restart. */
  private onEvent(line: ModemEvent): void {
    switch (line.kind) {
      case 'tx-done':
        if (this.txDone) {
          this.txDone.seen = true;
          this.txDone.settle?.();
        } else {
          this.stats.ignoredEvents++;
        }
        return;
      case 'rx':
        this.stats.framesReceived++;
        try {
          this.listener?.onReceive({ bytes: line.bytes, rssi: line.rssi, snr: line.snr });
        } catch (err) {
          this.log.error({ err }, 'radio listener threw in onReceive');
        }
        return;
      case 'bad-rx':
        this.countDrop('bad-rx-payload', line.reason);
        return;
      case 'rx-timeout':
        // Someone opened a one-off receive window; continuous receive is what we want.
        if (this.stateValue === 'ready' && !this.transmitting) {
          this.channel.command(AT_CONTINUOUS_RX).catch((err: unknown) => this.faulted(asFirmwareError(err)));
        }
        return;
      case 'restarted':
        this.onRestarted(line.workMode);
        return;
      case 'banner':
        this.log.debug({ line: line.text }, 'modem banner');
        return;
      case 'event':
        this.stats.ignoredEvents++;
        return;
    }
  }

  private onRestarted(workMode: string): void {
    if (this.restartWatch) {
      // Some builds restart without printing OK to AT+NWM=0 first.
      this.channel.completeIf(AT_P2P_MODE);
      this.restartWatch.resolve(true);
      return;
    }
    if (this.stateValue === 'closed' || this.closing) return;
    this.stats.resets++;
    this.restartedUnexpectedly = true;
    const reason = `the LoRa modem restarted on its own (now in ${workMode} mode) and forgot its receive mode`;
    this.log.warn(reason);
    if (this.stateValue === 'configuring') this.failPending(reason, 'E_MODEM_ERROR');
    else this.startRecovery(reason, 'E_MODEM_ERROR');
  }

  private countDrop(reason: ModemDropReason, detail: string): void {
    switch (reason) {
      case 'garbage-line':
        this.stats.garbageLines++;
        break;
      case 'bad-rx-payload':
        this.stats.badRxPayloads++;
        break;
      case 'timeout':
        this.stats.timeouts++;
        break;
      case 'modem-error':
        this.stats.modemErrors++;
        break;
    }
    this.log.debug({ reason, detail }, 'dropped');
    for (const fn of this.dropListeners) {
      try {
        fn(reason, detail);
      } catch (err) {
        this.log.error({ err }, 'drop listener threw');
      }
    }
  }

  private setState(state: ModemState, reason: string): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.log.info({ state, reason }, 'LoRa modem state');
    for (const fn of this.stateListeners) {
      try {
        fn(state, reason);
      } catch (err) {
        this.log.error({ err }, 'state listener threw');
      }
    }
  }
}
