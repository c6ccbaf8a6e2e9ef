// A restart forgets no quake the feeds still list: a swarm of small quakes after the alert (one
// Kandilli page holds 500) must not make the main shock alert the nodes a second time.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import type { Quake } from '../src/feeds/quake.ts';
import { QuakeWatch } from '../src/quake-watch.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

const q = (o: Partial<Quake>): Quake => ({ source: 'kandilli', sourceId: 'k', timeMs: NOW - 120_000, latitude: 37.2, longitude: 37.0, depthKm: 8, magnitude: 5.5, magnitudeType: 'ML', place: 'PAZARCIK (KAHRAMANMARAS)', ...o });

test('after a restart the M6.1 alerted before 500 aftershocks were stored is not alerted, asked nor given a round again', () => {
  const f = fakeModule({ o: [node('n1', 37.3, 37.1)] });
  const rounds = new CheckinRounds(f.m.store.collection('rounds'));
  const main = q({ sourceId: 'main', magnitude: 6.1, timeMs: NOW - 40 * 60_000 });
  new QuakeWatch(f.m, SETTINGS, rounds).reports([main]);
  const swarm: Quake[] = [];
  for (let i = 0; i < 500; i++) swarm.push(q({ sourceId: `s${i}`, magnitude: 1.5 + (i % 10) / 10, timeMs: NOW - 39 * 60_000 + i * 4_000, latitude: 36 + (i % 25) * 0.2, longitude: 33 + Math.floor(i / 25) * 0.2 }));
  new QuakeWatch(f.m, SETTINGS, rounds).reports(swarm);
  // 500 quakes of their own (22 km apart), stored after the main shock.
  assert.equal(f.m.store.collection('quakes').list(null, { limit: 1000 }).length, 501);
  const alerts = () => f.published.filter((p) => p.type.endsWith('.quake')).length;
  assert.equal(alerts(), 1);
  assert.equal(f.sent.length, 1);

  // The hub starts again; Kandilli's page still lists the main shock and its swarm.
  new QuakeWatch(f.m, SETTINGS, rounds).reports([main, ...swarm]);
  assert.equal(alerts(), 1, 'the quake was alerted again');
  assert.equal(f.sent.length, 1, 'the nodes were alerted again');
  assert.equal(rounds.list('o').length, 1, 'a second check-in round opened');
});
