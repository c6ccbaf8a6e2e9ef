// A tab the hub refuses a live stream (this account's other tabs hold them all: 4029) says so, and
// what to do, instead of "Reconnecting…" for ever; it tries again at the longest interval and is
// live again once a tab is closed. Chromium at phone and laptop sizes, English and Turkish.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, launch, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-stream-refused');

test('a tab refused a live stream for too many open says so and is live again once another tab closes', { timeout: 120_000 }, async (t) => {
  const hub = await startTestHub({ maxStreamsPerUser: 1 });
  t.after(() => hub.stop());
  const admin = await createAdminSession(hub);
  const browser = await launch();
  t.after(() => browser.close());

  for (const [size, locale, label] of [['laptop', 'en-GB', 'Paused: too many tabs'], ['phone', 'tr-TR', 'Duraklatıldı: çok sekme']] as const) {
    const first = await openPage(browser, hub, { size: 'laptop' });
    await signIn(first.page, hub, admin, '#/fleet');
    // The second tab signs in by hand: the stream it asks for is refused.
    const second = await openPage(browser, hub, { size, locale });
    await second.page.goto(`${hub.url}/#/fleet`);
    await second.page.getByLabel(/^(Email|E-posta)$/).fill(admin.email);
    await second.page.getByLabel(/^(Password|Parola)$/).fill(admin.password);
    await second.page.getByRole('button', { name: /^(Sign in|Giriş yap)$/ }).click();
    const status = second.page.locator('.live-status[data-reason="too-many-streams"]');
    await status.waitFor();
    assert.equal(await status.locator('.live-text').textContent(), label);
    assert.match((await status.getAttribute('title')) ?? '', locale === 'en-GB' ? /Close one; this tab tries again every 15 s\./ : /Birini kapatın/);
    await assertFitsWidth(second.page, `the ${size} header with the paused stream`);
    await second.page.screenshot({ path: `${SHOTS}/${size}-${locale}-paused.png` });

    // The first tab closes: the second is live within its next try, and says so.
    await first.context.close();
    await second.page.locator('.live-status[data-state="live"]:not([data-reason])').waitFor({ timeout: 30_000 });
    assert.deepEqual([...first.problems, ...second.problems].filter((p) => !/WebSocket/.test(p)), []);
    await second.context.close();
  }
});
