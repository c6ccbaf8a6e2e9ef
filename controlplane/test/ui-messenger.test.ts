// The messenger in the admin UI (issue 16), in Debian's Chromium against a real hub: two users of
// one org in two browser contexts chat live (DM, reply, edit, reaction, read receipt); a too-long
// text is refused before anything is sent; the hub's files hold no plaintext; a second device of
// Bob (a fresh browser, so new keys) makes Alice's page warn and block sending until she accepts
// after comparing the safety number, which is the same on Bob's new device (and is worked out again
// when another device appears while the warning is up); then that device gets the next message.
// axe-core clean and screenshots at phone and laptop size.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTestHub } from './support/test-hub.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { registerDevice, sendOpaque } from './support/messenger-client.ts';
import { artifactsDir, assertFitsWidth, axe, launch, messengerReady, openPage, signIn, SIZES, type SizeName } from './support/ui-browser.ts';

const SHOTS = artifactsDir('ui-messenger');

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path });
}


const log = (page: Page) => page.getByRole('list', { name: /^(Messages in .+|.+ sohbetindeki mesajlar)$/ });

test('messenger in the admin UI: two users, live, end to end encrypted, key changes never silent', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  t.diagnostic(`screenshots: ${SHOTS}`);
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  // The UI names people as the hub does (name, else email).
  const members = (await api(hub, alice, '/api/v1/members')).body.items as Array<{ userId: string; email: string; name: string }>;
  const shown = (userId: string) => {
    const m = members.find((x) => x.userId === userId)!;
    return m.name || m.email;
  };
  const BOB = shown(bob.userId);
  const ALICE = shown(alice.userId);
  const re = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

  const a = await openPage(browser, hub, { size: 'laptop' });
  const b = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => a.context.close());
  t.after(() => b.context.close());
  await signIn(b.page, hub, bob, '#/messages');
  await messengerReady(b.page);
  await signIn(a.page, hub, alice, '#/messages');
  await messengerReady(a.page);
  const aliceP = a.page;
  const bobP = b.page;
  const FIRST = 'Meet at the clinic at 0900, bring the radios';
  const EDITED = 'Meet at the clinic at 1000, bring the radios';
  const REPLY = 'On my way with two radios';

  await t.test('Alice starts a DM with Bob and sends; Bob sees it live and replies', async () => {
    await aliceP.getByRole('button', { name: 'New direct message' }).click();
    await aliceP.getByLabel('Member', { exact: true }).selectOption(bob.userId);
    assert.match(await aliceP.getByLabel('Member', { exact: true }).locator('option:checked').innerText(), re(BOB), 'members are shown by name or email');
    await aliceP.getByRole('button', { name: 'Start conversation' }).click();
    await aliceP.getByRole('heading', { name: BOB }).waitFor();
    await aliceP.getByRole('textbox', { name: 'Message' }).fill(FIRST);
    await aliceP.getByRole('button', { name: 'Send' }).click();
    await log(aliceP).getByText(FIRST, { exact: true }).waitFor();

    const conv = bobP.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: re(ALICE) });
    await conv.filter({ hasText: '1 unread' }).waitFor();
    assert.equal(await bobP.locator('a[href="#/messages"] .nav-badge').innerText(), '1', 'the navigation counts unread messages');
    await conv.click();
    await log(bobP).getByText(FIRST, { exact: true }).waitFor();
    // Bob's page sent a read receipt: Alice sees it on her message.
    await log(aliceP).getByText(/read by /).waitFor();

    await log(bobP).getByRole('button', { name: /^Reply to this message from / }).click();
    await bobP.getByRole('textbox', { name: 'Message' }).fill(REPLY);
    await bobP.getByRole('textbox', { name: 'Message' }).press('Enter');
    const reply = log(aliceP).getByRole('article', { name: /^Message from / }).filter({ hasText: REPLY });
    await reply.waitFor();
    assert.match(await reply.innerText(), /Reply to You: Meet at the clinic/, 'the reply quotes what it answers');
  });

  await t.test('Alice edits her message and reacts to the reply; Bob sees both', async () => {
    const mine = log(aliceP).getByRole('article', { name: 'Message from You' }).filter({ hasText: FIRST });
    await mine.getByRole('button', { name: 'Edit' }).click();
    const box = aliceP.getByRole('textbox', { name: 'Message' });
    assert.equal(await box.inputValue(), FIRST);
    await box.fill(EDITED);
    await aliceP.getByRole('button', { name: 'Save edit' }).click();
    await log(aliceP).getByText(EDITED, { exact: true }).waitFor();
    // From the keyboard; the redraw that follows keeps the focus on the same button, now pressed.
    await log(aliceP).getByRole('article').filter({ hasText: REPLY }).getByRole('button', { name: 'React with ✓' }).focus();
    await aliceP.keyboard.press('Enter');
    await aliceP.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'React with ✓' && document.activeElement.getAttribute('aria-pressed') === 'true');

    const edited = log(bobP).getByRole('article').filter({ hasText: EDITED });
    await edited.filter({ hasText: 'edited' }).waitFor();
    assert.equal(await log(bobP).getByText(FIRST, { exact: true }).count(), 0, 'the old text is gone');
    await log(bobP).getByRole('article').filter({ hasText: REPLY }).getByLabel('Reactions').filter({ hasText: '✓ 1' }).waitFor();
  });

  const ROSTER = 'Night shift roster: Ayse, Mehmet, Deniz';
  await t.test('Bob sends a file, encrypted in his browser; Alice saves it and gets the same bytes', async () => {
    await bobP.getByLabel('Attach a file (optional, encrypted here)').setInputFiles({ name: 'roster.txt', mimeType: 'text/plain', buffer: Buffer.from(ROSTER) });
    await bobP.getByRole('textbox', { name: 'Message' }).fill('The roster');
    await bobP.getByRole('button', { name: 'Send' }).click();
    const save = log(aliceP).getByRole('button', { name: /^Save roster\.txt \(\d+ B\)$/ });
    await save.waitFor();
    const download = aliceP.waitForEvent('download');
    await save.click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'roster.txt');
    assert.equal(readFileSync(await file.path()).toString(), ROSTER);
  });

  await t.test('a text over the limit is refused with a clear error before anything is sent', async () => {
    const before = await log(bobP).getByRole('article').count();
    const box = aliceP.getByRole('textbox', { name: 'Message' });
    await box.fill('x'.repeat(4001));
    await aliceP.getByText('4,001 of 4,000 characters').waitFor();
    await aliceP.getByRole('button', { name: 'Send' }).click();
    await aliceP.getByRole('alert').filter({ hasText: 'Too long: 4,001 characters, at most 4,000. Nothing was sent.' }).waitFor();
    assert.equal((await box.inputValue()).length, 4001, 'the text stays for the user to shorten');
    await box.fill('');
    assert.equal(await log(bobP).getByRole('article').count(), before);
  });

  await t.test('the hub stores no plaintext', () => {
    const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
    assert.ok(files.some((f) => f.endsWith('.db')), `the hub's database is among ${files.join(', ')}`);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const text of [FIRST, EDITED, REPLY, 'clinic at', ROSTER]) assert.equal(bytes.includes(Buffer.from(text)), false, `${f} holds "${text}"`);
    }
  });

  await t.test('screens at phone and laptop size pass axe and fit the width', async () => {
    for (const size of ['laptop', 'phone'] as SizeName[]) {
      await aliceP.setViewportSize(SIZES[size]);
      await log(aliceP).getByText(EDITED, { exact: true }).waitFor();
      await assertFitsWidth(aliceP, `the thread at ${size} size`);
      assert.deepEqual(await axe(aliceP), [], `axe at ${size} size (thread)`);
      await shot(aliceP, `thread-${size}`);
    }
    // On a phone the list and the thread take turns.
    await aliceP.getByRole('button', { name: '← Conversations' }).click();
    await aliceP.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: re(BOB) }).waitFor();
    assert.deepEqual(await axe(aliceP), [], 'axe at phone size (list)');
    await shot(aliceP, 'list-phone');
    await aliceP.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: re(BOB) }).click();
    await aliceP.setViewportSize(SIZES.laptop);
  });

  await t.test("Bob's new device makes Alice's page warn and pause sending until she accepts; then the new device gets her messages", async () => {
    const b2 = await openPage(browser, hub, { size: 'phone' });
    t.after(() => b2.context.close());
    await signIn(b2.page, hub, bob, '#/messages');
    await messengerReady(b2.page);

    const banner = aliceP.getByRole('alert').filter({ hasText: 'Warning: keys changed' });
    await banner.waitFor();
    assert.match(await banner.innerText(), re(`The keys of ${BOB} changed`));
    const box = aliceP.getByRole('textbox', { name: 'Message' });
    assert.equal(await box.isDisabled(), true, 'no typing into a conversation with unaccepted keys');
    assert.equal(await aliceP.getByRole('button', { name: 'Send' }).isDisabled(), true, 'sending is blocked');
    await banner.locator('.msg-safety-number span').first().waitFor();
    const firstNumber = (await banner.locator('.msg-safety-number').innerText()).replace(/\s+/g, ' ').trim();
    assert.match(firstNumber, /^(\d{5} ){11}\d{5}$/, `60 digits in 12 groups: ${firstNumber}`);
    // Another device of Bob's appears while the warning is up: the number on it is worked out again
    // (the accept takes exactly the number shown, so a stale one would hide the device it lacks).
    await registerDevice(hub, bob, 'a device nobody compared');
    const numberNow = () => banner.locator('.msg-safety-number').innerText().then((x) => x.replace(/\s+/g, ' ').trim());
    await aliceP.waitForFunction((old) => {
      const now = document.querySelector('.msg-keychange .msg-safety-number')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      return /^(\d{5} ){11}\d{5}$/.test(now) && now !== old;
    }, firstNumber, { timeout: 20_000 });
    const aliceNumber = await numberNow();
    assert.notEqual(aliceNumber, firstNumber, 'the warning shows the number over Bob\u2019s devices now');
    await shot(aliceP, 'key-change-laptop');
    assert.deepEqual(await axe(aliceP), [], 'axe with the warning');

    // Bob's new device shows the same number for Alice: what they compare.
    const p2 = b2.page;
    await p2.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: re(ALICE) }).click();
    await p2.getByRole('button', { name: 'Safety number' }).click();
    const bobNumber = (await p2.getByRole('region', { name: 'Safety number' }).locator('.msg-safety-number').innerText()).replace(/\s+/g, ' ').trim();
    assert.equal(bobNumber, aliceNumber, 'both sides show the same safety number');
    await shot(p2, 'safety-number-phone');

    await banner.getByRole('button', { name: /^I compared the numbers: accept the new keys of / }).click();
    await banner.waitFor({ state: 'detached' });
    assert.equal(await box.isDisabled(), false);
    const AFTER = 'Checked the numbers, welcome to your phone';
    await box.fill(AFTER);
    await aliceP.getByRole('button', { name: 'Send' }).click();
    await log(p2).getByText(AFTER, { exact: true }).waitFor();
    await log(bobP).getByText(AFTER, { exact: true }).waitFor();
    assert.deepEqual(b2.problems, []);
  });

  await t.test("a device Bob adds while Alice's page is closed is a warning when she comes back, before she sends", async () => {
    await aliceP.close();
    await registerDevice(hub, bob, "Bob's tablet");
    const again = await a.context.newPage();
    again.on('pageerror', (err) => a.problems.push(`page error: ${err.message}`));
    await signIn(again, hub, alice, '#/messages');
    await again.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: re(BOB) }).click();
    await again.getByRole('alert').filter({ hasText: 'Warning: keys changed' }).waitFor();
    assert.equal(await again.getByRole('button', { name: 'Send' }).isDisabled(), true);
  });

  assert.deepEqual(a.problems, [], 'no script errors on Alice\'s page');
  assert.deepEqual(b.problems, [], 'no script errors on Bob\'s page');
});

test('messenger groups in the admin UI: members, a message that cannot be decrypted, disappearing messages, devices, Turkish', async (t) => {
  const browser = await launch();
  t.after(() => browser.close());
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const members = (await api(hub, alice, '/api/v1/members')).body.items as Array<{ userId: string; email: string; name: string }>;
  const shown = (userId: string) => {
    const m = members.find((x) => x.userId === userId)!;
    return m.name || m.email;
  };
  // Carol's device speaks the protocol badly: what it sends cannot be opened.
  const carolDevice = await registerDevice(hub, carol, "Carol's radio");
  const a = await openPage(browser, hub, { size: 'phone' });
  const b = await openPage(browser, hub, { size: 'laptop' });
  t.after(() => a.context.close());
  t.after(() => b.context.close());
  await signIn(b.page, hub, bob, '#/messages');
  await messengerReady(b.page);
  await signIn(a.page, hub, alice, '#/messages');
  await messengerReady(a.page);
  const aliceP = a.page;
  const TEAM = 'Search team North';
  const CHECKIN = 'Team check-in at 0700 at the school';

  await t.test('Alice creates a group with a description and two members and sends a disappearing message; Bob reads it', async () => {
    await aliceP.getByRole('button', { name: 'New group' }).click();
    await aliceP.getByLabel('Name', { exact: true }).fill(TEAM);
    await aliceP.getByLabel('Description (optional)').fill('Sector 4, north of the river');
    await aliceP.getByRole('checkbox', { name: shown(bob.userId) }).check();
    await aliceP.getByRole('checkbox', { name: shown(carol.userId) }).check();
    await aliceP.getByRole('button', { name: 'Create' }).click();
    await aliceP.getByRole('heading', { name: TEAM }).waitFor();
    await aliceP.getByText('Sector 4, north of the river').waitFor();
    await aliceP.getByLabel('Disappears').selectOption({ label: 'After 1 hour' });
    await aliceP.getByRole('textbox', { name: 'Message' }).fill(CHECKIN);
    await aliceP.getByRole('button', { name: 'Send' }).click();
    const mine = log(aliceP).getByRole('article').filter({ hasText: CHECKIN });
    // The expiry is the hub's (its clock): shown once the hub has taken the message.
    await mine.getByText(/disappears \d/).waitFor();

    const conv = b.page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(TEAM) });
    await conv.filter({ hasText: '1 unread' }).waitFor();
    await conv.click();
    await log(b.page).getByText(CHECKIN, { exact: true }).waitFor();
  });

  await t.test('a draft and its expiry survive a live update, stay with their conversation and go out as chosen', async () => {
    const DRAFT = 'Bring the thermal blankets to the school';
    const LIVE = 'Two more volunteers at the bridge';
    const box = aliceP.getByRole('textbox', { name: 'Message' });
    const expiry = aliceP.getByLabel('Disappears');
    await box.fill(DRAFT);
    await expiry.selectOption({ label: 'After 1 day' });
    // Bob writes to the group while Alice is still writing: her thread redraws live.
    await b.page.getByRole('textbox', { name: 'Message' }).fill(LIVE);
    await b.page.getByRole('button', { name: 'Send' }).click();
    await log(aliceP).getByText(LIVE, { exact: true }).waitFor();
    assert.equal(await box.inputValue(), DRAFT, 'the text is still there');
    assert.equal(await expiry.locator('option:checked').innerText(), 'After 1 day', 'and so is the expiry she chose');

    // Another conversation starts with an empty composer; back in the group, the draft is where she left it.
    await aliceP.getByRole('button', { name: '← Conversations' }).click();
    await aliceP.getByRole('button', { name: 'New direct message' }).click();
    await aliceP.getByLabel('Member', { exact: true }).selectOption(bob.userId);
    await aliceP.getByRole('button', { name: 'Start conversation' }).click();
    await aliceP.getByRole('heading', { name: shown(bob.userId) }).waitFor();
    assert.equal(await box.inputValue(), '', 'the draft did not follow her into the direct conversation');
    assert.equal(await expiry.locator('option:checked').innerText(), 'Never');
    await aliceP.getByRole('button', { name: '← Conversations' }).click();
    await aliceP.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: new RegExp(TEAM) }).click();
    await aliceP.getByRole('heading', { name: TEAM }).waitFor();
    assert.equal(await box.inputValue(), DRAFT);
    assert.equal(await expiry.locator('option:checked').innerText(), 'After 1 day');
    await aliceP.getByRole('button', { name: 'Send' }).click();
    await log(aliceP).getByRole('article').filter({ hasText: DRAFT }).getByText(/disappears \d/).waitFor();
    assert.equal(await box.inputValue(), '', 'sent: the composer is empty again');

    // An edit in progress survives a live update too (the redraw used to put the old text back, and
    // "Save edit" then saved that: once in CI, a read receipt arriving mid-edit lost the edit).
    const EDITED_DRAFT = 'Bring the thermal blankets to the mosque';
    const LIVE_AGAIN = 'The bridge is open again';
    await log(aliceP).getByRole('article', { name: 'Message from You' }).filter({ hasText: DRAFT }).getByRole('button', { name: 'Edit' }).click();
    assert.equal(await box.inputValue(), DRAFT);
    await box.fill(EDITED_DRAFT);
    await b.page.getByRole('textbox', { name: 'Message' }).fill(LIVE_AGAIN);
    await b.page.getByRole('button', { name: 'Send' }).click();
    await log(aliceP).getByText(LIVE_AGAIN, { exact: true }).waitFor();
    assert.equal(await box.inputValue(), EDITED_DRAFT, 'the edit is still being written');
    await aliceP.getByRole('button', { name: 'Save edit' }).click();
    await log(aliceP).getByText(EDITED_DRAFT, { exact: true }).waitFor();
    await log(b.page).getByRole('article').filter({ hasText: EDITED_DRAFT }).filter({ hasText: 'edited' }).waitFor();
    assert.equal(await box.inputValue(), '', 'saved: the composer is empty again');
  });

  await t.test('a message that cannot be decrypted is shown as such, with the reason', async () => {
    const conversationId = await aliceP.locator('.msg-conv.is-current').getAttribute('data-id');
    const sent = await sendOpaque(hub, carolDevice, conversationId!);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const problem = log(aliceP).getByRole('listitem').filter({ hasText: `Could not decrypt a message from ${shown(carol.userId)}.` });
    await problem.waitFor();
    assert.match(await problem.innerText(), /Reason: .+ \(E_[A-Z_]+\)/);
  });

  await t.test('the owner removes a member', async () => {
    await aliceP.getByText('3 members').click();
    await aliceP.getByRole('button', { name: `Remove ${shown(carol.userId)}` }).click();
    await aliceP.getByText('2 members').waitFor();
    const conv = (await api(hub, alice, `/api/v1/messenger/conversations/${await aliceP.locator('.msg-conv.is-current').getAttribute('data-id')}`)).body;
    assert.deepEqual(conv.members.map((m: { userId: string }) => m.userId).sort(), [alice.userId, bob.userId].sort());
  });

  await t.test('in Turkish after a reload: the same device (keys kept in this browser), the history, axe clean', async () => {
    await aliceP.getByLabel('Language').selectOption('tr');
    await aliceP.locator('a[href="#/messages"][aria-current="page"]').filter({ hasText: 'Mesajlar' }).waitFor();
    await aliceP.getByRole('list', { name: 'Sohbetler' }).getByRole('button', { name: new RegExp(TEAM) }).click();
    await aliceP.getByRole('list', { name: new RegExp(`^${TEAM} sohbetindeki mesajlar$`) }).getByText(CHECKIN, { exact: true }).waitFor();
    await log(aliceP).getByText(`${shown(carol.userId)} kaynaklı bir mesajın şifresi çözülemedi.`).waitFor();
    await aliceP.getByText('2 üye').click();
    const devices = (await api(hub, alice, '/api/v1/messenger/devices')).body.items as unknown[];
    assert.equal(devices.length, 1, 'a reload keeps the device: no new keys');
    await assertFitsWidth(aliceP, 'the group in Turkish on a phone');
    assert.deepEqual(await axe(aliceP), [], 'axe on the Turkish group thread');
    await shot(aliceP, 'group-tr-phone');
  });

  await t.test('the devices list revokes another device of the user', async () => {
    await registerDevice(hub, alice, 'Old laptop');
    await aliceP.getByRole('button', { name: '← Sohbetler' }).click();
    aliceP.once('dialog', (d) => void d.accept());
    await aliceP.getByRole('button', { name: 'Cihazlarım' }).click();
    const list = aliceP.getByRole('list', { name: 'Cihazlarınız' });
    await list.getByText('Bu cihaz').waitFor();
    await shot(aliceP, 'devices-tr-phone');
    await list.getByRole('button', { name: 'Old laptop cihazını iptal et' }).click();
    await list.getByText('Old laptop').waitFor({ state: 'detached' });
    const devices = (await api(hub, alice, '/api/v1/messenger/devices')).body.items as Array<{ name: string }>;
    assert.deepEqual(devices.map((d) => d.name).includes('Old laptop'), false);
    assert.deepEqual(await axe(aliceP), [], 'axe on the devices list');
  });

  assert.deepEqual(a.problems, []);
  assert.deepEqual(b.problems, []);
});
