// The sign-in and first-run setup pages have the language switch the signed-in app has: a Turkish
// speaker whose browser asks for English switches to Türkçe before signing in, the form is in
// Turkish at once, and the app after signing in is too. Phone and laptop size.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, axe, launch, openPage } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-login-language');
const VIEWPORTS = [
  { width: 375, height: 812 },
  { width: 1366, height: 800 },
];

/** The switch is whole on screen and clear of the page's brand and form. */
async function assertSwitchClear(page: Page, form: string): Promise<void> {
  type Box = { x: number; y: number; width: number; height: number };
  const boxOf = async (sel: string): Promise<Box> => (await page.locator(sel).boundingBox())!;
  const sw = await boxOf('.auth-lang');
  const brand = await boxOf('main .brand');
  const card = await boxOf(form);
  const width = page.viewportSize()!.width;
  const apart = (a: Box, b: Box) => a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
  assert.ok(sw.x >= 0 && sw.x + sw.width <= width && sw.y >= 0, `the switch is on screen: ${JSON.stringify(sw)}`);
  assert.ok(apart(sw, brand) && apart(sw, card), `the switch is clear of the brand and the form: ${JSON.stringify({ sw, brand, card })}`);
}

test('the sign-in and setup pages switch to Turkish before anyone signs in', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub({ dedupWindowMs: 0 });
  t.after(() => hub.stop());
  const token = hub.app.auth.setupToken();
  assert.ok(token, 'a fresh hub has a setup link');

  await t.test('setup link on a phone', async () => {
    const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: 'en-GB' });
    t.after(() => context.close());
    await page.goto(`${hub.url}/#setup=${encodeURIComponent(token!)}`);
    await page.getByRole('heading', { name: 'Set up this hub' }).waitFor();
    const language = page.getByRole('combobox', { name: 'Language' });
    await language.waitFor({ timeout: 5000 });
    await language.selectOption({ label: 'Türkçe' });
    await page.getByRole('heading', { name: 'Bu merkezi kur' }).waitFor();
    // Every field in Turkish, the setup link still in the address.
    for (const label of ['Adınız', 'E-posta', 'Parola', 'Kuruluşun adı']) await page.getByLabel(label, { exact: true }).waitFor();
    // The password's minimum is said in the page's language before anything is sent.
    assert.equal(await page.locator('#setup-password-hint').innerText(), 'En az 10 karakter.');
    assert.equal(await page.getByLabel('Parola', { exact: true }).getAttribute('aria-describedby'), 'setup-password-hint');
    assert.ok(page.url().includes(`#setup=${encodeURIComponent(token!)}`), 'the setup link survives the switch');
    assert.equal(await page.getByRole('combobox', { name: 'Dil' }).inputValue(), 'tr');
    await assertSwitchClear(page, 'form.auth-card');
    await page.screenshot({ path: `${SHOTS}/setup-language-375x812.png` });
    // A smaller phone: the setup form is taller than the screen and still starts below the switch.
    await page.setViewportSize({ width: 320, height: 568 });
    await assertSwitchClear(page, 'form.auth-card');
    assert.deepEqual((await axe(page)).map((v) => `${v.id}: ${v.help} at ${v.nodes.join(', ')}`), [], 'axe-core finds nothing to fix on the setup page');
    assert.deepEqual(problems, []);
  });

  const admin = await createAdminSession(hub);
  await t.test('the setup link once the hub is set up says so in the page\u2019s language', async () => {
    const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
    t.after(() => context.close());
    await page.goto(`${hub.url}/#setup=${encodeURIComponent(token!)}`);
    // Said at once over the sign-in form (ui-setup-done.test.ts), not under a setup form.
    const notice = page.locator('form.auth-card .notice');
    await notice.filter({ hasText: 'Bu merkez zaten kurulmuş.' }).waitFor();
    assert.doesNotMatch(await notice.innerText(), /already set up/);
    assert.deepEqual(problems, []);
  });
  for (const viewport of VIEWPORTS) {
    await t.test(`sign-in at ${viewport.width}x${viewport.height}`, async () => {
      const phone = viewport.width < 600;
      const { page, problems, context } = await openPage(browser, hub, { viewport, locale: 'en-GB', ...(phone ? { size: 'phone' as const } : {}) });
      t.after(() => context.close());
      await page.goto(`${hub.url}/`);
      await page.getByRole('heading', { name: 'Sign in to the UNIBOS hub' }).waitFor();
      const language = page.getByRole('combobox', { name: 'Language' });
      await language.waitFor({ timeout: 5000 });
      assert.equal(await language.inputValue(), 'en', 'the switch shows the language the page is in');
      // Someone who typed their email first does not type it again.
      await page.getByLabel('Email', { exact: true }).fill(admin.email);
      await language.selectOption({ label: 'Türkçe' });
      await page.getByRole('heading', { name: 'UNIBOS merkezine giriş' }).waitFor();
      assert.equal(await page.getByLabel('E-posta', { exact: true }).inputValue(), admin.email, 'the email typed before the switch is still there');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'tr');
      await assertSwitchClear(page, 'form.auth-card');
      await assertFitsWidth(page, 'the sign-in page');
      await page.screenshot({ path: `${SHOTS}/login-language-${viewport.width}x${viewport.height}.png` });
      assert.deepEqual((await axe(page)).map((v) => `${v.id}: ${v.help} at ${v.nodes.join(', ')}`), [], 'axe-core finds nothing to fix on the sign-in page');
      // Signing in in Turkish: the app is in Turkish too, its own switch on Türkçe.
      await page.getByLabel('E-posta', { exact: true }).fill(admin.email);
      await page.getByLabel('Parola', { exact: true }).fill(admin.password);
      await page.getByRole('button', { name: 'Giriş yap' }).click();
      await page.getByRole('status', { name: 'Olay akışı' }).filter({ hasText: /^Canlı$/ }).waitFor();
      await page.getByRole('link', { name: 'Cihazlar' }).waitFor();
      assert.equal(await page.locator('#ui-language').inputValue(), 'tr');
      assert.deepEqual(problems, []);
    });
  }
});
