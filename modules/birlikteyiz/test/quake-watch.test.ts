// From reports to alerts, on a stand-in for the module API (no hub): a quake whose magnitude a feed
// gives only later, or revises upwards, is alerted once it qualifies; a quake dated in the future is
// not alerted; one org sees neither which other orgs were alerted nor "alert raised" for a quake
// that alerted only another org.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { birlikteyizRoutes } from '../src/birlikteyiz-routes.ts';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import { FeedPoller } from '../src/feed-poller.ts';
import type { Quake } from '../src/feeds/quake.ts';
import { parseUsgsFeed } from '../src/feeds/usgs-feed.ts';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { AssemblyPoints } from '../src/assembly-points.ts';
import { QuakeWatch, type StoredQuake } from '../src/quake-watch.ts';
import type { FleetNode } from '@unibos/mesh-protocol';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

function watchFor(fleet: Record<string, FleetNode[]>): ReturnType<typeof fakeModule> & { watch: QuakeWatch; rounds: CheckinRounds } {
  const f = fakeModule(fleet);
  const rounds = new CheckinRounds(f.m.store.collection('rounds'));
  return { ...f, rounds, watch: new QuakeWatch(f.m, SETTINGS, rounds) };
}

const quake = (o: Partial<Quake>): Quake => ({ source: 'kandilli', sourceId: 'k1', timeMs: NOW - 120_000, latitude: 37.2, longitude: 37.0, depthKm: 8, magnitude: null, magnitudeType: null, place: 'PAZARCIK (KAHRAMANMARAS)', ...o });

test('a quake first reported without a magnitude is alerted when another feed gives it one', () => {
  const w = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  w.watch.reports([quake({})]);
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 0, 'no magnitude yet: no alert');
  w.watch.reports([quake({ source: 'afad', sourceId: '548890', magnitude: 7.7, magnitudeType: 'Mw', timeMs: NOW - 110_000 })]);
  const alerts = w.published.filter((p) => p.type === 'module.birlikteyiz.quake');
  assert.equal(alerts.length, 1, 'the M7.7 is alerted once its magnitude is known');
  assert.equal(alerts[0]!.orgId, 'orgA');
  assert.equal(w.sent.length, 1, 'and it went into the mesh');
  const stored = w.m.store.collection<StoredQuake>('quakes').get(null, 'kandilli:k1')!;
  assert.equal(stored.magnitude, 7.7);
  assert.equal(stored.verdict, 'alert', 'the stored verdict says what happened');
  // Seen again: no second alert.
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us1', magnitude: 7.8, magnitudeType: 'mww', timeMs: NOW - 115_000 })]);
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 1);
});

test("a second feed's higher magnitude raises the alert the first feed's lower one did not", () => {
  const w = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  const alerts = () => w.published.filter((p) => p.type === 'module.birlikteyiz.quake');
  w.watch.reports([quake({ magnitude: 3.8, magnitudeType: 'ML' })]);
  assert.equal(alerts().length, 0, 'Kandilli ML3.8 alone is under the threshold of 4');
  w.watch.reports([quake({ source: 'afad', sourceId: 'a1', magnitude: 4.4, magnitudeType: 'Mw', timeMs: NOW - 110_000 })]);
  assert.equal(alerts().length, 1, "AFAD's Mw4.4 for the same quake is alerted");
  assert.equal(alerts()[0]!.data.quake.magnitude, 4.4);
  assert.equal(w.sent.length, 1, 'and it went into the mesh');
  w.watch.reports([quake({ source: 'usgs', sourceId: 'u1', magnitude: 4.5, magnitudeType: 'mww', timeMs: NOW - 112_000 })]);
  assert.equal(alerts().length, 1, 'a third source does not alert it again');
  const stored = w.m.store.collection<StoredQuake>('quakes').get(null, 'kandilli:k1')!;
  assert.equal(stored.verdict, 'alert');
  assert.equal(stored.magnitude, 4.5, 'the highest any source gives');
  assert.equal(stored.magnitudeType, 'mww');
  assert.deepEqual(stored.sources.map((s) => [s.source, s.magnitude, s.magnitudeType]), [['kandilli', 3.8, 'ML'], ['afad', 4.4, 'Mw'], ['usgs', 4.5, 'mww']], 'each source keeps its own figure');
});

test('a feed that revises its own magnitude upwards past the threshold raises the alert', () => {
  const w = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us2', magnitude: 3.6, magnitudeType: 'ml' })]);
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 0);
  // The same poll again, unchanged: nothing.
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us2', magnitude: 3.6, magnitudeType: 'ml' })]);
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 0);
  // The reviewed solution: M5.1.
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us2', magnitude: 5.1, magnitudeType: 'mww' })]);
  const alerts = w.published.filter((p) => p.type === 'module.birlikteyiz.quake');
  assert.equal(alerts.length, 1, 'the revised magnitude is alerted');
  assert.equal(alerts[0]!.data.quake.magnitude, 5.1);
  assert.equal(w.m.store.collection<StoredQuake>('quakes').get(null, 'usgs:us2')!.verdict, 'alert');
});

test("an alerted quake revised upwards retitles its open round and tells the admins' screens", () => {
  const w = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us7', magnitude: 4.5, magnitudeType: 'mb', place: '26 km ENE of Pazarcik, Turkey' })]);
  const round = w.rounds.list('orgA')[0]!;
  assert.equal(round.title, 'M4.5 26 km ENE of Pazarcik, Turkey');
  const before = w.published.length;
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us7', magnitude: 7.8, magnitudeType: 'mww', place: '26 km ENE of Pazarcik, Turkey' })]);
  const reopened = w.rounds.get('orgA', round.id)!;
  assert.equal(reopened.title, 'M7.8 26 km ENE of Pazarcik, Turkey', "the round's title says the reviewed magnitude");
  assert.equal(reopened.epicentre!.magnitude, 7.8, 'and so does its epicentre on the map');
  const updates = w.published.slice(before).filter((p) => p.type === 'module.birlikteyiz.round_updated');
  assert.equal(updates.length, 1, 'the open round screen is told');
  assert.equal(updates[0]!.orgId, 'orgA');
  assert.equal(updates[0]!.data.round.title, 'M7.8 26 km ENE of Pazarcik, Turkey');
  assert.equal(w.published.slice(before).filter((p) => p.type === 'module.birlikteyiz.quake').length, 0, 'not a second quake alert');
  assert.equal(w.rounds.list('orgA').length, 1, 'nor a second round');
});

test('a quake dated in the future (a broken feed, a wrong clock) is a counted drop, not an alert', async () => {
  const doc = usgsFeedDocument(
    [
      { id: 'future1', latitude: 37.2, longitude: 37.0, depthKm: 10, magnitude: 7.1, timeMs: Date.UTC(2199, 0, 1), place: 'from the future' },
      { id: 'now1', latitude: 37.2, longitude: 37.0, depthKm: 10, magnitude: 4.5, timeMs: NOW - 60_000, place: 'just now' },
    ],
    NOW,
  );
  const poller = new FeedPoller({ source: 'usgs', url: 'http://feed.invalid/', parse: parseUsgsFeed, fetch: async () => new Response(doc, { status: 200 }), intervalMs: 60_000, now: () => NOW });
  const parsed = await poller.poll();
  assert.deepEqual(parsed.quakes.map((q) => q.sourceId), ['now1']);
  assert.equal(parsed.rejected, 1);
  assert.equal(poller.status.rejected, 1, 'the feed status counts it');
});

test("GET /quakes does not tell one org which other orgs were alerted, nor show another org's alert as its own", async () => {
  const w = watchFor({ orgA: [node('a1', 37.3, 37.1)], orgB: [node('b1', 41.0, 29.0)] });
  w.watch.reports([quake({ source: 'usgs', sourceId: 'us3', magnitude: 6.0, magnitudeType: 'mww' })]);
  assert.deepEqual(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').map((p) => p.orgId), ['orgA']);
  const handlers = new Map<string, (request: unknown, reply: unknown) => Promise<unknown>>();
  const app = { get: (path: string, a: any, b?: any) => void handlers.set(`GET ${path}`, b ?? a), post() {}, delete() {} };
  await birlikteyizRoutes(app as never, { module: w.m, rounds: w.rounds, points: new AssemblyPoints(w.m.store.collection('assembly_points')), watch: w.watch, feeds: () => [] });
  const get = async (org: string): Promise<StoredQuake[]> => ((await handlers.get('GET /quakes')!({ headers: { 'x-org': org } }, {})) as { quakes: StoredQuake[] }).quakes;
  const [a] = await get('orgA');
  const [b] = await get('orgB');
  assert.equal(a!.verdict, 'alert');
  assert.deepEqual(a!.alertedOrgs, ['orgA']);
  assert.notEqual(b!.verdict, 'alert', 'orgB was not alerted: its list must not say "alert raised"');
  assert.ok(!JSON.stringify(b).includes('orgA'), `orgB sees another org's id: ${JSON.stringify(b)}`);
});

test('every round closes on time and hears its nodes, however many rounds a swarm of quakes opened after it', () => {
  const f = fakeModule({ orgA: [node('n1', 37.3, 37.1)] });
  const rounds = new CheckinRounds(f.m.store.collection('rounds'));
  const w = { ...f, rounds, watch: new QuakeWatch(f.m, { ...SETTINGS, radiusKm: 1000 }, rounds) };
  // 60 felt quakes, each its own round: 50 s apart on a grid a degree apart (further than an M5.1's
  // aftershock zone from each other, so none joins another's round), all within 1,000 km of n1.
  w.watch.reports(Array.from({ length: 60 }, (_, i) => quake({ source: 'usgs', sourceId: `as${i}`, magnitude: 5.1, magnitudeType: 'mw', timeMs: NOW - 3_000_000 + i * 50_000, latitude: 34 + (i % 8), longitude: 33 + Math.floor(i / 8) })));
  const opened = w.rounds.list('orgA', 100);
  assert.equal(opened.length, 60);
  // The first round, opened before the 59 others, still hears n1's "I am safe".
  assert.equal(w.rounds.heard('orgA', 'n1', 'safe', NOW, NOW).length, 60, 'every open round with n1 in it is answered');
  const later = Math.max(...opened.map((r) => r.closesAt));
  assert.equal(w.rounds.due('orgA', later).length, 60, 'all 60 are due to close, not the 50 most recent');
});

test('a hub restarted (a power cut) does not alert again, nor open another round, for a quake it already alerted', () => {
  const w = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  const poll = [quake({ source: 'usgs', sourceId: 'us4', magnitude: 6.2, magnitudeType: 'mww' }), quake({ source: 'emsc', sourceId: 'e4', magnitude: 6.1, magnitudeType: 'mw', timeMs: NOW - 118_000 })];
  w.watch.reports(poll);
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 1);
  assert.equal(w.rounds.list('orgA').length, 1);
  // The same store, a new QuakeWatch (the module set up again); the feeds answer in another order.
  const again = new QuakeWatch(w.m, SETTINGS, w.rounds);
  again.reports([...poll].reverse());
  assert.equal(w.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 1, 'no second quake alert');
  assert.equal(w.sent.length, 1, 'no second EARTHQUAKE frame into the mesh');
  assert.equal(w.rounds.list('orgA').length, 1, 'no second check-in round');
});

test('a feed answer larger than the limit (a wrong URL, an endless stream) is an error, not read into memory', async () => {
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(new TextEncoder().encode(pulled === 1 ? '{"type":"FeatureCollection","features":[' : ' '.repeat(64 * 1024)));
      if (pulled > 2000) c.close(); // 128 MB: far past any feed; a bug would read it all
    },
  });
  const poller = new FeedPoller({ source: 'usgs', url: 'http://feed.invalid/', parse: parseUsgsFeed, fetch: async () => new Response(endless, { status: 200 }), intervalMs: 60_000, now: () => NOW });
  const parsed = await poller.poll();
  assert.deepEqual(parsed.quakes, []);
  assert.equal(poller.status.state, 'error');
  assert.match(poller.status.lastError ?? '', /larger than/);
  assert.ok(pulled < 2000, `read ${pulled} chunks`);
});

test('a node that pressed SOS when the ground shook, before any feed reported the quake, or just before it and never called it off, is in the round as needing help', async () => {
  const f = fakeModule({ orgA: [node('n1', 37.3, 37.1), node('n2', 37.4, 37.2), node('n3', 37.5, 37.0), node('n4', 37.3, 37.0), node('n5', 37.4, 37.0)] });
  const subscribers = new Map<string, (e: unknown) => void>();
  const jobs: Array<() => unknown> = [];
  const quakeAt = NOW - 8 * 60_000;
  const feed = usgsFeedDocument([{ id: 'us5', latitude: 37.2, longitude: 37.0, depthKm: 10, magnitude: 6.4, timeMs: quakeAt, place: 'near the fleet' }], NOW);
  let hubNow = NOW;
  Object.assign(f.m, {
    now: () => hubNow,
    settings: { ...SETTINGS, usgsUrl: 'http://feed.invalid/usgs' },
    events: { ...f.m.events, subscribe: (type: string, h: (e: unknown) => void) => void subscribers.set(type, h) },
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(feed, { status: 200 }),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  // Each heard by the hub when the gateway dated it (the hub's clock then).
  const heard = (nodeId: string, level: string, atMs: number): void => {
    hubNow = atMs;
    subscribers.get('mesh.alert')!({ orgId: 'orgA', type: 'mesh.alert', id: 1, ts: atMs, data: { id: 1, nodeId, nodeName: null, kind: 'alert', packetId: 1, time: new Date(atMs).toISOString(), data: { level }, receptions: [] } });
  };
  heard('n1', 'SOS', quakeAt + 60_000); // trapped, right after the shaking
  heard('n2', 'SAFE', quakeAt + 90_000);
  heard('n3', 'SAFE', quakeAt - 3_600_000); // an hour before the quake: no answer to it
  heard('n4', 'SOS', quakeAt - 50_000); // a call for help just before (a foreshock, a late clock), never called off
  heard('n5', 'SOS', quakeAt - 40 * 60_000); // called off before the quake
  heard('n5', 'SAFE', quakeAt - 30 * 60_000);
  hubNow = NOW;
  await jobs[0]!(); // the USGS poll that brings the quake, 8 minutes after it
  const rounds = new CheckinRounds(f.m.store.collection('rounds')).list('orgA');
  assert.equal(rounds.length, 1);
  const status = Object.fromEntries(rounds[0]!.nodes.map((n) => [n.id, n.status]));
  assert.deepEqual(status, { n1: 'needs_help', n2: 'safe', n3: 'waiting', n4: 'needs_help', n5: 'waiting' });
  assert.deepEqual(rounds[0]!.counts, { safe: 1, needsHelp: 2, waiting: 2, automatic: 0, resolved: 0 });
});

test('with mesh alerts off, a round still opens but says its question was not sent, so "no answer" is not read as silence', () => {
  const f = fakeModule({ orgA: [node('n1', 37.3, 37.1), node('n2', 37.4, 37.2)] });
  const rounds = new CheckinRounds(f.m.store.collection('rounds'));
  const watch = new QuakeWatch(f.m, { ...SETTINGS, meshAlerts: false }, rounds);
  watch.reports([quake({ source: 'usgs', sourceId: 'us6', magnitude: 6.0, magnitudeType: 'mww' })]);
  const manual = watch.openRound('orgA', 'Drill', null, null);
  assert.equal(f.sent.length, 0, 'nothing went into the mesh');
  const opened = f.published.filter((p) => p.type === 'module.birlikteyiz.round_opened').map((p) => p.data.round);
  assert.equal(opened.length, 2);
  for (const round of [...opened, ...rounds.list('orgA'), manual]) {
    assert.equal(round.notAsked, 'mesh_alerts_off', `${round.title}: the round (as the admin screen gets it) says nobody was asked`);
    assert.equal(round.nodes.length, 2, 'the nodes in range are still listed: their own SOS or "I am safe" still counts');
  }
  // Sent as usual: the round does not say so.
  const on = watchFor({ orgA: [node('n1', 37.3, 37.1)] });
  on.watch.reports([quake({ source: 'usgs', sourceId: 'us7', magnitude: 6.0, magnitudeType: 'mww' })]);
  assert.equal(on.sent.length, 1);
  assert.equal(on.rounds.list('orgA')[0]!.notAsked ?? null, null);
});
