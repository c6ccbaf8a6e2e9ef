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

test('while a message is on its way it stays in the box, read-only, and Send waits: the thread drawn again meanwhile does not offer it to send again', async (t) => {
  const { browser, hub, alice, bob } = await aliceAndBob(t);
  const { page, context, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  await startDirect(page, bob);
  const message = page.getByRole('textbox', { name: 'Message' });
  await message.fill('Is the school open?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.msg-text', { hasText: 'Is the school open?' }).waitFor();
  // The hub has the message (and tells the page so, live) before its answer to the send arrives.
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  await page.route(/\/api\/v1\/messenger\/conversations\/[^/]+\/messages$/, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    await answered;
    await route.fulfill({ response });
  });
  const TEXT = 'Water at the school until 18:00';
  await page.waitForFunction(() => (document.getElementById('msg-text') as HTMLTextAreaElement | null)?.value === '');
  await message.fill(TEXT);
  await page.locator('#msg-file').setInputFiles({ name: 'route.txt', mimeType: 'text/plain', buffer: Buffer.from('north gate, then left') });
  await page.evaluate(() => document.getElementById('msg-text')!.setAttribute('data-drawn-before', ''));
  await page.getByRole('button', { name: 'Send' }).click();
  // The thread drawn again while the answer is held.
  await page.waitForFunction(() => document.getElementById('msg-text') !== null && !document.getElementById('msg-text')!.hasAttribute('data-drawn-before'));
  const composer = () => page.evaluate(() => {
    const box = document.getElementById('msg-text') as HTMLTextAreaElement;
    const send = document.querySelector('.msg-compose button[type="submit"]') as HTMLButtonElement;
    const file = document.getElementById('msg-file') as HTMLInputElement;
    return { text: box.value, readOnly: box.readOnly, sendDisabled: send.disabled, fileDisabled: file.disabled };
  });
  assert.deepEqual(await composer(), { text: TEXT, readOnly: true, sendDisabled: true, fileDisabled: true }, 'on its way: shown, not offered to send again');
  // Meanwhile Alice picks a message to answer next: that stays picked when this one is sent.
  await page.getByRole('listitem').filter({ hasText: 'Is the school open?' }).getByRole('button', { name: 'Reply' }).click();
  await page.locator('.msg-context', { hasText: 'Replying to: Is the school open?' }).waitFor();
  answer();
  await page.locator('.msg-text', { hasText: TEXT }).waitFor();
  await page.waitForFunction(() => {
    const box = document.getElementById('msg-text') as HTMLTextAreaElement | null;
    return box !== null && box.value === '' && !box.readOnly;
  });
  assert.deepEqual(await composer(), { text: '', readOnly: false, sendDisabled: false, fileDisabled: false }, 'sent: the box is free for the next message');
  assert.equal(await page.locator('.msg-context').innerText().catch(() => ''), 'Replying to: Is the school open? Cancel reply', 'the reply picked meanwhile is still picked');
  assert.deepEqual(problems, []);
});
