// On a phone the top bar's language switch shows only the language's code ("EN", "TR"). Its
// accessible name holds that code and still says what it is ("Language: EN", "Dil: TR"), so a
// voice-control user who says the code they see finds the switch (WCAG 2.5.3, label in name).
// English and Turkish.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, axe, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-topbar-language-name');

/** The code the top bar shows for the language, as drawn on screen. */
async function shownCode(page: Page): Promise<string> {
  const code = page.locator('header.topbar .lang-code');
  assert.equal(await code.isVisible(), true, 'a phone\u2019s top bar shows the language\u2019s code');
  return (await code.innerText()).trim();
}

test('the phone top bar\u2019s language switch is found by the code it shows', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: 'en-GB' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/fleet');

  for (const { code, name, next, screens } of [
    { code: 'EN', name: 'Language: EN', next: 'tr', screens: 'Ekranlar' },
    { code: 'TR', name: 'Dil: TR', next: 'en', screens: 'Screens' },
  ]) {
    assert.equal(await shownCode(page), code);
    // Saying what is on screen finds the switch, and only it.
    const byCode = page.getByRole('combobox', { name: code });
    assert.equal(await byCode.count(), 1, `one control is named with "${code}"`);
    assert.equal(await byCode.getAttribute('id'), 'ui-language');
    assert.equal(await page.getByRole('combobox', { name, exact: true }).count(), 1, `its name says what it is: "${name}"`);
    await page.locator('header.topbar').screenshot({ path: `${SHOTS}/topbar-phone-${code.toLowerCase()}.png` });
    assert.deepEqual((await axe(page)).map((v) => `${v.id}: ${v.help} at ${v.nodes.join(', ')}`), [], 'axe-core finds nothing to fix');
    // Switching by that name: the app comes back in the other language.
    await byCode.selectOption(next);
    await page.getByRole('navigation', { name: screens }).waitFor();
  }
  assert.equal(await shownCode(page), 'EN');
  assert.deepEqual(problems, []);
});
