// A new device on the user's own account pauses sending until they accept it, and says which
// device it is and when it was added (a safety number with oneself compares nothing); a group
// made just now says it has no messages yet, not that older ones cannot be read here.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStateStore, MessengerClient } from '../../messenger-client/src/index.ts';
import { aliceAndBob } from './support/messenger-ui.ts';
import { messengerReady, openPage, signIn } from './support/ui-browser.ts';

test('a new device of one\u2019s own is named, with when it was added, and accepted before sending', async (t) => {
  const { browser, hub, localUrl, alice } = await aliceAndBob(t);
  const { page, context, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  await page.getByRole('button', { name: 'New group' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Water team');
  // Bob is the only other person in the org.
  await page.getByRole('group', { name: 'Members' }).getByRole('checkbox').first().check();
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Water team' }).waitFor();
  await page.getByText('No messages yet.', { exact: true }).waitFor();
  // Alice's tablet, there before her first message: her devices are pinned with it (trust on first use).
  const device = (name: string) => MessengerClient.open({ hubUrl: localUrl, auth: async () => alice.accessToken, store: new MemoryStateStore(), deviceName: name });
  await device('Alice tablet');
  await page.getByRole('textbox', { name: 'Message' }).fill('who has the pump keys?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('article').filter({ hasText: 'who has the pump keys?' }).waitFor();
  // This browser is Alice's messenger device; now she sets up her phone too.
  await device('Alice phone');
  // The page hears of it at once: sending pauses until she accepts it.
  const banner = page.getByRole('alert').filter({ hasText: 'A new device on your account' });
  await banner.getByText(/^Alice phone, added /).waitFor();
  assert.equal(await banner.getByText(/Alice tablet/).count(), 0, 'only the device not accepted yet');
  assert.equal(await banner.getByText('New safety number:').count(), 0, 'no safety number with oneself');
  assert.equal(await page.getByRole('button', { name: 'Send' }).isDisabled(), true, 'sending waits for the user');

  await banner.getByRole('button', { name: 'Accept my new device' }).click();
  await banner.waitFor({ state: 'detached' });
  await page.getByRole('textbox', { name: 'Message' }).fill('pump 3 at noon');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('article').filter({ hasText: 'pump 3 at noon' }).waitFor();
  await messengerReady(page);
  assert.deepEqual(problems, []);
});

test('New group pressed while the messenger is still opening lists the people of the org once it has them', async (t) => {
  const { browser, hub, alice, bob } = await aliceAndBob(t);
  const { page, context, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  // The list of people is slow to come (a busy hub): held until the button was pressed.
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/api/v1/members*', async (route) => {
    await released;
    await route.continue();
  });
  await signIn(page, hub, alice, '#/messages');
  await page.getByRole('button', { name: 'New group' }).click();
  release();
  await page.getByRole('group', { name: 'Members' }).getByRole('checkbox').first().waitFor();
  assert.equal(await page.getByText('There is nobody else in this organisation yet.').count(), 0);
  assert.deepEqual(await page.getByRole('group', { name: 'Members' }).getByRole('checkbox').evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value)), [bob.userId]);
  assert.deepEqual(problems, []);
});
