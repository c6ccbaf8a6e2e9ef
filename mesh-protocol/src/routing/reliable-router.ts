// Reliable delivery over next-hop routing and the flood (Meshtastic's ReliableRouter): our frames with want_ack are sent
// again, after a jittered timeout, until acknowledged or out of attempts; the destination answers
// them with a Routing ack (again when the sender retries), and a broadcast counts as acknowledged
// when we overhear a neighbour relay it. Every wait ends in exactly one `ack` or `nak`.

import { BROADCAST, MAX_HOP_LIMIT, type FrameHeader } from '../frame/header.ts';
import type { Data } from '../frame/schema.ts';
import type { TimerHandle } from '../core/scheduler.ts';
import { ackTimeoutMs } from './ack-timeout.ts';
import { NextHopRouter } from './next-hop-router.ts';
import { CW_MAX } from './relay-policy.ts';
import type { OwnFrame } from './router-core.ts';
import type { NakReason } from './router-events.ts';
import type { DropReason } from './router-stats.ts';
import type { SeenFrame } from './seen-frame.ts';

interface PendingAck {
  frame: OwnFrame;
  /** Retransmissions still allowed. */
  left: number;
  /** The extra flooded try a frame first sent by a route gets, so routing never costs a flood's chances. */
  floodOwed: boolean;
  timer?: TimerHandle;
}

/** Re-acknowledge a duplicate of a frame we already acked at most this often. */
const REACK_INTERVAL_MS = 5_000;

export class ReliableRouter extends NextHopRouter {
  private readonly awaitingAck = new Map<number, PendingAck>();
  private readonly ackFrames = new WeakSet<OwnFrame>();
  /** Our latest ack of each message we answered, by the message's record. */
  private readonly ackOf = new WeakMap<SeenFrame, number>();

  protected override originated(frame: OwnFrame): void {
    super.originated(frame);
    if (frame.wantAck) this.awaitingAck.set(frame.id, { frame, left: this.maxTransmissions - 1, floodOwed: true });
  }

  protected override ownFrameSent(frame: OwnFrame): void {
    super.ownFrameSent(frame);
    this.armRetry(frame.id);
  }

  // A frame the queue could not send never went on air: retrying at once would burn every attempt
  // within milliseconds of a radio fault. The sender hears why and decides when to try again (a
  // device's outbox backs off).
  protected override ownFrameDropped(frame: OwnFrame, reason: DropReason): void {
    if (!this.awaitingAck.has(frame.id) && !this.ackFrames.has(this.unwrapped(frame))) return super.ownFrameDropped(frame, reason);
    // Answered here, not by the layers below (they would report it a second time), except that
    // a hand-over of it waits for nothing now.
    this.handOverDropped(frame);
    // A dropped ack is counted; the sender's retry will draw another.
    if (this.awaitingAck.has(frame.id)) this.settle(frame.id, { nak: reason });
  }

  protected override ownFrameHeard(header: FrameHeader, transmitter: number | undefined): void {
    // Someone relayed our frame: for a broadcast that is the implicit ack.
    const pending = this.awaitingAck.get(header.id);
    if (pending && pending.frame.to === BROADCAST) this.settle(header.id, { ackBy: transmitter ?? 0, implicit: true });
    super.ownFrameHeard(header, transmitter);
  }

  protected override duplicateHeard(record: SeenFrame, header: FrameHeader, bytes: Uint8Array, now: number): void {
    // The sender retried (or the last relay handed it again): our ack was probably lost. Unless it
    // is still being handed over by route, which repeats it on its own: a second ack would double
    // the way back.
    const ack = this.ackOf.get(record);
    if (
      header.to === this.nodeId &&
      header.wantAck &&
      now - record.lastAckSentAt >= REACK_INTERVAL_MS &&
      (ack === undefined || !this.handingOver(ack)) &&
      // A try sealed anew, or a relay handing it again soon; not a recording played back (one ack
      // every 5 s is all of EU868's 10 % duty cycle).
      this.triedAgain(record, header, bytes.length, now)
    ) {
      this.sendAck(header, now, record);
    }
    super.duplicateHeard(record, header, bytes, now);
  }

  protected override messageForUs(header: FrameHeader, data: Data, record: SeenFrame, now: number): void {
    super.messageForUs(header, data, record, now);
    if (data.routing && data.requestId) {
      // Only the node we sent to can answer for it.
      if (this.awaitingAck.get(data.requestId)?.frame.to !== header.from) return;
      if (data.routing.error === 'NONE') this.settle(data.requestId, { ackBy: header.from, implicit: false });
      else this.settle(data.requestId, { nak: data.routing.error });
      return;
    }
    if (header.wantAck) this.sendAck(header, now, record);
  }

  private armRetry(id: number): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    pending.timer?.cancel();
    // A random extra wait: two hidden nodes whose first frames collided would otherwise retry in
    // lock-step and collide again every time.
    const jitterMs = this.random.int(2 ** CW_MAX) * this.slotMs;
    const timeoutMs = ackTimeoutMs(this.radio.params, this.slotMs, this.hopLimit, pending.frame.length);
    pending.timer = this.scheduler.schedule(timeoutMs + jitterMs, () => this.retryOrGiveUp(id));
  }

  private retryOrGiveUp(id: number): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    // A retry by route costs a few transmissions, not a flood's: it does not use up an attempt.
    if (!this.routesNext(pending.frame)) {
      if (pending.left <= 0 && pending.floodOwed && this.wentByRoute(pending.frame)) pending.floodOwed = false;
      else if (pending.left <= 0) return this.settle(id, { nak: 'MAX_RETRANSMIT' });
      else pending.left--;
    }
    this.stats.retransmissions++;
    this.transmitOwn(pending.frame, 'origin', false);
  }

  /** Ends the wait for an ack of our frame `id`, one way or the other. */
  private settle(id: number, outcome: { ackBy: number; implicit: boolean } | { nak: NakReason }): void {
    const pending = this.awaitingAck.get(id);
    if (!pending) return;
    pending.timer?.cancel();
    this.awaitingAck.delete(id);
    if ('nak' in outcome) {
      this.stats.naks++;
      this.emit('nak', { id, reason: outcome.nak });
    } else {
      this.stats.acksReceived++;
      this.emit('ack', { id, by: outcome.ackBy, implicit: outcome.implicit });
    }
  }

  private sendAck(header: FrameHeader, now: number, record: SeenFrame): void {
    record.lastAckSentAt = now;
    // Enough hops to retrace the request's path (even beyond our own default), plus slack for
    // a different way back when that stays within our limit.
    const used = header.hopStart - header.hopLimit;
    const hopLimit = Math.min(MAX_HOP_LIMIT, used >= this.hopLimit ? used : Math.min(used + 2, this.hopLimit));
    const ack = this.ownFrame(header.from, Math.max(hopLimit, 1), false, { routing: { error: 'NONE' }, requestId: header.id });
    this.ackFrames.add(ack);
    this.ackOf.set(record, ack.id);
    // Through the layers below, so the ack takes the route back that the request just taught us.
    this.transmitOwn(ack, 'ack', false);
  }
}
