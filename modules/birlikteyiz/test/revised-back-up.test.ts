// A quake's round cut short by a wrong revision down is given back the time it lost when the quake is
// revised back over the alert magnitude, even once its own time is over (within the day the quake is
// remembered), and the nodes are alerted again for a figure REVISED_UP_ALERT_STEP over what they heard.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckinRound } from '../src/checkin-rounds.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

const MIN = 60_000;

async function cutShort() {
  const hub = await feedHub([node('n1', 37.3, 37.0)], { minMagnitude: 4.5, roundMinutes: 10 });
  hub.feed.push({ id: 'us-back', latitude: 37.3, longitude: 37.02, depthKm: 10, magnitude: 5.2, timeMs: NOW - MIN, place: 'Pazarcik' });
  await hub.poll();
  const revise = async (magnitude: number, minutes: number) => {
    hub.at(NOW + minutes * MIN);
    hub.feed[0] = { ...hub.feed[0]!, magnitude };
    await hub.poll();
    await hub.closeDue();
  };
  // Two minutes in, a wrong review to M4.0: nobody needs help yet, the round closes.
  await revise(4.0, 2);
  const [closed] = await hub.rounds();
  assert.equal(closed!.closedReason, 'revised_below_threshold');
  assert.equal(closed!.closesAt, NOW + 10 * MIN);
  return { hub, revise, round: async () => (await hub.call<CheckinRound>('GET', `/rounds/${closed!.id}`)).body };
}

test('revised back up to M6.5 after its round\'s time was over: the round opens again for a whole round, the nodes are alerted, and an SOS counts', async (t) => {
  const { hub, revise, round } = await cutShort();
  t.after(() => hub.close());
  await revise(6.5, 30);
  let r = await round();
  assert.equal(r.closedAt, null, 'open again');
  assert.ok(r.closesAt >= NOW + 40 * MIN, `open a whole round from now (closes ${(r.closesAt - NOW) / MIN} min after NOW)`);
  assert.match(r.title, /^M6\.5 /);
  assert.equal(hub.alerts().length, 2, 'the nodes, told M5.2, are told M6.5');
  assert.match(hub.alerts()[1]!, /^M6\.5 \(revised from M5\.2\) /);
  hub.at(NOW + 31 * MIN);
  hub.frame('n1', 'SOS', 3);
  await hub.closeDue();
  r = await round();
  assert.equal(r.nodes[0]!.status, 'needs_help');
  assert.equal(r.closedAt, null);
});

test('revised back over the alert magnitude within its round\'s time: the round gets back the minutes the wrong revision took, not only those that remain', async (t) => {
  const { hub, revise, round } = await cutShort();
  t.after(() => hub.close());
  // Closed at minute 2 with 8 minutes left; back at M5.3 (not 0.5 over the M5.2 the nodes heard) at minute 5.
  await revise(5.3, 5);
  let r = await round();
  assert.equal(r.closedAt, null);
  assert.equal(r.closesAt, NOW + 13 * MIN, '8 minutes from now, the 8 it had left');
  assert.equal(hub.alerts().length, 1, 'no new alert for M5.3');
  hub.at(NOW + 12 * MIN);
  await hub.closeDue();
  r = await round();
  assert.equal(r.closedAt, null, 'still open past its first time');
  hub.at(NOW + 13 * MIN);
  await hub.closeDue();
  assert.notEqual((await round()).closedAt, null, 'and closes when the time given back is over');
});
