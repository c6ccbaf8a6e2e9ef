// The four feed parsers on documents written from each source's documented format (fixtures/),
// fuzzed with fast-check (arbitrary bytes and arbitrary JSON never throw anything but "not this
// format", and every quake out is plausible), the EMSC push messages, and the cross-source dedup.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAfadFeed } from '../src/feeds/afad-feed.ts';
import { parseEmscFeed, parseEmscPush } from '../src/feeds/emsc-feed.ts';
import { parseKandilliFeed, preBlock, stripTags } from '../src/feeds/kandilli-feed.ts';
import type { ParsedFeed, Quake } from '../src/feeds/quake.ts';
import { parseUsgsFeed } from '../src/feeds/usgs-feed.ts';
import { QuakeDedup } from '../src/quake-dedup.ts';
import { wording } from '../src/alert-wording.ts';
import { decodeData, encodeData, hasLoneSurrogate } from '@unibos/mesh-protocol';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const PAZARCIK_UTC = Date.UTC(2023, 1, 6, 1, 17);

test('USGS summary GeoJSON: earthquakes only, ms times, [lon, lat, depth] order, bad entries counted', () => {
  const { quakes, rejected } = parseUsgsFeed(fixture('usgs-summary.geojson'));
  assert.equal(quakes.length, 2);
  assert.equal(rejected, 2, 'the quarry blast and the out-of-range coordinates');
  assert.deepEqual(quakes[0], { source: 'usgs', sourceId: 'us6000jllz', timeMs: 1675646254342, latitude: 37.2256, longitude: 37.0143, depthKm: 10, magnitude: 7.8, magnitudeType: 'mww', place: 'Pazarcik earthquake, Kahramanmaras earthquake sequence' });
});

test('EMSC FDSN JSON and its WebSocket push', () => {
  const { quakes, rejected } = parseEmscFeed(fixture('emsc-fdsn.json'));
  assert.equal(rejected, 1);
  assert.deepEqual(quakes[0], { source: 'emsc', sourceId: '20230206_0000008', timeMs: Date.parse('2023-02-06T01:17:35.8Z'), latitude: 37.17, longitude: 37.08, depthKm: 10, magnitude: 7.8, magnitudeType: 'mw', place: 'CENTRAL TURKEY' });
  const pushed = fixture('emsc-push.jsonl').toString('utf8').trim().split('\n').map(parseEmscPush);
  assert.deepEqual(pushed.map((q) => q?.sourceId ?? null), ['20230206_0000008', '20230206_0000100', null, null]);
});

test('AFAD apiv2/event/filter: numbers as strings, UTC dates without a zone', () => {
  const { quakes, rejected } = parseAfadFeed(fixture('afad-filter.json'));
  assert.equal(rejected, 2, 'a latitude of "abc" and a date in another format');
  assert.deepEqual(quakes[0], { source: 'afad', sourceId: '548890', timeMs: Date.UTC(2023, 1, 6, 1, 17, 32), latitude: 37.28806, longitude: 37.04306, depthKm: 8.6, magnitude: 7.7, magnitudeType: 'MW', place: 'Pazarcık (Kahramanmaraş)' });
});

test('Kandilli lst0: windows-1254 text, Turkey time, -.- for missing magnitudes, Mw before ML before MD', () => {
  const { quakes, rejected } = parseKandilliFeed(fixture('kandilli-lst0.html'));
  assert.equal(rejected, 1, 'the line with an impossible latitude');
  assert.equal(quakes.length, 3);
  const [ekinozu, pazarcik, kusadasi] = quakes as [Quake, Quake, Quake];
  assert.equal(pazarcik.timeMs, Date.UTC(2023, 1, 6, 1, 17, 32), '04:17:32 in Turkey is 01:17:32 UTC');
  assert.equal(pazarcik.place, 'SOFALACI-ŞEHİTKAMİL (GAZİANTEP)', 'decoded from windows-1254');
  assert.deepEqual([pazarcik.magnitude, pazarcik.magnitudeType], [7.7, 'Mw']);
  assert.deepEqual([ekinozu.magnitude, ekinozu.depthKm], [7.6, 5]);
  assert.deepEqual([kusadasi.magnitude, kusadasi.magnitudeType, kusadasi.place], [null, null, 'KUŞADASI KÖRFEZİ (EGE DENİZİ)']);
});

test('the same quake from all four sources is one event; a different one is not', () => {
  const dedup = new QuakeDedup();
  const reports = [parseUsgsFeed(fixture('usgs-summary.geojson')), parseEmscFeed(fixture('emsc-fdsn.json')), parseAfadFeed(fixture('afad-filter.json')), parseKandilliFeed(fixture('kandilli-lst0.html'))].flatMap((f) => f.quakes);
  const now = PAZARCIK_UTC + 3_600_000;
  const results = reports.map((q) => dedup.add(q, now));
  const newOnes = results.filter((r) => r?.isNew).map((r) => r!.event);
  const pazarcik = newOnes.find((e) => e.id === 'usgs:us6000jllz')!;
  assert.deepEqual(pazarcik.sources.map((s) => s.source).sort(), ['afad', 'emsc', 'kandilli', 'usgs']);
  // Ekinözü (9 h later, 90 km away) from AFAD and Kandilli is one other event.
  const ekinozu = newOnes.find((e) => e.place.includes('Ekin'))!;
  assert.deepEqual(ekinozu.sources.map((s) => s.source).sort(), ['afad', 'kandilli']);
  assert.equal(dedup.add(reports[0]!, now), null, 'a report seen again is nothing new');
  // 100 s apart, or 20 km apart, or 1 magnitude apart: separate events.
  const base: Quake = { source: 'usgs', sourceId: 'a', timeMs: now, latitude: 40, longitude: 29, depthKm: 10, magnitude: 5, magnitudeType: 'mw', place: 'x' };
  const d2 = new QuakeDedup();
  d2.add(base, now);
  assert.equal(d2.add({ ...base, source: 'afad', sourceId: 'b', timeMs: now + 100_000 }, now)!.isNew, true);
  assert.equal(d2.add({ ...base, source: 'afad', sourceId: 'c', latitude: 40.2 }, now)!.isNew, true);
  assert.equal(d2.add({ ...base, source: 'afad', sourceId: 'd', magnitude: 6 }, now)!.isNew, true);
  assert.equal(d2.add({ ...base, source: 'afad', sourceId: 'e', timeMs: now + 80_000, latitude: 40.1, magnitude: 5.6 }, now)!.isNew, false);
});

const PARSERS: Array<[string, (b: Uint8Array) => ParsedFeed]> = [
  ['usgs', parseUsgsFeed],
  ['emsc', parseEmscFeed],
  ['afad', parseAfadFeed],
  ['kandilli', parseKandilliFeed],
];

function checkPlausible(f: ParsedFeed): void {
  for (const q of f.quakes) {
    assert.ok(Math.abs(q.latitude) <= 90 && Math.abs(q.longitude) <= 180 && Number.isFinite(q.timeMs));
    for (const t of [q.place, q.magnitudeType ?? '', ...Object.values(q.places ?? {})]) assert.ok(!hasLoneSurrogate(t), `half a UTF-16 pair in ${JSON.stringify(t)}`);
    assert.ok(q.magnitude === null || (q.magnitude >= -2 && q.magnitude <= 10.5));
  }
}

for (const [name, parse] of PARSERS) {
  test(`${name} parser: arbitrary bytes and JSON give quakes or a plain Error, never a crash or a wild value`, () => {
    const run = (bytes: Uint8Array): void => {
      try {
        checkPlausible(parse(bytes));
      } catch (err) {
        assert.ok(err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError), `${name}: ${String(err)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), run), { numRuns: 300 });
    fc.assert(fc.property(fc.json(), (j) => run(new TextEncoder().encode(j))), { numRuns: 300 });
    // Mutations of the real fixture: same shapes, hostile values.
    const file = { usgs: 'usgs-summary.geojson', emsc: 'emsc-fdsn.json', afad: 'afad-filter.json', kandilli: 'kandilli-lst0.html' }[name]!;
    const base = fixture(file);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), (edits) => {
        const b = Uint8Array.from(base);
        for (const [i, v] of edits) b[i] = v;
        run(b);
      }),
      { numRuns: 300 },
    );
  });
}

test('EMSC push: arbitrary messages give a quake or null', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.record({ action: fc.constantFrom('create', 'update', 'x'), data: fc.anything() }).map((o) => JSON.stringify(o))), (m) => {
      const q = parseEmscPush(m);
      if (q) checkPlausible({ quakes: [q], rejected: 0 });
    }),
    { numRuns: 500 },
  );
});

test('an impossible date (30 February, hour 25, month 13) is a counted drop in every parser, never another day', () => {
  const afad = (date: string): string => JSON.stringify([{ eventID: '1', location: 'X', latitude: '38.1', longitude: '27.1', depth: '7', type: 'ML', magnitude: '4.1', date }]);
  for (const date of ['2023-02-30T01:17:32', '2023-02-06T25:17:32', '2023-13-06T01:17:32', '2023-02-06T01:60:32', '2023-00-06T01:17:32']) {
    assert.deepEqual(parseAfadFeed(afad(date)), { quakes: [], rejected: 1 }, date);
  }
  assert.equal(parseAfadFeed(afad('2024-02-29T23:59:59')).quakes.length, 1, 'a leap day is a day');
  const kandilli = (when: string): string => `<pre>\nTarih      Saat      Enlem(N)  Boylam(E) Derinlik(km)  MD   ML   Mw    Yer                                             Çözüm Niteliği\n${when}  37.1757   37.0560        8.6      -.-  4.4  -.-   SOFALACI (GAZIANTEP)                              İlksel\n</pre>`;
  for (const when of ['2023.02.30 04:17:32', '2023.02.06 24:17:32', '2023.13.06 04:17:32']) {
    assert.deepEqual(parseKandilliFeed(kandilli(when)), { quakes: [], rejected: 1 }, when);
  }
  assert.equal(parseKandilliFeed(kandilli('2023.02.06 04:17:32')).quakes.length, 1);
  const emsc = (time: string): string => JSON.stringify({ features: [{ properties: { unid: 'u1', time, lat: 37.1, lon: 37.0, depth: 10, mag: 4.2, magtype: 'ml', flynn_region: 'TURKEY' } }] });
  assert.deepEqual(parseEmscFeed(emsc('2023-02-30T01:17:35.8Z')), { quakes: [], rejected: 1 });
  assert.equal(parseEmscFeed(emsc('2023-02-06T01:17:35.8Z')).quakes.length, 1);
});

test("Kandilli's one-pass reading finds the same <pre> block and strips the same tags as the regexes it replaced", () => {
  // Strings built from the characters those regexes turn on, so every odd nesting comes up.
  const page = fc.array(fc.constantFrom('<', '>', '<pre', '<PRE ', '</pre>', '</Pre>', 'pre', '/', 'x', ' ', '\n', 'İ'), { maxLength: 40 }).map((a) => a.join(''));
  fc.assert(
    fc.property(page, (p) => {
      assert.equal(preBlock(p), /<pre[^>]*>([\s\S]*?)<\/pre>/i.exec(p)?.[1] ?? p);
      assert.equal(stripTags(p), p.replace(/<[^>]*>/g, ''));
    }),
    { numRuns: 2000 },
  );
});

test('a feed text holding half of a UTF-16 pair ("\\ud83d") reaches the nodes with U+FFFD in its place: the alert still encodes', () => {
  const doc = { type: 'FeatureCollection', features: [{ type: 'Feature', id: 'us7000x', properties: { mag: 7.6, place: '5 km N of Lausanne \ud83d', time: Date.UTC(2026, 11, 7, 12), type: 'earthquake', magType: 'mww' }, geometry: { type: 'Point', coordinates: [6.63, 46.52, 10] } }] };
  // JSON.stringify writes the lone half as the escape \ud83d, as a hostile or broken feed would.
  const { quakes } = parseUsgsFeed(new TextEncoder().encode(JSON.stringify(doc)));
  assert.equal(quakes.length, 1);
  assert.equal(quakes[0]!.place, '5 km N of Lausanne \uFFFD');
  const alert = wording('en').quake(quakes[0]!, true);
  const heard = decodeData(encodeData({ alert: { level: 'EARTHQUAKE', text: alert, magnitudeX10: 76 } }));
  assert.match(heard.alert!.text, /^M7\.6 5 km N of Lausanne \uFFFD/);
});

