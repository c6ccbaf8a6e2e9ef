// A member the hub adds to a group by itself (a row in its database, no API) is shown in the
// thread of every member's browser, before the next message goes to them, as a line of its own
// (not a message), said to screen readers, in Turkish too; so is a removal.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { MemoryStateStore, MessengerClient } from '../../messenger-client/src/index.ts';
import { aliceAndBob } from './support/messenger-ui.ts';
import { api, createOrgUser } from './support/test-auth.ts';
import { artifactsDir, axe, messengerReady, openPage, signIn } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-messenger-members');
const log = (page: Page) => page.getByRole('list', { name: /^(Messages in .+|.+ sohbetindeki mesajlar)$/ });
/** The thread's lines, top to bottom: each message's text, or a membership line as it reads (without its time). */
const lines = (page: Page) =>
  log(page)
    .locator(':scope > li')
    .evaluateAll((items) =>
      items.map((li) => {
        const text = li.querySelector('.msg-text');
        if (text) return text.textContent ?? '';
        const p = li.querySelector('p')?.cloneNode(true) as HTMLElement | undefined;
        p?.querySelector('time')?.remove();
        return (p?.textContent ?? '').trim();
      }),
    );

test('a member added behind the group\u2019s back shows in every member\u2019s thread before the next message reaches them', async (t) => {
  const { browser, hub, localUrl, alice, bob, bobClient } = await aliceAndBob(t);
  const carol = await createOrgUser(hub, alice, 'member');
  const mallory = await createOrgUser(hub, alice, 'member');
  await createOrgUser(hub, alice, 'member');
  const members = (await api(hub, alice, '/api/v1/members')).body.items as Array<{ userId: string; email: string; name: string }>;
  const shown = (userId: string) => {
    const m = members.find((x) => x.userId === userId)!;
    return m.name || m.email;
  };
  const MALLORY = shown(mallory.userId);
  const BOB = shown(bob.userId);
  await MessengerClient.open({ hubUrl: localUrl, auth: async () => mallory.accessToken, store: new MemoryStateStore(), deviceName: 'mallory' });

  const a = await openPage(browser, hub);
  const c = await openPage(browser, hub, { locale: 'tr-TR' });
  t.after(() => a.context.close());
  t.after(() => c.context.close());
  await signIn(c.page, hub, carol, '#/messages');
  await messengerReady(c.page);
  await signIn(a.page, hub, alice, '#/messages');
  await messengerReady(a.page);

  await a.page.getByRole('button', { name: 'New group' }).click();
  await a.page.getByLabel('Name', { exact: true }).fill('Water team');
  for (const who of [bob, carol]) await a.page.getByRole('group', { name: 'Members' }).locator(`input[value="${who.userId}"]`).check();
  await a.page.getByRole('button', { name: 'Create' }).click();
  await a.page.getByRole('heading', { name: 'Water team' }).waitFor();
  await a.page.getByRole('textbox', { name: 'Message' }).fill('who has the pump keys?');
  await a.page.getByRole('button', { name: 'Send' }).click();
  await log(a.page).getByText('who has the pump keys?', { exact: true }).waitFor();
  // Carol's browser has the group as it was made: that is no change.
  await c.page.getByRole('list', { name: 'Sohbetler' }).getByRole('button', { name: /Water team/ }).click();
  await log(c.page).getByText('who has the pump keys?', { exact: true }).waitFor();
  assert.deepEqual(await lines(c.page), ['who has the pump keys?']);

  // The hub's operator adds Mallory in its database: no API, no event, nothing the group sees from the hub.
  const db = (hub.app as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
  db.prepare("INSERT INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, 'member', ?)").run((await bobClient.conversations()).find((x) => x.name === 'Water team')!.id, mallory.userId, Date.now());
  await a.page.getByRole('textbox', { name: 'Message' }).fill('pump 3 at noon');
  await a.page.getByRole('button', { name: 'Send' }).click();
  await log(a.page).getByText('pump 3 at noon', { exact: true }).waitFor();
  assert.deepEqual(await lines(a.page), ['who has the pump keys?', `${MALLORY} was added`, 'pump 3 at noon']);
  const added = log(a.page).getByRole('listitem').filter({ hasText: `${MALLORY} was added` });
  assert.equal(await log(a.page).getByRole('article').filter({ hasText: `${MALLORY} was added` }).count(), 0, 'a line of its own, not a message from anyone');
  assert.equal(await added.getByRole('button').count(), 0, 'nothing to reply to or react to');
  await a.page.screenshot({ path: join(SHOTS, 'alice-ghost-added.png') });

  // Carol's (Turkish) page: the line comes before the message that also went to Mallory, and is said aloud.
  await log(c.page).getByText('pump 3 at noon', { exact: true }).waitFor();
  assert.deepEqual(await lines(c.page), ['who has the pump keys?', `${MALLORY} eklendi`, 'pump 3 at noon']);
  await c.page.locator('[aria-live="polite"]').filter({ hasText: `${MALLORY}, Water team sohbetine eklendi` }).waitFor({ state: 'attached' });
  await c.page.screenshot({ path: join(SHOTS, 'carol-tr-ghost-added.png') });
  assert.deepEqual(await axe(c.page), []);

  // A removal through the UI shows the same way, in both browsers.
  await a.page.getByText('4 members').click();
  // A message coming in redraws the thread: the member list Alice opened stays open.
  await c.page.getByRole('textbox', { name: 'Mesaj' }).fill('I have them');
  await c.page.getByRole('button', { name: 'Gönder', exact: true }).click();
  await log(a.page).getByText('I have them', { exact: true }).waitFor();
  assert.equal(await a.page.getByRole('button', { name: `Remove ${BOB}` }).isVisible(), true, 'the member list is still open');
  await a.page.getByRole('button', { name: `Remove ${BOB}` }).click();
  await log(a.page).getByRole('listitem').filter({ hasText: `${BOB} was removed` }).waitFor();
  await log(c.page).getByRole('listitem').filter({ hasText: `${BOB} çıkarıldı` }).waitFor();
  assert.deepEqual(await lines(a.page), ['who has the pump keys?', `${MALLORY} was added`, 'pump 3 at noon', 'I have them', `${BOB} was removed`]);
  await a.page.screenshot({ path: join(SHOTS, 'alice-bob-removed.png') });

  // Adding someone: the one Alice picks is the one added, whatever comes in between (not the list's first).
  const pick = a.page.getByLabel('Add member');
  const options = await pick.locator('option').evaluateAll((els) => els.map((e) => ({ value: (e as HTMLOptionElement).value, label: e.textContent ?? '' })));
  assert.ok(options.length >= 2, `people to add: ${JSON.stringify(options)}`);
  const chosen = options[options.length - 1]!;
  await pick.selectOption(chosen.value);
  await c.page.getByRole('textbox', { name: 'Mesaj' }).fill('see you at noon');
  await c.page.getByRole('button', { name: 'Gönder', exact: true }).click();
  await log(a.page).getByText('see you at noon', { exact: true }).waitFor();
  assert.equal(await pick.inputValue(), chosen.value, 'the pick outlives the redraw');
  await a.page.getByRole('button', { name: 'Add', exact: true }).click();
  await log(a.page).getByRole('listitem').filter({ hasText: `${chosen.label} was added` }).waitFor();
  // Once added, the pick is done with: removed again, that person is not offered back pre-picked.
  await a.page.getByRole('button', { name: `Remove ${chosen.label}` }).click();
  await log(a.page).getByRole('listitem').filter({ hasText: `${chosen.label} was removed` }).waitFor();
  await pick.locator('option', { hasText: chosen.label }).waitFor({ state: 'attached' });
  const first = await pick.locator('option').first().getAttribute('value');
  assert.notEqual(first, chosen.value, 'the list offers someone else first');
  assert.equal(await pick.inputValue(), first, 'the pick starts again at the top of the list');
  assert.deepEqual(a.problems, []);
  assert.deepEqual(c.problems, []);
});
