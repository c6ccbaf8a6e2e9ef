// A sensor reporting every few seconds has more readings in a period than the chart loads (the
// latest 2,000). The chart starts at the oldest reading it has, not with a blank stretch as if the
// sensor had been silent, and says that only the latest are drawn.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

test('a chart of more readings than it loads starts at the oldest it has and says only the latest are drawn', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.sensor('plug', 'power', '40');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'plug', { what: 'the first reading' });

  const browser = await launch();
  t.after(() => browser.close());
  for (const [locale, note] of [['en-GB', /Only the latest 2,000 are drawn, from .*: the period holds more\./], ['tr-TR', /Yalnızca son 2\.000 tanesi çiziliyor, .* itibarıyla: bu dönemde daha fazlası var\./]] as const) {
    await t.test(locale, async () => {
      const { page, context } = await openPage(browser, hub, { locale });
      t.after(() => context.close());
      // The hub's pages as a sensor every 5 s for days would give them: 500 a page, newest first, always more.
      const now = Date.now();
      await page.route((url) => url.pathname === '/api/v1/sensors/plug/readings', (route) => {
        const cursor = Number(new URL(route.request().url()).searchParams.get('cursor') ?? '0');
        const items = Array.from({ length: 500 }, (_, i) => ({ metric: 'power', value: 40 + ((cursor + i) % 7), time: new Date(now - (cursor + i) * 5_000).toISOString() }));
        return route.fulfill({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items, nextCursor: String(cursor + 500) }) });
      });
      await signIn(page, hub, admin, '#/sensors');
      const noteLine = page.locator('p.summary[aria-live="polite"]').filter({ hasText: note });
      await noteLine.first().waitFor().catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}\nthe note reads: ${await page.locator('p.summary[aria-live="polite"]').allTextContents()}`);
      });
      // The line begins at the chart's left edge: no blank hours before the oldest reading loaded.
      const { left, width, first } = await page.evaluate(() => {
        const chart = document.querySelector('.chart-box svg.line-chart');
        const f = chart?.querySelector('.chart-frame')?.getBoundingClientRect();
        // So many readings are drawn as a line: where it begins.
        const xs = [...(chart?.querySelectorAll('path.chart-line') ?? [])].map((c) => c.getBoundingClientRect().x);
        return { left: f?.x ?? 0, width: f?.width ?? 0, first: Math.min(...xs) };
      });
      assert.ok(first - left < width * 0.05, `the oldest reading drawn is at the left edge: ${Math.round(first - left)} px into ${Math.round(width)} px`);
    });
  }
});
