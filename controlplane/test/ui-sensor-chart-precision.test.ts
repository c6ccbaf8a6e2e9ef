// A sensor whose readings differ by less than a number's precision can show (1e16, then the next
// double, 1e16 + 2: both are valid readings the gateway and the hub take) must not hang the Sensors
// page, which charts the first sensor's first metric by itself for every admin who opens it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

test('readings a hair apart at 1e16 are charted, and the page keeps working', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  for (const value of ['10000000000000000', '10000000000000002']) {
    gw.sensor('0', 'count', value);
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === '0' && String(e.data.value) === String(Number(value)), { what: `the reading ${value}` });
  }
  const browser = await launch();
  t.after(() => browser.close());
  const { page, problems, context } = await openPage(browser, hub, { locale: 'en-GB' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/sensors');
  const chart = page.locator('.chart-box svg.line-chart');
  await chart.locator('.chart-dots circle').nth(1).waitFor();
  // The y axis has its labels, and the page still answers: another screen opens.
  assert.ok((await chart.locator('text').count()) > 2, 'the chart has its axis labels');
  await page.getByRole('link', { name: 'Fleet' }).first().click();
  await page.getByRole('heading', { name: 'Fleet' }).waitFor();
  assert.deepEqual(problems, []);
});
