// The module's `language` setting, as the hub runs it: English unless set (the alert text as
// before), Turkish when set to tr — the quake alert and its check-in question on people's nodes, the
// round's title at the hub, assembly points — within the frame's 160 (alert) and 200 (text) bytes of
// UTF-8 however long the Turkish place name, never cut inside a letter; a simulated node still
// recognises the Turkish question; the hub's own check refuses a language it does not know.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { validateSettings, type ModuleManifest } from '@unibos/module-api';
import { birlikteyizRoutes } from '../src/birlikteyiz-routes.ts';
import { AssemblyPoints } from '../src/assembly-points.ts';
import { CheckinRounds } from '../src/checkin-rounds.ts';
import { usgsFeedDocument } from '../src/demo-feed.ts';
import { isCheckinQuestion } from '../src/device/checkin-answerer.ts';
import { QuakeWatch } from '../src/quake-watch.ts';
import { wording } from '../src/alert-wording.ts';
import { fakeModule, node, NOW, SETTINGS } from './support/fake-module.ts';

const manifest = JSON.parse(readFileSync(new URL('../module.json', import.meta.url), 'utf8')) as ModuleManifest;
const schema = manifest.settings!.schema as Record<string, unknown>;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The bytes a node receives, decoded strictly: a letter cut in half would throw. */
const received = (s: string): string => new TextDecoder('utf-8', { fatal: true }).decode(utf8(s));

/** Runs the hub entry with `settings` (validated as the hub does) on a USGS feed with one quake near the fleet; what went into the mesh. */
async function hubWith(settings: Record<string, unknown>, place: string, magnitude = 5.2) {
  const f = fakeModule({ orgA: [node('n1', 38.2, 37.2)] });
  const jobs: Array<() => unknown> = [];
  const feed = usgsFeedDocument([{ id: 'us7', latitude: 38.25, longitude: 37.1, depthKm: 10, magnitude, timeMs: Date.UTC(2026, 11, 5, 11, 57), place }], NOW);
  Object.assign(f.m, {
    settings: validateSettings(schema, { usgsUrl: 'http://feed.invalid/usgs', emscUrl: '', afadUrl: '', kandilliUrl: '', ...settings }),
    jobs: { every: (_n: string, _ms: number, run: () => unknown) => (jobs.push(run), { runNow() {}, setInterval() {}, cancel() {} }) },
    fetch: async () => new Response(feed, { status: 200 }),
  });
  const { default: plugin } = await import('../src/birlikteyiz-plugin.ts');
  await plugin({ register: async () => {} } as never, { module: f.m });
  await jobs[0]!();
  const alerts = f.sent.map((s) => (s.body as { alert: { level: string; text: string } }).alert);
  const rounds = new CheckinRounds(f.m.store.collection('rounds')).list('orgA');
  return { alerts, rounds };
}

test('the language setting: English by default, Turkish when set, anything else refused by the hub\u2019s check', () => {
  assert.equal(validateSettings(schema, {}).language, 'en');
  assert.equal(validateSettings(schema, { language: 'tr' }).language, 'tr');
  assert.throws(() => validateSettings(schema, { language: 'de' }), /language/);
  assert.ok(manifest.translations?.tr?.settings?.language, 'the setting has its Turkish title for the admin form');
});

test('unset, the quake alert on people\u2019s nodes is in English, its time spelled as UTC (a bare "11:57Z" reads as local time in Türkiye)', async () => {
  const { alerts, rounds } = await hubWith({}, '12 km NW of Elbistan, Turkey');
  assert.deepEqual(alerts, [{ level: 'EARTHQUAKE', text: 'M5.2 12 km NW of Elbistan, Turkey 11:57 UTC. Are you safe? Press once: safe. Hold: need help.', magnitude: 5.2 }]);
  assert.equal(rounds[0]!.title, 'M5.2 12 km NW of Elbistan, Turkey');
});

test('set to Turkish, the quake alert, its question and the round\u2019s title at the hub are Turkish', async () => {
  const { alerts, rounds } = await hubWith({ language: 'tr' }, '12 km NW of Elbistan, Turkey');
  assert.deepEqual(alerts, [{ level: 'EARTHQUAKE', text: 'M5.2 deprem: Elbistan, Türkiye (12 km KB) 14:57 TSİ. Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.', magnitude: 5.2 }]);
  assert.equal(rounds[0]!.title, 'M5.2 deprem: Elbistan, Türkiye (12 km KB)');
  assert.ok(isCheckinQuestion({ kind: 'alert', level: 'EARTHQUAKE', text: alerts[0]!.text } as never), 'a simulated node answers the Turkish question');
  // Without a round (check-ins off), the alert alone.
  const plain = await hubWith({ language: 'tr', checkInRounds: false }, 'Pazarcık (Kahramanmaraş)', 7.7);
  assert.deepEqual(plain.alerts.map((a) => a.text), ['M7.7 deprem: Pazarcık (Kahramanmaraş) 14:57 TSİ']);
});

test('a long Turkish place name is shortened at a letter, so the Turkish alert fits 160 bytes with its time and question whole', async () => {
  const place = 'Çağlayancerit ilçesinin güneydoğusu, Göksun, Türkoğlu ve Pazarcık arası, Kahramanmaraş–Şanlıurfa–Gaziantep–Adıyaman sınırında, ağır hasarlı bölge (Öğüt Köyü)';
  const { alerts, rounds } = await hubWith({ language: 'tr' }, place, 7.7);
  const text = alerts[0]!.text;
  assert.ok(utf8(text).length <= MESH_ALERT_TEXT_MAX_BYTES, `${utf8(text).length} bytes: ${text}`);
  assert.equal(received(text), text);
  assert.ok(text.startsWith('M7.7 deprem: Çağlayancerit ilçesinin'), text);
  assert.ok(text.endsWith('… 14:57 TSİ. Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.'), text);
  assert.ok([...rounds[0]!.title].length <= 120);

  // Wherever the limit falls in the name (one byte or the other of a two-byte letter), the text is whole letters within the limit.
  const watch = new QuakeWatch(fakeModule({}).m, { ...SETTINGS, language: 'tr' }, new CheckinRounds(fakeModule({}).m.store.collection('rounds')));
  const words = (watch as unknown as { words: { quake(q: object, ask: boolean): string } }).words;
  for (let n = 1; n <= [...place].length; n++) {
    const cut = words.quake({ magnitude: 6.1, place: [...place].slice(0, n).join(''), timeMs: NOW }, true);
    assert.ok(utf8(cut).length <= MESH_ALERT_TEXT_MAX_BYTES, `${n}: ${utf8(cut).length} bytes`);
    assert.equal(received(cut), cut);
    assert.ok(cut.endsWith('Basılı tutun: yardım lazım.'));
  }
});

test('set to Turkish, an assembly point goes to the nodes nearby as a Turkish text within 200 bytes', async () => {
  const f = fakeModule({ orgA: [node('n1', 36.2, 36.16)] });
  Object.assign(f.m, { settings: validateSettings(schema, { language: 'tr' }) });
  const handlers = new Map<string, (request: unknown, reply: unknown) => Promise<unknown>>();
  const app = { get() {}, post: (path: string, a: any, b?: any) => void handlers.set(`POST ${path}`, b ?? a), delete() {} };
  const rounds = new CheckinRounds(f.m.store.collection('rounds'));
  await birlikteyizRoutes(app as never, { module: f.m, rounds, points: new AssemblyPoints(f.m.store.collection('assembly_points')), watch: new QuakeWatch(f.m, { ...SETTINGS, language: 'tr' }, rounds), feeds: () => [] });
  const post = (body: object) => handlers.get('POST /assembly-points')!({ headers: { 'x-org': 'orgA' }, body }, { code: () => ({ send: (x: unknown) => x }), status: () => ({ send: (x: unknown) => x }) });
  await post({ name: 'Okul bahçesi', latitude: 36.20213, longitude: 36.16011, capacity: 1200 });
  await post({ name: 'Şehit Öğretmen Çağrı Güneş İlköğretim Okulu bahçesi, Üçgöz'.padEnd(60, 'ş'), latitude: 36.2, longitude: 36.16 });
  const texts = f.sent.map((s) => (s.body as { text: string }).text);
  assert.equal(texts[0], 'Toplanma alanı: Okul bahçesi, konum 36.20213,36.16011, 1200 kişilik');
  assert.ok(texts[1]!.startsWith('Toplanma alanı: Şehit Öğretmen') && texts[1]!.endsWith(', konum 36.20000,36.16000'), texts[1]);
  assert.ok(utf8(texts[1]!).length <= MESH_TEXT_MAX_BYTES);
  assert.equal(received(texts[1]!), texts[1]);
});

test('whatever place name a feed gives (a USGS distance of any length, any script), the quake alert (and its update after an upward revision) fits 160 bytes in both languages with its time, zone and question whole', () => {
  const compass = fc.constantFrom('N', 'S', 'E', 'W', 'NE', 'NW', 'SE', 'SW', 'NNE', 'WSW');
  // Real distances, and hostile ones of every length up to far past the frame (digits, decimals).
  const digits = (max: number): fc.Arbitrary<string> => fc.integer({ min: 1, max }).chain((n) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join('')));
  const distance = fc.oneof(fc.nat({ max: 20_000 }).map(String), digits(250), fc.tuple(digits(6), digits(150)).map(([a, b]) => `${a}.${b}`));
  const name = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constantFrom('Elbistan, Turkey', 'Pazarcık (Kahramanmaraş)', '避難所'));
  const place = fc.oneof(name, fc.tuple(distance, compass, name).map(([d, c, n]) => `${d} km ${c} of ${n}`));
  const magnitude = fc.option(fc.double({ min: -2, max: 10.5, noNaN: true }));
  const timeMs = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
  fc.assert(
    fc.property(place, magnitude, timeMs, fc.boolean(), fc.constantFrom('en', 'tr'), (place, magnitude, timeMs, ask, language) => {
      const text = wording(language).quake({ place, magnitude, timeMs }, ask);
      assert.ok(utf8(text).length <= MESH_ALERT_TEXT_MAX_BYTES, `${language}: ${utf8(text).length} bytes: ${text}`);
      assert.equal(received(text), text, 'whole letters');
      const utc = new Date(timeMs).toISOString().slice(11, 16);
      const tsi = new Date(timeMs + 3 * 3_600_000).toISOString().slice(11, 16);
      const when = language === 'en' ? ` ${utc} UTC` : ` ${tsi} TSİ`;
      assert.ok(text.endsWith(ask ? `${when}. ${language === 'en' ? 'Are you safe? Press once: safe. Hold: need help.' : 'Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.'}` : when), `${language}: ${text}`);
      // The updated alert after an upward revision: the same frame, time and question whole.
      const revised = wording(language).quakeRevised({ place, magnitude, timeMs }, 4.2);
      assert.ok(utf8(revised).length <= MESH_ALERT_TEXT_MAX_BYTES, `${language}: ${utf8(revised).length} bytes: ${revised}`);
      assert.equal(received(revised), revised, 'whole letters');
      assert.ok(revised.endsWith(`${when}. ${language === 'en' ? 'Are you safe? Press once: safe. Hold: need help.' : 'Güvende misiniz? Bir kez basın: güvendeyim. Basılı tutun: yardım lazım.'}`), `${language}: ${revised}`);
    }),
    { numRuns: 1000 },
  );
});
