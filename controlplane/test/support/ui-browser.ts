// Shared by the browser tests: Debian's Chromium through playwright-core, a page that records
// script errors and requests leaving the hub, sign-in, screenshots at phone and laptop sizes, and
// axe-core injected from node_modules.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { TestHub } from './test-hub.ts';
import type { TestSession } from './test-auth.ts';

const CHROMIUM = process.env.UNIBOS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export const SIZES = { phone: { width: 375, height: 812 }, laptop: { width: 1280, height: 800 } } as const;
export type SizeName = keyof typeof SIZES;

/** Screenshots go where CI keeps test artifacts (UNIBOS_TEST_ARTIFACTS), else a folder under the system temp dir. */
export function artifactsDir(name: string): string {
  const dir = join(process.env.UNIBOS_TEST_ARTIFACTS ?? join(process.env.TMPDIR ?? '/tmp', 'unibos-test-artifacts'), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `args`: more Chromium flags (e.g. a host name for the hub that is not localhost). */
export async function launch(args: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or point UNIBOS_CHROMIUM at a Chromium binary.`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...args] });
}

/**
 * A fresh page that records script errors and any request leaving the hub's origin (the UI must
 * work without internet; `otherHosts` are the ones a test allows, e.g. a configured tile server).
 * `viewport` overrides the size; `locale: null` keeps the browser's own.
 */
export async function openPage(
  browser: Browser,
  hub: TestHub,
  options: { size?: SizeName; locale?: string | null; viewport?: { width: number; height: number }; otherHosts?: readonly string[] } = {},
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const phone = options.size === 'phone';
  const locale = options.locale === null ? {} : { locale: options.locale ?? 'en-GB' };
  const context = await browser.newContext({ viewport: options.viewport ?? SIZES[options.size ?? 'laptop'], deviceScaleFactor: 1, ...locale, ...(phone ? { isMobile: true, hasTouch: true } : {}) });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol !== 'data:' && url.host !== new URL(hub.url).host && !options.otherHosts?.includes(url.host)) problems.push(`request to another origin: ${req.url()}`);
  });
  return { context, page, problems };
}

/** Signs in through the form; labels are matched in either language. */
export async function signIn(page: Page, hub: TestHub, session: TestSession, hash = ''): Promise<void> {
  await page.goto(`${hub.url}/${hash}`);
  await page.getByLabel(/^(Email|E-posta)$/).fill(session.email);
  await page.getByLabel(/^(Password|Parola)$/).fill(session.password);
  await page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ }).click();
  await page.getByRole('status', { name: /^(Event stream|Olay akışı)$/ }).filter({ hasText: /^(Live|Canlı)$/ }).waitFor();
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is now; the violations, each with where. */
export async function axe(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } };
    const r = await w.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

/** Nothing is wider than the screen: no sideways scrolling of the page itself. */
export async function assertFitsWidth(page: Page, what: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width + 1, `${what}: the page is ${scroll} px wide on a ${width} px screen`);
}

/**
 * The Messages screen is ready: this browser's messenger device is open (its keys made or loaded)
 * and the conversation list has loaded. Acting before that races the first sync, which redraws.
 */
export async function messengerReady(page: Page): Promise<void> {
  await page.locator('a[href="#/messages"][aria-current="page"]').waitFor();
  await page.getByRole('list', { name: /^(Conversations|Sohbetler)$/ }).getByRole('listitem').first().waitFor();
  await page.locator('.msg-status').filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
}
