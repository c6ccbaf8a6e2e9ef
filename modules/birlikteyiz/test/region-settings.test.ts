// Region settings the module cannot use are refused when saved, naming what is wrong (a circle
// with no centre alerted nobody, silently; so did a polygon of fewer than 3 corners). And a quake in
// the region alerts only the orgs with a node within the radius of it: an org whose nodes are all
// far away has nobody to ask, and a buzzer across its mesh for a distant quake teaches people to
// ignore the next one.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { validateSettings } from '@unibos/module-api';
import type { BirlikteyizSettings } from '../src/birlikteyiz-settings.ts';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import type { Quake } from '../src/feeds/quake.ts';
import { QuakeWatch } from '../src/quake-watch.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

const schema = (JSON.parse(readFileSync(new URL('../module.json', import.meta.url), 'utf8')) as { settings: { schema: Record<string, unknown> } }).settings.schema;
const refused = (settings: Record<string, unknown>): string => {
  try {
    validateSettings(schema, settings);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'E_MODULE_SETTINGS');
    return (err as Error).message;
  }
  return 'accepted';
};

test('a circle without a centre, or a polygon of fewer than 3 corners, is refused when saved, naming the problem', () => {
  assert.equal(refused({ regionMode: 'radius' }), 'settings: centerLatitude is required when regionMode is "radius"; centerLongitude is required when regionMode is "radius"');
  assert.equal(refused({ regionMode: 'radius', centerLatitude: 37.5 }), 'settings: centerLongitude is required when regionMode is "radius"');
  assert.equal(refused({ regionMode: 'polygon', polygon: [[37, 36], [38, 37]] }), 'settings: polygon must NOT have fewer than 3 items when regionMode is "polygon"');
  assert.match(refused({ regionMode: 'polygon' }), /^settings: polygon is required when regionMode is "polygon"/);
  // What the module can use is taken as before.
  for (const ok of [{}, { regionMode: 'fleet' }, { regionMode: 'radius', centerLatitude: 37.5, centerLongitude: 36.9 }, { regionMode: 'polygon', polygon: [[37, 36], [38, 37], [37, 38]] }]) assert.equal(refused(ok), 'accepted', JSON.stringify(ok));
});

const quake: Quake = { source: 'afad', sourceId: 'a1', timeMs: NOW - 120_000, latitude: 37.2, longitude: 37.0, depthKm: 8, magnitude: 5.6, magnitudeType: 'Mw', place: 'Pazarcık (Kahramanmaraş)' };
// "near" has a node 12 km from the epicentre; "far" has its only node in İzmir, 850 km away.
const FLEET = { near: [node('n1', 37.3, 37.05)], far: [node('izmir', 38.42, 27.14)] };
const REGIONS: Array<[string, Partial<BirlikteyizSettings>]> = [
  ['a circle around a centre', { regionMode: 'radius', centerLatitude: 37.0, centerLongitude: 37.0, radiusKm: 150 }],
  ['a polygon', { regionMode: 'polygon', polygon: [[36.5, 36.5], [38.0, 36.5], [38.0, 38.0], [36.5, 38.0]] }],
];

for (const [name, region] of REGIONS) {
  test(`region ${name}: a quake in it alerts only the org with a node within the radius, into its own mesh`, () => {
    const f = fakeModule(FLEET);
    const rounds = new CheckinRounds(f.m.store.collection('rounds'));
    new QuakeWatch(f.m, { ...SETTINGS, ...region }, rounds).reports([quake]);
    assert.deepEqual(f.published.filter((p) => p.type === 'module.birlikteyiz.quake').map((p) => p.orgId), ['near']);
    assert.deepEqual([...new Set(f.sent.map((s) => s.orgId))], ['near'], 'only the org with a node near the quake hears it on its mesh');
    assert.equal(rounds.list('far').length, 0);
    assert.equal(rounds.list('near').length, 1);
  });
}

for (const [name, region] of REGIONS) {
  test(`region ${name}: an org whose node has no known place (no GPS, no position yet) is still alerted, as it may be anywhere in it`, () => {
    const f = fakeModule({ nowhere: [{ ...node('n-nowhere', 0, 0), position: null }] } as Parameters<typeof fakeModule>[0]);
    const rounds = new CheckinRounds(f.m.store.collection('rounds'));
    new QuakeWatch(f.m, { ...SETTINGS, ...region }, rounds).reports([quake]);
    assert.deepEqual(f.published.filter((p) => p.type === 'module.birlikteyiz.quake').map((p) => p.orgId), ['nowhere']);
    assert.deepEqual([...new Set(f.sent.map((s) => s.orgId))], ['nowhere'], 'the alert goes into its mesh');
  });
}

test('a region saved unusable before version 2 becomes "none": the module alerts of no quake and says why, every other setting kept', async (t) => {
  const { migrateSettings } = await import('../src/birlikteyiz-plugin.ts');
  const v1 = { regionMode: 'radius', radiusKm: 80, centerLatitude: 37.5, minMagnitude: 4.5 };
  const migrated = migrateSettings(v1, 1, 2);
  assert.deepEqual(migrated, { ...v1, regionMode: 'none' });
  assert.equal(refused(migrated), 'accepted', 'what the hub starts the module with');
  assert.deepEqual(migrateSettings({ regionMode: 'polygon', polygon: [[37, 36], [38, 37]] }, 1, 2).regionMode, 'none');
  for (const usable of [{ regionMode: 'fleet' }, { regionMode: 'radius', centerLatitude: 37.5, centerLongitude: 36.9 }, { regionMode: 'polygon', polygon: [[37, 36], [38, 37], [37, 38]] }]) assert.deepEqual(migrateSettings(usable, 1, 2), usable);

  const { feedHub } = await import('./support/feed-hub.ts');
  const hub = await feedHub([node('n1', 37.3, 37.05)], { regionMode: 'none' });
  t.after(() => hub.close());
  assert.deepEqual((await hub.call('GET', '/status')).body, { quakeAlerts: false, problem: { code: 'region_none' } });
  hub.feed.push({ id: 'us-q', latitude: 37.2, longitude: 37.0, depthKm: 8, magnitude: 5.6, timeMs: NOW - 120_000, place: 'Pazarcik' });
  await hub.poll();
  assert.deepEqual(hub.alerts(), [], 'no quake alert into the mesh');
  assert.equal((await hub.rounds()).length, 0);
  assert.equal((await hub.call<{ quakes: Array<{ verdict: string }> }>('GET', '/quakes')).body.quakes[0]!.verdict, 'no_region', 'the quake list says why it alerted nobody');
  assert.equal((await hub.call('POST', '/rounds', { title: 'Drill' })).status, 201, 'rounds by hand still open');
});
