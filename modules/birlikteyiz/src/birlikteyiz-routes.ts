// birlikteyiz's API (under /api/v1/modules/birlikteyiz/): quakes, feed states, check-in rounds
// with their live status, check-ins by admins, and assembly points.

import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ModuleError, type ModuleContext } from '@unibos/module-api';
import { quakePlaces } from './alert-wording.ts';
import { assemblyPointText, MAX_ASSEMBLY_POINTS, type AssemblyPoints } from './assembly-points.ts';
import { BIRLIKTEYIZ_EVENT } from './birlikteyiz-events.ts';
import { readSettings } from './birlikteyiz-settings.ts';
import type { CheckinRounds } from './checkin-rounds.ts';
import { publicFeedStatus, type FeedStatus } from './feed-poller.ts';
import { distanceKm } from './geo.ts';
import { personDisplayName, personKey } from './person-name.ts';
import type { QuakeWatch, StoredQuake } from './quake-watch.ts';

export interface BirlikteyizRoutesOptions {
  module: ModuleContext;
  rounds: CheckinRounds;
  points: AssemblyPoints;
  watch: QuakeWatch;
  feeds: () => FeedStatus[];
  /** What keeps quakes from alerting anyone (a settings problem), shown by GET status; null: nothing. */
  quakeAlertsProblem?: { code: 'region_none' } | null;
}

const ASSEMBLY_RANGE_KM = 10;
/**
 * People checked in by name per round: every check-in rewrites the round and sends all of it on the
 * event stream, so a list without end would outgrow every client's buffer (and the log).
 */
export const MAX_ROUND_PEOPLE = 1000;

/** Quakes GET /quakes lists, and the most recently stored it reads to find the newest by time among them. */
const QUAKES_LISTED = 50;
const QUAKES_READ_FOR_LIST = 1000;

export const birlikteyizRoutes: FastifyPluginAsync<BirlikteyizRoutesOptions> = async (app, { module: m, rounds, points, watch, feeds, quakeAlertsProblem = null }) => {
  // Whether quakes can alert anyone at all: the module's screen says so when they cannot, and why.
  app.get('/status', async (request) => {
    m.require(request, 'read');
    return { quakeAlerts: quakeAlertsProblem === null, problem: quakeAlertsProblem };
  });

  app.get('/quakes', async (request) => {
    const { orgId } = m.require(request, 'read');
    // Quakes are public; whom they alerted is not: each org sees only whether it was alerted itself.
    const forOrg = (q: StoredQuake): StoredQuake & { places: ReturnType<typeof quakePlaces> } => {
      const alerted = q.alertedOrgs.includes(orgId);
      const aftershockIn = (q.aftershockIn ?? []).filter((a) => a.orgId === orgId);
      return { ...q, places: quakePlaces(q.place, q.places), verdict: q.verdict === 'alert' && !alerted ? 'outside_region' : q.verdict, alertedOrgs: alerted ? [orgId] : [], aftershockIn };
    };
    // The newest by their time, not by when each was last stored: one poll stores a page's quakes (Kandilli's 500)
    // oldest-updated first, and a revision stores an older quake again.
    const newest = m.store.collection<StoredQuake>('quakes').list(null, { limit: QUAKES_READ_FOR_LIST }).sort((a, b) => b.doc.timeMs - a.doc.timeMs);
    return { quakes: newest.slice(0, QUAKES_LISTED).map((d) => forOrg(d.doc)) };
  });

  app.get('/feeds', async (request) => {
    m.require(request, 'read');
    // Every org's users read this: no feed URL, not even inside a fetch error (as on the event stream).
    return { feeds: feeds().map(publicFeedStatus) };
  });

  app.get('/rounds', async (request) => {
    const { orgId } = m.require(request, 'read');
    return { rounds: rounds.list(orgId) };
  });

  app.get<{ Params: { id: string } }>('/rounds/:id', async (request) => {
    const { orgId } = m.require(request, 'read');
    const round = rounds.get(orgId, request.params.id);
    if (!round) throw new ModuleError('E_NOT_FOUND', 'round not found');
    return round;
  });

  app.post<{ Body: { title: string; radiusKm?: number; latitude?: number; longitude?: number } }>(
    '/rounds',
    { schema: { body: { type: 'object', required: ['title'], additionalProperties: false, properties: { title: { type: 'string', minLength: 1, maxLength: 100 }, radiusKm: { type: 'number', minimum: 0.1, maximum: 2000 }, latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 } } } } },
    async (request, reply) => {
      const { orgId } = m.require(request, 'alerts');
      const b = request.body;
      const center = b.latitude !== undefined && b.longitude !== undefined ? { latitude: b.latitude, longitude: b.longitude } : null;
      return reply.code(201).send(watch.openRound(orgId, b.title, b.radiusKm ?? null, center));
    },
  );

  app.post<{ Params: { id: string }; Body: { nodeId?: string; person?: string; status: 'safe' | 'needs_help'; note?: string } }>(
    '/rounds/:id/checkins',
    { schema: { body: { type: 'object', required: ['status'], additionalProperties: false, properties: { nodeId: { type: 'string', maxLength: 20 }, person: { type: 'string', minLength: 1, maxLength: 80 }, status: { enum: ['safe', 'needs_help'] }, note: { type: 'string', maxLength: 200 } } } } },
    async (request) => {
      const caller = m.require(request, 'alerts');
      const asked = rounds.get(caller.orgId, request.params.id);
      if (!asked) throw new ModuleError('E_NOT_FOUND', 'round not found');
      // A round merged into another (an admin still has it on screen) is empty: the check-in goes
      // where its nodes and people are now, and the answer is that round (a person needing help must
      // show in the round rescuers work from, not in a closed one nobody looks at).
      const round = rounds.holding(asked);
      const b = request.body;
      if (!b.nodeId && !b.person) throw new ModuleError('E_BAD_REQUEST', 'name a node or a person');
      if (b.person !== undefined && !personDisplayName(b.person)) throw new ModuleError('E_BAD_REQUEST', 'a person\'s name is more than spaces');
      if (b.nodeId && !round.nodes.some((n) => n.id === b.nodeId)) throw new ModuleError('E_NOT_FOUND', `node ${b.nodeId} is not in this round`);
      if (b.person && round.people.length >= MAX_ROUND_PEOPLE && !round.people.some((p) => personKey(p.name) === personKey(b.person!))) {
        throw new ModuleError('E_CONFLICT', `a round lists at most ${MAX_ROUND_PEOPLE} people by name: open another round`);
      }
      const updated = rounds.adminCheckIn(round, { ...(b.nodeId ? { nodeId: b.nodeId } : {}), ...(b.person ? { person: b.person } : {}), status: b.status, by: caller.userId, atMs: m.now(), ...(b.note ? { note: b.note } : {}) });
      // A quake revised below the alert magnitude kept its round open only for those who needed help.
      const closed = rounds.closeIfRevisedAndNobodyNeedsHelp(updated, m.now());
      m.events.publish(caller.orgId, closed ? BIRLIKTEYIZ_EVENT.ROUND_CLOSED : BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round: updated });
      return updated;
    },
  );

  app.post<{ Params: { id: string } }>('/rounds/:id/close', async (request) => {
    const { orgId } = m.require(request, 'alerts');
    const round = rounds.get(orgId, request.params.id);
    if (!round) throw new ModuleError('E_NOT_FOUND', 'round not found');
    if (round.closedAt !== null) throw new ModuleError('E_CONFLICT', 'round is already closed');
    const closed = rounds.close(round, m.now());
    m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_CLOSED, { round: closed });
    return closed;
  });

  app.get('/assembly-points', async (request) => {
    const { orgId } = m.require(request, 'read');
    return { assemblyPoints: points.list(orgId) };
  });

  app.post<{ Body: { name: string; latitude: number; longitude: number; capacity?: number } }>(
    '/assembly-points',
    { schema: { body: { type: 'object', required: ['name', 'latitude', 'longitude'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 60 }, latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 }, capacity: { type: 'integer', minimum: 1, maximum: 1_000_000 } } } } },
    async (request, reply) => {
      const caller = m.require(request, 'send');
      if (points.count(caller.orgId) >= MAX_ASSEMBLY_POINTS) throw new ModuleError('E_CONFLICT', `an org has at most ${MAX_ASSEMBLY_POINTS} assembly points: delete one first`);
      const b = request.body;
      const point = { id: randomUUID(), name: b.name, latitude: b.latitude, longitude: b.longitude, capacity: b.capacity ?? null, createdAt: m.now(), createdBy: caller.userId, sentTo: [] as string[], unreachable: [] as string[] };
      // Each node within range is told (a text: it waits behind alerts, not behind other texts).
      for (const n of m.fleet.list(caller.orgId)) {
        if (n.kind !== 'node' || !n.position || distanceKm(n.position, point) > ASSEMBLY_RANGE_KM) continue;
        try {
          m.mesh.send(caller.orgId, n.id, { text: assemblyPointText(point, readSettings(m.settings).language) }, 'normal');
          point.sentTo.push(n.id);
        } catch {
          point.unreachable.push(n.id);
        }
      }
      points.put(caller.orgId, point);
      m.events.publish(caller.orgId, BIRLIKTEYIZ_EVENT.ASSEMBLY_POINT, { assemblyPoint: point });
      return reply.code(201).send(point);
    },
  );

  app.delete<{ Params: { id: string } }>('/assembly-points/:id', async (request, reply) => {
    const { orgId } = m.require(request, 'send');
    if (!points.delete(orgId, request.params.id)) throw new ModuleError('E_NOT_FOUND', 'assembly point not found');
    return reply.code(204).send();
  });
};
