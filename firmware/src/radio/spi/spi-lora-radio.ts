// A LoRa chip on SPI as the node's radio: the state machine (closed -> configuring -> ready <->
// recovering) over a LoraChip (SX126x or SX127x). It serialises every chip operation, services
// the chip's interrupt, listens before it talks (channel activity detection), watches each
// transmission with a timeout, measures its time on air, and brings a chip that stopped answering
// (BUSY stuck, reset on its own, TX never done) back with a counted reset. A link that broke on its
// own (a GPIO helper process died) is closed and opened again as part of that recovery.

import pino from 'pino';
import {
  LORA_MAX_PAYLOAD,
  RealScheduler,
  slotTimeMs,
  symbolTimeMs,
  timeOnAirMs,
  type LoRaParams,
  type RadioListener,
  type Scheduler,
  type TimerHandle,
} from '@unibos/mesh-protocol';
import { FirmwareError } from '../../firmware-error.ts';
import type { ManagedRadio } from '../../node/managed-radio.ts';
import type { ChipIrq, LoraChip } from './lora-chip.ts';
import { transmitRefusal } from '../transmit-refusal.ts';

export type SpiRadioState = 'closed' | 'configuring' | 'ready' | 'recovering';

/** Reads of the flags per interrupt while the line stays high; more means the flags will not clear. */
const MAX_IRQ_PASSES = 4;

export interface SpiLoraRadioOptions {
  chip: LoraChip;
  params: LoRaParams;
  /** The board, for messages ("waveshare-sx1262-hat"). */
  board: string;
  scheduler?: Scheduler;
  logger?: pino.Logger;
  /** Added to the computed time on air before a missing TxDone counts as a hang; default 1000 ms. */
  txMarginMs?: number;
  /** Channel activity detections before a transmission that find the channel busy before it fails; default 3. */
  cadTries?: number;
  /** Listen before talk with CAD; default true. */
  listenBeforeTalk?: boolean;
  /** How long one CAD may take before it counts as a hang; default 500 ms. */
  cadTimeoutMs?: number;
  /** An idle check this often catches a chip that reset or left receive on its own; 0 turns it off. */
  healthCheckMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** 0..1, for the listen-before-talk backoff; injected so tests replay. */
  random?: () => number;
}

export interface SpiRadioStats {
  framesSent: number;
  framesReceived: number;
  /** Every transmit reported with ok=false (refusals included). */
  transmitFailures: number;
  crcErrors: number;
  headerErrors: number;
  /** Interrupts with no flag set, or flags nobody waited for. */
  spuriousIrqs: number;
  /** Transmissions whose TxDone never came. */
  txTimeouts: number;
  /** Chip operations that failed (BUSY stuck, no answer). */
  chipErrors: number;
  /** Times the chip was found to have reset on its own (configuration lost). */
  unexpectedResets: number;
  /** RESET pulses we gave (open and every recovery). */
  hardwareResets: number;
  /** Times the chip was brought back to ready after a fault. */
  recoveries: number;
  /** Times the link broke on its own (a gpiomon or gpioset died) and was opened again. */
  linkFaults: number;
  cadRuns: number;
  cadBusy: number;
  /** Transmissions given up because every CAD found the channel busy. */
  channelBusyFailures: number;
  /** Times the chip was found out of receive and put back. */
  rxRestarts: number;
  /** Transmissions that waited for a frame the chip was in the middle of receiving, rather than cut it off. */
  receptionsWaitedFor: number;
  /** A preamble with no header after two preambles' time, or a header with no end after the longest frame's: noise, no longer waited for. */
  falseDetections: number;
  /** Time on air of the last frame: measured (SetTx to TxDone) and the model's figure. */
  lastTimeOnAirMs: number;
  lastModelTimeOnAirMs: number;
  /** Sum of measured time on air. */
  airtimeMs: number;
}

interface IrqWaiter {
  kind: 'tx' | 'cad';
  settle(irq: ChipIrq | Error): void;
}

export class SpiLoraRadio implements ManagedRadio {
  readonly params: LoRaParams;
  readonly stats: SpiRadioStats = {
    framesSent: 0,
    framesReceived: 0,
    transmitFailures: 0,
    crcErrors: 0,
    headerErrors: 0,
    spuriousIrqs: 0,
    txTimeouts: 0,
    chipErrors: 0,
    unexpectedResets: 0,
    hardwareResets: 0,
    recoveries: 0,
    linkFaults: 0,
    cadRuns: 0,
    cadBusy: 0,
    channelBusyFailures: 0,
    rxRestarts: 0,
    receptionsWaitedFor: 0,
    falseDetections: 0,
    lastTimeOnAirMs: 0,
    lastModelTimeOnAirMs: 0,
    airtimeMs: 0,
  };
  readonly chip: LoraChip;
  private readonly board: string;
  private readonly scheduler: Scheduler;
  private readonly log: pino.Logger;
  private readonly txMarginMs: number;
  private readonly cadTries: number;
  private readonly lbt: boolean;
  private readonly cadTimeoutMs: number;
  private readonly healthCheckMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly random: () => number;

  private listener: RadioListener | undefined;
  private stateValue: SpiRadioState = 'closed';
  private readonly stateListeners = new Set<(state: SpiRadioState, reason: string) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private waiter: IrqWaiter | undefined;
  private transmitting = false;
  private irqPending = 0;
  private carrierUntil = 0;
  private closing = false;
  private recovering = false;
  private offInterrupt: (() => void) | undefined;
  private offLinkFault: (() => void) | undefined;
  /** The link broke since it was opened: the next recovery attempt closes and opens it first. */
  private linkBroken = false;
  /** Link faults in a row (each within a minute of the last), for the backoff before reopening. */
  private linkFaultStreak = 0;
  private lastLinkFaultMs = -Infinity;
  private healthTimer: TimerHandle | undefined;
  private readonly sleepers = new Set<() => void>();

  constructor(options: SpiLoraRadioOptions) {
    this.chip = options.chip;
    this.params = options.params;
    this.board = options.board;
    this.scheduler = options.scheduler ?? new RealScheduler();
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'spi-radio', chip: options.chip.model, board: options.board });
    this.txMarginMs = options.txMarginMs ?? 1000;
    this.cadTries = Math.max(1, options.cadTries ?? 3);
    this.lbt = options.listenBeforeTalk ?? true;
    this.cadTimeoutMs = options.cadTimeoutMs ?? 500;
    this.healthCheckMs = options.healthCheckMs ?? 30_000;
    this.reconnectMinMs = options.reconnectMinMs ?? 250;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? 10_000);
    this.random = options.random ?? Math.random;
  }

  get state(): SpiRadioState {
    return this.stateValue;
  }

  onStateChange(fn: (state: SpiRadioState, reason: string) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  /** Claims the bus and pins, resets and identifies the chip, configures it and starts receiving. */
  async open(): Promise<void> {
    if (this.stateValue !== 'closed') throw new FirmwareError('E_MODEM_BUSY', `the ${this.chip.model} on ${this.board} is already ${this.stateValue}`);
    this.closing = false;
    this.setState('configuring', 'opening');
    try {
      await this.openLink();
      await this.run(() => this.bringUp());
    } catch (err) {
      this.dropLinkListeners();
      await this.chip.close().catch(() => undefined);
      this.setState('closed', 'open failed');
      throw asFirmwareError(err);
    }
    this.setState('ready', 'configured');
    this.scheduleHealthCheck();
    // It broke while it was being configured: recover at once.
    if (this.linkBroken) this.startRecovery('the GPIO link broke while the radio was opening');
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.closing = true;
    this.healthTimer?.cancel();
    for (const wake of [...this.sleepers]) wake();
    this.failWaiter(new FirmwareError('E_MODEM_UNAVAILABLE', 'the radio was closed'));
    await this.chain.catch(() => undefined);
    this.dropLinkListeners();
    await this.chip.close().catch(() => undefined);
    this.linkBroken = false;
    this.setState('closed', 'closed');
  }

  transmit(frame: Uint8Array): void {
    const refusal = transmitRefusal(frame, {
      transmitting: this.transmitting,
      ready: this.stateValue === 'ready' && !this.closing,
      notReady: `the ${this.chip.model} on ${this.board} is ${this.closing ? 'closing' : this.stateValue}`,
    });
    if (refusal !== undefined) {
      this.stats.transmitFailures++;
      this.report(false, refusal);
      return;
    }
    this.transmitting = true;
    void this.runTransmit(Uint8Array.from(frame));
  }

  /** Real carrier sense: our own transmission, an interrupt not yet read, or a CAD detection within a frame's time. */
  isChannelBusy(): boolean {
    return this.transmitting || this.irqPending > 0 || this.scheduler.now() < this.carrierUntil;
  }

  // --- transmit -------------------------------------------------------------------------------

  private async runTransmit(frame: Uint8Array): Promise<void> {
    let failure: FirmwareError | undefined;
    try {
      if (this.lbt) await this.listenBeforeTalk();
      else await this.letReceptionFinish();
      const modelMs = timeOnAirMs({ ...this.params, sf: Math.max(6, this.params.sf) }, frame.length);
      const timeoutMs = Math.ceil(modelMs) + this.txMarginMs;
      const done = this.waitIrq('tx', timeoutMs);
      let startedAt = 0;
      await this.run(async () => {
        await this.chip.standby();
        // Receive has stopped, but a frame it finished may not be read yet (its interrupt queued
        // behind us, or not heard yet): it sits where the transmission is about to be written. Take it first.
        const pending = await this.chip.takeIrq();
        if (pending.raw !== 0 && !onlyArrival(pending)) await this.handleIrq(pending);
        await this.chip.transmit(frame, timeoutMs);
        startedAt = this.scheduler.now();
      }).catch((err: unknown) => {
        this.failWaiter(asFirmwareError(err));
        throw err;
      });
      const irq = await done;
      if (irq.timeout || !irq.txDone) {
        this.stats.txTimeouts++;
        throw new FirmwareError('E_MODEM_TIMEOUT', `the ${this.chip.model} reported a TX timeout`);
      }
      const measured = this.scheduler.now() - startedAt;
      this.stats.lastTimeOnAirMs = measured;
      this.stats.lastModelTimeOnAirMs = modelMs;
      this.stats.airtimeMs += measured;
      this.stats.framesSent++;
      this.log.debug({ bytes: frame.length, measuredMs: Math.round(measured), modelMs: Math.round(modelMs) }, 'sent');
    } catch (err) {
      failure = asFirmwareError(err);
    }
    if (failure && failure.code !== 'E_MODEM_BUSY') await this.faulted(failure);
    // Listen again whether or not the frame went out: a deaf node is worse off than one that lost a frame.
    if (this.stateValue === 'ready' && !this.closing) {
      await this.run(() => this.chip.receive()).catch((err: unknown) => this.faulted(asFirmwareError(err)));
    }
    this.transmitting = false;
    if (failure) {
      this.stats.transmitFailures++;
      this.report(false, failure.message);
    } else {
      this.report(true);
    }
  }

  /**
   * Waits, a contention slot at a time, while the chip is in the middle of receiving a frame:
   * standby (for a CAD or the transmission) would cut it off, and CAD only looks for a preamble.
   * A preamble with no header after two preambles' time, or a header with no end after the longest
   * frame's time, is noise (as Meshtastic's RadioLibInterface::receiveDetected judges it).
   */
  private async letReceptionFinish(): Promise<void> {
    let since: number | undefined;
    for (;;) {
      const reception = await this.run(() => this.chip.receiving());
      if (reception === 'none') return;
      const now = this.scheduler.now();
      if (since === undefined) {
        since = now;
        this.stats.receptionsWaitedFor++;
        this.sawCarrier();
      }
      const sf = Math.max(6, this.params.sf);
      const limitMs =
        reception === 'preamble'
          ? 2 * (this.params.preambleSymbols + 4.25) * symbolTimeMs({ sf, bandwidthHz: this.params.bandwidthHz })
          : timeOnAirMs({ ...this.params, sf }, LORA_MAX_PAYLOAD);
      if (now - since > limitMs) {
        this.stats.falseDetections++;
        this.log.debug({ reception, waitedMs: Math.round(now - since) }, 'ignoring a detection that never became a frame');
        return;
      }
      await this.sleep(slotTimeMs({ sf, bandwidthHz: this.params.bandwidthHz }));
      if (this.stateValue !== 'ready' || this.closing) throw new FirmwareError('E_MODEM_UNAVAILABLE', `the radio became ${this.stateValue}`);
    }
  }

  private async listenBeforeTalk(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // Before every CAD, the first and those after a busy one alike: the preamble a CAD detected is
      // by now a frame being received, which the CAD's standby would cut off.
      await this.letReceptionFinish();
      const done = this.waitIrq('cad', this.cadTimeoutMs);
      this.stats.cadRuns++;
      await this.run(() => this.chip.startCad()).catch((err: unknown) => {
        this.failWaiter(asFirmwareError(err));
        throw err;
      });
      const irq = await done;
      if (!irq.cadDetected) return;
      this.stats.cadBusy++;
      this.sawCarrier();
      if (attempt >= this.cadTries) {
        this.stats.channelBusyFailures++;
        throw new FirmwareError('E_MODEM_BUSY', `channel busy: ${this.cadTries} channel activity detections heard another transmission`);
      }
      // Back off a random number of contention slots, then look again.
      await this.run(() => this.chip.receive());
      await this.sleep((1 + Math.floor(this.random() * 4)) * slotTimeMs({ sf: Math.max(6, this.params.sf), bandwidthHz: this.params.bandwidthHz }));
      if (this.stateValue !== 'ready' || this.closing) throw new FirmwareError('E_MODEM_UNAVAILABLE', `the radio became ${this.stateValue}`);
    }
  }

  private waitIrq(kind: IrqWaiter['kind'], timeoutMs: number): Promise<ChipIrq> {
    const waiting = new Promise<ChipIrq>((resolve, reject) => {
      const timer = this.scheduler.schedule(timeoutMs, () => {
        if (this.waiter !== waiter) return;
        this.waiter = undefined;
        if (kind === 'tx') this.stats.txTimeouts++;
        reject(new FirmwareError('E_MODEM_TIMEOUT', `the ${this.chip.model} did not signal ${kind === 'tx' ? 'TxDone' : 'CadDone'} within ${timeoutMs} ms`));
      });
      const waiter: IrqWaiter = {
        kind,
        settle: (v) => {
          timer.cancel();
          if (this.waiter === waiter) this.waiter = undefined;
          if (v instanceof Error) reject(v);
          else resolve(v);
        },
      };
      this.waiter = waiter;
    });
    // Its owner may stop before awaiting it (the start command failed): that is no unhandled rejection.
    waiting.catch(() => undefined);
    return waiting;
  }

  private failWaiter(err: Error): void {
    this.waiter?.settle(err);
  }

  // --- interrupts -----------------------------------------------------------------------------

  private interrupted(): void {
    if (this.stateValue === 'closed') return;
    // Until it is read, the interrupt may be a frame in hand: the channel counts as busy.
    this.irqPending++;
    void this.run(() => this.serviceIrq())
      .catch((err: unknown) => this.faulted(asFirmwareError(err)))
      .finally(() => this.irqPending--);
  }

  private async serviceIrq(): Promise<void> {
    // A flag raised between reading the flags and clearing them keeps the line high, and a line
    // already high gives no new rising edge: read again while it is high, or the node goes deaf.
    for (let pass = 1; pass <= MAX_IRQ_PASSES; pass++) {
      const irq = await this.chip.takeIrq();
      // Nothing left: the line's fall had not been heard yet.
      if (pass > 1 && irq.raw === 0) return;
      await this.handleIrq(irq);
      if (!this.chip.irqLineHigh()) return;
    }
  }

  private async handleIrq(irq: ChipIrq): Promise<void> {
    let used = false;
    if (irq.headerError) {
      this.stats.headerErrors++;
      used = true;
    }
    if (irq.rxDone) {
      used = true;
      if (irq.crcError) {
        this.stats.crcErrors++;
        this.log.debug('dropped a frame with a CRC error');
      } else {
        const packet = await this.chip.readPacket();
        this.stats.framesReceived++;
        this.sawCarrier(0);
        try {
          this.listener?.onReceive(packet);
        } catch (err) {
          this.log.error({ err }, 'radio listener threw in onReceive');
        }
      }
    }
    if (irq.cadDone || irq.txDone || irq.timeout) {
      const w = this.waiter;
      const wanted = w && ((w.kind === 'cad' && irq.cadDone) || (w.kind === 'tx' && (irq.txDone || irq.timeout)));
      if (wanted) {
        w.settle(irq);
        used = true;
      }
    }
    if (!used) {
      this.stats.spuriousIrqs++;
      this.log.debug({ flags: irq.raw }, 'interrupt with nothing to do');
    }
  }

  private sawCarrier(forMs = timeOnAirMs({ ...this.params, sf: Math.max(6, this.params.sf) }, 64)): void {
    this.carrierUntil = Math.max(this.carrierUntil, this.scheduler.now() + forMs);
  }

  // --- bring-up and recovery ------------------------------------------------------------------

  private async bringUp(): Promise<void> {
    this.stats.hardwareResets++;
    await this.chip.reset();
    const id = await this.chip.identify();
    this.log.info({ chip: id.chip, evidence: id.evidence }, 'chip found');
    await this.chip.configure(this.params);
    const errors = await this.chip.deviceErrors();
    if (errors.length > 0) this.log.warn({ errors }, 'the chip reports device errors');
    await this.chip.receive();
  }

  private async faulted(err: FirmwareError): Promise<void> {
    this.stats.chipErrors++;
    if (this.closing || this.stateValue !== 'ready') return;
    // A chip that reset on its own says so by having forgotten LoRa mode; tell it apart from a hang.
    const lost = await this.run(() => this.chip.lostConfiguration()).catch(() => false);
    if (lost) this.stats.unexpectedResets++;
    this.startRecovery(lost ? `the ${this.chip.model} reset on its own (${err.message})` : err.message);
  }

  private startRecovery(reason: string): void {
    if (this.closing || this.stateValue === 'closed' || this.recovering) return;
    this.log.warn({ reason }, 'recovering the radio');
    this.failWaiter(new FirmwareError('E_MODEM_ERROR', reason));
    this.setState('recovering', reason);
    this.recovering = true;
    void this.recover();
  }

  private async recover(): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        // A link that keeps breaking (another program holding a line) is not reopened in a tight loop.
        if (this.linkBroken && this.linkFaultStreak > 1) await this.sleep(this.backoffMs(this.linkFaultStreak - 1));
        if (this.closing) break;
        await this.run(async () => {
          if (this.linkBroken) await this.reopenLink();
          await this.bringUp();
        });
        if (this.closing) break;
        if (this.linkBroken) throw new FirmwareError('E_MODEM_ERROR', 'the GPIO link broke again during recovery');
        this.recovering = false;
        this.stats.recoveries++;
        this.setState('ready', 'recovered');
        return;
      } catch (err) {
        if (this.closing) break;
        const waitMs = this.backoffMs(attempt);
        this.log.warn({ attempt, waitMs, err: asFirmwareError(err).message }, 'radio recovery attempt failed');
        await this.sleep(waitMs);
      }
    }
    this.recovering = false;
  }

  private backoffMs(attempt: number): number {
    return Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** Math.min(attempt - 1, 20));
  }

  /** Opens the chip's link and listens to its interrupt and its faults. */
  private async openLink(): Promise<void> {
    await this.chip.open();
    this.linkBroken = false;
    this.offInterrupt = this.chip.onInterrupt(() => this.interrupted());
    this.offLinkFault = this.chip.onLinkFault((err) => this.linkFaulted(err));
  }

  private dropLinkListeners(): void {
    this.offInterrupt?.();
    this.offInterrupt = undefined;
    this.offLinkFault?.();
    this.offLinkFault = undefined;
  }

  /** Within a recovery attempt: a fresh link (new GPIO helpers) before the chip is brought up again. */
  private async reopenLink(): Promise<void> {
    this.dropLinkListeners();
    await this.chip.close();
    await this.openLink();
    this.log.info('GPIO link reopened');
  }

  /** The GPIO link broke on its own (a helper process died): outputs are not held, or edges no longer come. */
  private linkFaulted(err: Error): void {
    if (this.closing || this.stateValue === 'closed') return;
    this.stats.linkFaults++;
    const now = this.scheduler.now();
    this.linkFaultStreak = now - this.lastLinkFaultMs < 60_000 ? this.linkFaultStreak + 1 : 1;
    this.lastLinkFaultMs = now;
    this.linkBroken = true;
    this.log.warn({ err: err.message }, 'GPIO link broke');
    if (this.stateValue === 'ready') this.startRecovery(`GPIO: ${err.message}`);
    // Configuring or recovering: the open, or the recovery attempt under way, sees linkBroken.
  }

  private scheduleHealthCheck(): void {
    this.healthTimer?.cancel();
    if (this.healthCheckMs <= 0 || this.closing) return;
    this.healthTimer = this.scheduler.schedule(this.healthCheckMs, () => {
      if (this.stateValue === 'ready' && !this.transmitting) void this.checkHealth();
      this.scheduleHealthCheck();
    });
  }

  /** Catches a chip that reset or left receive without an interrupt to say so. */
  async checkHealth(): Promise<void> {
    try {
      // A line left high with no service queued would never rise again: service it.
      if (this.chip.irqLineHigh() && this.irqPending === 0) await this.run(() => this.serviceIrq());
      const lost = await this.run(() => this.chip.lostConfiguration());
      if (lost) {
        this.stats.unexpectedResets++;
        this.startRecovery(`the ${this.chip.model} reset on its own`);
        return;
      }
      const mode = await this.run(() => this.chip.mode());
      if (mode !== 'RX' && !this.transmitting && this.stateValue === 'ready') {
        this.stats.rxRestarts++;
        await this.run(() => this.chip.receive());
      }
    } catch (err) {
      await this.faulted(asFirmwareError(err));
    }
  }

  // --- plumbing -------------------------------------------------------------------------------

  /** Runs chip operations one at a time: a transfer must never interleave with another. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
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

  private report(ok: boolean, error?: string): void {
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

  private setState(state: SpiRadioState, reason: string): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.log.info({ state, reason }, 'radio state');
    for (const fn of this.stateListeners) {
      try {
        fn(state, reason);
      } catch (err) {
        this.log.error({ err }, 'state listener threw');
      }
    }
  }
}

/** Flags that only said a frame was arriving: no event to handle (the frame's own RxDone or error follows, or it was noise). */
function onlyArrival(irq: ChipIrq): boolean {
  return irq.frameArriving && !irq.rxDone && !irq.headerError && !irq.crcError && !irq.txDone && !irq.cadDone && !irq.cadDetected && !irq.timeout;
}

export function asFirmwareError(err: unknown): FirmwareError {
  if (err instanceof FirmwareError) return err;
  return new FirmwareError('E_MODEM_ERROR', err instanceof Error ? err.message : String(err), { cause: err });
}
