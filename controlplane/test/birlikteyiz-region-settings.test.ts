// birlikteyiz's region settings on a real hub: a circle without a centre, or a polygon of fewer
// than 3 corners, alerted nobody, silently. Now the hub refuses them when they are saved, with a
// message naming what is missing, and keeps the settings it had.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startModuleHub } from './support/module-test-hub.ts';
import { api, createAdminSession } from './support/test-auth.ts';

test('region settings the module cannot use are refused when saved, naming the problem; usable ones are saved', async (t) => {
  const hub = await startModuleHub({});
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const put = (body: Record<string, unknown>) => api(hub, admin, '/api/v1/modules/birlikteyiz/settings', { method: 'PUT', body: { usgsUrl: '', emscUrl: '', afadUrl: '', kandilliUrl: '', ...body } });

  const noCentre = await put({ regionMode: 'radius', radiusKm: 80 });
  assert.equal(noCentre.status, 400);
  assert.equal(noCentre.body.code, 'E_MODULE_SETTINGS');
  assert.equal(noCentre.body.message, 'settings: centerLatitude is required when regionMode is "radius"; centerLongitude is required when regionMode is "radius"');

  const twoCorners = await put({ regionMode: 'polygon', polygon: [[37.0, 36.5], [38.0, 37.5]] });
  assert.equal(twoCorners.status, 400);
  assert.equal(twoCorners.body.message, 'settings: polygon must NOT have fewer than 3 items when regionMode is "polygon"');

  const circle = await put({ regionMode: 'radius', radiusKm: 80, centerLatitude: 37.58, centerLongitude: 36.93 });
  assert.equal(circle.status, 200);
  assert.equal(circle.body.settings.regionMode, 'radius');
  const polygon = await put({ regionMode: 'polygon', polygon: [[37.0, 36.5], [38.0, 36.5], [37.5, 37.5]] });
  assert.equal(polygon.status, 200);
  assert.equal(polygon.body.settings.polygon.length, 3);
});
