// Feeds revise a quake's magnitude within minutes. Revised below the alert magnitude, its round
// says so and closes unless someone in it asked for help (then it closes once nobody needs help);
// revised up by half a magnitude or more over what the mesh was told, people get an updated alert.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESH_ALERT_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

test('a quake revised below the alert magnitude closes its round with the reason if nobody asked for help, and keeps one with an SOS open until nobody needs help', async (t) => {
  // Two places far apart, each with a quake of its own (two rounds).
  const hub = await feedHub([node('a1', 37.3, 37.0), node('a2', 37.35, 37.05), node('b1', 38.4, 27.1), node('b2', 38.45, 27.15)], { radiusKm: 30 });
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-a', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 120_000, place: 'Pazarcik' });
  hub.feed.push({ id: 'us-b', latitude: 38.4, longitude: 27.12, depthKm: 10, magnitude: 4.3, timeMs: NOW - 100_000, place: 'Izmir' });
  await hub.poll();
  const byQuake = async (): Promise<Record<string, CheckinRound>> => Object.fromEntries((await hub.rounds()).map((r) => [r.quakeId, r]));
  assert.deepEqual(Object.keys(await byQuake()).sort(), ['usgs:us-a', 'usgs:us-b']);
  hub.at(NOW + 60_000);
  hub.frame('b1', 'SOS', 5); // someone at b1 is hurt (a fall, a cupboard): the quake was small, the need is real
  hub.frame('a1', 'SAFE');

  // The reviewed solutions: both below 4.
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  hub.feed[1] = { ...hub.feed[1]!, magnitude: 3.9 };
  await hub.poll();
  let rounds = await byQuake();
  const a = rounds['usgs:us-a']!;
  assert.equal(a.closedAt, NOW + 5 * 60_000, 'nobody asked for help: the round closed at once');
  assert.equal(a.closedReason, 'revised_below_threshold');
  assert.deepEqual(a.revisedBelow, { magnitude: 3.8, minMagnitude: 4 }, 'and says the quake was revised below the alert magnitude');
  assert.match(a.title, /^M3\.8 /);
  const closedEvent = hub.published.find((p) => p.type === 'module.birlikteyiz.round_closed' && p.data.round.id === a.id);
  assert.equal(closedEvent?.data.round.closedReason, 'revised_below_threshold', "the admins' screens are told why");
  const b = rounds['usgs:us-b']!;
  assert.equal(b.closedAt, null, 'someone asked for help: the round stays open');
  assert.deepEqual(b.revisedBelow, { magnitude: 3.9, minMagnitude: 4 });
  assert.equal(b.counts.needsHelp, 1);
  assert.equal(hub.alerts().length, 2, 'no new alert for a revision downwards');

  // An admin reaches the person: safe. Nobody needs help any more: the round closes, with the reason.
  hub.at(NOW + 30 * 60_000);
  const checked = await hub.call<CheckinRound>('POST', `/rounds/${b.id}/checkins`, { nodeId: 'b1', status: 'safe', note: 'reached by phone' });
  assert.equal(checked.status, 200);
  rounds = await byQuake();
  assert.equal(rounds['usgs:us-b']!.closedAt, NOW + 30 * 60_000);
  assert.equal(rounds['usgs:us-b']!.closedReason, 'revised_below_threshold');
});

test('a quake revised up by half a magnitude or more sends an updated alert into the mesh; smaller revisions do not', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-up', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: Date.UTC(2026, 11, 5, 11, 57), place: '12 km NW of Elbistan, Turkey' });
  await hub.poll();
  assert.deepEqual(hub.alerts(), ['M4.2 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.']);
  const revise = async (magnitude: number, minutes: number) => {
    hub.at(NOW + minutes * 60_000);
    hub.feed[0] = { ...hub.feed[0]!, magnitude };
    await hub.poll();
  };
  await revise(4.5, 2);
  assert.equal(hub.alerts().length, 1, '+0.3: the round retitled, no new alert');
  await revise(6.1, 4);
  assert.equal(hub.alerts().length, 2, 'the big revision goes out');
  assert.equal(hub.alerts()[1], 'M6.1 (revised from M4.2) 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.');
  assert.equal((hub.sent[1]!.body as { alert: { level: string; magnitude: number } }).alert.level, 'EARTHQUAKE');
  await revise(6.3, 6);
  assert.equal(hub.alerts().length, 2, '+0.2 over what the mesh was last told (6.1): nothing more');
  const [round] = await hub.rounds();
  assert.equal(round!.quakes![0]!.sentMagnitude, 6.1, 'the round says what the mesh was told');
  assert.equal(round!.closesAt, NOW + 4 * 60_000 + 60 * 60_000, 'open another roundMinutes for the answers to the updated alert');
});

test('in Turkish the updated alert says which magnitude it corrects, and fits its frame with the place first', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { language: 'tr' });
  t.after(() => hub.close());
  const place = '12 km NW of Çağlayancerit ilçesinin güneydoğusu, Göksun, Türkoğlu ve Pazarcık arası, Kahramanmaraş–Şanlıurfa sınırı, Turkey';
  hub.feed.push({ id: 'us-up', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: Date.UTC(2026, 11, 5, 11, 57), place });
  await hub.poll();
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 6.1 };
  hub.at(NOW + 60_000);
  await hub.poll();
  const text = hub.alerts()[1]!;
  assert.ok(text.startsWith('M6.1 deprem (M4.2 değil): Çağlayancerit ilçesinin'), text);
  assert.ok(text.endsWith('… (12 km KB) 14:57 TSİ. Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.'), text);
  assert.ok(new TextEncoder().encode(text).length <= MESH_ALERT_TEXT_MAX_BYTES);
});

test('a quake revised below the alert magnitude, then back over it, opens its closed round again, every answer kept; the nodes, never told of the revision down, are alerted again only for a figure 0.5 over what they were told', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05), node('n3', 37.25, 36.95)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-back', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: Date.UTC(2026, 11, 5, 11, 57), place: '12 km NW of Elbistan, Turkey' });
  await hub.poll();
  const [opened] = await hub.rounds();
  hub.at(NOW + 60_000);
  hub.frame('n1', 'SAFE');
  assert.equal((await hub.call('POST', `/rounds/${opened!.id}/checkins`, { person: 'Ayşe Yılmaz', status: 'safe' })).status, 200);

  // Reviewed down to M3.8: nobody needs help, the round closes.
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  await hub.poll();
  assert.equal((await hub.rounds())[0]!.closedReason, 'revised_below_threshold');

  // Another review: M4.4, over the alert magnitude again. The emergency is back.
  hub.at(NOW + 9 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.4 };
  await hub.poll();
  const [round] = await hub.rounds();
  assert.equal(round!.id, opened!.id, 'the same round, not a new one');
  assert.equal(round!.closedAt, null, 'open again');
  assert.equal(round!.closedReason, null);
  assert.equal(round!.revisedBelow, null, 'no longer says the quake is below the alert magnitude');
  assert.match(round!.title, /^M4\.4 /);
  assert.equal(round!.closesAt, opened!.closesAt + 4 * 60_000, 'open on its own time and the 4 minutes the revision down took from it, no more: a feed flipping either side of the alert magnitude must not keep it open for ever');
  assert.deepEqual(hub.alerts(), ['M4.2 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.'], 'the alert the nodes heard stands: M4.4 is not news to them');
  assert.equal(round!.nodes.find((n) => n.id === 'n1')!.status, 'safe', 'the answer given before stays');
  assert.deepEqual(round!.people.map((p) => [p.name, p.status]), [['Ayşe Yılmaz', 'safe']], 'and so does the person checked in');
  assert.deepEqual(round!.counts, { safe: 2, needsHelp: 0, waiting: 2, automatic: 0, resolved: 0 });
  const banner = hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').at(-1)!;
  assert.equal(banner.data.quake.magnitude, 4.4, "the admins' quake banner rises again, with the current figure");
  assert.equal(banner.data.roundId, round!.id);
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.round_opened' && p.data.round.id === round!.id).at(-1)!.data.round.closedAt, null, "the admins' screens hear it opened again");

  // Answers keep coming into it.
  hub.at(NOW + 10 * 60_000);
  hub.frame('n2', 'SOS', 7);
  assert.equal((await hub.rounds())[0]!.counts.needsHelp, 1);

  // Another review, M4.8: 0.5 over the M4.2 the nodes were told. They are alerted and asked again.
  hub.at(NOW + 12 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.8 };
  await hub.poll();
  assert.equal(hub.alerts().at(-1), 'M4.8 (revised from M4.2) 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.');
  assert.equal((await hub.rounds())[0]!.closesAt, NOW + 12 * 60_000 + 60 * 60_000, 'open another roundMinutes for the answers');
});

test('an SOS and an "I am safe" pressed while a round was closed as revised below are in it when it opens again: rescuers see who asked for help', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05), node('n3', 37.25, 36.95)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-closed', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 60_000, place: 'Elbistan' });
  await hub.poll();
  hub.at(NOW + 60_000);
  hub.frame('n1', 'SAFE');
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  await hub.poll();
  assert.equal((await hub.rounds())[0]!.closedReason, 'revised_below_threshold');

  // While it is closed: n2 holds SOS, n1 (safe before) now asks for help too, n3 presses "I am safe".
  hub.at(NOW + 7 * 60_000);
  hub.frame('n2', 'SOS', 7);
  hub.frame('n1', 'SOS', 8);
  hub.frame('n3', 'SAFE');
  // Revised back over the alert magnitude: the round opens again.
  hub.at(NOW + 9 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.4 };
  await hub.poll();
  const [round] = await hub.rounds();
  assert.equal(round!.closedAt, null, 'open again');
  assert.deepEqual(Object.fromEntries(round!.nodes.map((n) => [n.id, [n.status, n.answeredAt]])), {
    n1: ['needs_help', NOW + 7 * 60_000],
    n2: ['needs_help', NOW + 7 * 60_000],
    n3: ['safe', NOW + 7 * 60_000],
  }, 'each node answers as it last did while the round was closed; help outranks the safe from before');
  assert.deepEqual(round!.counts, { safe: 1, needsHelp: 2, waiting: 0, automatic: 0, resolved: 0 });
  const opened = hub.published.filter((p) => p.type === 'module.birlikteyiz.round_opened').at(-1)!;
  assert.equal(opened.data.round.counts.needsHelp, 2, "the admins' screens hear it with both calls for help");
});

test('an aftershock that opened its own round while the main shock\'s was closed as revised below is taken into that round when it opens again: one round, an SOS counted once', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05), node('n3', 37.25, 36.95)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 60_000, place: 'Elbistan' });
  await hub.poll();
  const [main] = await hub.rounds();
  hub.at(NOW + 60_000);
  hub.frame('n1', 'SAFE');
  hub.frame('n3', 'SAFE');
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  await hub.poll();
  assert.equal((await hub.rounds()).find((r) => r.id === main!.id)!.closedReason, 'revised_below_threshold');

  // An M4.1 a kilometre away: the main shock's round is closed, so it opens its own, and is sent to the nodes.
  hub.at(NOW + 7 * 60_000);
  hub.feed.push({ id: 'us-after', latitude: 37.31, longitude: 37.03, depthKm: 10, magnitude: 4.1, timeMs: NOW + 6 * 60_000, place: 'Elbistan' });
  await hub.poll();
  const after = (await hub.rounds()).find((r) => r.quakeId === 'usgs:us-after')!;
  hub.at(NOW + 8 * 60_000);
  hub.frame('n2', 'SOS', 9);
  hub.frame('n3', 'SAFE');
  assert.equal((await hub.call('POST', `/rounds/${after.id}/checkins`, { person: 'Ayşe Yılmaz', status: 'needs_help', note: 'second floor' })).status, 200);

  // The main shock revised to M4.4: its round opens again and takes in the aftershock's.
  hub.at(NOW + 9 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.4 };
  await hub.poll();
  const rounds = await hub.rounds();
  const open = rounds.filter((r) => r.closedAt === null);
  assert.deepEqual(open.map((r) => r.id), [main!.id], 'one open round for the quake sequence: the main shock\'s');
  const round = open[0]!;
  assert.deepEqual(round.quakes!.map((q) => q.id), ['usgs:us-main', 'usgs:us-after'], 'with both quakes, the main shock first');
  assert.match(round.title, /^M4\.4 /);
  const status = Object.fromEntries(round.nodes.map((n) => [n.id, n.status]));
  assert.deepEqual(status, { n1: 'waiting', n2: 'needs_help', n3: 'safe' }, 'the SOS from the aftershock\'s round is there; the "I am safe" from before the aftershock asked again is not; the one after it is');
  assert.equal(round.nodes.find((n) => n.id === 'n1')!.earlier?.status, 'safe', 'the earlier "I am safe" shown beside it');
  assert.deepEqual(round.people.map((p) => [p.name, p.status, p.note]), [['Ayşe Yılmaz', 'needs_help', 'second floor']], 'and the person checked in there');
  assert.equal(round.counts.needsHelp, 2);

  const merged = rounds.find((r) => r.id === after.id)!;
  assert.equal(merged.closedReason, 'merged_into_round', 'the aftershock\'s round closed, saying why');
  assert.equal(merged.mergedInto, main!.id, 'and where its answers went');
  assert.equal(merged.counts.needsHelp, 0, 'nobody counted twice');
  assert.ok(hub.published.some((p) => p.type === 'module.birlikteyiz.round_closed' && p.data.round.id === after.id), "the admins' screens hear it closed");

  // A new SOS goes to the one round.
  hub.at(NOW + 10 * 60_000);
  hub.frame('n1', 'SOS', 3);
  const now = await hub.rounds();
  assert.deepEqual(now.filter((r) => r.counts.needsHelp > 0).map((r) => [r.id, r.counts.needsHelp]), [[main!.id, 3]], 'counted in one round only');
});

test('when the aftershock\'s round is the one that opens again, the main shock\'s open round takes it in: the sequence\'s round stays the main shock\'s', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05), node('n3', 37.25, 36.95)]);
  t.after(() => hub.close());
  const revise = async (i: number, magnitude: number, minutes: number) => {
    hub.at(NOW + minutes * 60_000);
    hub.feed[i] = { ...hub.feed[i]!, magnitude };
    await hub.poll();
  };
  hub.feed.push({ id: 'us-main', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 60_000, place: 'Elbistan' });
  await hub.poll();
  const [main] = await hub.rounds();
  hub.at(NOW + 60_000);
  hub.frame('n1', 'SAFE');
  await revise(0, 3.8, 5);
  // The aftershock opens its own round (the main shock's is closed), then is itself revised below: closed too.
  hub.at(NOW + 7 * 60_000);
  hub.feed.push({ id: 'us-after', latitude: 37.31, longitude: 37.03, depthKm: 10, magnitude: 4.1, timeMs: NOW + 6 * 60_000, place: 'Elbistan' });
  await hub.poll();
  const after = (await hub.rounds()).find((r) => r.quakeId === 'usgs:us-after')!;
  hub.at(NOW + 8 * 60_000);
  hub.frame('n3', 'SAFE');
  await revise(1, 3.9, 9);
  assert.equal((await hub.rounds()).find((r) => r.id === after.id)!.closedReason, 'revised_below_threshold');
  // The main shock back over the alert magnitude: its round opens again (the aftershock's is closed: nothing to take in yet).
  await revise(0, 4.4, 10);
  hub.at(NOW + 11 * 60_000);
  hub.frame('n2', 'SOS', 4);
  // Then the aftershock too: its round would open again beside the main shock's.
  await revise(1, 4.3, 12);
  const rounds = await hub.rounds();
  const open = rounds.filter((r) => r.closedAt === null);
  assert.deepEqual(open.map((r) => r.id), [main!.id], "one open round: the main shock's");
  assert.deepEqual(open[0]!.quakes!.map((q) => [q.id, q.magnitude]), [['usgs:us-main', 4.4], ['usgs:us-after', 4.3]], 'the main shock first');
  assert.deepEqual(Object.fromEntries(open[0]!.nodes.map((n) => [n.id, n.status])), { n1: 'waiting', n2: 'needs_help', n3: 'safe' }, 'the "I am safe" from before the aftershock asked again is reset; the later one, and the SOS, stand');
  const merged = rounds.find((r) => r.id === after.id)!;
  assert.deepEqual([merged.closedAt !== null, merged.closedReason, merged.mergedInto], [true, 'merged_into_round', main!.id]);
  assert.deepEqual(hub.alerts().map((a) => a.slice(0, 5)), ['M4.2 ', 'M4.1 '], 'the nodes heard of both quakes, and no figure since is 0.5 over what they heard');
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').at(-1)!.data.roundId, main!.id, "the admins' quake banner leads to the round that holds it");
});

/**
 * The main shock's round closed as revised below at 5 min; an M4.1 a kilometre away opened its own
 * round at 7 min (sent to the nodes); `revise` brings the main shock back over the alert magnitude.
 */
async function aftershockRoundBesideClosedMain(t: { after(fn: () => unknown): void }) {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05), node('n3', 37.25, 36.95)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-main', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 60_000, place: 'Elbistan' });
  await hub.poll();
  const [main] = await hub.rounds();
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  await hub.poll();
  hub.at(NOW + 7 * 60_000);
  hub.feed.push({ id: 'us-after', latitude: 37.31, longitude: 37.03, depthKm: 10, magnitude: 4.1, timeMs: NOW + 6 * 60_000, place: 'Elbistan' });
  await hub.poll();
  const after = (await hub.rounds()).find((r) => r.quakeId === 'usgs:us-after')!;
  const revise = async (minutes: number) => {
    hub.at(NOW + minutes * 60_000);
    hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.4 };
    await hub.poll();
  };
  return { hub, main: main!, after, revise };
}

test('a check-in sent to a round merged into another (an admin still has it on screen) goes into the round that took it in, and answers with that round', async (t) => {
  const { hub, main, after, revise } = await aftershockRoundBesideClosedMain(t);
  await revise(9);
  assert.equal((await hub.rounds()).find((r) => r.id === after.id)!.closedReason, 'merged_into_round');

  hub.at(NOW + 10 * 60_000);
  const person = await hub.call<CheckinRound>('POST', `/rounds/${after.id}/checkins`, { person: 'Ali Veli', status: 'needs_help', note: 'leg trapped' });
  assert.equal(person.status, 200);
  assert.equal(person.body.id, main.id, 'the answer is the round that holds the people now');
  hub.at(NOW + 11 * 60_000);
  const byNode = await hub.call<CheckinRound>('POST', `/rounds/${after.id}/checkins`, { nodeId: 'n2', status: 'needs_help' });
  assert.equal(byNode.status, 200, 'a node of the merged round is found where it is now (not "not in this round")');
  assert.equal(byNode.body.id, main.id);

  const rounds = await hub.rounds();
  const live = rounds.find((r) => r.id === main.id)!;
  assert.deepEqual(live.people.map((p) => [p.name, p.status, p.note]), [['Ali Veli', 'needs_help', 'leg trapped']], 'the person needing help is in the live round');
  assert.equal(live.nodes.find((n) => n.id === 'n2')!.status, 'needs_help');
  assert.equal(live.counts.needsHelp, 2);
  const merged = rounds.find((r) => r.id === after.id)!;
  assert.deepEqual([merged.people, merged.nodes, merged.counts.needsHelp], [[], [], 0], 'the closed round stays empty');
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.round_updated').at(-1)!.data.round.id, main.id, "the admins' screens hear the live round changed");
});

test("an admin's check-in in the aftershock's round stands when the main shock's round opens again and takes it in: an SOS heard before it does not undo it, one heard after it does; a person is what they were last checked in as", async (t) => {
  const { hub, main, after, revise } = await aftershockRoundBesideClosedMain(t);
  // While the main shock's round is closed an admin, its screen still up, checks Ayşe in there as needing help.
  hub.at(NOW + 6 * 60_000);
  assert.equal((await hub.call('POST', `/rounds/${main.id}/checkins`, { person: 'Ayşe Yılmaz', status: 'needs_help' })).status, 200);
  // In the aftershock's round: n2 and n3 hold SOS; an admin reaches both by phone and checks them in as safe, and finds Ayşe.
  hub.at(NOW + 8 * 60_000);
  hub.frame('n2', 'SOS', 9);
  hub.frame('n3', 'SOS', 4);
  hub.at(NOW + 8.5 * 60_000);
  for (const nodeId of ['n2', 'n3']) assert.equal((await hub.call('POST', `/rounds/${after.id}/checkins`, { nodeId, status: 'safe' })).status, 200);
  assert.equal((await hub.call('POST', `/rounds/${after.id}/checkins`, { person: 'Ayşe Yılmaz', status: 'safe', note: 'with her sister' })).status, 200);
  // n3 asks for help again after that.
  hub.at(NOW + 8.7 * 60_000);
  hub.frame('n3', 'SOS', 5);

  await revise(9);
  const round = (await hub.rounds()).find((r) => r.id === main.id)!;
  assert.equal(round.closedAt, null);
  const n2 = round.nodes.find((n) => n.id === 'n2')!;
  assert.deepEqual([n2.status, n2.answeredAt, n2.checkedInAt], ['safe', NOW + 8.5 * 60_000, NOW + 8.5 * 60_000], "the admin's check-in stands over the SOS it dealt with");
  assert.equal(round.nodes.find((n) => n.id === 'n3')!.status, 'needs_help', 'an SOS after the check-in is a new call for help');
  assert.deepEqual(round.people.map((p) => [p.name, p.status, p.note]), [['Ayşe Yılmaz', 'safe', 'with her sister']], 'the later check-in of the person');
  assert.equal(round.counts.needsHelp, 1);
});

test('an SOS heard while a round was closed, before an admin checked the node in there, does not undo the check-in when the round opens again; one heard after it does', async (t) => {
  const hub = await feedHub([node('n1', 37.3, 37.0), node('n2', 37.35, 37.05)]);
  t.after(() => hub.close());
  hub.feed.push({ id: 'us-closed', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 4.2, timeMs: NOW - 60_000, place: 'Elbistan' });
  await hub.poll();
  const [closed] = await hub.rounds();
  hub.at(NOW + 5 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 3.8 };
  await hub.poll();
  // While it is closed both nodes hold SOS; an admin with the round on screen reaches both and checks them in as safe.
  hub.at(NOW + 7 * 60_000);
  hub.frame('n1', 'SOS', 7);
  hub.frame('n2', 'SOS', 8);
  hub.at(NOW + 7.5 * 60_000);
  for (const nodeId of ['n1', 'n2']) assert.equal((await hub.call('POST', `/rounds/${closed!.id}/checkins`, { nodeId, status: 'safe' })).status, 200);
  // n1 asks for help again.
  hub.at(NOW + 8 * 60_000);
  hub.frame('n1', 'SOS', 9);
  hub.at(NOW + 9 * 60_000);
  hub.feed[0] = { ...hub.feed[0]!, magnitude: 4.4 };
  await hub.poll();
  const [round] = await hub.rounds();
  assert.equal(round!.closedAt, null, 'open again');
  assert.deepEqual(Object.fromEntries(round!.nodes.map((n) => [n.id, n.status])), { n1: 'needs_help', n2: 'safe' });
});
