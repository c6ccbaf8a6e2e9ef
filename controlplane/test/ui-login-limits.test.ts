// Sign-in refused by the hub's limits (per address: E_RATE_LIMITED; per account: E_LOGIN_THROTTLED
// with Retry-After): the form says so in the reader's language, with how long to wait. It showed
// the hub's English message raw ("Rate limit exceeded, retry in 1 minute") to a Turkish operator.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHub } from './support/test-hub.ts';
import { createAdminSession } from './support/test-auth.ts';
import { launch, openPage } from './support/ui-browser.ts';

test('on a phone, the sign-in page shows its brand, and sign-in limits read in Turkish, with the wait', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const { page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  await page.goto(`${hub.url}/`);
  // The sign-in form is drawn by the app once it has started: wait for it before judging the page.
  await page.getByLabel('E-posta').waitFor();
  // The sign-in page says whose it is on a phone too (the header's rule hid its logo and name).
  const brand = page.locator('.auth-page .brand');
  assert.ok(await brand.isVisible(), 'the UNIBOS brand is on the phone sign-in page');
  assert.ok(await brand.locator('img').isVisible(), 'with its logo');
  const error = page.locator('.auth-card .form-error');
  const attempt = async (password: string) => {
    await page.getByLabel('E-posta').fill(admin.email);
    await page.getByLabel('Parola').fill(password);
    await page.getByRole('button', { name: 'Giriş yap' }).click();
  };

  await t.test('the account locked by failed sign-ins (E_LOGIN_THROTTLED, Retry-After)', async () => {
    // Faked at the browser: the real lock needs failures from more addresses than this one's limit allows.
    await page.route('**/api/v1/auth/login', (route) =>
      route.fulfill({ status: 429, headers: { 'content-type': 'application/json', 'retry-after': '240' }, body: JSON.stringify({ statusCode: 429, code: 'E_LOGIN_THROTTLED', error: 'Too Many Requests', message: 'too many failed logins for this account: try again in 240 s, or log in from a device that has logged in before' }) }),
    );
    await attempt('yanlış parola');
    await error.filter({ hasText: /./ }).waitFor();
    assert.equal(await error.innerText(), 'Bu hesaba çok fazla başarısız giriş denemesi yapıldı. 4 dakika sonra yeniden deneyin.');
    await page.unroute('**/api/v1/auth/login');
  });

  await t.test('this address over its limit (E_RATE_LIMITED), for real', async () => {
    // The address's 10 attempts a minute, used up from here (the test runs on the browser's address).
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${hub.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: admin.email, password: `wrong ${i}` }) });
      await res.body?.cancel();
      if (res.status === 429) break;
    }
    await attempt(admin.password);
    await error.filter({ hasText: /adresten/ }).waitFor();
    const text = await error.innerText();
    assert.match(text, /^Bu adresten çok fazla giriş denemesi yapıldı\. \d+ saniye sonra yeniden deneyin\.$/, text);
  });
  assert.deepEqual(problems.filter((p) => !/status of 429/.test(p)), []);
});
