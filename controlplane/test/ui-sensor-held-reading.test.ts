// A reading a gateway held through an outage reaches the hub dated when it was taken, hours before
// readings another gateway already delivered. The Sensors page shown live must not take it for the
// latest: the table keeps the newer value and when it was seen, as the hub does.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { sensorGateway } from './support/sensor-gateway.ts';
import { startTestHub } from './support/test-hub.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const HOUR = 3_600_000;

test('a held, older reading arriving live does not replace the newer value on the Sensors page', { timeout: 120_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const now = () => Date.now();
  // Two gateways of the org in reach of the same tank sensor: one with its hub link up, one cut off.
  const up = await sensorGateway(t, hub, admin, now);
  let heldFor = 0;
  const cutOff = await sensorGateway(t, hub, admin, now, () => performance.now() + heldFor);
  await Promise.all([up.connect(), cutOff.connect()]);
  await cutOff.cutOff();

  // The cut-off gateway takes a reading of 5, and holds it two hours.
  const early = await cutOff.device('tank1');
  await early.publishAsync('unibos/v1/sensor/tank1/level', '5', { qos: 1 });
  heldFor = 2 * HOUR;
  // Meanwhile the other one delivers the tank's level now: 20.
  const late = await up.device('tank1');
  await late.publishAsync('unibos/v1/sensor/tank1/level', '20', { qos: 1 });
  const current = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1' && e.data.value === 20, { what: 'the current reading' });

  const browser = await launch();
  t.after(() => browser.close());
  const { page, context } = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/sensors');
  const chip = page.locator('tr[data-sensor-id="tank1"] .metric-chip');
  await chip.filter({ hasText: '20' }).waitFor();
  const seen = page.locator('tr[data-sensor-id="tank1"] .sensor-seen time');
  const seenBefore = await seen.getAttribute('datetime');
  assert.equal(seenBefore, current.data.time);

  // The link comes back: the held reading arrives, dated two hours ago.
  cutOff.link.restore();
  const held = await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'tank1' && e.data.value === 5, { afterId: current.id, what: 'the held reading' });
  assert.ok(Date.parse(held.data.time as string) < Date.parse(current.data.time as string) - HOUR, 'dated when it was taken, before the current one');
  // The page heard it (its chart counts two readings now) and still shows 20 as the value, seen as before.
  await page.getByText(/^2 readings; latest /).waitFor();
  assert.equal(await chip.count(), 1);
  assert.match(await chip.innerText(), /: 20$/, 'the table keeps the newer value');
  assert.equal(await seen.getAttribute('datetime'), seenBefore, 'last seen stays the newer reading');
  const api1 = (await api(hub, admin, '/api/v1/sensors')).body.items as Array<{ id: string; metrics: Array<{ value: number }> }>;
  assert.equal(api1.find((s) => s.id === 'tank1')!.metrics[0]!.value, 20, 'as the hub says');
});
