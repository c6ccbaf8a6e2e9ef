// "Notify me of SOS" when the browser refuses notifications (the person said no, or the site's
// settings block them): the page says they are blocked and how to allow them, in the reader's
// language, on the screen long enough to read, instead of the button silently going away.
// Phone and laptop, English and Turkish; screenshots of each.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FOUR_SCREENS, hubAdminBrowser, openOn, screenName } from './support/four-screens.ts';
import { artifactsDir, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-notify-blocked');
const WORDS = {
  'tr-TR': { bell: 'SOS bildirimi al', blocked: /Bu site için bildirimler engellendi\. İzin vermek için site ayarlarını açın/ },
  'en-GB': { bell: 'Notify me of SOS', blocked: /Notifications are blocked for this site\. To allow them, open the site settings/ },
} as const;

/** A browser not yet asked about notifications, whose answer when asked is no. */
const REFUSING_BROWSER = `(() => {
  let permission = 'default';
  Object.defineProperty(Notification, 'permission', { get() { return permission; } });
  Notification.requestPermission = () => { permission = 'denied'; return Promise.resolve('denied'); };
})()`;

test('"Notify me of SOS" refused by the browser says notifications are blocked and how to allow them', { timeout: 120_000 }, async (t) => {
  const { hub, admin, browser } = await hubAdminBrowser(t);
  for (const c of FOUR_SCREENS) {
    const w = WORDS[c.locale];
    await t.test(screenName(c), async () => {
      const { page, problems } = await openOn(t, browser, hub, c);
      await page.addInitScript(REFUSING_BROWSER);
      await signIn(page, hub, admin, '#/fleet');
      await page.locator('header').getByRole('button', { name: w.bell, exact: true }).click();
      const said = page.getByRole('status').filter({ hasText: w.blocked });
      await said.waitFor({ timeout: 5000 });
      const box = await said.locator('.toast').boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= c.viewport.width && box.y >= 0 && box.y + box.height <= c.viewport.height, `the message is on the screen: ${JSON.stringify(box)}`);
      await page.screenshot({ path: `${SHOTS}/${c.locale}-${c.viewport.width}.png` });
      // The button goes (the browser will not ask again); what to do stays long enough to read.
      assert.equal(await page.locator('header .bell').isHidden(), true, 'the button goes');
      await page.waitForTimeout(9000);
      assert.equal(await said.isVisible(), true, 'still there after 9 s');
      assert.deepEqual(problems, []);
    });
  }
});
