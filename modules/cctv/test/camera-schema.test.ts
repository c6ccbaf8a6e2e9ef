// The cameras as the hub checks them (module.json's schema, on every PUT of the settings and on a
// node's moduleOptions) and as cctv reads them (camera-config.ts) accept and refuse the same
// cameras: the admin form, which is drawn from the schema, never saves a camera cctv then refuses,
// and no camera cctv takes is refused at the hub. Known exceptions, refused by cctv only: an ID used
// twice; null for an optional field (cctv reads it as absent); a name of at most 60 characters but
// more than 60 UTF-16 units (emoji: JSON Schema counts characters; the form's maxlength counts as cctv).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateSettings } from '@unibos/module-api';
import { parseCameras } from '../src/camera-config.ts';

const manifest = JSON.parse(readFileSync(new URL('../module.json', import.meta.url), 'utf8')) as { settings: { schema: Record<string, any> } };
const schema = manifest.settings.schema;
const items = schema.properties.cameras.items as { properties: Record<string, { type: string; minimum?: number; maximum?: number; default?: unknown }> };

const hubTakes = (camera: unknown): boolean => {
  try {
    validateSettings(schema, { cameras: [camera] });
    return true;
  } catch {
    return false;
  }
};
const cctvTakes = (camera: unknown): boolean => {
  try {
    parseCameras([camera]);
    return true;
  } catch {
    return false;
  }
};
const agree = (camera: unknown, why: string): void => assert.equal(hubTakes(camera), cctvTakes(camera), `${why}: ${JSON.stringify(camera)} (hub ${hubTakes(camera)}, cctv ${cctvTakes(camera)})`);

test('the schema and camera-config take and refuse the same cameras', () => {
  const base = { id: 'yard', source: 'synthetic:walker' };
  const cases: Array<[string, unknown]> = [
    ['id and source only', base],
    ['everything', { ...base, name: 'Bahçe kapısı', width: 1280, height: 720, fps: 10, upload: true, zones: [{ name: 'Kapı', kind: 'include', points: [[0, 0], [1, 0], [1, 1]] }] }],
    ['a property cctv does not read', { ...base, note: 'on the pole' }],
    ['no id', { source: base.source }],
    ['no source', { id: 'yard' }],
    ['an upper-case id', { ...base, id: 'Yard' }],
    ['an id of 33 characters', { ...base, id: 'a'.repeat(33) }],
    ['an id of 32 characters', { ...base, id: 'a'.repeat(32) }],
    ['an id starting with -', { ...base, id: '-yard' }],
    ['an FTP source', { ...base, source: 'ftp://192.0.2.1/cam' }],
    ['a V4L2 device', { ...base, source: '/dev/video12' }],
    ['RTSP with a password', { ...base, source: 'rtsp://admin:pw@192.0.2.1:554/s' }],
    ['RTSPS', { ...base, source: 'rtsps://192.0.2.1/s' }],
    ['MJPEG over HTTPS', { ...base, source: 'https://192.0.2.1/video' }],
    ['a file', { ...base, source: 'file:/srv/clip.mp4' }],
    ['a source with a line break', { ...base, source: 'rtsp://a/b\nc' }],
    ['a name of 60 characters', { ...base, name: 'n'.repeat(60) }],
    ['a name of 61 characters', { ...base, name: 'n'.repeat(61) }],
    ['a name that is a number', { ...base, name: 7 }],
    ['upload as text', { ...base, upload: 'yes' }],
    ['a width with a fraction', { ...base, width: 640.5 }],
    ['a width as text', { ...base, width: '640' }],
  ];
  for (const [why, camera] of cases) agree(camera, why);
  // Each number at its limits, and one past them.
  const numeric = Object.entries(items.properties).filter(([, p]) => p.type === 'integer');
  assert.deepEqual(numeric.map(([k]) => k).sort(), ['fps', 'height', 'width']);
  for (const [key, p] of numeric) {
    for (const v of [p.minimum!, p.maximum!]) assert.ok(hubTakes({ ...base, [key]: v }) && cctvTakes({ ...base, [key]: v }), `${key} ${v} taken`);
    for (const v of [p.minimum! - 1, p.maximum! + 1]) assert.ok(!hubTakes({ ...base, [key]: v }) && !cctvTakes({ ...base, [key]: v }), `${key} ${v} refused`);
  }
});

test("the hub fills in cctv's own defaults, so a camera means the same stored or not", () => {
  const [stored] = validateSettings(schema, { cameras: [{ id: 'yard', source: '/dev/video0' }] }).cameras as Array<Record<string, unknown>>;
  const [read] = parseCameras([{ id: 'yard', source: '/dev/video0' }]);
  assert.deepEqual(stored, { id: 'yard', source: '/dev/video0', width: read!.width, height: read!.height, fps: read!.fps, upload: read!.upload });
});

test('any camera-shaped value: the hub and cctv agree (fuzz)', () => {
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  const camera = fc.record(
    {
      id: maybe(fc.oneof(fc.stringMatching(/^[a-z0-9_-]{0,34}$/), fc.string())),
      name: maybe(fc.oneof(fc.string({ maxLength: 70 }), fc.integer())),
      source: maybe(fc.oneof(fc.constantFrom('/dev/video0', 'rtsp://192.0.2.1/s', 'http://x/v', 'file:/a.mp4', 'synthetic:walker', 'synthetic:', 'ftp://x', '/dev/videoX'), fc.string())),
      width: maybe(fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.double(), fc.string())),
      height: maybe(fc.integer({ min: 0, max: 2200 })),
      fps: maybe(fc.integer({ min: -1, max: 40 })),
      upload: maybe(fc.oneof(fc.boolean(), fc.constant('true'))),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(camera, (c) => {
      const clean = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
      agree(clean, 'generated');
    }),
    { numRuns: 500 },
  );
});
