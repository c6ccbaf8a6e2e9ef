// A sensor heard for the last few minutes: its chart opens on the shortest period that holds its
// readings and spreads them across the chart, instead of squashing them into a vertical line at
// the right edge of a 24-hour axis. A period the operator picks is kept as picked.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-sensor-period-fit');
const MINUTE = 60_000;
const AT = [-12, -10, -8, -6, -4, -2];

/** The chart's frame and its dots' x, read in one go (a live reading redraws the chart). */
async function dots(page: Page): Promise<{ left: number; width: number; xs: number[] }> {
  return page.evaluate(() => {
    const chart = document.querySelector('.chart-box svg.line-chart');
    const f = chart?.querySelector('.chart-frame')?.getBoundingClientRect();
    const xs = [...(chart?.querySelectorAll('.chart-dots circle') ?? [])].map((c) => c.getBoundingClientRect().x);
    return { left: f?.x ?? 0, width: f?.width ?? 0, xs };
  });
}

test('a fresh sensor’s chart spreads its readings over the chart', async (t) => {
  let offset = 0;
  const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => Date.now() + offset });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  for (const [i, minutes] of AT.entries()) {
    offset = minutes * MINUTE;
    gw.sensor('demo-weather', 'humidity', String(71 + i));
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.value === 71 + i, { what: `the reading at ${minutes} min` });
  }
  offset = 0;

  const browser = await launch();
  t.after(() => browser.close());
  for (const [locale, size, hour] of [
    ['en-GB', 'laptop', 'Last hour'],
    ['tr-TR', 'phone', 'Son bir saat'],
  ] as const) {
    await t.test(`${locale} (${size})`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/sensors');
      await page.locator('.chart-box svg.line-chart .chart-dots circle').nth(AT.length - 1).waitFor();
      const opened = await dots(page);
      const spread = Math.max(...opened.xs) - Math.min(...opened.xs);
      assert.ok(spread > opened.width * 0.6, `twelve minutes of readings cover most of the ${Math.round(opened.width)} px chart, not ${Math.round(spread)} px of it`);
      assert.equal(await page.locator('#chart-period option:checked').textContent(), hour, 'the period shown is the shortest that holds the readings');
      await page.screenshot({ path: join(SHOTS, `fresh-${locale}-${size}.png`), fullPage: true });

      // Picked by the operator, 24 hours is 24 hours: the readings of the last minutes at its right end.
      await page.locator('#chart-period').selectOption('86400000');
      await page.waitForFunction(() => (document.querySelector('.chart-box svg.line-chart')?.getAttribute('aria-label') ?? '').includes('24'));
      const day = await dots(page);
      assert.equal(day.xs.length, AT.length);
      assert.ok(Math.min(...day.xs) > day.left + day.width * 0.9, 'on the picked 24-hour axis the readings sit at its right end');
      assert.deepEqual(problems, []);
    });
  }
});
