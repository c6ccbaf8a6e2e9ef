// An aftershock a minute after the main shock: a search-and-rescue team must still see who asked
// for help after the main shock. A quake near an open round's main shock, while it is open, joins
// that round (no second round to push the first out of view); the nodes in the aftershock's range
// join it too. A big aftershock still goes into the mesh and asks again; a burst of smaller ones
// does not fill the air.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import type { StoredQuake } from '../src/quake-watch.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

// The main shock's epicentre; nodes east and west of it (a degree of longitude here is 88 km).
const MAIN = { latitude: 37.3, longitude: 37.0 };
const NODES = [node('east', 37.3, 37.25), node('centre', 37.3, 37.0), node('west', 37.3, 36.8), node('far-west', 37.3, 36.6)];

test('an SOS sent after the main shock, and a person checked in as needing help, are still in the round an aftershock a minute later is in', async (t) => {
  // A 30 km check-in area: "east" (22 km from the main shock) is out of the aftershock's range.
  const hub = await feedHub(NODES, { radiusKm: 30 });
  t.after(() => hub.close());
  const mainAt = NOW - 3 * 60_000;
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 6.2, timeMs: mainAt, place: '5 km S of Pazarcik, Turkey' });
  await hub.poll();
  const [opened] = await hub.rounds();
  assert.deepEqual(opened!.nodes.map((n) => n.id).sort(), ['centre', 'east', 'west']);

  // Trapped after the main shock: the node "east" sends SOS; a neighbour phones in about Ayşe.
  hub.at(NOW + 30_000);
  hub.frame('east', 'SOS', 11);
  assert.equal((await hub.call('POST', `/rounds/${opened!.id}/checkins`, { person: 'Ayşe Yılmaz', status: 'needs_help', note: 'second floor' })).status, 200);

  // An M5.0 aftershock 18 km west, a minute after the main shock, reported at the next poll.
  hub.at(NOW + 60_000);
  hub.feed.push({ id: 'us-after1', latitude: 37.3, longitude: 36.8, depthKm: 8, magnitude: 5.0, timeMs: mainAt + 60_000, place: '16 km SW of Pazarcik, Turkey' });
  await hub.poll();

  const rounds = await hub.rounds();
  const open = rounds.filter((r) => r.closedAt === null);
  assert.equal(open.length, 1, `the aftershock joined the main shock's round instead of opening another: ${rounds.map((r) => r.title).join(' | ')}`);
  const round = open[0]!;
  assert.equal(round.id, opened!.id);
  const status = Object.fromEntries(round.nodes.map((n) => [n.id, n.status]));
  assert.equal(status.east, 'needs_help', 'the node that sent SOS after the main shock still needs help in the round shown');
  assert.deepEqual(round.people.map((p) => [p.name, p.status, p.note]), [['Ayşe Yılmaz', 'needs_help', 'second floor']], 'and so does the person checked in by name');
  assert.equal(status['far-west'], 'waiting', "the node in the aftershock's range the main shock's round did not have joins it");
  assert.equal(round.counts.needsHelp, 2);
  assert.deepEqual(round.quakes!.map((q) => [q.id, q.magnitude]), [['usgs:us-main', 6.2], ['usgs:us-after1', 5]], 'the round lists its quakes, the main shock first');
  assert.equal(round.answersSince, mainAt, "answers still count from the main shock's time");
  assert.match(round.title, /^M6\.2 /, "the round keeps the main shock's title");

  // A small aftershock (more than 1.0 below the main shock) is listed, not sent into the mesh nor raised as a new quake alert.
  assert.equal(hub.alerts().length, 1, 'only the main shock went into the mesh');
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 1);
  const quakes = (await hub.call<{ quakes: StoredQuake[] }>('GET', '/quakes')).body.quakes;
  assert.deepEqual(quakes.find((q) => q.id === 'usgs:us-after1')!.aftershockIn, [{ orgId: 'orgA', roundId: round.id, mainQuakeId: 'usgs:us-main', sentToMesh: false }], 'the quake list says which round it joined');

  // A big aftershock (M5.6, within 1.0 of the main shock) goes out and asks again, and keeps the round open for the answers.
  hub.at(NOW + 20 * 60_000);
  hub.feed.push({ id: 'us-after2', latitude: 37.35, longitude: 37.1, depthKm: 9, magnitude: 5.6, timeMs: NOW + 19 * 60_000, place: '8 km N of Pazarcik, Turkey' });
  await hub.poll();
  const [after2] = (await hub.rounds()).filter((r) => r.closedAt === null) as [CheckinRound];
  assert.equal(after2.id, round.id);
  assert.equal(hub.alerts().length, 2, 'the big aftershock went into the mesh');
  assert.match(hub.alerts()[1]!, /^M5\.6 8 km N of Pazarcik, Turkey \d\d:\d\d UTC\. Are you safe\?/);
  assert.equal(after2.closesAt, NOW + 20 * 60_000 + 60 * 60_000, 'open another roundMinutes after the question went out again');
  assert.equal(after2.counts.needsHelp, 2, 'still the same two needing help');
  const bigAlert = hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').at(-1)!;
  assert.equal(bigAlert.data.roundId, round.id, "the admins' quake alert leads to the same round");
});

test('a quake outside the main shock\'s aftershock zone opens its own round, and a burst of small aftershocks sends nothing more', async (t) => {
  const hub = await feedHub([...NODES, node('izmir', 38.42, 27.14)], { radiusKm: 30 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 6.0, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  // Ten aftershocks of M4.1 to M4.9 over twenty minutes, each somewhere within the zone (M6.0: 53 km).
  for (let i = 0; i < 10; i++) {
    hub.at(NOW + i * 120_000);
    hub.feed.push({ id: `us-small${i}`, latitude: MAIN.latitude + (i % 3) * 0.1, longitude: MAIN.longitude - (i % 4) * 0.1, depthKm: 7, magnitude: 4.1 + i * 0.09, timeMs: NOW + i * 120_000 - 30_000, place: 'Pazarcik' });
    await hub.poll();
  }
  // Far away (İzmir), a quake of its own.
  hub.feed.push({ id: 'us-izmir', latitude: 38.4, longitude: 27.2, depthKm: 12, magnitude: 4.6, timeMs: NOW + 18 * 60_000, place: 'Izmir' });
  await hub.poll();
  const open = (await hub.rounds()).filter((r) => r.closedAt === null);
  assert.equal(open.length, 2, 'two open rounds: the main shock with its aftershocks, and İzmir');
  assert.deepEqual(open.map((r) => [r.quakes!.length, r.quakes![0]!.id]).sort(), [[1, 'usgs:us-izmir'], [11, 'usgs:us-main']]);
  assert.equal(hub.alerts().length, 2, 'the main shock and the İzmir quake, not ten aftershocks');
});

test('a stronger quake near an open round (the first was a foreshock) joins it, goes out, and titles the round; who needed help stays', async (t) => {
  const hub = await feedHub(NODES, { radiusKm: 30 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-fore', ...MAIN, depthKm: 10, magnitude: 5.0, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  hub.at(NOW + 60_000);
  hub.frame('east', 'SOS', 3);
  // Twenty minutes later an M6.5 20 km west: the main shock.
  hub.at(NOW + 20 * 60_000);
  hub.feed.push({ id: 'us-mainshock', latitude: 37.3, longitude: 36.78, depthKm: 12, magnitude: 6.5, timeMs: NOW + 19 * 60_000, place: '20 km W of Pazarcik, Turkey' });
  await hub.poll();
  const open = (await hub.rounds()).filter((r) => r.closedAt === null);
  assert.equal(open.length, 1);
  const round = open[0]!;
  assert.equal(round.title, 'M6.5 20 km W of Pazarcik, Turkey', 'titled by its strongest quake');
  assert.deepEqual([round.epicentre!.latitude, round.epicentre!.longitude, round.epicentre!.magnitude], [37.3, 36.78, 6.5], 'and mapped there');
  assert.equal(round.nodes.find((n) => n.id === 'east')!.status, 'needs_help');
  assert.equal(round.nodes.find((n) => n.id === 'far-west')!.distanceKm, 15.9, "distances from the main shock's epicentre");
  assert.equal(round.answersSince, NOW - 60_000, 'answers still count from the first quake');
  assert.equal(hub.alerts().length, 2, 'the main shock went into the mesh');
});

test('an aftershock of M6 or more goes into the mesh even when it is more than 1.0 below the main shock (an M6.7 after an M7.8, Kahramanmaraş 2023)', async (t) => {
  const hub = await feedHub(NODES, { radiusKm: 60 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-m78', ...MAIN, depthKm: 10, magnitude: 7.8, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  // Eleven minutes later, an M6.7 39 km west (the M7.8's aftershock zone: 89 km), then an M5.5.
  hub.at(NOW + 11 * 60_000);
  hub.feed.push({ id: 'us-m67', latitude: 37.3, longitude: 36.56, depthKm: 10, magnitude: 6.7, timeMs: NOW + 10 * 60_000, place: 'Nurdagi' });
  await hub.poll();
  hub.at(NOW + 13 * 60_000);
  hub.feed.push({ id: 'us-m55', latitude: 37.3, longitude: 36.9, depthKm: 10, magnitude: 5.5, timeMs: NOW + 12 * 60_000, place: 'Pazarcik' });
  await hub.poll();
  const open = (await hub.rounds()).filter((r) => r.closedAt === null);
  assert.equal(open.length, 1, 'one round: both joined the main shock');
  assert.deepEqual(open[0]!.quakes!.map((q) => [q.magnitude, q.sentMagnitude]), [[7.8, 7.8], [6.7, 6.7], [5.5, null]], 'the M6.7 went out, the M5.5 did not');
  assert.equal(hub.alerts().length, 2, 'the main shock and the M6.7 into the mesh');
});

test('after a big aftershock asks again, an "I am safe" from before it no longer counts: the node waits for a new answer, its earlier one shown; an SOS stays', async (t) => {
  const hub = await feedHub(NODES, { radiusKm: 30 });
  t.after(() => hub.close());
  const mainAt = NOW - 3 * 60_000;
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 6.2, timeMs: mainAt, place: '5 km S of Pazarcik, Turkey' });
  await hub.poll();
  // After the main shock: two people press "I am safe", one holds SOS.
  hub.at(NOW + 30_000);
  hub.frame('centre', 'SAFE');
  hub.frame('west', 'SAFE');
  hub.frame('east', 'SOS', 21);
  // A small aftershock (not sent to the nodes) changes nothing.
  hub.at(NOW + 5 * 60_000);
  hub.feed.push({ id: 'us-small', latitude: 37.32, longitude: 36.98, depthKm: 8, magnitude: 4.6, timeMs: NOW + 4 * 60_000, place: 'Pazarcik' });
  await hub.poll();
  assert.equal((await hub.rounds())[0]!.counts.safe, 2, 'an aftershock nobody was asked about leaves the answers as they are');

  // The M5.8 aftershock strikes at +19 min; "west" presses "I am safe" again as it shakes, before any feed has it.
  const afterAt = NOW + 19 * 60_000;
  hub.at(afterAt + 20_000);
  hub.frame('west', 'SAFE');
  hub.at(NOW + 20 * 60_000);
  hub.feed.push({ id: 'us-big', latitude: 37.35, longitude: 37.1, depthKm: 9, magnitude: 5.8, timeMs: afterAt, place: '8 km N of Pazarcik, Turkey' });
  await hub.poll();
  assert.equal(hub.alerts().length, 2, 'the aftershock went into the mesh with the question');
  let [round] = (await hub.rounds()) as [CheckinRound];
  const byId = (id: string) => round.nodes.find((n) => n.id === id)!;
  assert.equal(byId('centre').status, 'waiting', 'the "I am safe" from before the aftershock no longer counts');
  assert.equal(byId('centre').answeredAt, null);
  assert.deepEqual(byId('centre').earlier, { status: 'safe', at: NOW + 30_000, quake: { id: 'usgs:us-big', magnitude: 5.8, timeMs: afterAt } }, 'the earlier answer is kept, with the aftershock it came before');
  assert.equal(byId('west').status, 'safe', 'one pressed after the aftershock struck still counts');
  assert.equal(byId('east').status, 'needs_help', 'an SOS stays');
  assert.deepEqual(round.counts, { safe: 1, needsHelp: 1, waiting: 1, automatic: 0, resolved: 0 });
  assert.equal(round.safeSince, afterAt);

  // A gateway's backlog delivers the "I am safe" "centre" pressed before the aftershock: not an answer to it.
  hub.at(NOW + 21 * 60_000);
  hub.frame('centre', 'SAFE', undefined, { datedAt: NOW + 60_000 });
  [round] = (await hub.rounds()) as [CheckinRound];
  assert.equal(byId('centre').status, 'waiting');
  // The person answers the new question: safe again, now counted.
  hub.at(NOW + 22 * 60_000);
  hub.frame('centre', 'SAFE');
  [round] = (await hub.rounds()) as [CheckinRound];
  assert.equal(byId('centre').status, 'safe');
  assert.equal(byId('centre').answeredAt, NOW + 22 * 60_000);
  assert.equal(byId('centre').earlier, null);
  assert.deepEqual(round.counts, { safe: 2, needsHelp: 1, waiting: 0, automatic: 0, resolved: 0 });
});

test('with check-in rounds off, aftershocks follow the same rule: a burst of smaller ones is only listed, one within 1.0 of what the mesh was told (or M6 or more) goes out', async (t) => {
  const hub = await feedHub([...NODES, node('izmir', 38.42, 27.14)], { radiusKm: 30, checkInRounds: false });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 6.0, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  assert.equal(hub.alerts().length, 1, 'the main shock goes into the mesh');
  // Ten aftershocks of M4.1 to M4.9 over twenty minutes, each within the zone (M6.0: 53 km).
  for (let i = 0; i < 10; i++) {
    hub.at(NOW + i * 120_000);
    hub.feed.push({ id: `us-small${i}`, latitude: MAIN.latitude + (i % 3) * 0.1, longitude: MAIN.longitude - (i % 4) * 0.1, depthKm: 7, magnitude: 4.1 + i * 0.09, timeMs: NOW + i * 120_000 - 30_000, place: 'Pazarcik' });
    await hub.poll();
  }
  assert.equal(hub.alerts().length, 1, 'not ten aftershocks into the mesh');
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').length, 1, "nor ten banners on the admins' screens");
  const quakes = (await hub.call<{ quakes: StoredQuake[] }>('GET', '/quakes')).body.quakes;
  assert.deepEqual(quakes.find((q) => q.id === 'usgs:us-small9')!.aftershockIn, [{ orgId: 'orgA', roundId: null, mainQuakeId: 'usgs:us-main', sentToMesh: false }], 'the quake list says it was an aftershock, not sent');
  // An M5.2 (within 1.0 of the M6.0 the mesh was told) goes out; so does İzmir's own quake, far away.
  hub.at(NOW + 21 * 60_000);
  hub.feed.push({ id: 'us-big', latitude: 37.35, longitude: 37.1, depthKm: 9, magnitude: 5.2, timeMs: NOW + 20 * 60_000, place: '8 km N of Pazarcik, Turkey' });
  hub.feed.push({ id: 'us-izmir', latitude: 38.4, longitude: 27.2, depthKm: 12, magnitude: 4.6, timeMs: NOW + 20 * 60_000, place: 'Izmir' });
  await hub.poll();
  assert.equal(hub.alerts().length, 3, 'the strong aftershock and the İzmir quake');
  assert.match(hub.alerts()[1]!, /^M5\.2 8 km N of Pazarcik/);
  assert.equal((await hub.rounds()).length, 0, 'no rounds: they are off');
});

test('after a big aftershock asks again, an automatic answer from before it no longer counts either: the node waits, its earlier automatic answer shown, until its module answers again', async (t) => {
  const hub = await feedHub(NODES, { radiusKm: 30 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 6.2, timeMs: NOW - 3 * 60_000, place: '5 km S of Pazarcik, Turkey' });
  await hub.poll();
  // After the main shock the unattended nodes answer by themselves; a person at "west" presses "I am safe".
  hub.at(NOW + 30_000);
  hub.frame('centre', 'SAFE', undefined, { automatic: true });
  hub.frame('east', 'SAFE', undefined, { automatic: true });
  hub.frame('west', 'SAFE');
  // "east" answers by itself again as the aftershock shakes, before a feed has it.
  const afterAt = NOW + 19 * 60_000;
  hub.at(afterAt + 20_000);
  hub.frame('east', 'SAFE', undefined, { automatic: true });
  hub.at(NOW + 20 * 60_000);
  hub.feed.push({ id: 'us-big', latitude: 37.35, longitude: 37.1, depthKm: 9, magnitude: 5.8, timeMs: afterAt, place: '8 km N of Pazarcik, Turkey' });
  await hub.poll();
  assert.equal(hub.alerts().length, 2, 'the aftershock went into the mesh with the question');
  let [round] = (await hub.rounds()) as [CheckinRound];
  const byId = (id: string) => round.nodes.find((n) => n.id === id)!;
  assert.equal(byId('centre').status, 'waiting', 'the automatic answer from before the aftershock no longer counts');
  assert.deepEqual(byId('centre').earlier, { status: 'automatic', at: NOW + 30_000, quake: { id: 'usgs:us-big', magnitude: 5.8, timeMs: afterAt } }, 'kept beside it as the earlier automatic answer');
  assert.equal(byId('east').status, 'automatic', 'one given after the aftershock struck still counts');
  assert.equal(byId('west').status, 'waiting');
  assert.deepEqual(round.counts, { safe: 0, needsHelp: 0, waiting: 2, automatic: 1, resolved: 0 });

  // A gateway's backlog delivers the automatic answer from before the aftershock: not an answer to it.
  hub.at(NOW + 21 * 60_000);
  hub.frame('centre', 'SAFE', undefined, { automatic: true, datedAt: NOW + 60_000 });
  [round] = (await hub.rounds()) as [CheckinRound];
  assert.equal(byId('centre').status, 'waiting');
  // Its module answers the new question.
  hub.at(NOW + 22 * 60_000);
  hub.frame('centre', 'SAFE', undefined, { automatic: true });
  [round] = (await hub.rounds()) as [CheckinRound];
  assert.equal(byId('centre').status, 'automatic');
  assert.equal(byId('centre').answeredAt, NOW + 22 * 60_000);
});

test('with check-in rounds off, revised figures are told as a round tells them: an aftershock revised into the band goes out, a main shock revised up by 0.5 gets an updated alert (no question: nobody is asked)', async (t) => {
  const hub = await feedHub(NODES, { radiusKm: 30, checkInRounds: false });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 5.6, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  // An M4.4 aftershock: more than 1.0 below the M5.6 the mesh was told, only listed.
  hub.at(NOW + 5 * 60_000);
  hub.feed.unshift({ id: 'us-after', latitude: MAIN.latitude + 0.1, longitude: MAIN.longitude, depthKm: 7, magnitude: 4.4, timeMs: NOW + 4 * 60_000, place: 'Pazarcik' });
  await hub.poll();
  assert.equal(hub.alerts().length, 1);
  // Revised to M4.9: within 1.0 of what the mesh was told; it goes out now.
  hub.at(NOW + 7 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.9 };
  await hub.poll();
  assert.equal(hub.alerts().length, 2, 'the aftershock revised into the band goes out');
  assert.match(hub.alerts()[1]!, /^M4\.9 Pazarcik/);
  // The main shock revised up by 0.6: an updated alert, which asks nobody (rounds are off).
  hub.at(NOW + 9 * 60_000);
  hub.feed[1] = { ...hub.feed[1]!, magnitude: 6.2 };
  await hub.poll();
  assert.equal(hub.alerts().length, 3, 'the updated alert');
  assert.match(hub.alerts()[2]!, /^M6\.2 \(revised from M5\.6\) Pazarcik \d\d:\d\d UTC$/);
  // +0.2 more is nothing to tell.
  hub.at(NOW + 11 * 60_000);
  hub.feed[1] = { ...hub.feed[1]!, magnitude: 6.4 };
  await hub.poll();
  assert.equal(hub.alerts().length, 3);
  assert.equal((await hub.rounds()).length, 0, 'no rounds: they are off');
});

test('with check-in rounds off, a figure revised after the alert sequence is over (hours later) tells nobody: no alert into the mesh, no banner, the sequence stays over', async (t) => {
  const hub = await feedHub([node('centre', 37.3, 37.0)], { radiusKm: 30, checkInRounds: false });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 5.6, timeMs: NOW - 60_000, place: 'Pazarcik' });
  await hub.poll();
  const quakeEvents = () => hub.published.filter((p) => p.type === 'module.birlikteyiz.quake');
  assert.deepEqual([hub.alerts().length, quakeEvents().length], [1, 1]);
  // Twenty hours later (the dedup still remembers the quake) a source revises it up by 0.6.
  hub.at(NOW + 20 * 3_600_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 6.2 };
  await hub.poll();
  assert.equal(hub.alerts().length, 1, 'no updated alert twenty hours later');
  assert.equal(quakeEvents().length, 1, "the admins' banner does not rise again");
  // The sequence was not opened again by it: an M4.9 near it now is a quake of its own (the mesh is told).
  hub.at(NOW + 20 * 3_600_000 + 60_000);
  hub.feed.unshift({ id: 'us-later', latitude: MAIN.latitude + 0.05, longitude: MAIN.longitude, depthKm: 7, magnitude: 4.2, timeMs: NOW + 20 * 3_600_000, place: 'Pazarcik' });
  await hub.poll();
  assert.equal(hub.alerts().length, 2, 'an M4.2 is no aftershock of a sequence that is over (more than 1.0 below it, it would only be listed)');
});

for (const [why, settings, noGateway] of [
  ['mesh alerts off', { meshAlerts: false }, false],
  ['no gateway online', {}, true],
] as const) {
  test(`with check-in rounds off and ${why}, small revisions do not raise the admins' quake banner again; a revision up by 0.5 over what they were told, or an aftershock revised into the band, does`, async (t) => {
    const hub = await feedHub([node('centre', 37.3, 37.0)], { radiusKm: 30, checkInRounds: false, ...settings });
    t.after(() => hub.close());
    if (noGateway) {
      hub.m.mesh.send = () => {
        throw new Error('no gateway online');
      };
    }
    const quakeEvents = () => hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').map((p) => [p.data.quake.magnitude, p.data.revisedFrom ?? null, p.data.aftershockOf ?? null]);
    const revise = async (i: number, magnitude: number, minutes: number) => {
      hub.at(NOW + minutes * 60_000);
      hub.feed[i] = { ...hub.feed[i]!, magnitude };
      await hub.poll();
    };
    hub.feed.push({ id: 'us-main', ...MAIN, depthKm: 10, magnitude: 5.6, timeMs: NOW - 60_000, place: 'Pazarcik' });
    await hub.poll();
    for (const [i, m] of [5.7, 5.6, 5.7, 5.8].entries()) await revise(0, m, i + 1);
    assert.deepEqual(quakeEvents(), [[5.6, null, null]], 'one banner for the quake, however its figure wavers');
    await revise(0, 6.1, 6);
    assert.deepEqual(quakeEvents().at(-1), [6.1, 5.6, null], 'up by 0.5 over what the admins were told: raised again, saying from what');
    await revise(0, 6.3, 7);
    assert.equal(quakeEvents().length, 2);
    // An M4.4 aftershock: more than 1.0 below the M6.3, only listed; revised to M5.4 it is in the band.
    hub.at(NOW + 8 * 60_000);
    hub.feed.unshift({ id: 'us-after', latitude: MAIN.latitude + 0.1, longitude: MAIN.longitude, depthKm: 7, magnitude: 4.4, timeMs: NOW + 7 * 60_000, place: 'Pazarcik' });
    await hub.poll();
    assert.equal(quakeEvents().length, 2);
    await revise(0, 5.4, 9);
    assert.deepEqual(quakeEvents().at(-1), [5.4, null, 'usgs:us-main'], 'the aftershock revised into the band is announced');
    await revise(0, 5.5, 10);
    assert.equal(quakeEvents().length, 3, 'once');
    assert.equal(hub.alerts().length, 0, 'nothing went into the mesh');
  });
}
