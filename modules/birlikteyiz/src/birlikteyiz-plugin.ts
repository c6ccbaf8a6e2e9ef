// The hub entry of birlikteyiz (mounted at /api/v1/modules/birlikteyiz/): polls the quake feeds,
// turns quakes into alerts and check-in rounds (quake-watch.ts), marks nodes safe or in need of
// help from what they send over the mesh, closes rounds on time, and serves the rounds, quakes,
// feed states and assembly points to the admin UI. Everything goes through the module API.

import type { ModulePlugin } from '@unibos/module-api';
import type { MeshRecord } from '@unibos/mesh-protocol';
import { AssemblyPoints } from './assembly-points.ts';
import { BIRLIKTEYIZ_EVENT } from './birlikteyiz-events.ts';
import { birlikteyizRoutes } from './birlikteyiz-routes.ts';
import { quakeAlertsProblem, readSettings } from './birlikteyiz-settings.ts';
import { CheckinRounds } from './checkin-rounds.ts';
import { FeedPoller, publicFeedStatus } from './feed-poller.ts';
import { parseAfadFeed } from './feeds/afad-feed.ts';
import { parseEmscFeed } from './feeds/emsc-feed.ts';
import { MAX_KANDILLI_BYTES, parseKandilliFeed } from './feeds/kandilli-feed.ts';
import type { ParsedFeed, QuakeSource } from './feeds/quake.ts';
import { parseUsgsFeed } from './feeds/usgs-feed.ts';
import { DEDUP_MEMORY_MS, QuakeWatch } from './quake-watch.ts';

const PARSERS: Record<QuakeSource, (b: Uint8Array) => ParsedFeed> = { usgs: parseUsgsFeed, emsc: parseEmscFeed, afad: parseAfadFeed, kandilli: parseKandilliFeed };

/** The host calls it for settings stored under an older settings version (module.json's). */
export { migrateSettings } from './birlikteyiz-settings.ts';

const plugin: ModulePlugin = async (app, { module: m }) => {
  const settings = readSettings(m.settings);
  // Everything else still runs: rounds by hand, SOS and "I am safe", assembly points; the screen says it too (GET status).
  const problem = quakeAlertsProblem(settings);
  if (problem) m.log.warn({ problem: problem.code, regionMode: settings.regionMode }, 'quake alerts are off: no region is set (regionMode "none"; a circle without a centre or a polygon of fewer than 3 corners saved before version 2 became "none"); set regionMode in the module settings');
  // `heard`: each node's last SOS and "I am safe", so a restart or a settings change forgets no call for help.
  // `round_orgs`: the orgs with a round not closed, which the closing job sweeps.
  const rounds = new CheckinRounds(m.store.collection('rounds'), m.store.collection('heard'), m.store.collection('round_orgs'));
  const points = new AssemblyPoints(m.store.collection('assembly_points'));
  const watch = new QuakeWatch(m, settings, rounds);

  const urls: Record<QuakeSource, string> = { usgs: settings.usgsUrl, emsc: settings.emscUrl, afad: settings.afadUrl, kandilli: settings.kandilliUrl };
  const pollers: FeedPoller[] = [];
  for (const source of Object.keys(urls) as QuakeSource[]) {
    const url = urls[source].trim();
    if (!url) continue;
    const poller = new FeedPoller({ source, url, parse: PARSERS[source], fetch: (u, init) => m.fetch(source === 'afad' ? afadWindow(u, m.now()) : u, init), intervalMs: settings.pollIntervalS * 1000, now: m.now, maxAgeMs: DEDUP_MEMORY_MS, ...(source === 'kandilli' ? { maxBytes: MAX_KANDILLI_BYTES } : {}) });
    pollers.push(poller);
    const job = m.jobs.every(
      `poll ${source}`,
      settings.pollIntervalS * 1000,
      async () => {
        // A change of state, or of whether every quake listed was older than a day (a hub clock far ahead), is news to the screens.
        const before = `${poller.status.state}|${poller.status.lastError}|${poller.status.allOlder}`;
        const parsed = await poller.poll();
        watch.reports(parsed.quakes);
        job.setInterval(poller.status.nextPollInMs);
        // Every org hears of it, so it says no more than GET /feeds: no URL, no key in the error.
        if (`${poller.status.state}|${poller.status.lastError}|${poller.status.allOlder}` !== before) for (const orgId of m.fleet.orgs()) m.events.publish(orgId, BIRLIKTEYIZ_EVENT.FEED_STATUS, publicFeedStatus(poller.status));
      },
      { immediately: true },
    );
  }

  // A node's "I am safe" or SOS, heard through any gateway, answers the open rounds it is in. A SAFE
  // the node flagged automatic (a module answered; no person pressed anything) is counted apart.
  m.events.subscribe('mesh.alert', (e) => {
    const record = e.data as MeshRecord;
    const level = record.data.level;
    if (level !== 'SAFE' && level !== 'SOS') return;
    const at = Date.parse(record.time) || m.now();
    const requestId = typeof record.data.requestId === 'number' && Number.isSafeInteger(record.data.requestId) && record.data.requestId > 0 ? record.data.requestId : null;
    const answer = level === 'SOS' ? 'needs_help' : record.data.automatic === true ? 'automatic' : 'safe';
    for (const round of rounds.heard(e.orgId, record.nodeId, answer, at, m.now(), requestId)) m.events.publish(e.orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round });
  });

  // An SOS resolved is no longer remembered as open for the next round. One an admin resolved (not
  // the node: its "I am safe", or a new SOS superseding it, names the node as resolver) shows as
  // resolved in the open rounds where it was the node's answer.
  m.events.subscribe('alert.resolved', (e) => {
    const alert = e.data;
    if (alert.level !== 'SOS') return;
    const lastHeard = Date.parse(alert.lastHeardAt);
    const byAdmin = alert.resolvedBy !== null && alert.resolvedBy !== alert.nodeId;
    const changed = rounds.sosResolved(e.orgId, alert.nodeId, alert.requestId !== null && alert.requestId > 0 ? alert.requestId : null, Number.isFinite(lastHeard) ? lastHeard : m.now(), m.now(), byAdmin);
    for (const round of changed) m.events.publish(e.orgId, BIRLIKTEYIZ_EVENT.ROUND_UPDATED, { round });
  });

  m.jobs.every('close rounds', 5_000, () => {
    // Every org with a round not closed, field nodes or not (a drill before any node was claimed).
    for (const orgId of new Set([...m.fleet.orgs(), ...rounds.orgsWithUnclosed()])) {
      for (const round of rounds.due(orgId, m.now())) m.events.publish(orgId, BIRLIKTEYIZ_EVENT.ROUND_CLOSED, { round: rounds.close(round, m.now()) });
    }
  });

  await app.register(birlikteyizRoutes, { module: m, rounds, points, watch, feeds: () => pollers.map((p) => ({ ...p.status })), quakeAlertsProblem: problem });
};

export default plugin;

/** AFAD's filter wants a time window: the last day, in its own zone-less UTC spelling. */
function afadWindow(url: string, nowMs: number): string {
  if (/[?&]start=/.test(url)) return url;
  const fmt = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
  const u = new URL(url);
  u.searchParams.set('start', fmt(nowMs - 86_400_000));
  u.searchParams.set('end', fmt(nowMs + 60_000));
  return u.toString();
}
