// The module's settings as a node reads them from its config.json (moduleOptions.cctv): the node
// applies no schema, so readSettings holds the manifest's limits itself. A value out of range is
// E_CCTV_CONFIG naming it, never a clip that grows without end or a detector that never fires.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSettings } from '../src/cctv-settings.ts';

test("values outside the manifest's ranges are refused with the setting's name", () => {
  for (const [key, value] of [
    ['clipSeconds', 86_400], // a clip of a day: written as one unfinished file that retention cannot touch
    ['minArea', 5], // "5 %" meant: no region is ever 5 frames big, so no motion, ever
    ['threshold', 0],
    ['threshold', 1000],
    ['cooldownS', 1e9],
    ['retentionDays', 0],
    ['maxMediaMB', 0],
    // null is a value (a JSON NaN or Infinity becomes one), refused as the hub's schema refuses it, not a default.
    ['threshold', null],
    ['clipSeconds', null],
  ] as const) {
    assert.throws(() => readSettings({ [key]: value }), { code: 'E_CCTV_CONFIG', message: new RegExp(`^${key}: `) }, `${key}: ${value}`);
  }
  const s = readSettings({ clipSeconds: 120, minArea: 0.01, threshold: 40, cooldownS: 0, retentionDays: 0.5, maxMediaMB: 100, minFreeMB: 0 });
  assert.equal(s.clipSeconds, 120);
  assert.equal(s.retention.maxAgeMs, 43_200_000);
});

test("readSettings holds exactly the manifest's ranges (one definition, two readers)", async () => {
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(new URL('../module.json', import.meta.url), 'utf8')) as { settings: { schema: { properties: Record<string, { type: string; minimum?: number; maximum?: number }> } } };
  const numeric = Object.entries(manifest.settings.schema.properties).filter(([, p]) => p.type === 'number' || p.type === 'integer');
  assert.ok(numeric.length >= 7);
  for (const [key, p] of numeric) {
    const step = p.type === 'integer' ? 1 : 0.001;
    assert.doesNotThrow(() => readSettings({ [key]: p.minimum }), `${key} at its minimum`);
    assert.doesNotThrow(() => readSettings({ [key]: p.maximum }), `${key} at its maximum`);
    assert.throws(() => readSettings({ [key]: p.minimum! - step }), { code: 'E_CCTV_CONFIG' }, `${key} below its minimum`);
    assert.throws(() => readSettings({ [key]: p.maximum! + step }), { code: 'E_CCTV_CONFIG' }, `${key} above its maximum`);
  }
});

test('a zone may be named in Turkish (or any script); control characters and path separators are still refused', async () => {
  const { parseZones } = await import('../src/zones.ts');
  const square = [[0, 0], [1, 0], [1, 1]];
  assert.equal(parseZones([{ name: 'Bahçe kapısı', points: square }], 'zones')[0]!.name, 'Bahçe kapısı');
  assert.equal(parseZones([{ name: 'Giriş Ü2', points: square }], 'zones')[0]!.name, 'Giriş Ü2');
  for (const name of ['a/b', 'x\ny', '', 'ş'.repeat(41)]) assert.throws(() => parseZones([{ name, points: square }], 'zones'), { code: 'E_CCTV_CONFIG' }, JSON.stringify(name));
});
