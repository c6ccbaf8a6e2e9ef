// A module author's manifest as the registry reads it: the shipped module's manifest is valid, and
// each mistake is reported with the file and the field, never thrown.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatProblem, validateManifest, validateManifestText } from '../src/index.ts';

const shipped = readFileSync(new URL('../../birlikteyiz/module.json', import.meta.url), 'utf8');
const base = (): Record<string, any> => JSON.parse(shipped);

test('the shipped birlikteyiz manifest is valid', () => {
  const r = validateManifestText(shipped, 'modules/birlikteyiz/module.json');
  assert.equal(r.ok, true, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
});

test('each mistake names the file and the field', () => {
  const cases: Array<[string, (m: Record<string, any>) => void, string]> = [
    ['missing name', (m) => delete m.name, 'name'],
    ['bad category', (m) => (m.category = 'weather'), 'category'],
    ['unknown field', (m) => (m.colour = 'red'), 'colour'],
    ['bad core range', (m) => (m.dependencies.core = 'latest please'), 'dependencies.core'],
    ['depends on itself', (m) => (m.dependencies.modules = { birlikteyiz: '*' }), 'dependencies.modules.birlikteyiz'],
    ['a published event type that is not a word', (m) => (m.permissions.events.publish[1] = 'Not An Event!'), 'permissions.events.publish[1]'],
    ['a translation of a setting that does not exist', (m) => (m.translations.tr.settings.minMagnitudo = { title: 'En küçük büyüklük' }), 'translations.tr.settings.minMagnitudo'],
    ['a translated choice the setting does not have', (m) => (m.translations.tr.settings.regionMode.enumTitles.county = 'İl'), 'translations.tr.settings.regionMode.enumTitles.county'],
    ['a translation into something that is not a language code', (m) => (m.translations.turkish = { description: 'Acil durum ağı' }), 'translations'],
    ["a translated problem code of another module (or the host's)", (m) => (m.translations.tr.problems = { 'host.setup_failed': 'Kurulum başarısız: {error}' }), 'translations.tr.problems.host.setup_failed'],
  ];
  for (const [what, mutate, field] of cases) {
    const m = base();
    mutate(m);
    const r = validateManifest(m, 'x/module.json');
    assert.equal(r.ok, false, what);
    if (!r.ok) {
      assert.ok(r.problems.some((p) => p.file === 'x/module.json' && p.field === field), `${what}: ${r.problems.map(formatProblem).join('; ')}`);
    }
  }
  // A broken setting with a translated choice is a problem in the list, not a throw; numeric choices translate too.
  const broken = base();
  broken.settings.schema.properties.minMagnitude = null;
  broken.translations.tr.settings.minMagnitude = { enumTitles: { '4': 'dört' } };
  const r = validateManifest(broken, 'x/module.json');
  assert.equal(r.ok, false);
  const numeric = base();
  numeric.settings.schema.properties.pollIntervalS = { enum: [30, 60], default: 60 };
  numeric.translations.tr.settings.pollIntervalS = { enumTitles: { '30': 'yarım dakika', '60': 'bir dakika' } };
  const n = validateManifest(numeric, 'x/module.json');
  assert.equal(n.ok, true, n.ok ? '' : n.problems.map(formatProblem).join('; '));
  const notJson = validateManifestText('{ "name": ', 'y/module.json');
  assert.equal(notJson.ok, false);
  if (!notJson.ok) assert.match(formatProblem(notJson.problems[0]!), /^y\/module\.json: \(root\): not JSON/);
});

test('any JSON value as a manifest is answered with problems or a manifest, never a throw (fuzz)', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = validateManifest(v, 'z/module.json');
      if (!r.ok) assert.ok(r.problems.length > 0);
    }),
    { numRuns: 300 },
  );
});

test("a list setting's item words (cctv's cameras) name properties its items have", () => {
  const cctvText = readFileSync(new URL('../../cctv/module.json', import.meta.url), 'utf8');
  const shippedCctv = validateManifestText(cctvText, 'modules/cctv/module.json');
  assert.equal(shippedCctv.ok, true, shippedCctv.ok ? '' : shippedCctv.problems.map(formatProblem).join('\n'));
  const cases: Array<[string, (m: Record<string, any>) => void, string]> = [
    ['a property the items do not have', (m) => (m.translations.tr.settings.cameras.items.sourse = { title: 'Kaynak' }), 'translations.tr.settings.cameras.items.sourse'],
    ['item words for a setting whose items declare no properties', (m) => (m.translations.tr.settings.algorithm.items = { id: { title: 'Kimlik' } }), 'translations.tr.settings.algorithm.items.id'],
    ['an item property word that is not a title, description or choice', (m) => (m.translations.tr.settings.cameras.items.source.label = 'Kaynak'), 'translations.tr.settings.cameras.items.source.label'],
    ['an empty item title', (m) => (m.translations.tr.settings.cameras.itemTitle = ''), 'translations.tr.settings.cameras.itemTitle'],
  ];
  for (const [what, mutate, field] of cases) {
    const m = JSON.parse(cctvText) as Record<string, any>;
    mutate(m);
    const r = validateManifest(m, 'x/module.json');
    assert.equal(r.ok, false, what);
    if (!r.ok) assert.ok(r.problems.some((p) => p.field === field), `${what}: ${r.problems.map(formatProblem).join('; ')}`);
  }
  // An item property's choices translate like a setting's: only the choices it has.
  const withKind = JSON.parse(cctvText) as Record<string, any>;
  withKind.settings.schema.properties.cameras.items.properties.kind = { enum: ['ip', 'usb'] };
  withKind.translations.tr.settings.cameras.items.kind = { title: 'Tür', enumTitles: { ip: 'IP kamera', usb: 'USB kamera' } };
  const ok = validateManifest(withKind, 'x/module.json');
  assert.equal(ok.ok, true, ok.ok ? '' : ok.problems.map(formatProblem).join('; '));
  withKind.translations.tr.settings.cameras.items.kind.enumTitles.wifi = 'Kablosuz kamera';
  const bad = validateManifest(withKind, 'x/module.json');
  assert.ok(!bad.ok && bad.problems.some((p) => p.field === 'translations.tr.settings.cameras.items.kind.enumTitles.wifi'), 'a choice the property does not have');
});
