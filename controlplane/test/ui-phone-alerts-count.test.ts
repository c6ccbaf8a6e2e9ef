// On a phone the screens' row scrolls sideways and the Alerts screen is far along it: an operator
// still sees at a glance, on every screen, that alerts are open and how many, and gets to them with
// one tap. On a laptop the count stays on the Alerts link in the one-row top bar.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { artifactsDir, assertFitsWidth, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

const SHOTS = artifactsDir('ui-phone-alerts-count');
const CALLER = '!3c4d5e2a';

/** Links to the Alerts screen that show `count` and lie wholly on screen: inside the window and
 * inside every box that scrolls or clips them (the sideways-scrolling row of screens). */
async function visibleAlertCounts(page: Page, count: string): Promise<string[]> {
  return page.evaluate((n) => {
    const shown: string[] = [];
    for (const link of document.querySelectorAll('a[href="#/alerts"]')) {
      if (!(link.textContent ?? '').includes(n)) continue;
      const r = link.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      let inside = r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight;
      for (let p = link.parentElement; p && inside; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
        const b = p.getBoundingClientRect();
        inside = r.left >= b.left - 0.5 && r.right <= b.right + 0.5 && r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5;
      }
      if (inside) shown.push(`${link.getAttribute('aria-label') ?? ''}|${(link.textContent ?? '').trim()}`);
    }
    return shown;
  }, count);
}

test('an open alert’s count is on screen on a phone, whichever screen is shown', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  t.after(() => hub.stop());
  let packetId = 2600;
  gw.mesh(CALLER, 'info', { longName: 'Clinic', shortName: 'CLN', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: packetId++ });
  gw.mesh(CALLER, 'position', { latitude: 46.5323, longitude: 6.6519 }, { packetId: packetId++ });
  gw.mesh(CALLER, 'alert', { level: 'SOS', text: 'SOS' }, { packetId: packetId++ });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });

  for (const [locale, name] of [
    ['en-GB', '1 open alert'],
    ['tr-TR', '1 açık uyarı'],
  ] as const) {
    await t.test(`phone, ${locale}`, async () => {
      const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, '#/feed');
      for (const screen of ['feed', 'map', 'fleet', 'sensors', 'modules']) {
        await page.evaluate((v) => (location.hash = `#/${v}`), screen);
        await page.locator(`a[href="#/${screen}"][aria-current="page"]`).waitFor();
        await page.locator('a[href="#/alerts"] .nav-badge:not([hidden])').waitFor({ state: 'attached' });
        const shown = await visibleAlertCounts(page, '1');
        assert.ok(shown.length > 0, `on the ${screen} screen the open alerts' count is on screen without scrolling the row of screens`);
        await assertFitsWidth(page, `the ${screen} screen`);
      }
      const chip = page.getByRole('link', { name });
      assert.ok(await chip.isVisible(), `the count is named for screen readers ("${name}")`);
      await page.screenshot({ path: join(SHOTS, `phone-${locale}.png`) });
      await chip.click();
      await page.locator('a[href="#/alerts"][aria-current="page"]').waitFor();
      assert.deepEqual(problems, []);
    });
  }

  await t.test('laptop: the count stays on the Alerts link, the top bar one row', async () => {
    const { page, problems, context } = await openPage(browser, hub, { viewport: { width: 1366, height: 800 } });
    t.after(() => context.close());
    await signIn(page, hub, admin, '#/feed');
    await page.locator('a[href="#/alerts"] .nav-badge:not([hidden])').waitFor();
    assert.equal(await page.getByRole('link', { name: '1 open alert' }).isVisible(), false, 'no second count in the laptop top bar');
    assert.ok((await visibleAlertCounts(page, '1')).length > 0, 'the Alerts link shows its count');
    const height = await page.locator('header.topbar').evaluate((e) => e.getBoundingClientRect().height);
    assert.ok(height <= 60, `the top bar is one row (${height} px)`);
    assert.deepEqual(problems, []);
  });
});
