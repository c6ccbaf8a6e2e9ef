// The traceroute record a trace carries from hop to hop, checked before any hop trusts it: its
// shape (who asked, whom it traces, one SNR per recorded hop) and its length bound.

import { BROADCAST } from '../frame/header.ts';
import type { Traceroute } from '../frame/schema.ts';
import type { DropReason } from './router-stats.ts';

/** Nodes a trace may record each way: a longer one is refused, so a loop cannot grow it without end. */
export const TRACE_MAX_HOPS = 8;
/** A route entry for relays that carried the trace without recording themselves (a flooded stretch). */
export const UNKNOWN_NODE = 0xffff_ffff;
/** SNR (dB x 4) of a hop nobody measured, as Meshtastic writes it. */
export const UNKNOWN_SNR = -128;

/** Which way a trace is travelling: out to the destination, or its answer coming back. */
export type TraceLeg = 'towards' | 'back';

/** One hop of a finished trace: the node that received the frame and how well it heard it. */
export interface TraceHop {
  /** UNKNOWN_NODE when a relay carried it without recording itself. */
  node: number;
  /** dB; undefined when not measured. */
  snr: number | undefined;
}

export type TraceCheck = { ok: true; leg: TraceLeg } | { ok: false; reason: DropReason; detail: string };

/**
 * Whether a heard trace is well formed. On the way out every recorded hop has its SNR
 * (route.length === snrTowards.length); the destination adds its own SNR without a route entry,
 * which is what marks the answer (snrTowards one longer than route) coming back the same way.
 */
export function checkTrace(t: Traceroute): TraceCheck {
  const bad = (detail: string): TraceCheck => ({ ok: false, reason: 'E_BAD_TRACE', detail });
  if (t.requester === 0 || t.requester === BROADCAST) return bad('no requester');
  if (t.destination === 0 || t.destination === BROADCAST) return bad('no destination');
  if (t.requester === t.destination) return bad('requester traces itself');
  if (t.route.length > TRACE_MAX_HOPS || t.routeBack.length > TRACE_MAX_HOPS) {
    return { ok: false, reason: 'trace-too-long', detail: `more than ${TRACE_MAX_HOPS} hops` };
  }
  if (t.snrBack.length !== t.routeBack.length) return bad('route back and its SNRs differ in length');
  if (t.snrTowards.length === t.route.length) {
    if (t.routeBack.length > 0) return bad('a route back before the destination answered');
    return { ok: true, leg: 'towards' };
  }
  if (t.snrTowards.length === t.route.length + 1) return { ok: true, leg: 'back' };
  return bad('route and its SNRs differ in length');
}

/** dB as carried on air (x 4, rounded); a hop heard over MQTT has no SNR. */
export function snrOnAir(snr: number): number {
  return Number.isFinite(snr) ? Math.max(UNKNOWN_SNR + 1, Math.min(127, Math.round(snr * 4))) : UNKNOWN_SNR;
}

/** The hops as a person reads them, each with the SNR it heard the previous one at. */
export function traceHops(route: readonly number[], snrs: readonly number[], end: number): TraceHop[] {
  return [...route, end].map((node, i) => ({ node, snr: snrs[i] === undefined || snrs[i] === UNKNOWN_SNR ? undefined : snrs[i] / 4 }));
}
