// Traceroute over the routes direct messages use (Meshtastic's TraceRouteModule, re-framed): a
// relay cannot rewrite a sealed payload without reusing its origin's nonce, so every hop sends the
// trace on as a new frame of its own to its next hop, adding itself and the SNR it heard the trace
// at. The destination answers the same way back; the requester matches the answer by request id.

import { MeshError } from '../core/mesh-error.ts';
import type { Random } from '../core/random.ts';
import type { Scheduler, TimerHandle } from '../core/scheduler.ts';
import { BROADCAST } from '../frame/header.ts';
import type { Traceroute } from '../frame/schema.ts';
import type { Delivery } from './router-events.ts';
import type { DropReason } from './router-stats.ts';
import type { MeshRouter } from './router.ts';
import { TRACE_MAX_HOPS, UNKNOWN_NODE, UNKNOWN_SNR, checkTrace, snrOnAir, traceHops, type TraceHop } from './trace-route.ts';

/** How long a requester waits for the answer unless told otherwise: a few hops each way, with retries. */
export const DEFAULT_TRACE_TIMEOUT_MS = 90_000;
/** Traces of others this node carries or answers per minute: a trace costs airtime at every hop. */
export const TRACE_RATE_PER_MINUTE = 6;

export interface TraceResult {
  requestId: number;
  destination: number;
  /** From the requester (no SNR) to the destination, each hop with the SNR it heard the trace at. */
  towards: TraceHop[];
  /** From the destination (no SNR) back to the requester. */
  back: TraceHop[];
}

export interface TraceServiceOptions {
  router: MeshRouter;
  scheduler: Scheduler;
  random: Random;
  ratePerMinute?: number;
}

interface Pending {
  destination: number;
  resolve: (r: TraceResult) => void;
  reject: (e: MeshError) => void;
  timer: TimerHandle;
}

/** A trace frame sent to a named next hop: if that hop never acks, the trace floods to its target instead. */
interface HopSend {
  target: number;
  /** The next hop the trace was handed to. */
  via: number;
  trace: Traceroute;
  requestId: number;
}

export class TraceService {
  private readonly router: MeshRouter;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly ratePerMinute: number;
  private readonly pending = new Map<number, Pending>();
  private readonly hopSends = new Map<number, HopSend>();
  /** When each trace of others we handled in the last minute was handled. */
  private handledAt: number[] = [];

  constructor(options: TraceServiceOptions) {
    this.router = options.router;
    this.scheduler = options.scheduler;
    this.random = options.random;
    this.ratePerMinute = options.ratePerMinute ?? TRACE_RATE_PER_MINUTE;
    // Handled once the router is done with the frame: it delivers before it learns the way back
    // from it, and the answer to a flooded trace should take that way.
    this.router.on('deliver', (d) => {
      const t = d.data.traceroute;
      if (t !== undefined) this.scheduler.schedule(0, () => this.heard(d, t, d.data.requestId ?? 0));
    });
    this.router.on('ack', ({ id }) => this.hopSends.delete(id));
    this.router.on('nak', ({ id }) => this.hopFailed(id));
  }

  /** Traces the path to `destination` and back; rejects with E_TRACE_TIMEOUT when no answer comes. */
  trace(destination: number, timeoutMs = DEFAULT_TRACE_TIMEOUT_MS): Promise<TraceResult> {
    destination >>>= 0;
    if (destination === 0 || destination === BROADCAST || destination === this.router.nodeId) {
      return Promise.reject(new MeshError('E_BAD_ARGUMENT', 'a trace needs another node as its destination'));
    }
    let requestId = this.random.u32();
    while (requestId === 0 || this.pending.has(requestId)) requestId = this.random.u32();
    return new Promise<TraceResult>((resolve, reject) => {
      const timer = this.scheduler.schedule(timeoutMs, () => {
        this.pending.delete(requestId);
        reject(new MeshError('E_TRACE_TIMEOUT', `no answer from !${hex(destination)} within ${Math.round(timeoutMs / 1000)} s`));
      });
      this.pending.set(requestId, { destination, resolve, reject, timer });
      const trace: Traceroute = { route: [], snrTowards: [], routeBack: [], snrBack: [], requester: this.router.nodeId, destination };
      this.sendOn(destination, trace, requestId);
    });
  }

  /** Stops waiting for every trace (the node is shutting down). */
  close(): void {
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      p.reject(new MeshError('E_TRACE_TIMEOUT', `stopped before !${hex(p.destination)} answered`));
      this.pending.delete(id);
    }
  }

  private heard(d: Delivery, t: Traceroute, requestId: number): void {
    if (d.to === BROADCAST) return this.drop('E_BAD_TRACE', 'a trace sent to everyone');
    if (requestId === 0) return this.drop('E_BAD_TRACE', 'no request id');
    const check = checkTrace(t);
    if (!check.ok) return this.drop(check.reason, check.detail);
    const me = this.router.nodeId;
    const snr = snrOnAir(d.snr);
    // Relays that carried the frame as a flood did not record themselves: keep their places.
    const gap = new Array<number>(d.hops).fill(UNKNOWN_NODE);
    const gapSnr = new Array<number>(d.hops).fill(UNKNOWN_SNR);
    if (check.leg === 'towards') {
      if (t.route.includes(me) || me === t.requester) return this.drop('E_BAD_TRACE', 'the trace came round in a loop');
      const route = me === t.destination ? [...t.route, ...gap] : [...t.route, ...gap, me];
      if (route.length > TRACE_MAX_HOPS) return this.drop('trace-too-long', `more than ${TRACE_MAX_HOPS} hops`);
      if (!this.mayHandle()) return this.drop('trace-rate-limited', `more than ${this.ratePerMinute} traces a minute`);
      const next: Traceroute = { ...t, route, snrTowards: [...t.snrTowards, ...gapSnr, snr] };
      // The destination's answer starts back with the forward route complete.
      return this.sendOn(me === t.destination ? t.requester : t.destination, next, requestId);
    }
    if (me === t.requester) return this.answered(requestId, { ...t, routeBack: [...t.routeBack, ...gap], snrBack: [...t.snrBack, ...gapSnr, snr] });
    if (t.routeBack.includes(me) || me === t.destination) return this.drop('E_BAD_TRACE', 'the answer came round in a loop');
    const routeBack = [...t.routeBack, ...gap, me];
    if (routeBack.length > TRACE_MAX_HOPS) return this.drop('trace-too-long', `more than ${TRACE_MAX_HOPS} hops`);
    if (!this.mayHandle()) return this.drop('trace-rate-limited', `more than ${this.ratePerMinute} traces a minute`);
    this.sendOn(t.requester, { ...t, routeBack, snrBack: [...t.snrBack, ...gapSnr, snr] }, requestId);
  }

  private answered(requestId: number, t: Traceroute): void {
    const p = this.pending.get(requestId);
    // A late answer (after the timeout) or one for a trace we never asked for: nothing waits for it.
    if (p === undefined || p.destination !== t.destination) return this.drop('E_BAD_TRACE', 'an answer to no trace of ours');
    this.pending.delete(requestId);
    p.timer.cancel();
    p.resolve({
      requestId,
      destination: t.destination,
      towards: [{ node: t.requester, snr: undefined }, ...traceHops(t.route, t.snrTowards, t.destination)],
      back: [{ node: t.destination, snr: undefined }, ...traceHops(t.routeBack, t.snrBack, t.requester)],
    });
  }

  /**
   * Hands the trace to our next hop towards `target`, the way a direct message to it would go; with
   * no route it goes to `target` itself as a flood, and the relays on the way are recorded as unknown.
   */
  private sendOn(target: number, trace: Traceroute, requestId: number): void {
    const via = this.router.nextHopTo(target);
    if (via === undefined) {
      this.router.send(target, { traceroute: trace, requestId }, { wantAck: true });
      return;
    }
    // The next hop is a neighbour heard directly: no relay needs to carry this frame.
    const id = this.router.send(via, { traceroute: trace, requestId }, { wantAck: true, hopLimit: 0 });
    if (via !== target) this.hopSends.set(id, { target, via, trace, requestId });
  }

  /** Our next hop never acknowledged: that route is gone, so the trace floods to its target. */
  private hopFailed(id: number): void {
    const s = this.hopSends.get(id);
    if (s === undefined) return;
    this.hopSends.delete(id);
    this.router.routeFailed(s.target, s.via);
    this.router.send(s.target, { traceroute: s.trace, requestId: s.requestId }, { wantAck: true });
  }

  private mayHandle(): boolean {
    const now = this.scheduler.now();
    this.handledAt = this.handledAt.filter((at) => now - at < 60_000);
    if (this.handledAt.length >= this.ratePerMinute) return false;
    this.handledAt.push(now);
    return true;
  }

  private drop(reason: DropReason, detail: string): void {
    this.router.stats.drop(reason);
    this.router.emit('drop', { reason, detail });
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
