// A long user name in the top bar ("Ayşe Yılmaz-Karaoğlu (admin of Kahramanmaraş AFAD)") is
// shortened cleanly: the person's name itself readable, the rest cut with an ellipsis, the whole
// name in its title, and every other control of the bar (the open alerts' count, the stream state,
// the SOS bell, the language, sign out) whole on screen. A 375 px phone and a 1366 px laptop, in
// English (its wider controls leave the name the least room) and Turkish.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitForEvent } from './support/hub-events.ts';
import { createNamedOwner } from './support/named-owner.ts';
import { startTestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-topbar-long-name');
const USER = 'Ayşe Yılmaz-Karaoğlu (admin of Kahramanmaraş AFAD)';
/** What must show whole: the person's name (the part in brackets may go). */
const PERSON = 'Ayşe Yılmaz-Karaoğlu';
const ORG = 'Kahramanmaraş AFAD Gönüllüleri';
const CASES = [
  { locale: 'en-GB', viewport: { width: 375, height: 812 } },
  { locale: 'tr-TR', viewport: { width: 375, height: 812 } },
  { locale: 'en-GB', viewport: { width: 1366, height: 800 } },
  { locale: 'tr-TR', viewport: { width: 1366, height: 800 } },
] as const;

interface Bar {
  /** How many of the name's first characters are drawn whole inside its box (not clipped, not under the ellipsis). */
  shownChars: number;
  nameBox: { left: number; right: number; top: number; bottom: number };
  lines: number;
  clipsCleanly: boolean;
  controls: Array<{ what: string; left: number; right: number; top: number; bottom: number }>;
}

/**
 * The user name as drawn and the bar's other controls. A script in a string: tsx would wrap a
 * function's inner functions in a helper the page does not have.
 */
async function bar(page: Page): Promise<Bar> {
  return page.evaluate(`(() => {
    const el = document.querySelector('header.topbar .who-user');
    const box = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    const text = el.firstChild;
    const lineHeight = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.2;
    // An ellipsis covers about the width of three dots: characters under it do not count.
    const dots = parseFloat(s.fontSize) * 0.9;
    let shownChars = 0;
    const range = document.createRange();
    for (let i = 0; i < text.length; i++) {
      range.setStart(text, i);
      range.setEnd(text, i + 1);
      const r = range.getBoundingClientRect();
      const lastLine = r.bottom > box.bottom - lineHeight + 1;
      const inside = r.left >= box.left - 0.5 && r.right <= box.right - (lastLine && el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1 ? dots : 0) + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
      if (!inside) break;
      shownChars = i + 1;
    }
    const cut = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
    const clipsCleanly = !cut || (s.overflow === 'hidden' || s.overflowX === 'hidden') && (s.textOverflow === 'ellipsis' || s.webkitLineClamp !== 'none');
    const controls = [...document.querySelectorAll('header.topbar .topbar-right > *:not(.who)')].filter((e) => !e.hidden && e.getBoundingClientRect().width > 0).map((e) => {
      const r = e.getBoundingClientRect();
      return { what: (e.getAttribute('aria-label') || e.textContent || e.className).trim().slice(0, 30), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    });
    return { shownChars, nameBox: { left: box.left, right: box.right, top: box.top, bottom: box.bottom }, lines: Math.round(box.height / lineHeight), clipsCleanly, controls };
  })()`);
}

test('a long user name is shortened cleanly in the top bar, its controls all on screen', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const admin = await createNamedOwner(hub, { name: USER, orgName: ORG });
  // An open SOS: on a phone the bar carries the open alerts' count too, the most it holds.
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!0a0b0c21', 'info', { longName: 'Clinic', shortName: 'CLI', hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: 6100 });
  gw.mesh('!0a0b0c21', 'alert', { level: 'SOS', text: 'help', requestId: 9, position: { latitude: 37.58, longitude: 36.93, precisionBits: 32 } }, { packetId: 6101 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });

  for (const c of CASES) {
    await t.test(`${c.locale} at ${c.viewport.width}x${c.viewport.height}`, async () => {
      const phone = c.viewport.width < 600;
      const { page, problems, context } = await openPage(browser, hub, { viewport: c.viewport, locale: c.locale, ...(phone ? { size: 'phone' as const } : {}) });
      t.after(() => context.close());
      // A browser not yet asked about notifications: the SOS bell shows too.
      await page.addInitScript("Object.defineProperty(Notification, 'permission', { get() { return 'default'; } })");
      await signIn(page, hub, admin, '#/fleet');
      await page.locator('header .bell').waitFor();
      await page.locator(phone ? 'header .topbar-alerts' : 'nav.nav .nav-badge:not([hidden])').waitFor();
      const b = await bar(page);
      const said = `${b.shownChars} characters shown ("${USER.slice(0, b.shownChars)}") in ${Math.round(b.nameBox.right - b.nameBox.left)} px, ${b.lines} line(s); ${b.controls.map((x) => `${x.what}[${Math.round(x.left)}-${Math.round(x.right)}]`).join(' ')}`;
      t.diagnostic(said);
      if (phone || c.locale === 'en-GB') await page.screenshot({ path: `${SHOTS}/topbar-${c.locale.slice(0, 2)}-${c.viewport.width}x${c.viewport.height}.png`, clip: { x: 0, y: 0, width: c.viewport.width, height: 140 } });

      // The full name on hover, on the name itself.
      await page.getByTitle(USER, { exact: true }).waitFor({ timeout: 5000 });
      await page.getByTitle(ORG, { exact: true }).waitFor({ timeout: 5000 });
      // The person's name readable, the rest cut with an ellipsis (not clipped mid-letter, not wrapped under the bar).
      assert.ok(b.shownChars >= PERSON.length, `the name "${PERSON}" shows whole: ${said}`);
      assert.ok(b.clipsCleanly, `the name is cut with an ellipsis: ${said}`);
      assert.ok(b.lines <= 2, `the name takes at most two lines: ${said}`);
      // Every control whole on screen, none over the name or another control.
      const width = c.viewport.width;
      assert.deepEqual(b.controls.filter((x) => x.left < -0.5 || x.right > width + 0.5).map((x) => x.what), [], `controls off screen: ${said}`);
      const boxes = [{ what: 'the name', ...b.nameBox }, ...b.controls];
      const clashes = boxes.flatMap((x, i) => boxes.slice(i + 1).filter((y) => x.left < y.right - 0.5 && y.left < x.right - 0.5 && x.top < y.bottom - 0.5 && y.top < x.bottom - 0.5).map((y) => `${x.what} / ${y.what}`));
      assert.deepEqual(clashes, [], `controls over each other or the name: ${said}`);
      await assertFitsWidth(page, 'the top bar');
      assert.deepEqual(problems, []);
    });
  }
});
