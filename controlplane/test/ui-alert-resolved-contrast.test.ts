// A resolved alert's card steps back from the open ones, and still reads: its level, its
// "Resolved" badge and its "Show on map" button keep WCAG AA contrast (4.5:1), measured from the
// colours the page computes (a see-through card faded them all to between 3.3 and 3.7:1), and axe
// finds no contrast fault on it. English and Turkish, phone and laptop; screenshots of each.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, axe, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-alert-resolved-contrast');
const NODE = '!4d5e6f08';

/**
 * Each of `selectors` inside the resolved card: its text colour against what is behind it, both as
 * they show (each ancestor's opacity blends them with the page's ground), and the ratio.
 * A script in a string: tsx would wrap the inner functions in a helper the page does not have.
 */
async function contrasts(page: Page, selectors: string[]): Promise<Array<{ what: string; ratio: number }>> {
  return page.evaluate(`(() => {
    const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
    const over = (top, a, under) => ({ r: top.r * a + under.r * (1 - a), g: top.g * a + under.g * (1 - a), b: top.b * a + under.b * (1 - a) });
    const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
    const opacityFrom = (e) => { let o = 1; for (let x = e; x; x = x.parentElement) o *= Number(getComputedStyle(x).opacity); return o; };
    const page = rgba(getComputedStyle(document.body).backgroundColor).a > 0 ? rgba(getComputedStyle(document.body).backgroundColor) : rgba(getComputedStyle(document.documentElement).backgroundColor);
    const card = document.querySelector('.alert-card--resolved article');
    return ${JSON.stringify(selectors)}.map((sel) => {
      const e = card.querySelector(sel);
      let bgEl = e;
      while (bgEl && rgba(getComputedStyle(bgEl).backgroundColor).a === 0) bgEl = bgEl.parentElement;
      const bgRaw = rgba(getComputedStyle(bgEl).backgroundColor);
      const bg = over(over(bgRaw, bgRaw.a, page), opacityFrom(bgEl), page);
      const fgRaw = rgba(getComputedStyle(e).color);
      const fg = over(over(fgRaw, fgRaw.a, bg), opacityFrom(e), page);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      return { what: sel + ' "' + e.textContent.trim().slice(0, 20) + '"', ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 };
    });
  })()`);
}

test("a resolved alert's level, badge and Show on map keep AA contrast", async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  let packetId = 900;
  gw.mesh(NODE, 'info', { longName: 'Farm', shortName: 'FARM', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(NODE, 'alert', { level: 'SOS', text: 'help at the barn', requestId: 1, position: { latitude: 46.53, longitude: 6.65, precisionBits: 32 } }, { packetId: packetId++ });
  const raised = await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised' && e.data.nodeId === NODE, { what: 'the SOS' });
  const resolved = await api(hub.url, admin, `/api/v1/alerts/${raised.data.id}/resolve`, { method: 'POST', body: {} });
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));

  const sizes = [
    { viewport: { width: 360, height: 740 }, locale: 'tr-TR', phone: true },
    { viewport: { width: 390, height: 844 }, locale: 'en-GB', phone: true },
    { viewport: { width: 1280, height: 800 }, locale: 'tr-TR', phone: false },
    { viewport: { width: 1440, height: 900 }, locale: 'en-GB', phone: false },
  ];
  for (const { viewport, locale, phone } of sizes) {
    await t.test(`${locale} at ${viewport.width}x${viewport.height}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, phone ? { size: 'phone', viewport, locale } : { viewport, locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/alerts');
      await page.locator('#alerts-filter').selectOption('');
      const card = page.locator('ul.alerts .alert-card--resolved article');
      await card.getByText(locale === 'tr-TR' ? 'Kapatıldı' : 'Resolved', { exact: true }).waitFor();
      await card.scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}/${locale}-${viewport.width}.png` });
      const measured = await contrasts(page, ['.alert-level', '.badge--resolved', '.button-link']);
      t.diagnostic(measured.map((m) => `${m.what}: ${m.ratio}:1`).join(' | '));
      assert.deepEqual(measured.filter((m) => m.ratio < 4.5), [], 'every one at least 4.5:1');
      const faults = (await axe(page)).filter((v) => v.id === 'color-contrast' && v.nodes.some((n) => /alert|badge|button-link/.test(n)));
      assert.deepEqual(faults, [], 'axe finds no contrast fault on the alert cards');
      assert.deepEqual(problems, []);
    });
  }
});
