// From reports to alerts: each report goes through the cross-source dedup; a new quake that is
// recent, strong enough and inside the region becomes an alert for each org it concerns (the
// admins' event stream, an alert frame into the mesh ahead of normal traffic) and opens a
// check-in round for that org's nodes in range.

import { randomUUID } from 'node:crypto';
import { ModuleError, type ModuleContext } from '@unibos/module-api';
import type { CheckinRounds } from './checkin-rounds.ts';
import { BIRLIKTEYIZ_EVENT } from './birlikteyiz-events.ts';
import type { Quake } from './feeds/quake.ts';
import { distanceKm, insidePolygon } from './geo.ts';
import { QuakeDedup, type QuakeEvent } from './quake-dedup.ts';
import type { BirlikteyizSettings } from './birlikteyiz-settings.ts';
import { quakePlaces, wording, type Wording } from './alert-wording.ts';

/** Rounds opened by hand open at once in one org, at most (see openRound). */
export const MAX_OPEN_MANUAL_ROUNDS = 3;

/** How long the dedup remembers a quake (by its origin time), and so what a restart reloads. */
const DEDUP_MEMORY_MS = 86_400_000;

/** The most documents the hub's store lists at once. */
const MAX_RELOADED_QUAKES = 10_000;

export interface StoredQuake extends QuakeEvent {
  /** Why it did or did not become an alert. */
  verdict: 'alert' | 'too_small' | 'too_old' | 'outside_region';
  alertedOrgs: string[];
}

export class QuakeWatch {
  private readonly dedup = new QuakeDedup(DEDUP_MEMORY_MS);
  /** What goes into the mesh, in the module's language. */
  private readonly words: Wording;

  constructor(
    private readonly m: ModuleContext,
    private readonly settings: BirlikteyizSettings,
    private readonly rounds: CheckinRounds,
  ) {
    this.words = wording(settings.language);
    // What was reported before a restart is not news: the feeds still list it for an hour or a day.
    // Every quake stored within the dedup's memory comes back (by time, not the last few hundred: a
    // swarm fills one Kandilli page with 500); a quake is stored after it happened, so those
    // updated since then hold all it needs (10 minutes' slack for a feed dated a little ahead).
    const stored = m.store.collection<StoredQuake>('quakes').list(null, { sinceMs: m.now() - DEDUP_MEMORY_MS - 10 * 60_000, limit: MAX_RELOADED_QUAKES });
    if (stored.length >= MAX_RELOADED_QUAKES) m.log.warn({ reloaded: stored.length }, 'more quakes stored in the last day than the store lists at once: the oldest may alert again');
    for (const d of stored) this.dedup.remember(d.doc);
  }

  /** Reports from one feed poll (or one push message). */
  reports(quakes: Quake[]): void {
    const now = this.m.now();
    for (const q of quakes) {
      const added = this.dedup.add(q, now);
      if (!added) continue;
      const store = this.m.store.collection<StoredQuake>('quakes');
      if (!added.isNew) {
        // A merged or revised report: its figures are kept; an event not alerted yet is judged again
        // (its magnitude may have come only now, or been revised past the threshold).
        const known = store.get(null, added.event.id);
        if (!known || known.verdict === 'alert') {
          if (known) {
            store.put(null, known.id, { ...known, ...added.event });
            if (known.magnitude !== added.event.magnitude) this.magnitudeChanged(known.alertedOrgs, added.event);
          }
          continue;
        }
      }
      const e = added.event;
      const verdict = this.verdict(e, now);
      const orgs = verdict === 'alert' ? this.concerned(e) : [];
      const stored: StoredQuake = { ...e, verdict: orgs.length || verdict !== 'alert' ? verdict : 'outside_region', alertedOrgs: orgs.map((o) => o.orgId) };
      store.put(null, e.id, stored);
      for (const o of orgs) this.alert(o.orgId, e, o.inRange);
    }
  }

  /**
   * A round opened by hand (an aftershock people felt, a drill). Each asks every field node over the
   * mesh, ahead of texts: at most MAX_OPEN_MANUAL_ROUNDS are open at once in an org (a member could
   * otherwise fill the air with questions and push a quake's round off the list); a quake's own
   * round always opens.
   */
  openRound(orgId: string, title: string, radiusKm: number | null, center: { latitude: number; longitude: number } | null): ReturnType<CheckinRounds['open']> {
    if (this.rounds.unclosed(orgId, this.m.now()).filter((r) => r.quakeId === null).length >= MAX_OPEN_MANUAL_ROUNDS) {
      throw new ModuleError('E_CONFLICT', `at most ${MAX_OPEN_MANUAL_ROUNDS} rounds opened by hand can be open at once: close one first`);
    }
    const nodes = this.fieldNodes(orgId).filter((n) => !center || !radiusKm || (n.position && distanceKm(n.position, center) <= radiusKm));
    const round = this.rounds.open({ orgId, id: randomUUID(), title, quakeId: null, epicentre: center ? { ...center, magnitude: null, place: title } : null, radiusKm: radiusKm ?? 0, nowMs: this.m.now(), durationMs: this.settings.roundMinutes * 60_000, nodes });
    this.ask(round, { level: 'WARNING', text: this.words.manualRound(title) });
    this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_OPENED, { round });
    return round;
  }

  private verdict(e: QuakeEvent, now: number): StoredQuake['verdict'] {
    if (e.magnitude === null || e.magnitude < this.settings.minMagnitude) return 'too_small';
    if (now - e.timeMs > this.settings.maxAgeMinutes * 60_000) return 'too_old';
    const s = this.settings;
    if (s.regionMode === 'polygon') return s.polygon.length >= 3 && insidePolygon(e, s.polygon as Array<[number, number]>) ? 'alert' : 'outside_region';
    if (s.regionMode === 'radius') return s.centerLatitude !== undefined && s.centerLongitude !== undefined && distanceKm(e, { latitude: s.centerLatitude, longitude: s.centerLongitude }) <= s.radiusKm ? 'alert' : 'outside_region';
    return 'alert';
  }

  /** Orgs to alert and their field nodes within the radius of the epicentre. */
  private concerned(e: QuakeEvent): Array<{ orgId: string; inRange: ReturnType<QuakeWatch['fieldNodes']> }> {
    return this.m.fleet
      .orgs()
      .map((orgId) => ({ orgId, inRange: this.fieldNodes(orgId).filter((n) => n.position && distanceKm(n.position, e) <= this.settings.radiusKm) }))
      .filter((o) => this.settings.regionMode !== 'fleet' || o.inRange.length > 0);
  }

  private fieldNodes(orgId: string): Array<{ id: string; name: string | null; position: { latitude: number; longitude: number } | null }> {
    return this.m.fleet
      .list(orgId)
      .filter((n) => n.kind === 'node')
      .map((n) => ({ id: n.id, name: n.name, position: n.position ? { latitude: n.position.latitude, longitude: n.position.longitude } : null }));
  }

  private alert(orgId: string, e: QuakeEvent, inRange: ReturnType<QuakeWatch['fieldNodes']>): void {
    let round = null;
    if (this.settings.checkInRounds && inRange.length > 0) {
      round = this.rounds.open({ orgId, id: randomUUID(), title: this.words.quakeTitle(e), quakeId: e.id, epicentre: { latitude: e.latitude, longitude: e.longitude, magnitude: e.magnitude, place: e.place, places: quakePlaces(e.place) }, radiusKm: this.settings.radiusKm, nowMs: this.m.now(), durationMs: this.settings.roundMinutes * 60_000, nodes: inRange, answersSinceMs: e.timeMs });
    }
    const nodesInRange = inRange.map((n) => ({ id: n.id, name: n.name, distanceKm: n.position ? Math.round(distanceKm(n.position, e) * 10) / 10 : null, latitude: n.position?.latitude ?? null, longitude: n.position?.longitude ?? null }));
    this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place) }, nodesInRange, roundId: round?.id ?? null });
    if (round) {
      this.ask(round, { level: 'EARTHQUAKE', text: this.words.quake(e, true), ...(e.magnitude !== null ? { magnitude: e.magnitude } : {}) });
      this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_OPENED, { round });
    } else if (this.settings.meshAlerts) {
      this.broadcast(orgId, { level: 'EARTHQUAKE', text: this.words.quake(e, false), ...(e.magnitude !== null ? { magnitude: e.magnitude } : {}) });
    }
  }

  /**
   * An alerted quake's magnitude changed (a source revised it, or another gave a higher one): its
   * open rounds say the new figure (their title and epicentre) and admins see the change at once.
   */
  private magnitudeChanged(orgIds: string[], e: QuakeEvent): void {
    const now = this.m.now();
    for (const orgId of orgIds) {
      for (const round of this.rounds.unclosed(orgId, now)) {
        if (round.quakeId !== e.id) continue;
        round.title = this.words.quakeTitle(e);
        if (round.epicentre) round.epicentre = { ...round.epicentre, magnitude: e.magnitude };
        this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round: this.rounds.save(round) });
      }
    }
  }

  /**
   * The round's question as an alert frame to everyone on the org's mesh (priority: alert). With
   * meshAlerts off nobody is asked: the round still lists the nodes in range (their SOS and "I am
   * safe" still count, admins check people in) and says the question was not sent.
   */
  private ask(round: ReturnType<CheckinRounds['open']>, alert: { level: string; text: string; magnitude?: number }): void {
    if (!this.settings.meshAlerts) {
      round.notAsked = 'mesh_alerts_off';
      this.rounds.save(round);
      return;
    }
    const sent = this.broadcast(round.orgId, alert);
    round.meshMessageId = sent.id;
    round.meshError = sent.error;
    this.rounds.save(round);
  }

  private broadcast(orgId: string, alert: { level: string; text: string; magnitude?: number }): { id: string | null; error: string | null } {
    try {
      return { id: this.m.mesh.send(orgId, 'broadcast', { alert }, 'alert').id, error: null };
    } catch (err) {
      // No gateway online: admins still see the alert and the round; they can reach people otherwise.
      this.m.log.warn({ err: (err as Error).message, orgId }, 'quake alert could not go into the mesh');
      return { id: null, error: (err as Error).message };
    }
  }
}
