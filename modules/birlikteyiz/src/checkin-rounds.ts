// Check-in rounds: after a quake alert every node in the affected area is asked over the mesh
// "are you safe?"; its answer (the "I am safe" press, or an SOS) marks it safe or needing help,
// and people can be checked in by name (by an admin, or at an assembly point). A round closes
// after its time; whoever has not answered by then stays "no answer". An answer's time is the
// gateway's receive time, and a gateway's clock may be wrong (a Pi without a clock battery, off the
// internet) or its backlog late: an answer the hub heard after the round's start always counts.
// Which of a node's answers is its latest is the order the HUB heard them in (gateways' clocks
// differ), and an SOS's request id tells a new call from a late copy of one already heard.

import type { ModuleCollection } from '@unibos/module-api';
import type { AlertLanguage } from './alert-wording.ts';
import { distanceKm, type LatLon } from './geo.ts';
import { personDisplayName, personKey } from './person-name.ts';

/**
 * `automatic`: the node answered by itself (a module on an unattended node; the frame's
 * Alert.automatic). It says the node is on the air, not that anyone there is safe: counted apart
 * from `safe`, it outranks only `waiting`, and a person's answer (safe or help) outranks it.
 * `resolved`: the node's SOS in this round was resolved at the hub by an admin (not by the person's
 * "I am safe"): someone dealt with it, so it is no longer "needs help", but nobody at the node said
 * they are safe either. Counted apart (`counts.resolved`).
 */
export type CheckinStatus = 'waiting' | 'safe' | 'needs_help' | 'automatic' | 'resolved';

/** What a node's frame can say: a person's "I am safe", a call for help, or an automatic answer. */
export type NodeAnswer = 'safe' | 'needs_help' | 'automatic';

/** What an admin checks a person or a node in as. */
export type CheckInStatus = 'safe' | 'needs_help';

/**
 * Which entry stands when two rounds of the same quakes become one (merge): help over a person's
 * safe or a resolved SOS over an automatic answer over none; the later at equal rank. Within one
 * round a node's latest word stands instead (see replaces).
 */
const RANK: Record<CheckinStatus, number> = { waiting: 0, automatic: 1, resolved: 2, safe: 2, needs_help: 3 };

export interface RoundNode {
  id: string;
  name: string | null;
  latitude: number | null;
  longitude: number | null;
  distanceKm: number | null;
  status: CheckinStatus;
  /** When the answer was heard: the gateway's time, or the hub's when the gateway's could not be right (see datedAt). */
  answeredAt: number | null;
  /**
   * The gateway's time for the answer when it was not used: before the round's start (its clock
   * behind, or a press from before delivered late) or ahead of the hub's. The answer still counts,
   * at the time the hub heard it; the round shows both.
   */
  datedAt?: number | null;
  /**
   * The node's "I am safe", or its automatic answer, from before an aftershock that asked the round
   * again (it went into the mesh with the question): no longer the node's answer (the node is
   * waiting again), shown beside it ("safe at 16:20, before the M6.1 aftershock"; "automatic answer
   * at 16:20, before …") until the node answers again. Rounds kept from before have none.
   */
  earlier?: { status: 'safe' | 'automatic'; at: number; quake: { id: string; magnitude: number | null; timeMs: number } } | null;
  /**
   * When an admin checked the node in (the hub's time), while that check-in is its status: an answer
   * that replaces it since (an SOS after a "safe"), or an aftershock that asks again, clears it. An
   * answer heard before it does not undo it, however it ranks: not one that answered no round then
   * (reopen), nor one another round of the same quakes had (merge). Rounds kept from before have none.
   */
  checkedInAt?: number | null;
  /**
   * The node needs help for an SOS sent before the round's answers start (before the quake), which
   * nobody resolved and no "I am safe" followed: its time (also `answeredAt`). The person still needs
   * help; the round says the call came before the quake ("SOS since 12:58, before the quake"). Null
   * once the node answers again. Rounds kept from before have none.
   */
  sosBeforeRound?: number | null;
  /**
   * The request id of the node's SOS that is its status (`needs_help`, or `resolved`: the SOS an admin
   * resolved); null: none named (older firmware), or the status is no SOS of the node's (an admin's
   * check-in). An admin resolving another SOS's alert leaves it, and a person's "I am safe" ends it
   * only naming it (the node names the SOS it ends; one naming none was pressed before it). Rounds kept from before have none.
   */
  requestId?: number | null;
}

export interface RoundPerson {
  name: string;
  status: CheckInStatus;
  at: number;
  by: string;
  nodeId: string | null;
  note: string | null;
}

/** A quake a round is for: its first (the main shock) and each aftershock that joined it. */
export interface RoundQuake {
  id: string;
  timeMs: number;
  latitude: number;
  longitude: number;
  /** As the feeds give it now (revisions included). */
  magnitude: number | null;
  place: string;
  places?: Record<AlertLanguage, string>;
  /**
   * The magnitude the mesh was last told for this quake (its alert, or an updated alert after an
   * upward revision); null: it went to nobody (a smaller aftershock, mesh alerts off, no gateway).
   */
  sentMagnitude: number | null;
}

/**
 * Why a round closed before its time (null: on time, or by an admin). `merged_into_round`: another
 * round of the same quake sequence took in its quakes, nodes and people (`mergedInto`).
 */
export type RoundCloseReason = 'revised_below_threshold' | 'merged_into_round';

export interface CheckinRound {
  id: string;
  orgId: string;
  title: string;
  quakeId: string | null;
  /** `places`: a quake's place in each language the module words alerts in (rounds kept from before have none). */
  epicentre: (LatLon & { magnitude: number | null; place: string; places?: Record<AlertLanguage, string> }) | null;
  radiusKm: number;
  openedAt: number;
  /**
   * Answers heard since then count in the round: a quake's origin time (people answer as the ground
   * shakes, minutes before a feed reports it), or a minute before a round opened by hand opened.
   * Rounds kept from before have none: a minute before `openedAt`.
   */
  answersSince?: number;
  closesAt: number;
  closedAt: number | null;
  nodes: RoundNode[];
  people: RoundPerson[];
  /** The downlink that asked the mesh, or why it could not (no gateway online...). */
  meshMessageId: string | null;
  meshError: string | null;
  /**
   * Why the question was not sent at all (`mesh_alerts_off`: the meshAlerts setting is off), so
   * "no answer" means nobody was asked; null when it was sent or tried. Rounds kept from before have none.
   */
  notAsked?: 'mesh_alerts_off' | null;
  /**
   * `automatic`: nodes that answered by themselves, no person confirmed (not in `safe`); `resolved`:
   * nodes whose SOS an admin resolved (not in `needsHelp`). Rounds kept from before have neither.
   */
  counts: { safe: number; needsHelp: number; waiting: number; automatic?: number; resolved?: number };
  /**
   * A quake's round: its quakes, the main shock first, then each aftershock that joined it (near it,
   * while the round was open) in the order heard. Rounds kept from before, and rounds opened by hand, have none.
   */
  quakes?: RoundQuake[];
  /**
   * Every quake of the round was revised below the alert magnitude (`minMagnitude` then): the round
   * says so; it closed at once if nobody in it needed help, else stays open until nobody does.
   */
  revisedBelow?: { magnitude: number | null; minMagnitude: number } | null;
  closedReason?: RoundCloseReason | null;
  /** Closed as `merged_into_round`: the round that holds its quakes, nodes and people now. */
  mergedInto?: string | null;
  /**
   * An "I am safe" (or an automatic answer) counts only from this time: the origin of the latest aftershock that asked the
   * round again (a safe from before it says nothing of after it; the node's module answers again
   * when asked). An SOS counts from `answersSince`.
   */
  safeSince?: number | null;
  /**
   * It was closed as revised below the alert magnitude, its own time ran out while closed, and a
   * revision back over it opened it again for a whole round: that happens once a round.
   */
  renewedAfterRevision?: boolean;
}

export interface RoundNodeCandidate {
  id: string;
  name: string | null;
  position: LatLon | null;
}

/**
 * An SOS heard this long before a round opens, with no "I am safe" after it, puts its node in the
 * round as needing help even from before the quake's origin time (a node that pressed SOS in a
 * foreshock, or whose clock runs late): the person has not said they are safe.
 */
const SOS_STILL_OPEN_MS = 60 * 60_000;

/** A gateway time further than this ahead of the hub's is a clock running fast, not the answer's time. */
const CLOCK_AHEAD_SLACK_MS = 60_000;

/** The longest a round stays open (the roundMinutes setting's maximum). */
const MAX_ROUND_MS = 1440 * 60_000;

export class CheckinRounds {
  /** Orgs whose rounds were all looked through once for ones left open past their time (a hub that was down). */
  private readonly sweptOrgs = new Set<string>();

  /**
   * The last "I am safe" and SOS heard from each node (per org): people press them when the ground
   * shakes, minutes before any feed reports the quake and its round opens. Kept in the module's
   * store (`heard`, one document a node), so a hub restarted, or the module reloaded for a settings
   * change, between an SOS and the quake's round still lists the person as needing help; this map
   * only saves reading it again.
   */
  private readonly heardLately = new Map<string, Heard>();
  /** When each org's stored answers were last swept of nodes silent longer than HEARD_KEPT_MS. */
  private readonly sweptHeard = new Map<string, number>();

  /** The orgs with a round not closed, as `roundOrgs` holds them (read once). */
  private openOrgs: Set<string> | null = null;

  constructor(
    private readonly rounds: ModuleCollection<CheckinRound>,
    private readonly heardStore: ModuleCollection<Heard> | null = null,
    /**
     * The orgs that have a round not closed (one document an org): the closing job sweeps these, not
     * only the orgs with field nodes (a drill opened before any node was claimed closes on time too).
     */
    private readonly roundOrgs: ModuleCollection<{ orgId: string }> | null = null,
  ) {}

  /** Orgs with a round not closed yet (every one the store knows of; rounds saved before it was kept are not). */
  orgsWithUnclosed(): string[] {
    return [...this.knownOrgs()];
  }

  private knownOrgs(): Set<string> {
    this.openOrgs ??= new Set(this.roundOrgs?.list(null, { limit: 10_000 }).map((d) => d.doc.orgId) ?? []);
    return this.openOrgs;
  }

  /** What was last heard from a node: from memory, else from the store (a restart), else nothing. */
  private heardOf(orgId: string, nodeId: string): Heard | undefined {
    const key = `${orgId}\u0000${nodeId}`;
    let h = this.heardLately.get(key);
    if (h === undefined && this.heardStore) {
      const stored = this.heardStore.get(orgId, nodeId);
      if (stored) {
        h = { ...emptyHeard(), ...stored };
        this.heardLately.set(key, h);
      }
    }
    return h;
  }

  /** Keeps what was heard from a node, in memory and in the store; a node silent for days is let go. */
  private remember(orgId: string, nodeId: string, h: Heard, nowMs: number): void {
    h.keptAt = nowMs;
    this.heardLately.set(`${orgId}\u0000${nodeId}`, h);
    if (!this.heardStore) return;
    this.heardStore.put(orgId, nodeId, h);
    // Bounded: one document a node, and those not updated for HEARD_KEPT_MS go (checked at most hourly an org).
    if ((this.sweptHeard.get(orgId) ?? -Infinity) > nowMs - 3_600_000) return;
    this.sweptHeard.set(orgId, nowMs);
    for (const d of this.heardStore.list(orgId, { limit: 10_000 })) {
      if ((d.doc.keptAt ?? d.updatedAt) < nowMs - HEARD_KEPT_MS) {
        this.heardStore.delete(orgId, d.id);
        this.heardLately.delete(`${orgId}\u0000${d.id}`);
      }
    }
  }

  /**
   * Opens a round. A node's answer heard since `answersSinceMs` (a quake's origin time; default a
   * minute before now, as for answers to open rounds) counts in it from the start.
   */
  open(o: { orgId: string; id: string; title: string; quakeId: string | null; epicentre: CheckinRound['epicentre']; radiusKm: number; nowMs: number; durationMs: number; nodes: RoundNodeCandidate[]; answersSinceMs?: number; quake?: RoundQuake }): CheckinRound {
    const since = o.answersSinceMs ?? o.nowMs - 60_000;
    const nodes = o.nodes.map((n) => this.roundNode(o.orgId, n, o.epicentre, since, o.nowMs));
    const round: CheckinRound = { id: o.id, orgId: o.orgId, title: o.title, quakeId: o.quakeId, epicentre: o.epicentre, radiusKm: o.radiusKm, openedAt: o.nowMs, answersSince: since, closesAt: o.nowMs + o.durationMs, closedAt: null, nodes, people: [], meshMessageId: null, meshError: null, counts: { safe: 0, needsHelp: 0, waiting: 0, automatic: 0, resolved: 0 }, ...(o.quake ? { quakes: [o.quake] } : {}) };
    return this.save(round);
  }

  /**
   * An aftershock joins an open round instead of opening its own, so whoever asked for help in the
   * round stays in it: the round lists the quake, takes in the nodes in the aftershock's range it
   * did not have (their SOS and "I am safe" since the round's start count, as at its opening), and
   * counts answers from whichever of its quakes came first.
   */
  addQuake(round: CheckinRound, quake: RoundQuake, nodes: RoundNodeCandidate[], nowMs: number): CheckinRound {
    round.quakes = [...roundQuakes(round), quake];
    const since = Math.min(round.answersSince ?? round.openedAt - 60_000, quake.timeMs);
    round.answersSince = since;
    for (const n of nodes) if (!round.nodes.some((x) => x.id === n.id)) round.nodes.push(this.roundNode(round.orgId, n, round.epicentre, since, nowMs, round.safeSince ?? since));
    return this.save(round);
  }

  /**
   * An aftershock asked the round's nodes again: a node's "I am safe" from before its origin time
   * no longer counts (the ground shook again since; a rescuer must not pass someone who has not
   * said they are safe after it), nor does an automatic answer from before it (the node's module
   * answers the new question by itself if the node is still on the air). The node waits for a new
   * answer, its earlier one kept beside it. Help stays help; an answer given after the aftershock
   * struck, before a feed reported it, stays.
   */
  askedAgain(round: CheckinRound, quake: RoundQuake): CheckinRound {
    round.safeSince = Math.max(round.safeSince ?? -Infinity, quake.timeMs);
    for (const n of round.nodes) {
      if ((n.status !== 'safe' && n.status !== 'automatic') || (n.answeredAt !== null && n.answeredAt >= quake.timeMs)) continue;
      // Answered again since the aftershock struck (the round kept the first answer's time): that one answers it.
      const h = this.heardOf(round.orgId, n.id);
      const [at, heardAt] = n.status === 'safe' ? [h?.safeAt, h?.safeHeardAt] : [h?.autoAt, h?.autoHeardAt];
      const again = at != null && heardAt != null ? answerTime(n.status, at, heardAt, quake.timeMs) : null;
      if (again) {
        n.answeredAt = again.at;
        n.datedAt = again.datedAt;
        n.checkedInAt = null;
        continue;
      }
      n.earlier = { status: n.status, at: n.answeredAt ?? quake.timeMs, quake: { id: quake.id, magnitude: quake.magnitude, timeMs: quake.timeMs } };
      n.status = 'waiting';
      n.answeredAt = null;
      n.datedAt = null;
      n.checkedInAt = null;
    }
    return this.save(round);
  }

  /**
   * A node as a round opened at `nowMs` lists it: with the latest word a person at it gave since
   * `since` (an SOS, their "I am safe", or an SOS an admin resolved), else an SOS still open from
   * before (`sosBeforeRound`), else its automatic answer, else waiting.
   */
  private roundNode(orgId: string, n: RoundNodeCandidate, epicentre: CheckinRound['epicentre'], since: number, nowMs: number, safeSince = since): RoundNode {
    const heard = this.heardOf(orgId, n.id);
    const counted = heard?.helpAt != null && heard.helpHeardAt != null ? answerTime('needs_help', heard.helpAt, heard.helpHeardAt, since) : null;
    // An SOS from before the quake that nobody resolved and no "I am safe" followed is still a call for help.
    const before = !counted && heard?.helpAt != null && heard.helpHeardAt != null && heard.helpAt >= nowMs - SOS_STILL_OPEN_MS && !safeEnds(heard, heard.helpHeardAt) ? heard.helpAt : null;
    const help = counted ?? (before !== null ? { at: before, datedAt: null } : null);
    const safe = heard?.safeAt != null && heard.safeHeardAt != null ? answerTime('safe', heard.safeAt, heard.safeHeardAt, Math.max(since, safeSince)) : null;
    // An SOS of the round an admin resolved before it opened (a feed late with the quake); a later SOS (help) is a new call.
    const r = heard?.resolvedHelp;
    const resolved = !help && r && answerTime('needs_help', r.at, r.heardAt, since) ? { at: r.resolvedAt, datedAt: null, heardAt: r.resolvedAt } : null;
    // Dated as strictly as a person's "I am safe": one from before the quake says nothing of after it.
    const automatic = heard?.autoAt != null && heard.autoHeardAt != null ? answerTime('automatic', heard.autoAt, heard.autoHeardAt, Math.max(since, safeSince)) : null;
    // The person's latest word stands, in the order the hub heard them (help at the same moment as a
    // safe; an "I am safe" ends an SOS only naming it, see safeEnds); an automatic answer only when they said nothing.
    const called = help ? { status: 'needs_help' as const, ...help, heardAt: heard!.helpHeardAt! } : resolved ? { status: 'resolved' as const, ...resolved } : null;
    const safeLater = called && safe && (called.status === 'needs_help' ? safeEnds(heard!, called.heardAt) : heard!.safeHeardAt! > called.heardAt);
    const person = called && safe ? (safeLater ? { status: 'safe' as const, ...safe } : called) : (called ?? (safe ? { status: 'safe' as const, ...safe } : null));
    const answer = person ?? (automatic ? { status: 'automatic' as const, ...automatic } : null);
    return {
      id: n.id,
      name: n.name,
      latitude: n.position?.latitude ?? null,
      longitude: n.position?.longitude ?? null,
      distanceKm: n.position && epicentre ? Math.round(distanceKm(n.position, epicentre) * 10) / 10 : null,
      status: answer?.status ?? 'waiting',
      answeredAt: answer?.at ?? null,
      datedAt: answer?.datedAt ?? null,
      sosBeforeRound: answer?.status === 'needs_help' && !counted ? before : null,
      requestId: answer?.status === 'needs_help' ? (heard?.helpRequestId ?? null) : null,
    };
  }

  save(round: CheckinRound): CheckinRound {
    // A person checked in at a node with the node's own answer is that answer, counted once (as the
    // person); a node whose answer differs from everyone checked in at it still counts on its own.
    // A node's automatic answer says nothing of a person: with someone checked in at it, that person's status stands alone.
    // So says an SOS an admin resolved: it was dealt with, nothing more of the person is known.
    const own = round.nodes.filter((n) => !round.people.some((p) => p.nodeId === n.id && (p.status === n.status || n.status === 'automatic' || n.status === 'resolved')));
    round.counts = {
      safe: own.filter((n) => n.status === 'safe').length + round.people.filter((p) => p.status === 'safe').length,
      needsHelp: own.filter((n) => n.status === 'needs_help').length + round.people.filter((p) => p.status === 'needs_help').length,
      waiting: round.nodes.filter((n) => n.status === 'waiting').length,
      automatic: own.filter((n) => n.status === 'automatic').length,
      resolved: own.filter((n) => n.status === 'resolved').length,
    };
    this.rounds.put(round.orgId, round.id, round);
    const orgs = this.knownOrgs();
    if (round.closedAt === null && !orgs.has(round.orgId)) {
      orgs.add(round.orgId);
      this.roundOrgs?.put(null, round.orgId, { orgId: round.orgId });
    }
    return round;
  }

  get(orgId: string, id: string): CheckinRound | null {
    return this.rounds.get(orgId, id);
  }

  list(orgId: string, limit = 20): CheckinRound[] {
    return this.rounds.list(orgId, { limit }).map((d) => d.doc).sort((a, b) => b.openedAt - a.openedAt);
  }

  /**
   * A node's "I am safe" or SOS, dated `atMs` by the gateway that heard it and delivered to the hub at
   * `nowMs`: remembered for rounds opened later, and answers the open rounds it is in (those it
   * changed are returned).
   */
  heard(orgId: string, nodeId: string, status: NodeAnswer, atMs: number, nowMs: number, requestId: number | null = null): CheckinRound[] {
    const h = this.heardOf(orgId, nodeId) ?? emptyHeard();
    // A late copy of an SOS whose alert the hub resolved is not a new call for help (one without a
    // request id, from older firmware, always counts: a gateway's clock cannot tell it from a new one).
    // A copy of an SOS already heard (the node resends it until a gateway has it; a second gateway's
    // backlog) is no new word from the node, whatever its gateway's clock says: it moves nothing.
    if (status === 'needs_help' && requestId !== null && (h.resolvedRequestIds.includes(requestId) || requestId === h.helpRequestId || (h.seenRequestIds ?? []).includes(requestId))) return [];
    if (status === 'safe') [h.safeAt, h.safeHeardAt, h.safeRequestId] = [Math.max(h.safeAt ?? atMs, atMs), Math.max(h.safeHeardAt ?? nowMs, nowMs), requestId];
    else if (status === 'automatic') [h.autoAt, h.autoHeardAt] = [Math.max(h.autoAt ?? atMs, atMs), Math.max(h.autoHeardAt ?? nowMs, nowMs)];
    else {
      // A new SOS is the node's latest call for help, however its gateway dates it against the one before.
      [h.helpAt, h.helpHeardAt, h.helpRequestId] = [atMs, nowMs, requestId];
      if (requestId !== null) h.seenRequestIds = [requestId, ...(h.seenRequestIds ?? [])].slice(0, 16);
    }
    this.remember(orgId, nodeId, h, nowMs);
    return this.openWith(orgId, nodeId, nowMs).filter((round) => this.nodeAnswered(round, nodeId, status, atMs, nowMs, requestId));
  }

  /**
   * The hub's alert for a node's SOS was resolved (by an admin, or by the node itself: its "I am
   * safe", or a new SOS that superseded it): the SOS it remembers is no longer a call for help, so
   * the next round (an aftershock's) does not mark the node as needing help for it. An SOS heard
   * after the resolved alert's last copy (a new one, which superseded it: another request id, or
   * without ids one dated after) stays. `byAdmin`: an admin resolved the node's latest SOS, so in
   * each open round where that SOS is the node's answer the node is `resolved` (returned: the
   * rounds changed), not "needs help"; and a round opened later for a quake before that SOS lists it
   * so. Resolved by the node, its "I am safe" (heard as such) is its answer.
   */
  sosResolved(orgId: string, nodeId: string, requestId: number | null, lastHeardAtMs: number, nowMs = lastHeardAtMs, byAdmin = false): CheckinRound[] {
    const h = this.heardOf(orgId, nodeId) ?? emptyHeard();
    if (requestId !== null) h.resolvedRequestIds = [requestId, ...h.resolvedRequestIds.filter((id) => id !== requestId)].slice(0, 16);
    const same = h.helpAt != null && (requestId !== null && h.helpRequestId !== null ? requestId === h.helpRequestId : h.helpAt <= lastHeardAtMs);
    if (same && byAdmin && h.helpHeardAt != null) h.resolvedHelp = { at: h.helpAt!, heardAt: h.helpHeardAt, resolvedAt: nowMs };
    if (same) {
      h.helpAt = null;
      h.helpHeardAt = null;
      h.helpRequestId = null;
    }
    this.remember(orgId, nodeId, h, nowMs);
    if (!same || !byAdmin) return [];
    const changed: CheckinRound[] = [];
    for (const round of this.openWith(orgId, nodeId, nowMs)) {
      const n = round.nodes.find((x) => x.id === nodeId)!;
      // Only a node whose "needs help" is this SOS: not an admin's "needs help" check-in (the admin knows
      // something the alert does not say), nor another SOS of the node's.
      if (n.status !== 'needs_help' || n.checkedInAt != null || (requestId !== null && n.requestId != null && n.requestId !== requestId)) continue;
      Object.assign(n, { status: 'resolved', answeredAt: nowMs, datedAt: null, checkedInAt: null, sosBeforeRound: null, requestId });
      changed.push(this.save(round));
    }
    return changed;
  }

  /**
   * The org's rounds not closed yet, however many rounds came after them: a round was saved when it
   * opened, so one still open was saved within the longest round's time; the first look for an org
   * goes through all its rounds (one left open while the hub was down longer than that).
   */
  unclosed(orgId: string, nowMs: number): CheckinRound[] {
    const sinceMs = this.sweptOrgs.has(orgId) ? nowMs - MAX_ROUND_MS - 60_000 : 0;
    this.sweptOrgs.add(orgId);
    return this.rounds.list(orgId, { sinceMs, limit: 10_000 }).map((d) => d.doc).filter((r) => r.closedAt === null);
  }

  /** Open rounds of the org that include `nodeId`. */
  openWith(orgId: string, nodeId: string, nowMs: number): CheckinRound[] {
    return this.unclosed(orgId, nowMs).filter((r) => r.closesAt > nowMs && r.nodes.some((n) => n.id === nodeId));
  }

  /**
   * A node answered (a frame the gateway dated `atMs`, delivered to the hub at `heardAtMs`). Judged
   * against the round's start of answers (the quake's time), not the moment it opened: a gateway
   * whose link to the hub was down delivers its backlog late. One the hub heard after that start
   * counts whatever the gateway's clock says (its time kept in `datedAt`). The node's latest word
   * stands (see replaces): an SOS after its "I am safe", its "I am safe" after its SOS. Called in
   * the order the hub heard the answers (each heard after whatever the round holds), never for a
   * copy of an SOS already heard.
   */
  nodeAnswered(round: CheckinRound, nodeId: string, status: NodeAnswer, atMs: number, heardAtMs = atMs, requestId: number | null = null): boolean {
    const n = round.nodes.find((x) => x.id === nodeId);
    const since = round.answersSince ?? round.openedAt - 60_000;
    // An "I am safe" or automatic answer from before an aftershock that asked again does not answer it (see askedAgain).
    const answer = answerTime(status, atMs, heardAtMs, status !== 'needs_help' ? Math.max(since, round.safeSince ?? -Infinity) : since);
    if (!n || !answer) return false;
    if (!replaces(n, status, requestId)) return false;
    n.status = status;
    n.requestId = status === 'needs_help' ? requestId : null;
    n.answeredAt = answer.at;
    n.datedAt = answer.datedAt;
    n.checkedInAt = null;
    n.sosBeforeRound = null;
    // A person answered again: the answer from before the aftershock is history (an automatic answer is no person's, it stays shown).
    if (status !== 'automatic') n.earlier = null;
    this.save(round);
    return true;
  }

  /** An admin sets a node's status (e.g. reached by phone), or checks a person in. */
  adminCheckIn(round: CheckinRound, c: { nodeId?: string; person?: string; status: CheckInStatus; by: string; atMs: number; note?: string }): CheckinRound {
    if (c.nodeId) {
      const n = round.nodes.find((x) => x.id === c.nodeId);
      if (n) {
        n.status = c.status;
        n.answeredAt = c.atMs;
        n.earlier = null;
        n.checkedInAt = c.atMs;
        n.sosBeforeRound = null;
        n.requestId = null;
      }
    }
    if (c.person) {
      // One entry a person however the name was typed; it keeps the name as first written.
      const key = personKey(c.person);
      const before = round.people.find((p) => personKey(p.name) === key);
      round.people = round.people.filter((p) => p !== before);
      round.people.push({ name: before?.name ?? personDisplayName(c.person), status: c.status, at: c.atMs, by: c.by, nodeId: c.nodeId ?? before?.nodeId ?? null, note: c.note ?? null });
    }
    return this.save(round);
  }

  close(round: CheckinRound, nowMs: number, reason: RoundCloseReason | null = null): CheckinRound {
    round.closedAt = nowMs;
    round.closedReason = reason;
    this.save(round);
    if (this.knownOrgs().has(round.orgId) && this.unclosed(round.orgId, nowMs).length === 0) {
      this.knownOrgs().delete(round.orgId);
      this.roundOrgs?.delete(null, round.orgId);
    }
    return round;
  }

  /**
   * Rounds closed in the last day (the feeds' quakes are remembered that long) because their quakes
   * were revised below the alert magnitude, whether or not their own time is over: a later upward
   * revision back over it opens them again (a round cut short by a wrong revision down is no round
   * that ran its time).
   */
  closedAsRevisedBelow(orgId: string, nowMs: number): CheckinRound[] {
    return this.rounds
      .list(orgId, { sinceMs: nowMs - MAX_ROUND_MS - 60_000, limit: 10_000 })
      .map((d) => d.doc)
      .filter((r) => r.closedAt !== null && r.closedReason === 'revised_below_threshold' && r.closedAt >= nowMs - MAX_ROUND_MS);
  }

  /**
   * Opens a round closed as revised below the alert magnitude again (its quake was revised back
   * over it): every answer and check-in it had stays, and it gets back the time the wrong revision
   * took from it (what was left of its time when it closed, from now; `roundMs` if its own time is
   * over, once: the people in it had no round meanwhile), not more (longer only when the nodes are asked
   * again: a feed flipping either side of the alert magnitude must not keep it open for ever).
   * An SOS or "I am safe" the hub heard while it was closed answered no round (only open ones take
   * answers, see heard): each node takes it now, by the same rules as an answer to the open round
   * (from `answersSince`, a safe from `safeSince`; the higher-ranking answer stands), so a call for
   * help made while it was closed is in it; one heard before an admin checked the node in (a check-in
   * to the closed round, by an admin who reached the person) does not undo that check-in.
   */
  reopen(round: CheckinRound, nowMs: number, roundMs: number): CheckinRound {
    const closedAt = round.closedAt ?? nowMs;
    const lost = Math.max(0, round.closesAt - closedAt);
    // Its own time over while it was closed: a whole round again, once (a feed flipping either side
    // of the alert magnitude as the round's time runs out must not renew it for ever).
    const renew = round.closesAt <= nowMs && lost > 0 && !round.renewedAfterRevision;
    if (renew) round.renewedAfterRevision = true;
    round.closesAt = renew ? nowMs + Math.max(lost, roundMs) : Math.max(round.closesAt, nowMs + lost);
    round.closedAt = null;
    round.closedReason = null;
    round.revisedBelow = null;
    for (const n of round.nodes) {
      const h = this.heardOf(round.orgId, n.id);
      if (!h) continue;
      // Heard before it closed, an answer was already taken: only the ones heard while closed, and after the admin's check-in that stands.
      const checkedInAt = n.checkedInAt ?? -Infinity;
      const missed: Array<[NodeAnswer, number | null | undefined, number | null | undefined, number | null | undefined]> = [
        ['needs_help', h.helpAt, h.helpHeardAt, h.helpRequestId],
        ['safe', h.safeAt, h.safeHeardAt, h.safeRequestId],
        ['automatic', h.autoAt, h.autoHeardAt, null],
      ];
      // In the order the hub heard them (an SOS at the same moment as a safe last: help stands).
      missed.sort((a, b) => (a[2] ?? 0) - (b[2] ?? 0) || (a[0] === 'needs_help' ? 1 : 0) - (b[0] === 'needs_help' ? 1 : 0));
      for (const [status, at, heardAt, requestId] of missed) if (at != null && heardAt != null && heardAt >= closedAt && heardAt >= checkedInAt) this.nodeAnswered(round, n.id, status, at, heardAt, requestId ?? null);
    }
    return this.save(round);
  }

  /**
   * Takes `other`, an open round of the same quake sequence, into `round` (one round for one
   * sequence: a team needs who needs help in one place, and an SOS counted once): its quakes, its
   * nodes (a node in both keeps the higher-ranking answer, the later at equal rank; but an admin's
   * check-in stands over an answer heard before it, and the later of two check-ins stands: see
   * mergedNode) and its people (the later check-in, as one round would have it). Its quakes that
   * went into the mesh after this round's main shock asked everyone again (the question goes to
   * the whole mesh), as if they had joined this round: answers from before them are reset as
   * askedAgain does. `other` closes as `merged_into_round`, empty, naming this round.
   */
  merge(round: CheckinRound, other: CheckinRound, nowMs: number): CheckinRound {
    const mine = roundQuakes(round);
    const theirs = roundQuakes(other).filter((q) => !mine.some((x) => x.id === q.id));
    round.quakes = [...mine, ...theirs];
    round.answersSince = Math.min(round.answersSince ?? round.openedAt - 60_000, other.answersSince ?? other.openedAt - 60_000);
    round.closesAt = Math.max(round.closesAt, other.closesAt);
    for (const n of other.nodes) {
      const kept = round.nodes.find((x) => x.id === n.id);
      if (!kept) round.nodes.push({ ...n });
      else if (this.mergedNode(round.orgId, kept, n) === n) {
        Object.assign(kept, { status: n.status, answeredAt: n.answeredAt, datedAt: n.datedAt ?? null, earlier: n.earlier ?? null, checkedInAt: n.checkedInAt ?? null, sosBeforeRound: n.sosBeforeRound ?? null, requestId: n.requestId ?? null });
      }
    }
    // A person is whatever they were last checked in as (an admin who found someone safe after another
    // checked them in as needing help); at the same moment, needing help.
    for (const p of other.people) {
      const kept = round.people.find((x) => personKey(x.name) === personKey(p.name));
      if (!kept) round.people.push({ ...p });
      else if (p.at > kept.at || (p.at === kept.at && p.status === 'needs_help')) Object.assign(kept, { ...p, name: kept.name });
    }
    const main = mine[0];
    for (const q of [...theirs].sort((a, b) => a.timeMs - b.timeMs)) if (q.sentMagnitude !== null && (!main || q.timeMs > main.timeMs)) this.askedAgain(round, q);
    other.nodes = [];
    other.people = [];
    other.mergedInto = round.id;
    // Closed for this reason, not for a revision (its screen would say "nobody in this round needs help").
    other.revisedBelow = null;
    this.close(other, nowMs, 'merged_into_round');
    return this.save(round);
  }

  /**
   * Which of a node's two entries stands when two rounds of the same quakes become one, `a` (the
   * round that takes the other in) or `b`. As in one round: the later of two admins' check-ins; an
   * admin's check-in over an answer heard before it (an SOS the admin has since dealt with: the
   * other round took it while the admin's was not there to), under a higher-ranking one heard after
   * it (an SOS after a "safe"); else the higher-ranking answer, the later at equal rank.
   */
  private mergedNode(orgId: string, a: RoundNode, b: RoundNode): RoundNode {
    if (a.checkedInAt != null && b.checkedInAt != null) return b.checkedInAt > a.checkedInAt ? b : a;
    const admin = a.checkedInAt != null ? a : b.checkedInAt != null ? b : null;
    if (admin) {
      const other = admin === a ? b : a;
      const heardAt = other.status === 'waiting' ? null : other.status === 'resolved' ? (this.heardOf(orgId, other.id)?.resolvedHelp?.resolvedAt ?? null) : this.lastHeardAt(orgId, other.id, other.status);
      return heardAt !== null && heardAt >= admin.checkedInAt! && RANK[other.status] > RANK[admin.status] ? other : admin;
    }
    return RANK[b.status] > RANK[a.status] || (RANK[b.status] === RANK[a.status] && (b.answeredAt ?? -Infinity) > (a.answeredAt ?? -Infinity)) ? b : a;
  }

  /** When the hub last heard this kind of answer from the node (null: never, or an SOS whose alert was resolved). */
  private lastHeardAt(orgId: string, nodeId: string, status: NodeAnswer): number | null {
    const h = this.heardOf(orgId, nodeId);
    return (status === 'needs_help' ? h?.helpHeardAt : status === 'safe' ? h?.safeHeardAt : h?.autoHeardAt) ?? null;
  }

  /**
   * The round that holds `round`'s nodes and people now: itself, or (it was merged into another,
   * perhaps that one into a third) the last of the `mergedInto` chain that the org still has.
   */
  holding(round: CheckinRound): CheckinRound {
    const seen = new Set([round.id]);
    let at = round;
    while (at.closedReason === 'merged_into_round' && at.mergedInto && !seen.has(at.mergedInto)) {
      const next = this.get(at.orgId, at.mergedInto);
      if (!next) break;
      seen.add(next.id);
      at = next;
    }
    return at;
  }

  /**
   * A round whose quakes were all revised below the alert magnitude closes as soon as nobody in it
   * needs help (at once, or when the last of them is checked in safe): true when it did.
   */
  closeIfRevisedAndNobodyNeedsHelp(round: CheckinRound, nowMs: number): boolean {
    if (!round.revisedBelow || round.closedAt !== null || round.counts.needsHelp > 0) return false;
    this.close(round, nowMs, 'revised_below_threshold');
    return true;
  }

  due(orgId: string, nowMs: number): CheckinRound[] {
    return this.unclosed(orgId, nowMs).filter((r) => r.closesAt <= nowMs);
  }
}

/**
 * How long the store keeps what a node was last heard saying: longer than any round (a day) and
 * than an SOS still counts before one (an hour), and than a resolved SOS's late copies take to arrive.
 */
const HEARD_KEPT_MS = 2 * 86_400_000;

/** The last "I am safe" and SOS heard from a node: the gateway's latest time for each, and the hub's. */
export interface Heard {
  safeAt: number | null;
  safeHeardAt: number | null;
  helpAt: number | null;
  helpHeardAt: number | null;
  /** The last automatic answer (a module on the node; no person): kept apart, a person's "I am safe" outranks it. */
  autoAt?: number | null;
  autoHeardAt?: number | null;
  /** The request id of the latest SOS (null: older firmware names none). */
  helpRequestId: number | null;
  /** The node's SOS request ids heard, latest first (a few): a copy of one is no new call. */
  seenRequestIds?: number[];
  /** The SOS request id the last "I am safe" named (it ends that SOS; null: none was open on the node, or older firmware). */
  safeRequestId?: number | null;
  /** The node's SOS request ids whose alerts the hub resolved, latest first (a few). */
  resolvedRequestIds: number[];
  /** The last SOS an admin resolved (the gateway's and the hub's time for it, and when it was resolved): a round opened later lists it as resolved. */
  resolvedHelp?: { at: number; heardAt: number; resolvedAt: number } | null;
  /** The hub's time this was last written (the store lets a node silent for days go). */
  keptAt?: number;
}

function emptyHeard(): Heard {
  return { safeAt: null, safeHeardAt: null, helpAt: null, helpHeardAt: null, autoAt: null, autoHeardAt: null, helpRequestId: null, resolvedRequestIds: [] };
}

/**
 * Whether a node's answer, heard by the hub after whatever the round has for it, replaces that: the
 * node's latest word stands, in the order the hub heard it (not by the gateways' clocks: two
 * gateways' may be a minute apart, and an admin's check-in or resolve is at the hub's time). A new
 * SOS (copies of one heard never get here) replaces anything but an admin's "needs help" check-in:
 * an "I am safe", an admin's "safe", an SOS an admin resolved, an SOS from before the quake. A
 * person's "I am safe" replaces no answer, an automatic one, a resolved SOS, and the SOS it names
 * (the node names the SOS it ends; one naming none, or another, was pressed before it, a copy a
 * gateway delivers late); not an admin's "needs help" check-in (the admin knows something the button
 * does not say). An automatic answer replaces only no answer: it tells nothing of a person.
 */
function replaces(n: RoundNode, status: NodeAnswer, requestId: number | null): boolean {
  if (status === 'automatic') return n.status === 'waiting';
  if (status === 'needs_help') return n.status !== 'needs_help' || n.checkedInAt == null;
  if (n.status === 'safe') return false;
  if (n.status !== 'needs_help') return true;
  return n.checkedInAt == null && (n.requestId == null || n.requestId === requestId);
}

/**
 * Whether the node's last "I am safe" ends its SOS heard by the hub at `helpHeardAt`: heard after
 * it, and naming it when it has a request id (see replaces).
 */
function safeEnds(h: Heard, helpHeardAt: number): boolean {
  return h.safeHeardAt != null && h.safeHeardAt > helpHeardAt && (h.helpRequestId == null || h.safeRequestId === h.helpRequestId);
}

/**
 * When an answer counts for a round whose answers start at `since`, or null when it is from before:
 * the gateway's time `atMs` when it is plausible, else the hub's `heardAtMs` with the gateway's kept.
 * A call for help heard after the start always counts (a gateway's clock may be hours behind). An
 * "I am safe" its gateway dates before the start does not: it may have been pressed before the
 * quake, and counting it would send rescuers past someone who never said they were safe after it.
 */
function answerTime(status: NodeAnswer, atMs: number, heardAtMs: number, since: number): { at: number; datedAt: number | null } | null {
  if (atMs >= since && atMs <= heardAtMs + CLOCK_AHEAD_SLACK_MS) return { at: atMs, datedAt: null };
  if (heardAtMs >= since && (status === 'needs_help' || atMs >= since)) return { at: heardAtMs, datedAt: atMs };
  return null;
}

/**
 * A quake round's quakes, the main shock first; a round kept from before lists none, so its one
 * quake is made up from its epicentre (the mesh was told its magnitude if the question went out).
 */
export function roundQuakes(round: CheckinRound): RoundQuake[] {
  if (round.quakes) return round.quakes;
  const e = round.epicentre;
  if (round.quakeId === null || !e) return [];
  return [{ id: round.quakeId, timeMs: round.answersSince ?? round.openedAt - 60_000, latitude: e.latitude, longitude: e.longitude, magnitude: e.magnitude, place: e.place, ...(e.places ? { places: e.places } : {}), sentMagnitude: round.meshMessageId !== null ? e.magnitude : null }];
}
