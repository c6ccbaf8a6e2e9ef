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

test('while a message is on its way the box stays empty (the thread drawn again meanwhile does not put its text and file back), and a next message typed meanwhile stays', async (t) => {
  const { browser, hub, alice, bob } = await aliceAndBob(t);
  const { page, context, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  await startDirect(page, bob);
  // The hub has the message (and tells the page so, live) before its answer to the send arrives.
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  await page.route(/\/api\/v1\/messenger\/conversations\/[^/]+\/messages$/, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    await answered;
    await route.fulfill({ response });
  });
  const message = page.getByRole('textbox', { name: 'Message' });
  await message.fill('Water at the school until 18:00');
  await page.locator('#msg-file').setInputFiles({ name: 'route.txt', mimeType: 'text/plain', buffer: Buffer.from('north gate, then left') });
  await page.evaluate(() => document.getElementById('msg-text')!.setAttribute('data-drawn-before', ''));
  await page.getByRole('button', { name: 'Send' }).click();
  // The thread drawn again while the answer is held.
  await page.waitForFunction(() => document.getElementById('msg-text') !== null && !document.getElementById('msg-text')!.hasAttribute('data-drawn-before'));
  assert.equal(await message.inputValue(), '', 'the text being sent is not offered again');
  assert.equal(await page.locator('#msg-file').evaluate((e) => (e as HTMLInputElement).files?.length ?? 0), 0, 'nor its file');
  // The next message, started while this one is on its way, is not wiped when it arrives.
  await message.fill('Next: bring blankets');
  // The page reads the conversations again once the send is done: that list is held until the
  // box is marked, so the thread drawn from it is known to come after the send ended.
  let listAsked!: () => void;
  const asked = new Promise<void>((resolve) => (listAsked = resolve));
  let giveList!: () => void;
  const list = new Promise<void>((resolve) => (giveList = resolve));
  await page.route((url) => url.pathname === '/api/v1/messenger/conversations', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    listAsked();
    await list;
    await route.continue();
  });
  answer();
  await asked;
  await page.evaluate(() => document.getElementById('msg-text')!.setAttribute('data-drawn-before', ''));
  giveList();
  await page.waitForFunction(() => document.getElementById('msg-text') !== null && !document.getElementById('msg-text')!.hasAttribute('data-drawn-before'));
  assert.equal(await message.inputValue(), 'Next: bring blankets');
  await page.locator('.msg-text', { hasText: 'Water at the school until 18:00' }).waitFor();
  assert.deepEqual(problems, []);
});
