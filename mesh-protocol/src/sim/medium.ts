// The shared air of the simulator: who hears whom, half-duplex radios, per-frame link loss, and
// collisions between overlapping receptions (the clearly stronger one is captured).

import type { Random } from '../core/random.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { timeOnAirMs } from '../phy/airtime.ts';
import type { LoRaParams } from '../phy/lora-params.ts';
import type { Radio, RadioListener } from '../phy/radio.ts';

export interface Link {
  rssi: number;
  snr: number;
}

export interface MediumOptions {
  params: LoRaParams;
  scheduler: Scheduler;
  random: Random;
  /** Signal at `to` from `from`, or null if below the demodulation floor. */
  link: (from: number, to: number) => Link | null;
  /**
   * The nodes that can hear `from` (those `link` gives a signal for), in the order their radios
   * were made. Without it every transmission asks `link` about every radio: O(n) per frame, which
   * a 500-node mesh cannot afford.
   */
  hearers?: (from: number) => readonly number[];
  /** Independent chance that an otherwise clean reception is lost (fading, interference). */
  lossProbability?: number;
  /** A reception survives an overlap only if it is this much stronger than each other one. */
  captureDb?: number;
  /** Sees every transmission (the scenario uses it to attribute airtime to frames). */
  onTransmit?: (from: number, bytes: Uint8Array, airtimeMs: number) => void;
  /** A radio in range starts hearing a transmission that lasts `airtimeMs` (carrier sense for remote radios). */
  onCarrier?: (receiver: number, airtimeMs: number) => void;
}

interface Reception {
  from: number;
  link: Link;
  bytes: Uint8Array;
  start: number;
  end: number;
  corrupted: boolean;
}

export interface MediumStats {
  transmissions: number;
  airtimeMs: number;
  receptions: number;
  collisions: number;
  lostToLoss: number;
  lostToHalfDuplex: number;
}

export class SimMedium {
  readonly stats: MediumStats = { transmissions: 0, airtimeMs: 0, receptions: 0, collisions: 0, lostToLoss: 0, lostToHalfDuplex: 0 };
  private readonly radios = new Map<number, SimRadio>();
  private readonly loss: number;
  private readonly captureDb: number;

  constructor(private readonly options: MediumOptions) {
    this.loss = options.lossProbability ?? 0;
    this.captureDb = options.captureDb ?? 6;
  }

  /** A radio for node `id` on this medium. */
  radio(id: number): SimRadio {
    let r = this.radios.get(id);
    if (!r) {
      r = new SimRadio(id, this);
      this.radios.set(id, r);
    }
    return r;
  }

  /** Takes node `id`'s radio off the air (a device that switched off or disconnected). */
  detach(id: number): void {
    const r = this.radios.get(id);
    if (!r) return;
    this.radios.delete(id);
    r.listener = undefined;
    r.receptions = [];
  }

  get params(): LoRaParams {
    return this.options.params;
  }

  /** @internal called by SimRadio */
  startTransmission(sender: SimRadio, bytes: Uint8Array): void {
    const { scheduler } = this.options;
    const now = scheduler.now();
    const airtime = timeOnAirMs(this.options.params, bytes.length);
    this.stats.transmissions++;
    this.stats.airtimeMs += airtime;
    this.options.onTransmit?.(sender.id, bytes, airtime);
    sender.transmittingUntil = now + airtime;
    // Anything the sender was receiving is lost: it cannot listen while it talks.
    for (const rx of sender.receptions) {
      if (!rx.corrupted) this.stats.lostToHalfDuplex++;
      rx.corrupted = true;
    }
    const reached: SimRadio[] = [];
    const hearers = this.options.hearers?.(sender.id);
    const candidates: Iterable<SimRadio> = hearers ? this.radiosOf(hearers) : this.radios.values();
    for (const r of candidates) {
      if (r === sender) continue;
      const link = this.options.link(sender.id, r.id);
      if (!link) continue;
      reached.push(r);
      const rx: Reception = { from: sender.id, link, bytes, start: now, end: now + airtime, corrupted: r.transmittingUntil > now };
      if (rx.corrupted) this.stats.lostToHalfDuplex++;
      for (const other of r.receptions) {
        if (other.end <= now) continue;
        if (rx.link.rssi - other.link.rssi < this.captureDb) {
          if (!rx.corrupted) this.stats.collisions++;
          rx.corrupted = true;
        }
        if (other.link.rssi - rx.link.rssi < this.captureDb) {
          if (!other.corrupted) this.stats.collisions++;
          other.corrupted = true;
        }
      }
      r.receptions.push(rx);
      this.options.onCarrier?.(r.id, airtime);
    }
    scheduler.schedule(airtime, () => {
      sender.transmittingUntil = 0;
      // Only radios that started hearing it have a reception to finish (a detached one has none left).
      for (const r of reached) this.finishReceptions(r, now + airtime, sender.id);
      sender.listener?.onTransmitDone(true);
    });
  }

  private *radiosOf(ids: readonly number[]): Iterable<SimRadio> {
    for (const id of ids) {
      const r = this.radios.get(id);
      if (r !== undefined) yield r;
    }
  }

  private finishReceptions(r: SimRadio, end: number, from: number): void {
    const keep: Reception[] = [];
    for (const rx of r.receptions) {
      if (rx.from !== from || rx.end !== end) {
        keep.push(rx);
        continue;
      }
      if (rx.corrupted) continue;
      if (this.loss > 0 && this.options.random.next() < this.loss) {
        this.stats.lostToLoss++;
        continue;
      }
      this.stats.receptions++;
      r.listener?.onReceive({ bytes: rx.bytes.slice(), rssi: rx.link.rssi, snr: rx.link.snr });
    }
    r.receptions = keep;
  }
}

/** A node's radio on the simulated medium; implements the same interface as the serial modem. */
export class SimRadio implements Radio {
  listener: RadioListener | undefined;
  receptions: Reception[] = [];
  transmittingUntil = 0;

  constructor(
    readonly id: number,
    private readonly medium: SimMedium,
  ) {}

  get params(): LoRaParams {
    return this.medium.params;
  }

  attach(listener: RadioListener): void {
    this.listener = listener;
  }

  transmit(frame: Uint8Array): void {
    if (this.transmittingUntil > 0) {
      this.listener?.onTransmitDone(false, 'already transmitting');
      return;
    }
    this.medium.startTransmission(this, frame);
  }

  isChannelBusy(): boolean {
    return this.transmittingUntil > 0 || this.receptions.length > 0;
  }
}
