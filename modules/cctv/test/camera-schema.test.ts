// The cameras as the hub checks them (module.json's schema, on every PUT of the settings and on a
// node's moduleOptions) and as cctv reads them (camera-config.ts, zones.ts) accept and refuse the
// same cameras, zones included: the admin form, which is drawn from the schema, never saves a
// camera cctv then refuses, and no camera cctv takes is refused at the hub. An ID used twice is
// refused by both, the hub naming the second camera's ID. One known exception, refused by the hub
// only: null for an optional field (cctv reads it as absent).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateManifest, validateSettings } from '@unibos/module-api';
import { parseCameras } from '../src/camera-config.ts';
import { SCENES } from '../src/sources/synthetic-source.ts';

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
/** The whole list, as the hub gets it (JSON) and as cctv reads it. */
const listsAgree = (cameras: unknown[], why: string): void => {
  let hub = true;
  let cctv = true;
  try {
    validateSettings(schema, { cameras });
  } catch {
    hub = false;
  }
  try {
    parseCameras(cameras);
  } catch {
    cctv = false;
  }
  assert.equal(hub, cctv, `${why}: ${JSON.stringify(cameras)} (hub ${hub}, cctv ${cctv})`);
};

test('the schema and camera-config take and refuse the same cameras', () => {
  const base = { id: 'yard', source: 'synthetic:walker' };
  const cases: Array<[string, unknown]> = [
    ['id and source only', base],
    ['everything', { ...base, name: 'Bahçe kapısı', width: 1280, height: 720, fps: 10, upload: true, zones: [{ name: 'Kapı', kind: 'include', points: [[0, 0], [1, 0], [1, 1]] }] }],
    ['a property cctv does not read', { ...base, note: 'on the pole' }],
    // null is a value (a JSON Infinity or NaN becomes one), not an absent field taking its default.
    ['a null width', { ...base, width: null }],
    ['a null frame rate', { ...base, fps: null }],
    ['a null name', { ...base, name: null }],
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
    ['a name of 60 emoji (120 UTF-16 units)', { ...base, name: '📷'.repeat(60) }],
    ['a name of 61 emoji', { ...base, name: '📷'.repeat(61) }],
    ['every synthetic scene cctv has', { ...base, source: 'synthetic:quiet' }],
    ['a synthetic scene cctv does not have', { ...base, source: 'synthetic:nosuch' }],
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

test('the schema names exactly the synthetic scenes cctv has', () => {
  for (const scene of Object.keys(SCENES)) agree({ id: 'demo', source: `synthetic:${scene}` }, scene);
  assert.ok(hubTakes({ id: 'demo', source: 'synthetic:walker' }));
});

test('zones: the schema and zones.ts take and refuse the same', () => {
  const base = { id: 'yard', source: '/dev/video0' };
  const tri = [[0, 0], [1, 0], [1, 1]];
  const zone = { name: 'Door', kind: 'include', points: tri };
  const cases: Array<[string, unknown]> = [
    ['a zone', zone],
    ['no kind (include)', { name: 'Door', points: tri }],
    ['exclude', { ...zone, kind: 'exclude' }],
    ['a kind cctv does not know', { ...zone, kind: 'ignore' }],
    ['kind null', { ...zone, kind: null }],
    ['a Turkish name', { ...zone, name: 'Bahçe kapısı' }],
    ['a name with a combining mark', { ...zone, name: 'Kapi\u0307' }],
    ['a name of 40 characters', { ...zone, name: 'z'.repeat(40) }],
    ['a name of 41 characters', { ...zone, name: 'z'.repeat(41) }],
    ['a name of 40 letters outside the BMP', { ...zone, name: '𝐀'.repeat(40) }],
    ['an empty name', { ...zone, name: '' }],
    ['no name', { kind: 'include', points: tri }],
    ['a name with a slash', { ...zone, name: 'a/b' }],
    ['a name with a line break', { ...zone, name: 'a\nb' }],
    ['a name ending in a line break', { ...zone, name: 'door\n' }],
    ['a name that is a number', { ...zone, name: 7 }],
    ['no points', { name: 'Door' }],
    ['two points', { ...zone, points: tri.slice(0, 2) }],
    ['64 points', { ...zone, points: Array.from({ length: 64 }, (_, i) => [i / 64, (i % 2) / 2]) }],
    ['65 points', { ...zone, points: Array.from({ length: 65 }, (_, i) => [i / 65, (i % 2) / 2]) }],
    ['a point past 1', { ...zone, points: [[0, 0], [1.01, 0], [1, 1]] }],
    ['a point below 0', { ...zone, points: [[0, -0.01], [1, 0], [1, 1]] }],
    ['a point of three numbers', { ...zone, points: [[0, 0, 0], [1, 0], [1, 1]] }],
    ['a point of one number', { ...zone, points: [[0], [1, 0], [1, 1]] }],
    ['a point as text', { ...zone, points: [['0', '0'], [1, 0], [1, 1]] }],
    ['a point as an object', { ...zone, points: [{ x: 0, y: 0 }, [1, 0], [1, 1]] }],
    ['a property cctv does not read', { ...zone, colour: 'red' }],
    ['a zone that is a list', [0, 0]],
    ['a zone that is text', 'Door'],
  ];
  for (const [why, z] of cases) agree({ ...base, zones: [z] }, `zone: ${why}`);
  agree({ ...base, zones: [] }, 'no zones');
  agree({ ...base, zones: {} }, 'zones that are an object');
  agree({ ...base, zones: [zone, { ...zone, name: 'x'.repeat(41) }] }, 'the second zone bad');
  assert.ok(hubTakes({ ...base, zones: [zone] }) && !hubTakes({ ...base, zones: [{ ...zone, kind: 'ignore' }] }), 'the cases hold both answers');
});

test('an ID used twice: refused by both, the hub naming the second camera and the ID', () => {
  const yard = { id: 'yard', source: '/dev/video0' };
  listsAgree([yard, { ...yard, source: '/dev/video1' }], 'the same ID twice');
  listsAgree([yard, { id: 'gate', source: '/dev/video1' }, { id: 'yard', source: 'synthetic:quiet' }], 'the first ID again, third');
  listsAgree([yard, { id: 'gate', source: '/dev/video1' }], 'two IDs');
  assert.throws(() => validateSettings(schema, { cameras: [yard, { id: 'gate', source: '/dev/video1' }, { ...yard, name: 'Yard again' }] }), {
    code: 'E_MODULE_SETTINGS',
    message: 'settings: cameras.2.id must be unique: "yard" is used twice',
  });
  assert.throws(() => parseCameras([yard, { ...yard }]), { code: 'E_CCTV_CONFIG', message: 'cameras[1].id: "yard" is used twice' });
});

test('the manifest, with its uniqueItemProperties, is a valid module manifest; the keyword given a wrong shape is not', () => {
  const r = validateManifest(manifest, 'modules/cctv/module.json');
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.problems));
  const bad = structuredClone(manifest);
  bad.settings.schema.properties.cameras.uniqueItemProperties = 'id';
  const refused = validateManifest(bad, 'module.json');
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.problems.map((p) => `${p.field}: ${p.message}`).join('\n'), /^settings\.schema: not a usable JSON Schema: .*uniqueItemProperties/m);
});

test("the hub fills in cctv's own defaults, so a camera means the same stored or not", () => {
  const [stored] = validateSettings(schema, { cameras: [{ id: 'yard', source: '/dev/video0' }] }).cameras as Array<Record<string, unknown>>;
  const [read] = parseCameras([{ id: 'yard', source: '/dev/video0' }]);
  assert.deepEqual(stored, { id: 'yard', source: '/dev/video0', width: read!.width, height: read!.height, fps: read!.fps, upload: read!.upload });
});

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
// Zones mostly valid or nearly so (one thing wrong), so the fuzz reaches the checks past the first.
const inside = fc.oneof(fc.constantFrom(0, 1, 0.5), fc.double({ min: 0, max: 1, noNaN: true }));
const point = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(inside, inside) },
  { weight: 1, arbitrary: fc.tuple(inside, fc.constantFrom(-0.01, 1.01, '0.5', null, Number.NaN)) },
  { weight: 1, arbitrary: fc.array(inside, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.anything() },
);
const zoneArb = fc.record(
  {
    name: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-zçğıöşüÇĞİÖŞÜ0-9 _.-]{0,42}$/) }, { weight: 1, arbitrary: fc.string({ maxLength: 45, unit: 'binary' }) }, { weight: 1, arbitrary: fc.integer() }),
    kind: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('include', 'exclude') }, { weight: 1, arbitrary: fc.constantFrom('both', null, 1) }),
    points: fc.oneof({ weight: 6, arbitrary: fc.array(point, { minLength: 3, maxLength: 8 }) }, { weight: 1, arbitrary: fc.array(point, { maxLength: 66 }) }, { weight: 1, arbitrary: fc.anything() }),
    extra: fc.anything(),
  },
  { requiredKeys: ['name', 'points'] },
);

test('any camera-shaped value: the hub and cctv agree (fuzz)', () => {
  const camera = fc.record(
    {
      id: maybe(fc.oneof(fc.stringMatching(/^[a-z0-9_-]{0,34}$/), fc.string())),
      name: maybe(fc.oneof(fc.string({ maxLength: 70 }), fc.integer())),
      source: maybe(fc.oneof(fc.constantFrom('/dev/video0', 'rtsp://192.0.2.1/s', 'http://x/v', 'file:/a.mp4', 'synthetic:walker', 'synthetic:', 'ftp://x', '/dev/videoX'), fc.string())),
      width: maybe(fc.oneof(fc.integer({ min: 0, max: 4000 }), fc.double(), fc.string())),
      height: maybe(fc.integer({ min: 0, max: 2200 })),
      fps: maybe(fc.integer({ min: -1, max: 40 })),
      upload: maybe(fc.oneof(fc.boolean(), fc.constant('true'))),
      zones: maybe(fc.oneof(fc.array(zoneArb, { maxLength: 3 }), fc.anything())),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(camera, (c) => {
      // As the hub gets it: JSON (fast-check's NaN, -0 and undefined as JSON has them).
      const clean = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))));
      agree(clean, 'generated');
    }),
    { numRuns: 500 },
  );
});

test('any list of cameras, IDs repeated or not: the hub and cctv agree (fuzz)', () => {
  const camera = fc.record({ id: fc.constantFrom('yard', 'gate', 'door', 'Yard'), source: fc.constantFrom('/dev/video0', 'synthetic:quiet') });
  fc.assert(
    fc.property(fc.array(camera, { maxLength: 5 }), (cameras) => listsAgree(cameras, 'generated')),
    { numRuns: 300 },
  );
});
