// A send whose answer is lost (the hub stored it, then the connection dropped): the draft stays,
// and pressing Send again delivers the message once, not twice.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aliceAndBob, startDirect } from './support/messenger-ui.ts';
import { messengerReady, openPage, signIn } from './support/ui-browser.ts';

test('a message sent again after its answer was lost reaches the other person once', async (t) => {
  const { browser, hub, alice, bob, bobClient } = await aliceAndBob(t);

  const { page, context } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  await startDirect(page, bob);
  let posts = 0;
  await page.route(/\/api\/v1\/messenger\/conversations\/[^/]+\/messages$/, async (route) => {
    if (route.request().method() !== 'POST' || posts++ > 0) return route.continue();
    await route.fetch(); // the hub stores it ...
    await route.abort('connectionreset'); // ... and the answer never reaches the browser
  });
  const message = page.getByRole('textbox', { name: 'Message' });
  await message.fill('Send the ambulance to gate B');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.msg-status.is-error').waitFor();
  assert.equal(await message.inputValue(), 'Send the ambulance to gate B', 'the draft is kept to try again');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => (document.getElementById('msg-text') as HTMLTextAreaElement | null)?.value === '');
  assert.equal(posts, 2, 'sent twice');

  const got = await bobClient.sync();
  assert.deepEqual(got.arrived.map((m) => m.text), ['Send the ambulance to gate B'], 'received once');
  assert.deepEqual(got.problems, []);
});
