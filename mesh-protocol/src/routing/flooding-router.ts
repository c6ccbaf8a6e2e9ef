// Managed flooding (Meshtastic's FloodingRouter): a new frame not only for us is relayed while hops
// remain, when and whether the RelayPolicy says; the relay stays cancellable until it is on air,
// and a copy overheard meanwhile may cancel it. The router owns the mechanics, the policy decides.

import { lastByte, relayCopy, type FrameHeader } from '../frame/header.ts';
import { LORA_MAX_PAYLOAD } from '../phy/lora-params.ts';
import { ackTimeoutMs } from './ack-timeout.ts';
import { CoverageFloodPolicy } from './coverage-flood-policy.ts';
import type { RelayContext, RelayPolicy } from './relay-policy.ts';
import { RouterCore, type RouterOptions } from './router-core.ts';
import type { PendingRelay, SeenFrame } from './seen-frame.ts';

export class FloodingRouter extends RouterCore {
  readonly policy: RelayPolicy;
  /** One context, filled for each question to the policy, which keeps none of it (RelayPolicy). */
  private readonly ctx: RelayContext;

  constructor(options: RouterOptions) {
    super(options);
    this.policy = options.policy ?? new CoverageFloodPolicy();
    this.ctx = {
      self: this.nodeId,
      header: undefined as unknown as FrameHeader, // set before every question
      snr: 0,
      transmitters: [],
      copies: 0,
      slotMs: this.slotMs,
      airtimeSlots: 0,
      urgent: false,
      random: this.random,
      neighbors: this.neighbors,
      now: 0,
      lastResort: false,
    };
  }

  protected override newFrameHeard(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    super.newFrameHeard(record, header, bytes, now);
    if (header.to !== this.nodeId && header.hopLimit > 0) this.considerRelay(record, header, bytes, now);
  }

  protected override duplicateHeard(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    super.duplicateHeard(record, header, bytes, now);
    const pending = record.pendingRelay;
    if (pending) {
      // A copy that came by fewer hops lets ours go farther; one claiming another hop start is not
      // the frame our relay carries (a forgery, or a sender that changed its hop limit) and must
      // not stretch it past what its own header allows.
      if (header.hopStart === pending.hopStart && header.hopLimit > pending.hopLimit + 1) pending.hopLimit = header.hopLimit - 1;
      if (this.policy.cancelOnDuplicate(this.relayContext(record, header, bytes.length, now, pending.lastResort))) {
        pending.timer.cancel();
        pending.cancelled = true;
        record.pendingRelay = undefined;
        this.stats.relaysCancelled++;
      }
    } else if (
      header.to !== this.nodeId &&
      header.hopLimit > 0 &&
      header.hopLimit === header.hopStart &&
      header.counter > record.counter &&
      record.relayed > 0 &&
      this.retryToCarry(record, bytes.length, now)
    ) {
      // The origin itself sent this again (sealed anew, so with a higher counter: a copy with the
      // same counter is a recording played back, which anyone with a radio can do for as long as
      // the dedup cache remembers the frame): it is retrying because the flood did not get
      // through, so carry the retry once more.
      this.considerRelay(record, header, bytes, now);
    }
  }

  /**
   * Whether a copy of a frame we hold asks for something again (an ack, a hand-over): its origin
   * seals every try anew, with a higher counter than any copy heard, and a relay hands a try again
   * only soon after that try first reached us, within an ack timeout. Anything else is a recording
   * played back, which anyone with a radio can do for as long as the dedup cache remembers the
   * frame; answering each would spend our airtime, and our duty-cycle budget, at their will.
   */
  protected triedAgain(record: SeenFrame, header: FrameHeader, length: number, now: number): boolean {
    return header.counter > record.counter || now - record.counterAt < ackTimeoutMs(this.radio.params, this.slotMs, this.hopLimit, length);
  }

  /**
   * Whether a copy sent again (by its origin, or flooded again) is a retry for us to take up: it
   * came at least half an ack timeout after we first heard the frame, or last took up a retry of
   * it, so it is no late echo of a copy we carried. Not a count: a device's outbox tries a message
   * again with the same id long after its router gave up (so that a destination that got it
   * already does not deliver it twice), and those tries must be carried as the first was.
   */
  protected retryToCarry(record: SeenFrame, length: number, now: number): boolean {
    if (now - record.carriedAt < ackTimeoutMs(this.radio.params, this.slotMs, this.hopLimit, length) / 2) return false;
    record.carriedAt = now;
    return true;
  }

  /**
   * Relays a copy decided elsewhere (a frame handed over MQTT): queued at once, without the
   * policy's wait, and not cancellable.
   */
  protected relayNow(record: SeenFrame, copy: Uint8Array): void {
    this.tx.enqueue({
      length: copy.length,
      kind: 'relay',
      urgent: record.urgent,
      prepare: () => (record.relayed++, copy),
      onSent: () => this.stats.relaysSent++,
    });
  }

  protected considerRelay(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    const ctx = this.relayContext(record, header, bytes.length, now);
    let delay = this.policy.relayDelay(ctx);
    const lastResort = delay === null;
    if (lastResort) delay = this.policy.lastResortDelay?.(ctx) ?? null;
    if (delay === null) return;
    // A last resort waits for others' relays and mostly stands down: it holds nothing back meanwhile.
    if (record.urgent && !lastResort) this.tx.holdForUrgent(delay);
    this.stats.relaysScheduled++;
    const pending: PendingRelay = {
      hopStart: header.hopStart,
      hopLimit: header.hopLimit - 1,
      cancelled: false,
      lastResort,
      timer: this.scheduler.schedule(delay, () => {
        const copy = relayCopy(bytes, { hopLimit: pending.hopLimit, relayNode: lastByte(this.nodeId) });
        this.tx.enqueue({
          length: copy.length,
          kind: 'relay',
          urgent: record.urgent,
          // Still cancellable while it waits for a clear channel.
          prepare: () => {
            if (pending.cancelled) return null;
            record.pendingRelay = undefined;
            record.relayed++;
            return copy;
          },
          onSent: () => this.stats.relaysSent++,
        });
      }),
    };
    record.pendingRelay = pending;
  }

  private relayContext(record: SeenFrame, header: FrameHeader, length: number, now: number, lastResort = false): RelayContext {
    const ctx = this.ctx;
    ctx.header = header;
    ctx.snr = record.snr;
    ctx.transmitters = record.transmitters;
    ctx.copies = record.copies;
    ctx.airtimeSlots = this.airtimeMs(Math.min(length, LORA_MAX_PAYLOAD)) / this.slotMs;
    ctx.urgent = record.urgent > 0;
    ctx.now = now;
    ctx.lastResort = lastResort;
    return ctx;
  }
}
