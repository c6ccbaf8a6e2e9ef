// The Sensors page as a reader sees it: the chart's value axis says what its numbers are in (the
// unit the readings came with, or the one a metric of that name has: "°C" for a temperature), and
// on a 360 px phone a sensor's values with long names or units are shown whole, not cut off at the
// edge of the card. Screenshots at 360x740 and 1280x800.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-sensor-unit-chips');
const PHONE = { width: 360, height: 740 };
const LAPTOP = { width: 1280, height: 800 };
/** A Zigbee2MQTT device as the gateway names it, with metrics no one shortened. */
const LONG_SENSOR = 'z2m:0x00158d0001a2b3c4';
const LONG_METRIC = 'particulate_matter_2_5_micrometer_hourly_average';

/** Charts `sensor`'s `metric` (`points` readings); the unit heading its value axis, and whether it stays clear of the axis's numbers and inside the chart. */
async function chartUnit(page: Page, sensor: string, metric: string, points: number): Promise<{ text: string | null; clear: boolean; inside: boolean; label: string }> {
  await page.locator('#chart-sensor').selectOption(sensor);
  await page.locator('#chart-metric').selectOption(metric);
  const chart = page.locator('.chart-box svg.line-chart');
  await page.waitForFunction((n) => document.querySelectorAll('.chart-box svg.line-chart .chart-dots circle').length === n, points);
  return chart.evaluate((svg) => {
    const unit = svg.querySelector('.chart-unit');
    const label = svg.getAttribute('aria-label') ?? '';
    if (!unit) return { text: null, clear: false, inside: false, label };
    const u = unit.getBoundingClientRect();
    const s = svg.getBoundingClientRect();
    const overlaps = [...svg.querySelectorAll('.chart-tick')].some((tick) => {
      const r = tick.getBoundingClientRect();
      return r.left < u.right && u.left < r.right && r.top < u.bottom && u.top < r.bottom;
    });
    return { text: unit.textContent, clear: !overlaps, inside: u.left >= s.left && u.right <= s.right && u.top >= s.top, label };
  });
}

test('the Sensors page: the unit on the chart, and every value whole on a 360 px phone', async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  // A bare number under a name the UI knows (°C), and a sensor that says its own unit.
  for (const v of ['21.5', '22.25', '21.75']) gw.sensor('garden', 'temperature', v);
  gw.sensor('garden', 'humidity', '64');
  for (const v of [12, 14]) gw.sensor(LONG_SENSOR, LONG_METRIC, JSON.stringify({ value: v, unit: 'µg/m³' }));
  gw.sensor(LONG_SENSOR, 'status', 'calibrating_after_firmware_update_v2.3.1');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.metric === 'status', { what: 'the last reading' });

  const browser = await launch();
  t.after(() => browser.close());

  for (const locale of ['en-GB', 'tr-TR'] as const) {
    await t.test(`${locale}: the chart's value axis shows the unit`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { viewport: LAPTOP, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/sensors');
      await page.locator('.chart-box svg.line-chart .chart-dots circle').first().waitFor();
      // A bare number, under a name the UI knows.
      const known = await chartUnit(page, 'garden', 'temperature', 3);
      assert.equal(known.text, '°C', 'a temperature without a unit of its own is in °C');
      assert.ok(known.clear && known.inside, `the unit is on the chart, clear of the axis numbers: ${JSON.stringify(known)}`);
      assert.match(known.label, /°C/, 'and in the chart\u2019s name for screen readers');
      await page.screenshot({ path: join(SHOTS, `sensors-${locale}-1280x800.png`), fullPage: true });

      // A sensor's own unit.
      const own = await chartUnit(page, LONG_SENSOR, LONG_METRIC, 2);
      assert.equal(own.text, 'µg/m³');
      assert.ok(own.clear && own.inside, JSON.stringify(own));
      assert.deepEqual(problems, []);
    });

    await t.test(`${locale}: at 360x740 no metric chip is cut off`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: 'phone', viewport: PHONE, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/sensors');
      const chips = page.locator('.sensors-table .metric-chip');
      await page.locator(`tr[data-sensor-id="${LONG_SENSOR}"] .metric-chip`).nth(1).waitFor();
      await page.locator('.chart-box svg.line-chart .chart-dots circle').first().waitFor();
      await assertFitsWidth(page, 'the sensors screen');
      const boxes = await chips.evaluateAll((els) =>
        els.map((el) => {
          const r = el.getBoundingClientRect();
          const cell = (el.closest('td') as HTMLElement).getBoundingClientRect();
          const wrap = el.closest('.table-wrap') as HTMLElement;
          return { text: (el as HTMLElement).innerText, title: el.getAttribute('title'), left: r.left, right: r.right, cellRight: cell.right, scroll: el.scrollWidth, client: el.clientWidth, wrapScroll: wrap.scrollWidth, wrapClient: wrap.clientWidth };
        }),
      );
      assert.equal(boxes.length, 4);
      for (const b of boxes) {
        assert.ok(b.scroll <= b.client + 1, `"${b.text}" fits its chip: ${b.scroll} px of text in ${b.client} px`);
        assert.ok(b.left >= 0 && b.right <= PHONE.width, `"${b.text}" is on screen: ${Math.round(b.left)}..${Math.round(b.right)} px`);
        assert.ok(b.right <= b.cellRight + 1, `"${b.text}" stays inside its card: ends at ${Math.round(b.right)} px, the card at ${Math.round(b.cellRight)} px`);
        assert.ok(b.wrapScroll <= b.wrapClient + 1, `no sideways scrolling in the table: ${b.wrapScroll} px in ${b.wrapClient} px`);
      }
      // Whole, not shortened: the long metric's name and its value with its unit are all there.
      const long = boxes.find((b) => b.text.replace(/\s+/g, '').includes(LONG_METRIC));
      assert.ok(long, `the long metric is shown whole: ${boxes.map((b) => b.text).join(' | ')}`);
      assert.match(long.text, /14\s*µg\/m³/);
      assert.equal(long.title, LONG_METRIC, 'its id on hover');
      await page.screenshot({ path: join(SHOTS, `sensors-${locale}-360x740.png`), fullPage: true });
      assert.deepEqual(problems, []);
    });
  }
});
