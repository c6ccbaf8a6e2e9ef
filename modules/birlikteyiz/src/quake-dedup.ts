// The same quake from several sources becomes one event: reports within 90 s, 15 km and 0.7
// magnitude of an event already seen are merged into it (its sources grow), anything else opens a
// new event. An event is judged on the highest magnitude any of its sources gives (each source's
// own figure is kept beside it). Events older than the window's memory (a day) are forgotten.

import { distanceKm } from './geo.ts';
import type { Quake, QuakeSource } from './feeds/quake.ts';

export const SAME_QUAKE = { seconds: 90, km: 15, magnitude: 0.7 } as const;

/**
 * A quake as one event: the first report's time, place and position; the highest magnitude any
 * source gives (and its type); every source that reported it, each with its own magnitude.
 */
export type QuakeEvent = Omit<Quake, 'source' | 'sourceId'> & {
  /** `{source}:{sourceId}` of the first report. */
  id: string;
  /** `magnitudeType` is absent in events stored before it was kept per source. */
  sources: Array<{ source: QuakeSource; sourceId: string; magnitude: number | null; magnitudeType?: string | null; timeMs: number }>;
};

export function sameQuake(a: Pick<Quake, 'timeMs' | 'latitude' | 'longitude' | 'magnitude'>, b: Pick<Quake, 'timeMs' | 'latitude' | 'longitude' | 'magnitude'>): boolean {
  if (Math.abs(a.timeMs - b.timeMs) > SAME_QUAKE.seconds * 1000) return false;
  if (distanceKm(a, b) > SAME_QUAKE.km) return false;
  return a.magnitude === null || b.magnitude === null || Math.abs(a.magnitude - b.magnitude) <= SAME_QUAKE.magnitude + 1e-9;
}

/**
 * One report per event of one feed document (`source:sourceId`): a document that lists an event
 * twice with two figures would otherwise count as a revision at every poll, back and forth. The
 * higher figure is kept (a figure over none; the later entry at equal figures), as an event is
 * judged on the highest any source gives.
 */
export function onePerEvent(quakes: Quake[]): Quake[] {
  const byId = new Map<string, Quake>();
  for (const q of quakes) {
    const key = `${q.source}:${q.sourceId}`;
    const kept = byId.get(key);
    if (!kept || (q.magnitude ?? -Infinity) >= (kept.magnitude ?? -Infinity)) byId.set(key, q);
  }
  return byId.size === quakes.length ? quakes : [...byId.values()];
}

export class QuakeDedup {
  private readonly events: QuakeEvent[] = [];

  constructor(private readonly memoryMs = 86_400_000) {}

  /**
   * The event this report belongs to, and whether it is new; null for a report already merged with
   * nothing new. A source that revises the magnitude of an event it reported (a reviewed solution)
   * updates its entry; the event's magnitude is then the highest of its sources' again (so one
   * agency's lower first figure never hides another's higher one, and a revision downwards counts).
   */
  add(q: Quake, nowMs: number): { event: QuakeEvent; isNew: boolean } | null {
    this.forget(nowMs);
    for (const e of this.events) {
      const seen = e.sources.find((s) => s.source === q.source && s.sourceId === q.sourceId);
      if (!seen) continue;
      if (q.magnitude === null || q.magnitude === seen.magnitude) return null;
      seen.magnitude = q.magnitude;
      seen.magnitudeType = q.magnitudeType;
      highestMagnitude(e);
      return { event: e, isNew: false };
    }
    const match = this.events.find((e) => sameQuake(e, q));
    if (match) {
      match.sources.push({ source: q.source, sourceId: q.sourceId, magnitude: q.magnitude, magnitudeType: q.magnitudeType, timeMs: q.timeMs });
      highestMagnitude(match);
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
      ...(q.places ? { places: q.places } : {}),
      sources: [{ source: q.source, sourceId: q.sourceId, magnitude: q.magnitude, magnitudeType: q.magnitudeType, timeMs: q.timeMs }],
    };
    this.events.push(event);
    return { event, isNew: true };
  }

  /** An event known from before (the stored quakes, when the module starts again). */
  remember(e: QuakeEvent): void {
    if (this.events.some((x) => x.id === e.id)) return;
    const { id, timeMs, latitude, longitude, depthKm, magnitude, magnitudeType, place, places, sources } = e;
    this.events.push({ id, timeMs, latitude, longitude, depthKm, magnitude, magnitudeType, place, ...(places ? { places } : {}), sources: sources.map((s) => ({ ...s })) });
  }

  private forget(nowMs: number): void {
    for (let i = this.events.length - 1; i >= 0; i--) if (nowMs - this.events[i]!.timeMs > this.memoryMs) this.events.splice(i, 1);
  }
}

/** The event's magnitude becomes the highest its sources give (unchanged while none gives one). */
function highestMagnitude(e: QuakeEvent): void {
  let best: QuakeEvent['sources'][number] | null = null;
  for (const s of e.sources) if (s.magnitude !== null && (best === null || best.magnitude === null || s.magnitude > best.magnitude)) best = s;
  if (!best || best.magnitude === e.magnitude) return;
  e.magnitude = best.magnitude;
  // A source stored before types were kept per source: its type is not known.
  e.magnitudeType = best.magnitudeType ?? null;
}
