// With check-in rounds off there is no round for an aftershock to join, so the aftershock rule
// (aftershock-rule.ts) needs its own memory of what each org's mesh was told: an alert sequence,
// a quake that went out and the aftershocks near it, open as long as a round would be.

import type { ModuleCollection } from '@unibos/module-api';
import type { RoundQuake } from './checkin-rounds.ts';
import { aftershockZoneKm } from './aftershock-rule.ts';
import { distanceKm } from './geo.ts';

/**
 * A quake of a sequence. `toldMagnitude`: the figure the admins were last told (the quake event that
 * raises their banner; null: only listed). Apart from `sentMagnitude` (the mesh's): with mesh alerts
 * off, or no gateway, the admins were told and the mesh was not. Sequences kept from before have none.
 */
export type SequenceQuake = RoundQuake & { toldMagnitude?: number | null };

export interface AlertSequence {
  /** The first quake's id. */
  id: string;
  orgId: string;
  /** The first quake, then each aftershock in the order heard, each with the magnitude the mesh was told (null: none). */
  quakes: SequenceQuake[];
  /** Aftershocks are looked for until then: roundMinutes after the mesh was last told of one of its quakes. */
  until: number;
}

export class AlertSequences {
  constructor(private readonly store: ModuleCollection<AlertSequence>) {}

  /**
   * The org's sequence this quake is an aftershock of: open, and within the aftershock zone of its
   * strongest quake (that quake's epicentre; the nearest such sequence when several are).
   */
  near(orgId: string, q: { id: string; latitude: number; longitude: number; magnitude: number | null }, nowMs: number): AlertSequence | null {
    let best: { seq: AlertSequence; km: number } | null = null;
    for (const { doc: seq } of this.store.list(orgId, { sinceMs: nowMs - 86_400_000, limit: 1_000 })) {
      if (seq.until <= nowMs || seq.quakes.some((x) => x.id === q.id)) continue;
      const top = strongest(seq.quakes);
      const magnitude = Math.max(top.magnitude ?? -Infinity, q.magnitude ?? -Infinity);
      const km = distanceKm(q, top);
      if (Number.isFinite(magnitude) && km <= aftershockZoneKm(magnitude) && (!best || km < best.km)) best = { seq, km };
    }
    return best?.seq ?? null;
  }

  /** A quake that alerted the org on its own starts a sequence. */
  start(orgId: string, quake: SequenceQuake, nowMs: number, durationMs: number): AlertSequence {
    const seq: AlertSequence = { id: quake.id, orgId, quakes: [quake], until: nowMs + durationMs };
    this.store.put(orgId, seq.id, seq);
    // Bounded: a sequence closed a day ago is no aftershock's any more.
    for (const d of this.store.list(orgId, { limit: 1_000 })) if (d.doc.until < nowMs - 86_400_000) this.store.delete(orgId, d.id);
    return seq;
  }

  /**
   * The org's open sequence that holds quake `id` (a revised figure is about it), if any. One past its
   * `until` is over, as for `near`: a figure revised hours later is no alert (a round closed on time is not asked again either).
   */
  containing(orgId: string, id: string, nowMs: number): AlertSequence | null {
    return this.store.list(orgId, { sinceMs: nowMs - 86_400_000, limit: 1_000 }).find((d) => d.doc.until > nowMs && d.doc.quakes.some((q) => q.id === id))?.doc ?? null;
  }

  /** Saves a sequence whose quakes changed (a revised figure); `extendMs` > 0 keeps it open that much longer from now (the mesh was told again). */
  save(seq: AlertSequence, nowMs: number, extendMs: number): void {
    if (extendMs > 0) seq.until = Math.max(seq.until, nowMs + extendMs);
    this.store.put(seq.orgId, seq.id, seq);
  }

  /** An aftershock joins; one the mesh was told of keeps the sequence open another `durationMs`. */
  add(seq: AlertSequence, quake: SequenceQuake, nowMs: number, durationMs: number): AlertSequence {
    seq.quakes = [...seq.quakes, quake];
    this.save(seq, nowMs, quake.sentMagnitude !== null ? durationMs : 0);
    return seq;
  }
}

/** The strongest quake of a sequence (the first one at equal magnitude). */
function strongest(quakes: RoundQuake[]): RoundQuake {
  return quakes.reduce((best, q) => ((q.magnitude ?? -Infinity) > (best.magnitude ?? -Infinity) ? q : best));
}
