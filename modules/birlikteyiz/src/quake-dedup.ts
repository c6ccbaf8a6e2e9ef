// The same quake from several sources becomes one event: reports within 90 s, 15 km and 0.7
// magnitude of an event already seen are merged into it (its sources grow), anything else opens a
// new event. Events older than the window's memory (a day) are forgotten.

import { distanceKm } from './geo.ts';
import type { Quake, QuakeSource } from './feeds/quake.ts';

export const SAME_QUAKE = { seconds: 90, km: 15, magnitude: 0.7 } as const;

/** A quake as one event: the first report's figures, with every source that reported it. */
export type QuakeEvent = Omit<Quake, 'source' | 'sourceId'> & {
  /** `{source}:{sourceId}` of the first report. */
  id: string;
  sources: Array<{ source: QuakeSource; sourceId: string; magnitude: number | null; timeMs: number }>;
};

export function sameQuake(a: Pick<Quake, 'timeMs' | 'latitude' | 'longitude' | 'magnitude'>, b: Pick<Quake, 'timeMs' | 'latitude' | 'longitude' | 'magnitude'>): boolean {
  if (Math.abs(a.timeMs - b.timeMs) > SAME_QUAKE.seconds * 1000) return false;
  if (distanceKm(a, b) > SAME_QUAKE.km) return false;
  return a.magnitude === null || b.magnitude === null || Math.abs(a.magnitude - b.magnitude) <= SAME_QUAKE.magnitude + 1e-9;
}

export class QuakeDedup {
  private readonly events: QuakeEvent[] = [];

  constructor(private readonly memoryMs = 86_400_000) {}

  /** The event this report belongs to, and whether it is new (or a report already merged: null). */
  add(q: Quake, nowMs: number): { event: QuakeEvent; isNew: boolean } | null {
    this.forget(nowMs);
    for (const e of this.events) {
      if (e.sources.some((s) => s.source === q.source && s.sourceId === q.sourceId)) return null;
    }
    const match = this.events.find((e) => sameQuake(e, q));
    if (match) {
      match.sources.push({ source: q.source, sourceId: q.sourceId, magnitude: q.magnitude, timeMs: q.timeMs });
      if (match.magnitude === null && q.magnitude !== null) {
        match.magnitude = q.magnitude;
        match.magnitudeType = q.magnitudeType;
      }
      return { event: match, isNew: false };
    }
    const event: QuakeEvent = {
      id: `${q.source}:${q.sourceId}`,
      timeMs: q.timeMs,
      latitude: q.latitude,
      longitude: q.longitude,
      depthKm: q.depthKm,
      magnitude: q.magnitude,
      magnitudeType: q.magnitudeType,
      place: q.place,
      sources: [{ source: q.source, sourceId: q.sourceId, magnitude: q.magnitude, timeMs: q.timeMs }],
    };
    this.events.push(event);
    return { event, isNew: true };
  }

  private forget(nowMs: number): void {
    for (let i = this.events.length - 1; i >= 0; i--) if (nowMs - this.events[i]!.timeMs > this.memoryMs) this.events.splice(i, 1);
  }
}
