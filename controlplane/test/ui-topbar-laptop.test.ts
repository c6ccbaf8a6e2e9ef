// The top bar is one row on a 1280 px laptop, in Turkish (longer words) and English, with an open
// SOS counted on Alerts, the SOS bell and "notify me" showing: every screen's link, the bell, the
// account (shortened if it must be, the whole of it on hover), the language and sign out all
// visible on that row. A phone keeps its two short rows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { launch, openPage, signIn } from './support/ui-browser.ts';

interface Box { text: string; top: number; bottom: number; left: number; right: number; shown: boolean }

/**
 * What the top bar shows and where: each link's and each right-hand item's box. A script in a
 * string: tsx would wrap a function's inner functions in a helper the page does not have.
 */
async function topbar(page: Page): Promise<{ height: number; width: number; links: Box[]; right: Box[]; navClipped: boolean }> {
  return page.evaluate(`(() => {
    const bar = document.querySelector('header.topbar').getBoundingClientRect();
    const box = (e) => {
      const r = e.getBoundingClientRect();
      const s = getComputedStyle(e);
      return { text: (e.textContent || '').trim().slice(0, 30) || String(e.className), top: Math.round(r.top), bottom: Math.round(r.bottom), left: Math.round(r.left), right: Math.round(r.right), shown: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' };
    };
    const links = [...document.querySelectorAll('header.topbar nav a')].map(box);
    const right = [...document.querySelectorAll('header.topbar .topbar-right > *')].filter((e) => !e.hidden).map(box);
    const nav = document.querySelector('header.topbar nav');
    return { height: Math.round(bar.height), width: Math.round(bar.width), links, right, navClipped: nav.scrollWidth > nav.clientWidth + 1 };
  })()`);
}

test('the top bar is one row at 1280x800 in Turkish and English; two rows on a phone', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  // An organisation named as a real one is: longer than "Test org".
  const admin = await createAdminSession(hub, { orgName: 'Hatay AFAD Gönüllüleri' });
  const gw = await TestGateway.connect(hub, admin);
  let packetId = 4400;
  gw.mesh('!0a0b0c11', 'info', { longName: 'Clinic', shortName: 'CLI', hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh('!0a0b0c11', 'alert', { level: 'SOS', text: 'help', requestId: 6, position: { latitude: 46.52, longitude: 6.58, precisionBits: 32 } }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });

  for (const locale of ['tr-TR', 'en-GB'] as const) {
    await t.test(`${locale} at 1280x800`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { viewport: { width: 1280, height: 800 }, locale });
      t.after(() => context.close());
      // A browser not yet asked about notifications: "notify me of SOS" shows too.
      await page.addInitScript("Object.defineProperty(Notification, 'permission', { get() { return 'default'; } })");
      await signIn(page, hub, admin, '#/fleet');
      await page.locator('header .bell').waitFor();
      await page.locator('nav.nav .nav-badge:not([hidden])').waitFor();
      const bar = await topbar(page);
      const all = [...bar.links, ...bar.right];
      const describe = all.map((b) => `${b.text}@${b.top}-${b.bottom}[${b.left}-${b.right}]`).join(' | ');
      t.diagnostic(`${locale}: ${describe}`);
      assert.ok(bar.height <= 60, `one row: the bar is ${bar.height} px tall (${describe})`);
      assert.deepEqual(all.filter((b) => !b.shown).map((b) => b.text), [], 'everything in the bar shows');
      assert.equal(bar.navClipped, false, 'no screen link is cut off');
      assert.ok(all.every((b) => b.right <= bar.width && b.left >= 0), `nothing runs past the bar (${describe})`);
      // One row: every item shares the bar's middle line.
      const mid = bar.height / 2;
      assert.deepEqual(all.filter((b) => !(b.top <= mid && b.bottom >= mid)).map((b) => b.text), [], `all on one line (${describe})`);
      assert.deepEqual(problems, []);
    });
  }

  await t.test('tr-TR on a phone', async () => {
    const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/fleet');
    await page.locator('header .bell').waitFor();
    const bar = await topbar(page);
    // The phone layout: the account row, then the screens' row that scrolls sideways.
    const linkTop = Math.min(...bar.links.map((b) => b.top));
    const rightBottom = Math.max(...bar.right.filter((b) => b.shown).map((b) => b.bottom));
    assert.ok(linkTop >= rightBottom - 1, `the screens' row is under the account row (${linkTop} vs ${rightBottom})`);
    assert.equal(bar.navClipped, true, 'the screens scroll sideways on a phone');
    assert.deepEqual(problems, []);
  });
});
