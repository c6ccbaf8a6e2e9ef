// The sign-in page says why the user was signed out. Switching its language (which loads the page
// again) keeps that reason, said in the new language, and only for that reload: coming back to the
// sign-in page later shows no stale reason. Phone and laptop size.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-login-reason-language');
const ENDED_EN = 'Your session has ended; please sign in again.';
const ENDED_TR = 'Oturumunuz sona erdi; lütfen yeniden giriş yapın.';

/** What the sign-in form's message line says once the form in `heading`'s language is up. */
async function formMessage(page: Page, heading: string): Promise<string> {
  await page.getByRole('heading', { name: heading }).waitFor();
  return ((await page.locator('form.auth-card').getByRole('alert').textContent()) ?? '').trim();
}

test('the reason for a sign-out survives a language switch on the sign-in page, once', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);

  for (const size of ['phone', 'laptop'] as const) {
    await t.test(size, async (st) => {
      const { page, problems, context } = await openPage(browser, hub, { size, locale: 'en-GB' });
      st.after(() => context.close());
      await signIn(page, hub, admin, '#/fleet');

      // The login is ended at the hub behind the page's back: the next load says so.
      const stored = await page.evaluate(() => sessionStorage.getItem('unibos.refreshToken'));
      const out = await fetch(`${hub.url}/api/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: stored }) });
      assert.equal(out.status, 204);
      await page.reload();
      assert.equal(await formMessage(page, 'Sign in to the UNIBOS hub'), ENDED_EN, 'the sign-in page says why');

      // Türkçe: the same reason, in Turkish.
      await page.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Türkçe' });
      assert.equal(await formMessage(page, 'UNIBOS merkezine giriş'), ENDED_TR, 'the reason is still there, in Turkish');
      await page.screenshot({ path: `${SHOTS}/login-reason-tr-${size}.png` });

      // And back to English: in English again.
      await page.getByRole('combobox', { name: 'Dil' }).selectOption({ label: 'English' });
      assert.equal(await formMessage(page, 'Sign in to the UNIBOS hub'), ENDED_EN, 'the reason follows a second switch');

      // Coming back to the sign-in page later (a reload, a new visit) shows no stale reason.
      await page.reload();
      assert.equal(await formMessage(page, 'Sign in to the UNIBOS hub'), '', 'no reason on a later visit');
      await page.goto(`${hub.url}/`);
      assert.equal(await formMessage(page, 'Sign in to the UNIBOS hub'), '', 'nor on a new one');
      assert.deepEqual(problems, []);
    });
  }
});
