// The shared air of the simulator: who hears whom, half-duplex radios, per-frame link loss, and
// collisions between overlapping receptions (the clearly stronger one is captured).
//
// Link loss is drawn by reception, not from a running stream: whether receiver R loses the n-th
// copy of frame F that transmitter T put on air is a hash of the run's seed, T, R, F and n, where F
// is the scenario's own number for a measured frame (packet ids differ between strategies) and
// (sender, packet id) for any other. Strategies compared on one seed then meet the same losses on
// every transmission they share: with one stream, a strategy that sent one frame more moved every
// later draw, and even two nodes (where relaying changes nothing) reached 65-100 % by strategy.

import type { Random } from '../core/random.ts';
import type { Scheduler } from '../core/scheduler.ts';
import { timeOnAirMs } from '../phy/airtime.ts';
import type { LoRaParams } from '../phy/lora-params.ts';
import type { Radio, RadioListener } from '../phy/radio.ts';
import { HEADER_SIZE, framePacketId, frameSender } from '../frame/header.ts';

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
  /** The scenario's number (1, 2, ...) for frame (from, id) when it measures it: the same frame whatever the strategy. */
  frameLabel?: (from: number, id: number) => number | undefined;
  /** Sees every transmission (the scenario uses it to attribute airtime to frames). */
  onTransmit?: (from: number, bytes: Uint8Array, airtimeMs: number) => void;
  /** A radio in range starts hearing a transmission that lasts `airtimeMs` (carrier sense for remote radios). */
  onCarrier?: (receiver: number, airtimeMs: number) => void;
}

interface Reception {
  from: number;
  /** What the loss draw is fixed by besides the two radios: the frame, and which copy of it from this transmitter. */
  draw: readonly [number, number, number, number];
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
  /** The run's seed for loss draws (one number from `random`). */
  private readonly seed: number;
  /** Copies put on air so far, by transmitter and frame. */
  private readonly copies = new Map<string, number>();

  constructor(private readonly options: MediumOptions) {
    this.loss = options.lossProbability ?? 0;
    this.captureDb = options.captureDb ?? 6;
    this.seed = Math.floor(options.random.next() * 0x100000000) >>> 0;
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
    const frameFrom = frameWord(bytes, 4);
    const frameId = frameWord(bytes, 8);
    const label = this.options.frameLabel?.(frameFrom, frameId);
    const frameKey = label === undefined ? `${sender.id}:${frameFrom}:${frameId}` : `${sender.id}:#${label}`;
    const copy = this.copies.get(frameKey) ?? 0;
    this.copies.set(frameKey, copy + 1);
    const draw = label === undefined ? ([0, frameFrom, frameId, copy] as const) : ([1, 0, label, copy] as const);
    const reached: SimRadio[] = [];
    const hearers = this.options.hearers?.(sender.id);
    const candidates: Iterable<SimRadio> = hearers ? this.radiosOf(hearers) : this.radios.values();
    for (const r of candidates) {
      if (r === sender) continue;
      const link = this.options.link(sender.id, r.id);
      if (!link) continue;
      reached.push(r);
      const rx: Reception = { from: sender.id, draw, link, bytes, start: now, end: now + airtime, corrupted: r.transmittingUntil > now };
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
      if (this.loss > 0 && lossDraw(this.seed, rx.from, r.id, ...rx.draw) < this.loss) {
        this.stats.lostToLoss++;
        continue;
      }
      this.stats.receptions++;
      r.listener?.onReceive({ bytes: rx.bytes.slice(), rssi: rx.link.rssi, snr: rx.link.snr });
    }
    r.receptions = keep;
  }
}

/** A frame's sender and packet id as its header has them, or 0 for bytes too short to have a header. */
function frameWord(bytes: Uint8Array, at: 4 | 8): number {
  if (bytes.length < HEADER_SIZE) return 0;
  return at === 4 ? frameSender(bytes) : framePacketId(bytes);
}

/** A uniform draw in [0, 1) fixed by its inputs (murmur3's 32-bit mixing). */
function lossDraw(seed: number, ...values: number[]): number {
  let h = seed;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 0x100000000;
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
