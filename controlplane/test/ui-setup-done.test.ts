// A setup link (#setup=<anything>) opened on a hub that is already set up says so at once, over the
// sign-in form, instead of showing the setup form to be filled in first (it said so only under
// the form, or after it was sent). The link is dropped from the address, and signing in from
// there works. English and Turkish, phone and laptop; screenshots of each.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FOUR_SCREENS, hubAdminBrowser, openOn, screenName } from './support/four-screens.ts';
import { artifactsDir } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-setup-done');
const WORDS = {
  'tr-TR': { said: 'Bu merkez zaten kurulmuş.', create: 'Yönetici hesabını oluştur', signIn: 'Giriş yap' },
  'en-GB': { said: 'This hub is already set up.', create: 'Create admin account', signIn: 'Sign in' },
} as const;

test('a setup link on a hub already set up says so at once, over the sign-in form', async (t) => {
  const { hub, admin, browser } = await hubAdminBrowser(t);
  for (const c of FOUR_SCREENS) {
    const w = WORDS[c.locale];
    await t.test(screenName(c), async () => {
      const { page, problems } = await openOn(t, browser, hub, c);
      await page.goto(`${hub.url}/#setup=a-link-from-an-old-email`);
      const said = page.getByText(w.said);
      await said.waitFor();
      // Said first, on the screen, with the sign-in form; no setup form to fill in.
      const box = await said.boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= c.viewport.height && box.x >= 0 && box.x + box.width <= c.viewport.width, `"${w.said}" on the screen: ${JSON.stringify(box)}`);
      assert.equal(await page.getByRole('button', { name: w.create, exact: true }).count(), 0, 'no setup form');
      const signIn = page.getByRole('button', { name: w.signIn, exact: true });
      assert.equal(await signIn.isVisible(), true, 'the sign-in form');
      assert.equal(new URL(page.url()).hash, '', 'the setup link is dropped from the address');
      await page.screenshot({ path: `${SHOTS}/${c.locale}-${c.viewport.width}.png` });
      await page.getByLabel(/^(Email|E-posta)$/).fill(admin.email);
      await page.getByLabel(/^(Password|Parola)$/).fill(admin.password);
      await signIn.click();
      await page.getByRole('status', { name: /^(Event stream|Olay akışı)$/ }).filter({ hasText: /^(Live|Canlı)$/ }).waitFor();
      assert.deepEqual(problems, []);
    });
  }
});
