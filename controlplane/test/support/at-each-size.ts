// A screen in Turkish and English, on a 360 x 740 phone and a 1280 x 800 laptop: each a subtest
// with its own page, signed in on the screen (birlikteyiz's panel on Modules unless told); the page
// must log no problem. `prepare` runs before each page opens (what its history should hold).

import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { TestSession } from './test-auth.ts';
import type { TestHub } from './test-hub.ts';
import { launch, openPage, signIn } from './ui-browser.ts';

export type PanelLocale = 'tr-TR' | 'en-GB';

export interface PanelCase {
  locale: PanelLocale;
  viewport: { width: number; height: number };
  phone: boolean;
  /** "tr-TR-360", for screenshot names. */
  tag: string;
}

const PANEL: Record<PanelLocale, string> = { 'tr-TR': 'birlikteyiz paneli', 'en-GB': 'birlikteyiz panel' };

export async function atEachSize(
  t: TestContext,
  hub: TestHub,
  admin: TestSession,
  check: (c: PanelCase, page: Page, panel: Locator) => Promise<void>,
  options: { hash?: string; prepare?: (c: PanelCase, index: number) => Promise<void> } = {},
): Promise<void> {
  const browser = await launch();
  t.after(() => browser.close());
  const cases = [
    { width: 360, height: 740 },
    { width: 1280, height: 800 },
  ].flatMap((viewport) => (['tr-TR', 'en-GB'] as const).map((locale) => ({ locale, viewport, phone: viewport.width < 600, tag: `${locale}-${viewport.width}` })));
  for (const [index, c] of cases.entries()) {
    await t.test(`${c.locale} ${c.viewport.width}x${c.viewport.height}`, async () => {
      await options.prepare?.(c, index);
      const { page, problems, context } = await openPage(browser, hub, { size: c.phone ? 'phone' : 'laptop', viewport: c.viewport, locale: c.locale });
      t.after(() => context.close());
      await signIn(page, hub, admin, options.hash ?? '#/modules');
      await check(c, page, page.locator(`section[aria-label="${PANEL[c.locale]}"]`));
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}
