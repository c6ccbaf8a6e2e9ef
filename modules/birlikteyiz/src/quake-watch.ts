// From reports to alerts: each report goes through the cross-source dedup; a new quake that is
// recent, strong enough and inside the region becomes an alert for each org it concerns (the
// admins' event stream, an alert frame into the mesh ahead of normal traffic) and opens a
// check-in round for that org's nodes in range.

import { randomUUID } from 'node:crypto';
import { ModuleError, type ModuleContext } from '@unibos/module-api';
import { roundQuakes, type CheckinRound, type CheckinRounds, type RoundQuake } from './checkin-rounds.ts';
import { BIRLIKTEYIZ_EVENT } from './birlikteyiz-events.ts';
import type { Quake } from './feeds/quake.ts';
import { distanceKm, insidePolygon } from './geo.ts';
import { onePerEvent, QuakeDedup, type QuakeEvent } from './quake-dedup.ts';
import type { BirlikteyizSettings } from './birlikteyiz-settings.ts';
import { quakePlaces, wording, type Wording } from './alert-wording.ts';
import { aftershockZoneKm, strongEnoughToTell } from './aftershock-rule.ts';
import { AlertSequences, type AlertSequence } from './alert-sequences.ts';

export { AFTERSHOCK_ALERT_WITHIN, AFTERSHOCK_ALWAYS_ALERT, aftershockZoneKm } from './aftershock-rule.ts';

/** Rounds opened by hand open at once in one org, at most (see openRound). */
export const MAX_OPEN_MANUAL_ROUNDS = 3;

/**
 * How long the dedup remembers a quake (by its origin time), and so what a restart reloads. A
 * report older than that is no news and is not taken at all (see reports).
 */
export const DEDUP_MEMORY_MS = 86_400_000;

/** The most documents the hub's store lists at once. */
const MAX_RELOADED_QUAKES = 10_000;

/** A magnitude revised up by this much or more over what the mesh was told sends an updated alert. */
export const REVISED_UP_ALERT_STEP = 0.5;

export interface StoredQuake extends QuakeEvent {
  /** Why it did or did not become an alert. */
  verdict: 'alert' | 'too_small' | 'too_old' | 'outside_region' | 'no_region';
  alertedOrgs: string[];
  /**
   * Orgs in which it joined an open round as an aftershock instead of opening its own (with
   * check-in rounds off, `roundId` null: an alert sequence), and whether it went into that org's
   * mesh. Each org sees only its own (GET /quakes).
   */
  aftershockIn?: Array<{ orgId: string; roundId: string | null; mainQuakeId: string; sentToMesh: boolean }>;
}

export class QuakeWatch {
  private readonly dedup = new QuakeDedup(DEDUP_MEMORY_MS);
  /** What goes into the mesh, in the module's language. */
  private readonly words: Wording;
  /** With check-in rounds off: what each org's mesh was told of lately, for the aftershock rule. */
  private readonly sequences: AlertSequences;

  constructor(
    private readonly m: ModuleContext,
    private readonly settings: BirlikteyizSettings,
    private readonly rounds: CheckinRounds,
  ) {
    this.words = wording(settings.language);
    this.sequences = new AlertSequences(m.store.collection<AlertSequence>('alert_sequences'));
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
    for (const q of onePerEvent(quakes)) {
      // Older than the dedup remembers (Kandilli's page spans days): it would be "new" at every poll,
      // stored again over what it did (an alerted quake as too old) and listed as just updated.
      if (now - q.timeMs > DEDUP_MEMORY_MS) continue;
      const added = this.dedup.add(q, now);
      if (!added) continue;
      const store = this.m.store.collection<StoredQuake>('quakes');
      const known = store.get(null, added.event.id);
      // Stored already though the dedup did not know it (more than a restart reloads): it keeps what it was.
      if (added.isNew && known) continue;
      if (!added.isNew) {
        // A merged or revised report: its figures are kept; an event not alerted yet is judged again
        // (its magnitude may have come only now, or been revised past the threshold).
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
      const aftershockIn = orgs.flatMap((o) => this.alert(o.orgId, e, o.inRange) ?? []);
      if (aftershockIn.length) store.put(null, e.id, { ...stored, aftershockIn });
    }
  }

  /**
   * A round opened by hand (an aftershock people felt, a drill). Each asks every field node over the
   * mesh, ahead of texts: at most MAX_OPEN_MANUAL_ROUNDS are open at once in an org (a member could
   * otherwise fill the air with questions and push a quake's round off the list); a quake's own
   * round always opens.
   */
  openRound(orgId: string, title: string, radiusKm: number | null, center: { latitude: number; longitude: number } | null): ReturnType<CheckinRounds['open']> {
    const now = this.m.now();
    // Open by its time: one past it that the closing job has not reached yet blocks nobody.
    if (this.rounds.unclosed(orgId, now).filter((r) => r.quakeId === null && r.closesAt > now).length >= MAX_OPEN_MANUAL_ROUNDS) {
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
    if (s.regionMode === 'none') return 'no_region';
    if (s.regionMode === 'polygon') return s.polygon.length >= 3 && insidePolygon(e, s.polygon as Array<[number, number]>) ? 'alert' : 'outside_region';
    if (s.regionMode === 'radius') return s.centerLatitude !== undefined && s.centerLongitude !== undefined && distanceKm(e, { latitude: s.centerLatitude, longitude: s.centerLongitude }) <= s.radiusKm ? 'alert' : 'outside_region';
    return 'alert';
  }

  /**
   * Orgs to alert and their field nodes within the radius of the epicentre: orgs with a node there,
   * in every region mode. The region (a circle, a polygon) says which quakes matter to the hub; an
   * org whose nodes are all known to be far from this one has nobody to ask and nobody to warn, and
   * a buzzer sounding across its mesh for a distant quake teaches people to ignore the next one. In
   * a circle or polygon, an org with a node whose place is not known (no GPS, no position yet) is
   * alerted too: that node may be anywhere in the region.
   */
  private concerned(e: QuakeEvent): Array<{ orgId: string; inRange: ReturnType<QuakeWatch['fieldNodes']> }> {
    return this.m.fleet
      .orgs()
      .map((orgId) => {
        const nodes = this.fieldNodes(orgId);
        return { orgId, inRange: this.inRange(nodes, e), somewhere: nodes.some((n) => !n.position) };
      })
      .filter((o) => o.inRange.length > 0 || (this.settings.regionMode !== 'fleet' && o.somewhere))
      .map(({ orgId, inRange }) => ({ orgId, inRange }));
  }

  /** The nodes within radiusKm of the quake (a node whose place is not known is in no range). */
  private inRange<N extends { position: { latitude: number; longitude: number } | null }>(nodes: N[], e: QuakeEvent): N[] {
    return nodes.filter((n) => n.position && distanceKm(n.position, e) <= this.settings.radiusKm);
  }

  private fieldNodes(orgId: string): Array<{ id: string; name: string | null; position: { latitude: number; longitude: number } | null }> {
    return this.m.fleet
      .list(orgId)
      .filter((n) => n.kind === 'node')
      .map((n) => ({ id: n.id, name: n.name, position: n.position ? { latitude: n.position.latitude, longitude: n.position.longitude } : null }));
  }

  /** Alerts one org of a quake; when it joined an open round as an aftershock, says which. */
  private alert(orgId: string, e: QuakeEvent, inRange: ReturnType<QuakeWatch['fieldNodes']>): NonNullable<StoredQuake['aftershockIn']>[number] | null {
    const nodesInRange = listedInRange(inRange, e);
    const main = this.settings.checkInRounds ? this.openRoundNear(orgId, e) : null;
    if (main) return this.aftershock(main, e, inRange, nodesInRange);
    const sequence = this.settings.checkInRounds ? null : this.sequences.near(orgId, e, this.m.now());
    if (sequence) return this.aftershockWithoutRound(sequence, e, nodesInRange);
    let round = null;
    if (this.settings.checkInRounds && inRange.length > 0) {
      round = this.rounds.open({ orgId, id: randomUUID(), title: this.words.quakeTitle(e), quakeId: e.id, epicentre: { latitude: e.latitude, longitude: e.longitude, magnitude: e.magnitude, place: e.place, places: quakePlaces(e.place, e.places) }, radiusKm: this.settings.radiusKm, nowMs: this.m.now(), durationMs: this.settings.roundMinutes * 60_000, nodes: inRange, answersSinceMs: e.timeMs, quake: roundQuake(e) });
    }
    this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place, e.places) }, nodesInRange, roundId: round?.id ?? null });
    if (round) {
      if (this.ask(round, { level: 'EARTHQUAKE', text: this.words.quake(e, true), ...(e.magnitude !== null ? { magnitude: e.magnitude } : {}) })) this.sent(round, e.id, e.magnitude);
      this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_OPENED, { round });
    } else {
      const sent = this.settings.meshAlerts && this.broadcast(orgId, { level: 'EARTHQUAKE', text: this.words.quake(e, false), ...(e.magnitude !== null ? { magnitude: e.magnitude } : {}) }).id !== null;
      // No round for its aftershocks to join: the sequence holds what the mesh was told, for the same rule.
      if (!this.settings.checkInRounds) this.sequences.start(orgId, { ...roundQuake(e), sentMagnitude: sent ? e.magnitude : null, toldMagnitude: e.magnitude }, this.m.now(), this.settings.roundMinutes * 60_000);
    }
    return null;
  }

  /**
   * With check-in rounds off, a quake near one the org's mesh was told of lately follows the same
   * aftershock rule as in a round (AFTERSHOCK_ALERT_WITHIN of what the mesh was told, or
   * AFTERSHOCK_ALWAYS_ALERT): a strong one alerts the admins and the mesh, a smaller one is only
   * listed in the quake list.
   */
  private aftershockWithoutRound(seq: AlertSequence, e: QuakeEvent, nodesInRange: unknown[]): NonNullable<StoredQuake['aftershockIn']>[number] {
    const loud = strongEnoughToTell(seq.quakes, e.magnitude);
    let sentToMesh = false;
    if (loud) {
      this.m.events.publish(seq.orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place, e.places) }, nodesInRange, roundId: null, aftershockOf: seq.id });
      sentToMesh = this.settings.meshAlerts && this.broadcast(seq.orgId, { level: 'EARTHQUAKE', text: this.words.quake(e, false), ...(e.magnitude !== null ? { magnitude: e.magnitude } : {}) }).id !== null;
    }
    this.sequences.add(seq, { ...roundQuake(e), sentMagnitude: sentToMesh ? e.magnitude : null, toldMagnitude: loud ? e.magnitude : null }, this.m.now(), this.settings.roundMinutes * 60_000);
    return { orgId: seq.orgId, roundId: null, mainQuakeId: seq.id, sentToMesh };
  }

  /**
   * The org's open quake round this quake is an aftershock of: its main shock within the
   * aftershock zone of the round's strongest quake (the nearest such round when several are).
   */
  private openRoundNear(orgId: string, e: QuakeEvent): CheckinRound | null {
    const now = this.m.now();
    let best: { round: CheckinRound; km: number } | null = null;
    for (const round of this.rounds.unclosed(orgId, now)) {
      if (round.closesAt <= now || round.quakeId === null || !round.epicentre) continue;
      const quakes = roundQuakes(round);
      if (quakes.some((q) => q.id === e.id)) continue;
      const strongest = Math.max(...quakes.map((q) => q.magnitude ?? -Infinity), e.magnitude ?? -Infinity);
      const km = distanceKm(e, round.epicentre);
      if (Number.isFinite(strongest) && km <= aftershockZoneKm(strongest) && (!best || km < best.km)) best = { round, km };
    }
    return best?.round ?? null;
  }

  /**
   * A quake near an open round's main shock joins that round: the people in it (whoever asked for
   * help) stay in view, with no second round beside it. A strong aftershock (see
   * AFTERSHOCK_ALERT_WITHIN) alerts the admins, goes into the mesh with the question again and keeps
   * the round open for another roundMinutes; a smaller one is only listed in the round.
   */
  private aftershock(round: CheckinRound, e: QuakeEvent, inRange: ReturnType<QuakeWatch['fieldNodes']>, nodesInRange: unknown[]): NonNullable<StoredQuake['aftershockIn']>[number] {
    const now = this.m.now();
    const loud = strongEnoughToTell(roundQuakes(round), e.magnitude);
    this.rounds.addQuake(round, roundQuake(e), inRange, now);
    this.headline(round);
    if (round.revisedBelow && e.magnitude !== null && e.magnitude >= this.settings.minMagnitude) round.revisedBelow = null;
    let sentToMesh = false;
    if (loud) {
      this.m.events.publish(round.orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place, e.places) }, nodesInRange, roundId: round.id, aftershockOf: round.quakeId });
      sentToMesh = this.askAgain(round, e.id, e.magnitude, this.words.quake(e, true));
      // Asked again: an "I am safe" from before this aftershock is no longer an answer.
      if (sentToMesh) this.rounds.askedAgain(round, roundQuake(e));
    }
    this.m.events.publish(round.orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round: this.rounds.save(round) });
    return { orgId: round.orgId, roundId: round.id, mainQuakeId: round.quakeId!, sentToMesh };
  }

  /**
   * A quake round is titled and mapped by its strongest quake (the first one at equal magnitude):
   * the main shock, or a later, stronger quake that showed the first was a foreshock. Its nodes'
   * distances are from that epicentre.
   */
  private headline(round: CheckinRound, remeasure = false): void {
    const quakes = roundQuakes(round);
    const top = quakes.reduce<RoundQuake | null>((best, q) => (best === null || (q.magnitude ?? -Infinity) > (best.magnitude ?? -Infinity) ? q : best), null);
    if (!top) return;
    const moved = !round.epicentre || round.epicentre.latitude !== top.latitude || round.epicentre.longitude !== top.longitude;
    round.title = this.words.quakeTitle(top);
    round.epicentre = { latitude: top.latitude, longitude: top.longitude, magnitude: top.magnitude, place: top.place, places: top.places ?? quakePlaces(top.place) };
    // `remeasure`: nodes taken in from another round were measured from its epicentre.
    if (moved || remeasure) for (const n of round.nodes) if (n.latitude !== null && n.longitude !== null) n.distanceKm = Math.round(distanceKm({ latitude: n.latitude, longitude: n.longitude }, top) * 10) / 10;
  }

  /**
   * Asks a round's nodes again (an aftershock, an upward revision), as an EARTHQUAKE alert: the
   * round stays open another roundMinutes for the answers. True when it went into the mesh.
   */
  private askAgain(round: CheckinRound, quakeId: string, magnitude: number | null, text: string): boolean {
    if (!this.settings.meshAlerts) return false;
    const sent = this.broadcast(round.orgId, { level: 'EARTHQUAKE', text, ...(magnitude !== null ? { magnitude } : {}) });
    if (sent.id === null) return false;
    round.closesAt = Math.max(round.closesAt, this.m.now() + this.settings.roundMinutes * 60_000);
    this.sent(round, quakeId, magnitude);
    return true;
  }

  /** The mesh was told `magnitude` for this quake of the round. */
  private sent(round: CheckinRound, quakeId: string, magnitude: number | null): void {
    round.quakes = roundQuakes(round).map((q) => (q.id === quakeId ? { ...q, sentMagnitude: magnitude } : q));
    this.rounds.save(round);
  }

  /**
   * An alerted quake's magnitude changed (a source revised it, or another gave a higher one): its
   * open rounds say the new figure (their title and epicentre) and admins see the change at once.
   * Revised up by REVISED_UP_ALERT_STEP or more over what the mesh was told (or, for an aftershock
   * not sent, up into the band that would have been), the mesh gets an updated alert. Revised down
   * so far that none of a round's quakes reaches the alert magnitude, the round says so and closes
   * if nobody in it needs help (else once nobody does).
   */
  private magnitudeChanged(orgIds: string[], e: QuakeEvent): void {
    const now = this.m.now();
    for (const orgId of orgIds) {
      if (!this.settings.checkInRounds) {
        this.sequenceRevised(orgId, e);
        continue;
      }
      for (const round of [...this.rounds.unclosed(orgId, now), ...this.rounds.closedAsRevisedBelow(orgId, now)]) {
        const quakes = roundQuakes(round);
        const mine = quakes.find((q) => q.id === e.id);
        if (!mine) continue;
        const wasTold = mine.sentMagnitude;
        round.quakes = quakes.map((q) => (q.id === e.id ? { ...q, magnitude: e.magnitude } : q));
        this.headline(round);
        if (round.closedAt !== null) {
          this.revisedAfterClosing(round, e, wasTold);
          continue;
        }
        if (e.magnitude !== null && round.closedAt === null && round.closesAt > now) {
          const asked = this.worthTelling(round.quakes, e.id, wasTold, e.magnitude) && this.askAgain(round, e.id, e.magnitude, wasTold !== null ? this.words.quakeRevised(e, wasTold) : this.words.quake(e, true));
          // An aftershock not sent before, revised up into the band that goes out: it asks again as one sent at once would have.
          const aftershock = round.quakes.find((q) => q.id === e.id);
          if (asked && wasTold === null && round.quakes[0]!.id !== e.id && aftershock) this.rounds.askedAgain(round, aftershock);
        }
        const magnitudes = round.quakes.map((q) => q.magnitude);
        const below = magnitudes.every((m) => m !== null && m < this.settings.minMagnitude);
        round.revisedBelow = below ? { magnitude: Math.max(...(magnitudes as number[])), minMagnitude: this.settings.minMagnitude } : null;
        this.rounds.save(round);
        if (this.rounds.closeIfRevisedAndNobodyNeedsHelp(round, now)) this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_CLOSED, { round });
        else this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round });
      }
    }
  }

  /**
   * Whether a revised magnitude of quake `id` among `quakes` (a round's, or a sequence's with rounds
   * off) is worth telling the mesh: up by REVISED_UP_ALERT_STEP over what it was told, or, not told
   * before (an aftershock below the rule's band), now over the alert magnitude and in the band.
   */
  private worthTelling(quakes: RoundQuake[], id: string, wasTold: number | null, magnitude: number): boolean {
    if (wasTold !== null) return magnitude >= wasTold + REVISED_UP_ALERT_STEP - 1e-9;
    return magnitude >= this.settings.minMagnitude && strongEnoughToTell(quakes.filter((q) => q.id !== id), magnitude);
  }

  /**
   * With check-in rounds off, a quake of one of the org's open alert sequences revised: it takes the
   * new figure (the aftershock rule reads it), and each side is told as a round would tell it: an
   * updated alert for a revision up by REVISED_UP_ALERT_STEP over what that side was told, the alert
   * for an aftershock not told before that is now in the band that goes out. The admins and the mesh
   * are judged apart (`toldMagnitude`, `sentMagnitude`): with mesh alerts off or no gateway the mesh
   * was told nothing, and a 5.6 -> 5.7 -> 5.6 would otherwise raise the admins' banner at each turn.
   */
  private sequenceRevised(orgId: string, e: QuakeEvent): void {
    const seq = this.sequences.containing(orgId, e.id, this.m.now());
    const q = seq?.quakes.find((x) => x.id === e.id);
    if (!seq || !q) return;
    const wasSent = q.sentMagnitude;
    // Sequences kept from before know only what the mesh was told.
    const wasTold = q.toldMagnitude !== undefined ? q.toldMagnitude : wasSent;
    q.magnitude = e.magnitude;
    if (e.magnitude !== null && this.worthTelling(seq.quakes, e.id, wasTold, e.magnitude)) {
      this.m.events.publish(orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place, e.places) }, nodesInRange: listedInRange(this.inRange(this.fieldNodes(orgId), e), e), roundId: null, ...(seq.id !== e.id ? { aftershockOf: seq.id } : {}), ...(wasTold !== null ? { revisedFrom: wasTold } : {}) });
      q.toldMagnitude = e.magnitude;
    }
    if (e.magnitude !== null && this.settings.meshAlerts && this.worthTelling(seq.quakes, e.id, wasSent, e.magnitude)) {
      const text = wasSent !== null ? this.words.quakeRevised(e, wasSent, false) : this.words.quake(e, false);
      if (this.broadcast(orgId, { level: 'EARTHQUAKE', text, magnitude: e.magnitude }).id !== null) q.sentMagnitude = e.magnitude;
    }
    this.sequences.save(seq, this.m.now(), q.sentMagnitude !== wasSent ? this.settings.roundMinutes * 60_000 : 0);
  }

  /**
   * A round closed because its quakes were revised below the alert magnitude, one of them revised
   * again: back at or over the alert magnitude, the round opens again (the time the revision down took
   * from it given back, see CheckinRounds.reopen; within the day the quake is remembered, even once
   * its own time is over) with every answer it had and the admins' banner rises again; the nodes, never told of the revision down, are
   * alerted again only for a figure worth telling (see worthTelling); still below, it only takes the
   * new figure. An open round of the same quake
   * sequence (a quake near it opened one while it was closed) and it become one: the round of the
   * sequence's earliest quake takes the other in (CheckinRounds.merge).
   */
  private revisedAfterClosing(round: CheckinRound, e: QuakeEvent, wasTold: number | null): void {
    const magnitudes = roundQuakes(round).map((q) => q.magnitude);
    if (magnitudes.every((m) => m === null || m < this.settings.minMagnitude)) {
      round.revisedBelow = { magnitude: Math.max(...magnitudes.map((m) => m ?? -Infinity)), minMagnitude: this.settings.minMagnitude };
      this.m.events.publish(round.orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round: this.rounds.save(round) });
      return;
    }
    this.rounds.reopen(round, this.m.now(), this.settings.roundMinutes * 60_000);
    // While it was closed, a quake near it opened a round of its own (only open rounds take
    // aftershocks): one round for one quake sequence, the one of its earliest quake (its main shock first).
    const group = [round, ...this.sameSequence(round)];
    const firstQuakeAt = (r: CheckinRound): number => roundQuakes(r)[0]?.timeMs ?? r.openedAt;
    const main = group.reduce((a, b) => (firstQuakeAt(b) < firstQuakeAt(a) ? b : a));
    for (const other of group) {
      if (other === main) continue;
      this.rounds.merge(main, other, this.m.now());
      this.m.events.publish(other.orgId, BIRLIKTEYIZ_EVENT.ROUND_CLOSED, { round: other });
    }
    if (group.length > 1) {
      // It holds this quake now, over the alert magnitude (an open round kept for an SOS after its quakes were revised below).
      main.revisedBelow = null;
      this.headline(main, true);
    }
    const nodesInRange = main.nodes.map((n) => ({ id: n.id, name: n.name, distanceKm: n.distanceKm, latitude: n.latitude, longitude: n.longitude }));
    this.m.events.publish(main.orgId, BIRLIKTEYIZ_EVENT.QUAKE, { quake: { ...e, places: quakePlaces(e.place, e.places) }, nodesInRange, roundId: main.id, revisedFrom: wasTold });
    // The nodes were never told it was revised down, so the alert they heard stands: they are alerted
    // again only as in an open round (REVISED_UP_ALERT_STEP over the highest figure told, or a quake
    // not told yet that goes out now), not at every turn of a feed flipping either side of the threshold.
    if (e.magnitude !== null && this.worthTelling(roundQuakes(main), e.id, wasTold, e.magnitude)) this.askAgain(main, e.id, e.magnitude, wasTold !== null ? this.words.quakeRevised(e, wasTold) : this.words.quake(e, true));
    // The round that opened again, or (it was taken in) the open one that holds its quake now.
    this.m.events.publish(main.orgId, main === round ? BIRLIKTEYIZ_EVENT.ROUND_OPENED : BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round: this.rounds.save(main) });
  }

  /**
   * The org's other open quake rounds of the same sequence as `round`: each one's epicentre within
   * the aftershock zone of the strongest quake of the two (openRoundNear's rule, round to round).
   */
  private sameSequence(round: CheckinRound): CheckinRound[] {
    const now = this.m.now();
    const mine = roundQuakes(round);
    return this.rounds.unclosed(round.orgId, now).filter((r) => {
      if (r.id === round.id || r.closesAt <= now || r.quakeId === null || !r.epicentre || !round.epicentre) return false;
      const strongest = Math.max(...[...mine, ...roundQuakes(r)].map((q) => q.magnitude ?? -Infinity));
      return Number.isFinite(strongest) && distanceKm(r.epicentre, round.epicentre) <= aftershockZoneKm(strongest);
    });
  }

  /**
   * The round's question as an alert frame to everyone on the org's mesh (priority: alert). With
   * meshAlerts off nobody is asked: the round still lists the nodes in range (their SOS and "I am
   * safe" still count, admins check people in) and says the question was not sent.
   */
  private ask(round: ReturnType<CheckinRounds['open']>, alert: { level: string; text: string; magnitude?: number }): boolean {
    if (!this.settings.meshAlerts) {
      round.notAsked = 'mesh_alerts_off';
      this.rounds.save(round);
      return false;
    }
    const sent = this.broadcast(round.orgId, alert);
    round.meshMessageId = sent.id;
    round.meshError = sent.error;
    this.rounds.save(round);
    return sent.id !== null;
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

/** A quake as its round lists it (not told to the mesh yet). */
/** Nodes in a quake's range as its event lists them: each with its distance from the epicentre. */
function listedInRange(inRange: Array<{ id: string; name: string | null; position: { latitude: number; longitude: number } | null }>, e: QuakeEvent) {
  return inRange.map((n) => ({ id: n.id, name: n.name, distanceKm: n.position ? Math.round(distanceKm(n.position, e) * 10) / 10 : null, latitude: n.position?.latitude ?? null, longitude: n.position?.longitude ?? null }));
}

function roundQuake(e: QuakeEvent): RoundQuake {
  return { id: e.id, timeMs: e.timeMs, latitude: e.latitude, longitude: e.longitude, magnitude: e.magnitude, place: e.place, places: quakePlaces(e.place, e.places), sentMagnitude: null };
}
