// A feed that gives a quake's place in each language (the demo's fixture feed: its place is words,
// "6 km NE of the demo gateway", no town's name) is shown in each reader's language: the Turkish
// screen does not read "the demo gateway (6 km KD)" because the demo was started in English, and the
// nodes' alert takes the place in the module's language.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUsgsFeed } from '../src/feeds/usgs-feed.ts';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { feedHub } from './support/feed-hub.ts';
import { node, NOW } from './support/fake-module.ts';

const NODES = [node('harbour', 37.3, 37.0), node('clinic', 37.31, 37.0)];
const PLACES = { en: '6 km NE of the demo gateway', tr: 'demo ağ geçidi (6 km KD)' };
const QUAKE = { id: 'demo-quake-1', latitude: 37.3, longitude: 37.0, depthKm: 9, magnitude: 5.4, timeMs: NOW - 60_000, place: PLACES.en, places: PLACES };

for (const language of ['en', 'tr'] as const) {
  test(`a quake the feed names in both languages is listed, titled and alerted in each (module language ${language})`, async (t) => {
    const hub = await feedHub(NODES, { language });
    t.after(() => hub.close());
    hub.feed.push(QUAKE);
    await hub.poll();
    const quakes = (await hub.call<{ quakes: Array<{ places: Record<string, string> }> }>('GET', '/quakes')).body.quakes;
    assert.deepEqual(quakes[0]!.places, PLACES, 'the quake list has the place in each language as the feed gave it');
    const banner = hub.published.find((e) => e.type === 'module.birlikteyiz.quake');
    assert.deepEqual(banner?.data.quake.places, PLACES, "the admins' quake banner says it in each reader's language");
    const [round] = await hub.rounds();
    assert.deepEqual(round!.epicentre!.places, PLACES, "the round's title is worded from these in the reader's language");
    const [alert] = hub.alerts();
    if (language === 'tr') {
      assert.match(alert!, /^M5\.4 deprem: demo ağ geçidi \(6 km KD\) \d{2}:\d{2} TSİ\. Güvende misiniz\?/);
      assert.match(round!.title, /^M5\.4 deprem: demo ağ geçidi \(6 km KD\)$/);
    } else {
      assert.match(alert!, /^M5\.4 6 km NE of the demo gateway \d{2}:\d{2} UTC\. Are you safe\?/);
      assert.equal(round!.title, 'M5.4 6 km NE of the demo gateway');
    }
  });
}

test('a feed\'s places are read as text, per known language, or not at all', () => {
  const doc = JSON.parse(usgsFeedDocument([QUAKE], NOW)) as { features: Array<{ properties: Record<string, unknown> }> };
  const with_ = (places: unknown) => {
    doc.features[0]!.properties.places = places;
    return parseUsgsFeed(JSON.stringify(doc)).quakes[0]!;
  };
  assert.deepEqual(with_(PLACES).places, PLACES);
  assert.deepEqual(with_({ tr: '  Köy  ', de: 'Dorf', en: 42 }).places, { tr: 'Köy' });
  assert.equal(with_('a string').places, undefined);
  assert.equal(with_([PLACES]).places, undefined);
  assert.equal([...with_({ tr: 'ş'.repeat(500) }).places!.tr!].length, 120);
});
