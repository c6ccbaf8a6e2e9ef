// A sensor that reports every ten minutes, then nothing for hours (the hub was off), then again:
// its chart breaks the line across the silence instead of drawing readings nobody took, and
// keeps one line through readings at the usual interval.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

const MINUTE = 60_000;

test('the sensor chart breaks its line where the sensor was silent for hours', async (t) => {
  // The hub's clock, moved back while the readings of hours ago come in.
  let offset = 0;
  const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => Date.now() + offset });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  // Every 10 minutes from 5 hours ago for an hour; then 4 hours of nothing; then every 10 minutes up to now.
  const at = [...[0, 1, 2, 3, 4, 5, 6].map((i) => -300 + 10 * i), ...[-30, -20, -10, 0].map((m) => m)];
  for (const [i, minutes] of at.entries()) {
    offset = minutes * MINUTE;
    gw.sensor('river', 'level', String(1.2 + (i % 3) * 0.1));
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && Date.parse(String(e.data.time)) - Date.now() < minutes * MINUTE + MINUTE && Date.parse(String(e.data.time)) - Date.now() > minutes * MINUTE - MINUTE, { what: `the reading at ${minutes} min` });
  }
  offset = 0;

  const browser = await launch();
  t.after(() => browser.close());
  for (const locale of ['en-GB', 'tr-TR'] as const) {
    await t.test(locale, async () => {
      const { page, problems, context } = await openPage(browser, hub, { locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/sensors');
      const chart = page.locator('.chart-box svg.line-chart');
      await chart.locator('.chart-dots circle').nth(at.length - 1).waitFor();
      const d = (await chart.locator('path.chart-line').getAttribute('d')) ?? '';
      // Two pieces: M...L (7 readings) and M...L (4 readings).
      const pieces = d.split('M').filter(Boolean).map((piece) => piece.split('L').length);
      assert.deepEqual(pieces, [7, 4], `the line is cut at the silence: ${d}`);
      assert.deepEqual(problems, []);
    });
  }
});
