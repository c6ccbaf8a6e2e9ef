// The four screens the review's UI fixes are checked and photographed at: two phones and two
// laptops, Turkish and English taking turns; and the start of such a test (a hub, its admin, Chromium).

import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { createAdminSession, type TestSession } from './test-auth.ts';
import { startTestHub, type TestHub } from './test-hub.ts';
import { launch, openPage } from './ui-browser.ts';

export const FOUR_SCREENS = [
  { locale: 'tr-TR', viewport: { width: 360, height: 740 }, phone: true },
  { locale: 'en-GB', viewport: { width: 390, height: 844 }, phone: true },
  { locale: 'tr-TR', viewport: { width: 1280, height: 800 }, phone: false },
  { locale: 'en-GB', viewport: { width: 1440, height: 900 }, phone: false },
] as const;
export type Screen = (typeof FOUR_SCREENS)[number];

export const screenName = (s: Screen): string => `${s.locale} at ${s.viewport.width}x${s.viewport.height}`;

/** A page at `s`'s size and language (a phone's with touch), closed when the test ends. */
export async function openOn(t: TestContext, browser: Browser, hub: TestHub, s: Screen): ReturnType<typeof openPage> {
  const opened = await openPage(browser, hub, s.phone ? { size: 'phone', viewport: s.viewport, locale: s.locale } : { viewport: s.viewport, locale: s.locale });
  t.after(() => opened.context.close());
  return opened;
}

/** A hub with its first admin, and Chromium; both stopped when the test ends. */
export async function hubAdminBrowser(t: TestContext): Promise<{ hub: TestHub; admin: TestSession; browser: Browser }> {
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const browser = await launch();
  t.after(() => browser.close());
  return { hub, admin, browser };
}
