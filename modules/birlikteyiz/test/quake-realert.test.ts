// A quake alerts the mesh once: a feed that lists it twice with two figures, or whose copies flip
// between a figure over the alert magnitude and one under it, must not sound every node's buzzer
// at every poll, nor keep its round open for ever. Only a figure revised up by
// REVISED_UP_ALERT_STEP over the highest the nodes were told alerts them again.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredQuake } from '../src/quake-watch.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

test('a feed document listing one quake twice, with M5.0 and M4.0, alerts the mesh once, however often it is polled', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { minMagnitude: 4.5 });
  t.after(() => hub.close());
  const q = { id: 'us-dup', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 5.0, timeMs: NOW - 60_000, place: 'Pazarcik' };
  hub.feed.push(q, { ...q, magnitude: 4.0 });
  for (let i = 0; i < 5; i++) {
    hub.at(NOW + i * 60_000);
    await hub.poll();
  }
  assert.equal(hub.alerts().length, 1, 'one quake, one alert into the mesh');
  const [round] = await hub.rounds();
  assert.deepEqual([round!.closedAt, round!.closedReason ?? null, round!.title.slice(0, 5)], [null, null, 'M5.0 '], 'its round open, for the higher figure');
  const quakes = (await hub.call<{ quakes: StoredQuake[] }>('GET', '/quakes')).body.quakes;
  assert.deepEqual(quakes.map((x) => [x.id, x.magnitude, x.verdict]), [['usgs:us-dup', 5.0, 'alert']], 'listed once, as alerted');
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.round_closed').length, 0, 'never closed and opened again');
});

test('a feed flipping between M4.7 and M4.3 (alert magnitude 4.5) alerts the mesh once, and the round ends', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { minMagnitude: 4.5, roundMinutes: 10 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-flip', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.7, timeMs: NOW - 60_000, place: 'Pazarcik' });
  for (let i = 0; i <= 90; i++) {
    hub.at(NOW + i * 60_000);
    hub.feed[0] = { ...hub.feed[0]!, magnitude: i % 2 ? 4.3 : 4.7 };
    await hub.poll();
    await hub.closeDue();
  }
  assert.deepEqual(hub.alerts(), ['M4.7 Pazarcik 11:59 UTC. Are you safe? Press once: safe. Hold: need help.'], 'the nodes were alerted once');
  const [round] = await hub.rounds();
  // Each wrong revision down closed it; each back up gave back the minutes it took (and, once, a whole
  // round when its time ran out while closed): 90 minutes later, with the feed at M4.7 again, it is over.
  assert.notEqual(round!.closedAt, null, 'the round is over');
  assert.equal(round!.closedReason ?? null, null, 'on its time');
  assert.ok(round!.closedAt! <= NOW + 60 * 60_000, `closed ${(round!.closedAt! - NOW) / 60_000} min after NOW`);
});

test('a quake revised below the alert magnitude and back over it alerts the mesh again only when revised up by 0.5 over what the nodes were told', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { minMagnitude: 4.5, roundMinutes: 30 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-up', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.7, timeMs: NOW - 60_000, place: 'Pazarcik' });
  const revise = async (magnitude: number, minutes: number) => {
    hub.at(NOW + minutes * 60_000);
    hub.feed[0] = { ...hub.feed[0]!, magnitude };
    await hub.poll();
  };
  await hub.poll();
  await revise(4.3, 2);
  await revise(5.0, 4);
  assert.equal(hub.alerts().length, 1, 'M5.0 is not 0.5 over the M4.7 the nodes were told');
  await revise(4.2, 6);
  await revise(5.3, 8);
  assert.deepEqual(hub.alerts().slice(1), ['M5.3 (revised from M4.7) Pazarcik 11:59 UTC. Are you safe? Press once: safe. Hold: need help.'], 'M5.3 is: the nodes hear it');
  const [round] = await hub.rounds();
  assert.deepEqual([round!.closedAt, round!.closesAt], [null, NOW + 38 * 60_000], 'open again, another roundMinutes for the answers');
  await revise(4.4, 10);
  await revise(5.3, 12);
  await revise(5.6, 14);
  assert.equal(hub.alerts().length, 2, 'back to M5.3, or M5.6, is not 0.5 over the highest figure told');
});
