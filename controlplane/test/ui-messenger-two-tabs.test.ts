// Two tabs of one browser share the messenger device (one IndexedDB record) but would each run
// their own ratchets, reusing message keys. The tab opened last holds the device; the other stops
// before anything more goes out from it and says why, and a reload takes the device back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { aliceAndBob, startDirect } from './support/messenger-ui.ts';
import { messengerReady, openPage, signIn } from './support/ui-browser.ts';

const log = (page: Page) => page.getByRole('list', { name: /^Messages in .+$/ });

async function send(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

test('two tabs of one browser: the one opened last sends, the other stops and says why; a reload takes the messenger back', async (t) => {
  const { browser, hub, alice, bob, bobClient } = await aliceAndBob(t);

  const { context, page: tab1, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(tab1, hub, alice, '#/messages');
  await messengerReady(tab1);
  await startDirect(tab1, bob);
  await send(tab1, 'hello from tab 1');
  await log(tab1).getByText('hello from tab 1', { exact: true }).waitFor();

  const tab2 = await context.newPage();
  await signIn(tab2, hub, alice, '#/messages');
  await messengerReady(tab2);
  await tab2.getByRole('list', { name: 'Conversations' }).getByRole('button').first().click();
  await log(tab2).getByText('hello from tab 1', { exact: true }).waitFor();

  await send(tab1, 'second from tab 1');
  await tab1.locator('.msg-status.is-error').filter({ hasText: 'open in another tab' }).waitFor();
  await send(tab2, 'first from tab 2');
  await log(tab2).getByText('first from tab 2', { exact: true }).waitFor();
  let got = await bobClient.sync();
  assert.deepEqual(got.arrived.map((m) => m.text), ['hello from tab 1', 'first from tab 2'], 'nothing went out from the tab that lost the device');
  assert.deepEqual(got.problems, [], 'and no message key was used twice');

  await tab1.reload();
  await messengerReady(tab1);
  await tab1.getByRole('list', { name: 'Conversations' }).getByRole('button').first().click();
  await log(tab1).getByText('first from tab 2', { exact: true }).waitFor();
  await send(tab1, 'back in tab 1');
  await log(tab1).getByText('back in tab 1', { exact: true }).waitFor();
  got = await bobClient.sync();
  assert.deepEqual(got.arrived.map((m) => m.text), ['back in tab 1']);
  assert.deepEqual(got.problems, []);
  assert.deepEqual(problems, []);
});
