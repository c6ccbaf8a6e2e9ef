// A feed that still lists quakes older than the hub remembers (a day: Kandilli's 500 lines span
// days, USGS's week feed, EMSC in a quiet week) must not make them news again at every poll: the
// quake that alerted the nodes keeps saying so, and today's quakes stay in the list, newest first.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PublicFeedStatus } from '../src/feed-poller.ts';
import type { StoredQuake } from '../src/quake-watch.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

const DAY = 86_400_000;

test('quakes older than a day that the feed still lists are counted, not taken: the alerted one still says it alerted, and today\'s are listed', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'big', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 5.5, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  const quakes = async () => (await hub.call<{ quakes: StoredQuake[] }>('GET', '/quakes')).body.quakes;
  assert.deepEqual((await quakes()).map((q) => [q.id, q.verdict]), [['usgs:big', 'alert']]);

  // 25 hours later the page still lists it, and 60 small quakes of yesterday, and one of now.
  hub.at(NOW + DAY + 3_600_000);
  for (let i = 0; i < 60; i++) hub.feed.push({ id: `old${i}`, latitude: 30 + i * 0.5, longitude: 20, depthKm: 10, magnitude: 2.5, timeMs: NOW - 3_600_000 - i * 60_000, place: `old ${i}` });
  hub.feed.push({ id: 'today', latitude: 10, longitude: 10, depthKm: 10, magnitude: 3.0, timeMs: NOW + DAY + 3_000_000, place: 'new one' });
  for (let i = 0; i < 3; i++) {
    hub.at(NOW + DAY + 3_600_000 + i * 60_000);
    await hub.poll();
  }
  const listed = await quakes();
  assert.deepEqual(listed.map((q) => [q.id, q.verdict, q.alertedOrgs]), [
    ['usgs:today', 'too_small', []],
    ['usgs:big', 'alert', ['orgA']],
  ], "today's quake first, then the one that alerted the nodes, still saying so");
  assert.equal(hub.alerts().length, 1, 'nothing alerted again');
  const [feed] = (await hub.call<{ feeds: PublicFeedStatus[] }>('GET', '/feeds')).body.feeds;
  assert.deepEqual([feed!.state, feed!.older], ['ok', 61], 'the feed says how many it listed that are older than a day');
});

test('the quake list gives the 50 newest quakes by their time, whatever order a feed page stored them in', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)]);
  t.after(() => hub.close());
  // A page listing 80 small quakes of the last hours, newest first (as Kandilli's does).
  for (let i = 0; i < 80; i++) hub.feed.push({ id: `k${i}`, latitude: 30 + i * 0.3, longitude: 20, depthKm: 7, magnitude: 2.1, timeMs: NOW - i * 120_000, place: `place ${i}` });
  await hub.poll();
  const listed = (await hub.call<{ quakes: StoredQuake[] }>('GET', '/quakes')).body.quakes;
  assert.deepEqual(listed.map((q) => q.id), Array.from({ length: 50 }, (_, i) => `usgs:k${i}`), 'the newest 50, newest first');
});

test('a hub clock two days ahead: every quake the feed lists is older than a day, and the feed says so (its screen: the hub\'s clock may be wrong)', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { minMagnitude: 4.5 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'strong', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 6.2, timeMs: NOW - 60_000, place: 'Pazarcik' });
  hub.feed.push({ id: 'small', latitude: 37.4, longitude: 37.02, depthKm: 10, magnitude: 2.2, timeMs: NOW - 120_000, place: 'Pazarcik' });
  hub.at(NOW + 2 * DAY);
  await hub.poll();
  const feed = async () => (await hub.call<{ feeds: PublicFeedStatus[] }>('GET', '/feeds')).body.feeds[0]!;
  assert.deepEqual([(await feed()).state, (await feed()).older, (await feed()).allOlder], ['ok', 2, true]);
  assert.equal(hub.alerts().length, 0);
  // The clock put right: the same page is news, and nothing is older.
  hub.at(NOW);
  await hub.poll();
  assert.deepEqual([(await feed()).older, (await feed()).allOlder], [0, false]);
  assert.equal(hub.alerts().length, 1);
  // A page with one quake of today among older ones: some older, not all.
  hub.at(NOW + DAY + 3_600_000);
  hub.feed.push({ id: 'today', latitude: 10, longitude: 10, depthKm: 10, magnitude: 3.0, timeMs: NOW + DAY + 3_000_000, place: 'new one' });
  await hub.poll();
  assert.deepEqual([(await feed()).older, (await feed()).allOlder], [2, false]);
});
