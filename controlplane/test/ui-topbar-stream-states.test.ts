// The top bar in every state of the live stream (live, reconnecting, paused for too many tabs or a
// busy hub), in English and Turkish. On a 360 and 390 px phone the account (organisation and user)
// stays readable beside what the stream says, and what it says is shown whole; on a laptop or
// desktop from 1280 to 1920 px the bar is one row (every link and control sharing one line).
// Screenshots at 360x740, 390x844, 1280x800 and 1440x900.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createAdminSession, type TestSession } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { TestGateway } from './support/test-gateway.ts';
import { artifactsDir, assertFitsWidth, launch, openPage } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-topbar-stream-states');

/** How the hub answers this page's stream: as it does, or refusing every try with a close code. */
const STATES = {
  live: null,
  reconnecting: 1011,
  'too-many-tabs': 4029,
  'hub-busy': 1013,
} as const;
type StateName = keyof typeof STATES;

interface Box { what: string; top: number; bottom: number; left: number; right: number; width: number; height: number; lineHeight: number }

/** Each item of the bar: its links, the right-hand items, and the account's two names and the stream's words. */
async function bar(page: Page): Promise<{ width: number; links: Box[]; right: Box[]; org: Box; user: Box; status: Box }> {
  return page.evaluate(`(() => {
    const box = (e, what) => {
      const r = e.getBoundingClientRect();
      return { what: what || (e.textContent || '').trim().slice(0, 30) || String(e.className), top: Math.round(r.top), bottom: Math.round(r.bottom), left: Math.round(r.left), right: Math.round(r.right), width: Math.round(r.width), height: Math.round(r.height), lineHeight: parseFloat(getComputedStyle(e).lineHeight) || 16 };
    };
    const q = (s) => document.querySelector(s);
    return {
      width: window.innerWidth,
      links: [...document.querySelectorAll('header.topbar nav a')].map((e) => box(e)),
      right: [...document.querySelectorAll('header.topbar .topbar-right > *')].filter((e) => !e.hidden && e.getBoundingClientRect().width > 0).map((e) => box(e)),
      org: box(q('header.topbar .who-org'), 'org'),
      user: box(q('header.topbar .who-user'), 'user'),
      status: box(q('header.topbar .live-status .live-text'), 'status'),
    };
  })()`);
}

/** Signs in by hand (the stream may never be live) with the hub's stream answered as `state` says. */
async function openIn(browser: Browser, hub: TestHub, admin: TestSession, state: StateName, locale: string, viewport: { width: number; height: number }, phone: boolean): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const { page, problems, context } = await openPage(browser, hub, phone ? { size: 'phone', viewport, locale } : { viewport, locale });
  // A browser not yet asked about notifications: "notify me of SOS" shows too.
  await page.addInitScript("Object.defineProperty(Notification, 'permission', { get() { return 'default'; } })");
  const code = STATES[state];
  if (code !== null) await page.routeWebSocket(/\/ws\b/, (ws) => ws.close({ code, reason: 'refused by the test' }));
  await page.goto(`${hub.url}/#/feed`);
  await page.getByLabel(/^(Email|E-posta)$/).fill(admin.email);
  await page.getByLabel(/^(Password|Parola)$/).fill(admin.password);
  await page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ }).click();
  if (state === 'live') await page.locator('header .live-status[data-state="live"]').waitFor();
  else if (state === 'reconnecting') await page.locator('header .live-status[data-state="reconnecting"]:not([data-reason])').waitFor();
  else await page.locator(`header .live-status[data-reason="${state === 'too-many-tabs' ? 'too-many-streams' : 'hub-full'}"]`).waitFor();
  await page.locator('header .bell').waitFor();
  await page.locator(phone ? 'header .topbar-alerts:not([hidden])' : 'nav.nav .nav-badge:not([hidden])').waitFor();
  return { page, problems, close: () => context.close() };
}

test('the top bar stays readable on a phone and one row on a laptop, whatever the live stream says', { timeout: 300_000 }, async (t) => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  // An organisation named as a real one is; the user's name is the (long) email.
  const admin = await createAdminSession(hub, { orgName: 'Hatay AFAD Gönüllüleri' });
  // An open SOS: counted in the phone's bar and on the laptop's Alerts link.
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!0a0b0c11', 'info', { longName: 'Clinic', shortName: 'CLI', hwModel: 'RAK4631', role: 'CLIENT' }, { packetId: 4400 });
  gw.mesh('!0a0b0c11', 'alert', { level: 'SOS', text: 'help', requestId: 6, position: { latitude: 46.52, longitude: 6.58, precisionBits: 32 } }, { packetId: 4401 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });
  const browser = await launch();
  t.after(() => browser.close());

  for (const viewport of [{ width: 360, height: 740 }, { width: 390, height: 844 }]) {
    for (const locale of ['en-GB', 'tr-TR']) {
      for (const state of Object.keys(STATES) as StateName[]) {
        await t.test(`phone ${viewport.width} px, ${locale}, ${state}`, async () => {
          const { page, problems, close } = await openIn(browser, hub, admin, state, locale, viewport, true);
          const b = await bar(page);
          const describe = [b.org, b.user, b.status, ...b.right].map((x) => `${x.what}@${x.left}-${x.right}/${x.top}-${x.bottom}`).join(' | ');
          await page.screenshot({ path: `${SHOTS}/phone-${viewport.width}-${locale}-${state}.png` });
          // The account: a few letters of each name at least, the organisation on one line, the
          // user on at most two (never a letter a line).
          for (const name of [b.org, b.user]) assert.ok(name.width >= 60, `${name.what} is readable: ${name.width} px wide (${describe})`);
          assert.ok(b.org.height <= b.org.lineHeight * 1.5, `the organisation on one line: ${b.org.height} px tall (${describe})`);
          assert.ok(b.user.height <= b.user.lineHeight * 2.5, `the user on at most two lines: ${b.user.height} px tall (${describe})`);
          // What the stream says: whole, on the screen (its words not cut to a sliver).
          const words = await page.locator('header .live-status .live-text').evaluate((e) => ({ clipped: e.scrollWidth > e.clientWidth + 1, shown: getComputedStyle(e).clip === 'auto' }));
          assert.ok(words.shown && !words.clipped && b.status.width > 20, `the stream's words show whole (${describe})`);
          for (const x of [b.org, b.user, b.status, ...b.right]) assert.ok(x.left >= 0 && x.right <= b.width, `${x.what} is on the screen (${describe})`);
          await assertFitsWidth(page, `${viewport.width} px, ${locale}, ${state}`);
          assert.deepEqual(problems.filter((p) => !/WebSocket/.test(p)), []);
          await close();
        });
      }
    }
  }

  for (const width of [1280, 1366, 1440, 1536, 1920]) {
    for (const locale of ['en-GB', 'tr-TR']) {
      for (const state of ['live', 'too-many-tabs'] as const) {
        await t.test(`${width} px, ${locale}, ${state}`, async () => {
          const viewport = { width, height: width === 1280 ? 800 : 900 };
          const { page, problems, close } = await openIn(browser, hub, admin, state, locale, viewport, false);
          const b = await bar(page);
          const all = [...b.links, ...b.right];
          const describe = all.map((x) => `${x.what}@${x.top}-${x.bottom}[${x.left}-${x.right}]`).join(' | ');
          if (width === 1280 || width === 1440) await page.screenshot({ path: `${SHOTS}/laptop-${width}-${locale}-${state}.png`, clip: { x: 0, y: 0, width, height: 120 } });
          // One row: every item's middle within a few px of the others'.
          const middles = all.map((x) => (x.top + x.bottom) / 2);
          assert.ok(Math.max(...middles) - Math.min(...middles) <= 6, `one row (${describe})`);
          assert.ok(all.every((x) => x.left >= 0 && x.right <= b.width), `nothing runs past the screen (${describe})`);
          for (const name of [b.org, b.user]) assert.ok(name.width >= 30, `${name.what} shows (${describe})`);
          await assertFitsWidth(page, `${width} px, ${locale}, ${state}`);
          assert.deepEqual(problems.filter((p) => !/WebSocket/.test(p)), []);
          await close();
        });
      }
    }
  }
});
