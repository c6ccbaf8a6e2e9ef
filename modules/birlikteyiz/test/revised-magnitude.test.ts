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

test('a quake revised below the alert magnitude, then back over it, opens its closed round again: alerted and asked again, every answer kept', async (t) => {
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
  assert.equal(round!.closesAt, NOW + 9 * 60_000 + 60 * 60_000, 'open another roundMinutes for the answers');
  assert.deepEqual(hub.alerts(), [
    'M4.2 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.',
    'M4.4 (revised from M4.2) 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.',
  ], 'the nodes are alerted and asked again');
  assert.equal(round!.nodes.find((n) => n.id === 'n1')!.status, 'safe', 'the answer given before stays');
  assert.deepEqual(round!.people.map((p) => [p.name, p.status]), [['Ayşe Yılmaz', 'safe']], 'and so does the person checked in');
  assert.deepEqual(round!.counts, { safe: 2, needsHelp: 0, waiting: 2, automatic: 0 });
  const banner = hub.published.filter((p) => p.type === 'module.birlikteyiz.quake').at(-1)!;
  assert.equal(banner.data.quake.magnitude, 4.4, "the admins' quake banner rises again, with the current figure");
  assert.equal(banner.data.roundId, round!.id);
  assert.equal(hub.published.filter((p) => p.type === 'module.birlikteyiz.round_opened' && p.data.round.id === round!.id).at(-1)!.data.round.closedAt, null, "the admins' screens hear it opened again");

  // Answers keep coming into it.
  hub.at(NOW + 10 * 60_000);
  hub.frame('n2', 'SOS', 7);
  assert.equal((await hub.rounds())[0]!.counts.needsHelp, 1);
});
