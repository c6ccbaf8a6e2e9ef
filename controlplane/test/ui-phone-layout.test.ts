// The admin UI on a phone (375x812), in English and Turkish, as a user would notice it: a compact
// header that still says which org and user are signed in, a sensors table whose every button is
// on screen without sideways scrolling, a chart whose labels are readable, labels on the same line
// as their control, the "heard, unclaimed" badge next to its value, tap targets of at least 24 px,
// and a chart time axis that covers the chosen period with distinct labels and points in time order.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-phone-layout');
const ORG = 'Hatay Arama Kurtarma Koordinasyon Merkezi';
const NODES = [
  { id: '!3c4d5e01', name: 'Defne Çadırkent', lat: 36.1905, lon: 36.1402 },
  { id: '!3c4d5e02', name: 'Kırıkhan Toplanma Alanı Güney Kapısı Röle Noktası', lat: 36.215, lon: 36.175 },
];

async function showView(page: Page, id: string): Promise<void> {
  await page.evaluate((v) => (location.hash = `#/${v}`), id);
  await page.locator(`a[href="#/${id}"][aria-current="page"]`).waitFor();
}

type Box = { x: number; y: number; width: number; height: number };
async function box(page: Page, selector: string): Promise<Box> {
  const b = await page.locator(selector).first().boundingBox();
  assert.ok(b, `${selector} is on the page`);
  return b;
}
/** Two boxes share a line: their vertical extents overlap by most of the smaller one. */
function sameLine(a: Box, b: Box): boolean {
  const overlap = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return overlap >= Math.min(a.height, b.height) * 0.6;
}

test('the admin UI on a phone', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots: ${SHOTS}`);
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub, { orgName: ORG });
  const gw = await TestGateway.connect(hub, admin);
  const GW = `!${gw.id}`;
  let packetId = 7000;
  gw.mesh(GW, 'info', { longName: 'Antakya Hub Gateway', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: packetId++, snr: 9 });
  gw.mesh(GW, 'position', { latitude: 36.2021, longitude: 36.1601 }, { packetId: packetId++, snr: 9 });
  for (const n of NODES) {
    gw.mesh(n.id, 'info', { longName: n.name, shortName: n.name.slice(0, 4), hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: packetId++, snr: 3 });
    gw.mesh(n.id, 'position', { latitude: n.lat, longitude: n.lon }, { packetId: packetId++, snr: 3 });
  }
  for (const v of ['1.20', '1.35', '1.60', '1.95']) gw.sensor('asi-river-gauge-kirikhan', 'level', JSON.stringify({ value: Number(v), unit: 'm' }));
  gw.sensor('camp-weather', 'temperature', '21.2');
  gw.sensor('camp-weather', 'humidity', '71');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.metric === 'humidity', { what: 'the humidity reading' });
  gw.mesh(NODES[1]!.id, 'alert', { level: 'SOS', text: 'Enkaz altında 2 kişi', requestId: 11, position: { latitude: NODES[1]!.lat, longitude: NODES[1]!.lon, precisionBits: 32 } }, { packetId: packetId++, snr: -3, hops: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type.startsWith('alert'), { what: 'the SOS' });

  for (const locale of ['en-GB', 'tr-TR']) {
    await t.test(`${locale}: header, sensors, fleet and tap targets fit a phone`, async () => {
      const { context, page, problems } = await openPage(browser, hub, { size: 'phone', locale });
      const fails: string[] = [];
      const check = (ok: unknown, msg: string) => void (ok || fails.push(msg));
      try {
        await signIn(page, hub, admin, '#/sensors');
        const tag = locale.slice(0, 2);

        // Header: compact, the navigation on one line, and who is signed in on screen.
        const header = await box(page, 'header.topbar');
        check(header.height <= 100, `the header is ${header.height} px tall`);
        const linkTops = await page.locator('nav.nav a').evaluateAll((as) => as.map((a) => Math.round(a.getBoundingClientRect().top)));
        check(new Set(linkTops).size === 1, `the navigation is one row, not rows at ${[...new Set(linkTops)].join(', ')}`);
        const org = page.locator('header').getByText(ORG);
        check(await org.isVisible(), 'the org name is shown on a phone');
        const orgBox = await org.boundingBox();
        check(orgBox && orgBox.x >= 0 && orgBox.x < 375 && orgBox.width > 40, `the org name is on screen: ${JSON.stringify(orgBox)}`);
        const user = page.locator('header .who-user');
        check((await user.isVisible()) && /\S/.test(await user.innerText()), 'the signed-in user is shown on a phone');
        // The current screen's link is on screen (the navigation scrolls to it).
        const current = await box(page, 'nav.nav a[aria-current="page"]');
        check(current.x >= 0 && current.x + current.width <= 376, `the current screen's link is on screen: ${JSON.stringify(current)}`);

        // Sensors: every row's button on screen, no sideways scrolling inside the table.
        await page.locator('table.sensors-table tbody tr').nth(1).waitFor();
        await page.locator('svg.line-chart circle').first().waitFor();
        await assertFitsWidth(page, 'the sensors screen');
        const wrap = await page.locator('table.sensors-table').evaluate((tbl) => {
          const w = tbl.closest('.table-wrap') as HTMLElement;
          return { scroll: w.scrollWidth, client: w.clientWidth };
        });
        check(wrap.scroll <= wrap.client + 1, `the sensors table is ${wrap.scroll} px wide in a ${wrap.client} px box`);
        for (const b of await page.locator('table.sensors-table button').all()) {
          const bb = await b.boundingBox();
          check(bb && bb.x >= 0 && bb.x + bb.width <= 375, `a Chart button is on screen: ${JSON.stringify(bb)}`);
          check(bb && bb.height >= 24, `the Chart button is ${bb?.height} px tall`);
        }
        // The chart: readable labels and a usable height.
        const ticks = await page.locator('svg.line-chart .chart-tick').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
        check(ticks.length > 0 && Math.min(...ticks) >= 10, `axis labels are ${Math.min(...ticks).toFixed(1)} px tall`);
        // Numbers on the chart in the language's own way: "1,5" in Turkish, "1.5" in English (the axis and the points' titles).
        const values = await page.locator('svg.line-chart .chart-grid .chart-tick:not(.chart-xtick), svg.line-chart circle title').allTextContents();
        const foreign = values.filter((v) => (tag === 'tr' ? /\d\.\d/ : /\d,\d/).test(v.replace(/^.*: /, '')));
        check(values.some((v) => /\d[.,]\d/.test(v)) && foreign.length === 0, `chart numbers written the ${tag} way: ${foreign.join(' | ') || values.join(' | ')}`);
        const chart = await box(page, 'svg.line-chart');
        check(chart.height >= 160, `the chart is ${chart.height} px tall`);
        // Each label on the same line as its dropdown.
        for (const id of ['chart-sensor', 'chart-metric', 'chart-period']) {
          check(sameLine(await box(page, `label[for="${id}"]`), await box(page, `#${id}`)), `the label of #${id} is on the line of its dropdown`);
        }
        await page.screenshot({ path: join(SHOTS, `sensors-${tag}.png`), fullPage: true });

        // Fleet: the Status label with its dropdown, the badge next to the kind.
        await showView(page, 'fleet');
        await page.locator('table.fleet-table .badge--heard').first().waitFor();
        check(sameLine(await box(page, 'label[for="fleet-status"]'), await box(page, '#fleet-status')), 'the Status label is on the line of its dropdown');
        check(sameLine(await box(page, 'label[for="fleet-search"]'), await box(page, '#fleet-search')), 'the Search label is on the line of its field');
        const kind = page.locator('table.fleet-table tr', { has: page.locator('.badge--heard') }).first().locator('td').nth(1);
        // Not functions declared inside: tsx would wrap them in a helper the page does not have.
        const { badge, value } = await kind.evaluate((td) => {
          const text = document.createTreeWalker(td, NodeFilter.SHOW_TEXT).nextNode();
          const range = document.createRange();
          range.selectNodeContents(text!);
          const v = range.getBoundingClientRect();
          const b = td.querySelector('.badge--heard')!.getBoundingClientRect();
          return { badge: { x: b.x, y: b.y }, value: { x: v.x, y: v.y, right: v.right } };
        });
        // Right of the value's text, or (a long Turkish badge) under it in the value's column; not under the label.
        check(badge.x > value.right || (badge.x >= value.x - 1 && badge.y > value.y), `the badge (x=${badge.x}) is in the value column (text at x=${value.x}), not under the label column`);
        const sos = await box(page, 'table.fleet-table .sos-tag');
        check(sos.height >= 24, `the SOS tag is ${sos.height} px tall`);
        // One stop for the keyboard: the node's name is the row's link; the SOS tag beside it is not another to the same place.
        const sosRowLinks = await page.locator('table.fleet-table tr.has-sos th a').count();
        check(sosRowLinks === 1, `the SOS row's name cell has ${sosRowLinks} links`);
        await page.screenshot({ path: join(SHOTS, `fleet-${tag}.png`) });

        // Live feed: the pinned SOS links are tap targets.
        await showView(page, 'feed');
        for (const a of await page.locator('.feed-pin a').all()) {
          const bb = await a.boundingBox();
          check(bb && bb.height >= 24, `a pinned SOS link is ${bb?.height} px tall`);
        }

        // Send: the Text / Alert radio buttons.
        await showView(page, 'send');
        for (const id of ['send-kind-text', 'send-kind-alert']) {
          const bb = await box(page, `#${id}`);
          check(bb.height >= 24 && bb.width >= 24, `#${id} is ${bb.width}x${bb.height} px`);
        }
        // Map: the attribution does not cover the scale bar.
        await showView(page, 'map');
        await page.locator('.leaflet-control-scale').waitFor();
        const scale = await box(page, '.leaflet-control-scale');
        const attribution = await box(page, '.leaflet-control-attribution');
        const overlaps = scale.x < attribution.x + attribution.width && attribution.x < scale.x + scale.width && scale.y < attribution.y + attribution.height && attribution.y < scale.y + scale.height;
        check(!overlaps, `the map attribution ${JSON.stringify(attribution)} covers the scale bar ${JSON.stringify(scale)}`);
        check(attribution.height <= 20, `the map attribution is one line, not ${attribution.height} px`);

        // Module settings: a checkbox next to its label, not large and centred under it.
        await showView(page, 'modules');
        const checkbox = page.locator('form.module-settings input[type="checkbox"]').first();
        await page.locator('.module-settings-box').first().evaluate((d) => ((d as HTMLDetailsElement).open = true));
        await checkbox.waitFor();
        const id = await checkbox.getAttribute('id');
        const cb = await box(page, `#${id}`);
        const cbLabel = await box(page, `label[for="${id}"]`);
        check(sameLine(cb, cbLabel), `the checkbox ${JSON.stringify(cb)} is on the line of its label ${JSON.stringify(cbLabel)}`);
        check(cb.width <= 32 && cb.height <= 32, `the checkbox is ${cb.width}x${cb.height} px`);

        await showView(page, 'fleet');
        await page.screenshot({ path: join(SHOTS, `header-${tag}.png`) });
        assert.deepEqual(fails, [], 'what a phone user would notice');
        assert.deepEqual(problems, []);
      } finally {
        await context.close();
      }
    });
  }

  await t.test('the chart time axis covers the chosen period, with distinct labels and points in time order', async () => {
    const { context, page, problems } = await openPage(browser, hub, { size: 'laptop' });
    const fails: string[] = [];
    const check = (ok: unknown, msg: string) => void (ok || fails.push(msg));
    try {
      await signIn(page, hub, admin, '#/sensors');
      await page.locator('#chart-period').selectOption('86400000');
      // The chart drawn for the period picked, not the one fitted to the readings before it (which
      // spreads a few minutes of readings over its width): its name ends with the period.
      await page.locator('svg.line-chart[aria-label$=", last 24 hours"] circle').nth(3).waitFor();
      // Read in one go: a live reading redraws the chart, and a frame measured before a redraw and
      // labels after it would not belong together.
      const { frame, labels, dots } = await page.evaluate(() => {
        const chart = document.querySelector('svg.line-chart');
        const f = chart?.querySelector('.chart-frame')?.getBoundingClientRect();
        if (!chart || !f) return { frame: null, labels: [], dots: [] };
        return {
          frame: { x: f.x, y: f.y, width: f.width, height: f.height },
          labels: [...chart.querySelectorAll('.chart-tick')].filter((e) => e.getBoundingClientRect().top >= f.y + f.height - 1).map((e) => e.textContent ?? ''),
          dots: [...chart.querySelectorAll('circle')].map((c) => c.getBoundingClientRect().x),
        };
      });
      assert.ok(frame, 'the chart has its frame');
      check(labels.length >= 3, `the time axis has labels: ${labels.join(' | ')}`);
      check(new Set(labels).size === labels.length, `the time axis labels differ: ${labels.join(' | ')}`);
      // The axis spans the 24 hours: readings of the last minute are at its right end.
      check(Math.min(...dots) > frame.x + frame.width * 0.9, 'readings of the last minute are drawn at the right end of a 24-hour axis');

      // Points given out of order are drawn in time order.
      const xs = await page.evaluate(async () => {
        const { lineChart } = await import('/js/line-chart.js' as string);
        const now = Date.now();
        const chart = lineChart(
          [
            { time: now - 60_000, value: 1 },
            { time: now - 3 * 60_000, value: 3 },
            { time: now - 2 * 60_000, value: 2 },
          ],
          { label: 'test', from: now - 3_600_000, to: now },
        ) as SVGSVGElement;
        const d = chart.querySelector('.chart-line')!.getAttribute('d')!;
        const f = chart.querySelector('.chart-frame')!;
        const bottom = Number(f.getAttribute('y')) + Number(f.getAttribute('height'));
        const labels = [...chart.querySelectorAll('text')].filter((e) => Number(e.getAttribute('y')) > bottom).map((e) => e.textContent);
        return { xs: [...d.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1])), labels };
      });
      check(JSON.stringify([...xs.xs].sort((a, b) => a - b)) === JSON.stringify(xs.xs), `the line goes left to right: ${xs.xs.join(', ')}`);
      check(new Set(xs.labels).size === xs.labels.length, `labels differ: ${xs.labels.join(' | ')}`);
      await page.screenshot({ path: join(SHOTS, 'sensors-laptop.png'), fullPage: true });
      assert.deepEqual(fails, [], 'the time axis');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
