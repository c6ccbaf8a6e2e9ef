// A user at the hub's limit of messenger devices is shown them on the Messages screen, in their
// language, and revokes one there (with the account session: this browser has no device yet),
// after which this browser becomes a device without a reload. Signing out on purpose gives this
// browser's device up (revoked at the hub, its keys deleted here), so devices do not pile up.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { inbox, registerDevice, type RegisteredDevice } from './support/messenger-client.ts';
import { aliceAndBob } from './support/messenger-ui.ts';
import { api, type TestSession } from './support/test-auth.ts';
import type { TestHub } from './support/test-hub.ts';
import { artifactsDir, assertFitsWidth, messengerReady, openPage, signIn } from './support/ui-browser.ts';

const LAPTOP = { width: 1366, height: 800 };
const PHONE = { width: 375, height: 812 };

async function deviceNames(hub: TestHub, user: TestSession): Promise<string[]> {
  const res = await api(hub, user, '/api/v1/messenger/devices');
  assert.equal(res.status, 200);
  return (res.body.items as Array<{ name: string }>).map((d) => d.name);
}

/** The record of this browser's messenger keys in IndexedDB, if any. */
function savedStates(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('unibos-messenger', 2);
        req.onupgradeneeded = () => {
          for (const name of ['state', 'keys']) if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
        };
        req.onsuccess = () => {
          const count = req.result.transaction('state', 'readonly').objectStore('state').count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        };
        req.onerror = () => reject(req.error);
      }),
  );
}

test('at the device limit, Messages lists the user\u2019s devices in Turkish; revoking one lets this browser in and a message goes out', async (t) => {
  const { browser, hub, alice, bob, bobClient } = await aliceAndBob(t);
  const old: RegisteredDevice[] = [];
  for (let i = 1; i <= MESSENGER_LIMITS.maxDevicesPerUser; i++) old.push(await registerDevice(hub, alice, `Old laptop ${i}`));
  // One of them is still in use: it fetched its inbox, so the hub knows when it was last seen.
  await inbox(hub, old[6]!);
  const shots = artifactsDir('messenger-limit');

  // How it looks to others (English, a phone) before anything is revoked: the same list, nothing changes.
  for (const [lang, size] of [['en', 'laptop'], ['en', 'phone'], ['tr', 'phone']] as const) {
    const { page, context } = await openPage(browser, hub, { viewport: size === 'phone' ? PHONE : LAPTOP, locale: lang === 'tr' ? 'tr-TR' : 'en-GB' });
    await signIn(page, hub, alice, '#/messages');
    await page.getByRole('list', { name: /^(Your devices|Cihazlarınız)$/ }).getByRole('listitem').nth(MESSENGER_LIMITS.maxDevicesPerUser - 1).waitFor();
    await assertFitsWidth(page, `limit screen, ${lang} ${size}`);
    await page.screenshot({ path: `${shots}/messenger-limit-${lang}-${size}.png`, fullPage: true });
    await context.close();
  }

  const { page, context, problems } = await openPage(browser, hub, { viewport: LAPTOP, locale: 'tr-TR' });
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  // The reason, in Turkish, and the user's devices, each with when it was added and a Revoke button.
  await page.getByRole('status').filter({ hasText: 'Bu tarayıcı mesajlaşmayı henüz kullanamıyor' }).waitFor();
  await page.getByRole('heading', { name: 'Mesajlaşma cihazı sınırı doldu' }).waitFor();
  const list = page.getByRole('list', { name: 'Cihazlarınız' });
  await list.getByRole('listitem').nth(MESSENGER_LIMITS.maxDevicesPerUser - 1).waitFor();
  assert.equal(await list.getByRole('listitem').count(), MESSENGER_LIMITS.maxDevicesPerUser);
  assert.equal(await page.getByText(/at most 10 messenger devices/).count(), 0, 'no English hub message');
  assert.equal(await list.getByRole('listitem').filter({ hasText: 'Old laptop 3' }).getByText(/^Eklendi: /).count(), 1, 'when it was added');
  assert.equal(await list.getByRole('listitem').filter({ hasText: 'Old laptop 3' }).getByText(/Son görülme: /).count(), 0, 'never seen since');
  assert.equal(await list.getByRole('listitem').filter({ hasText: 'Old laptop 7' }).getByText(/Son görülme: /).count(), 1, 'last seen, for the one in use');
  await page.screenshot({ path: `${shots}/messenger-limit-tr-laptop.png`, fullPage: true });

  // Revoke asks first; dismissed, nothing happens.
  const asked: string[] = [];
  let accept = false;
  page.on('dialog', (d) => {
    asked.push(d.message());
    void (accept ? d.accept() : d.dismiss());
  });
  await list.getByRole('button', { name: 'Old laptop 3 cihazını iptal et' }).click();
  assert.deepEqual(asked, ['Old laptop 3 iptal edilsin mi? Artık hiçbir mesaj almayacak.']);
  assert.equal((await deviceNames(hub, alice)).length, MESSENGER_LIMITS.maxDevicesPerUser);
  accept = true;
  await list.getByRole('button', { name: 'Old laptop 3 cihazını iptal et' }).click();

  // This browser takes the freed place without a reload, and the messenger works.
  await messengerReady(page);
  await page.waitForFunction(() => !document.querySelector('.msg-limit'));
  const names = await deviceNames(hub, alice);
  assert.equal(names.length, MESSENGER_LIMITS.maxDevicesPerUser);
  assert.ok(!names.includes('Old laptop 3'), 'the revoked device is gone');
  await page.getByRole('button', { name: 'Yeni birebir mesaj' }).click();
  await page.getByLabel('Üye', { exact: true }).selectOption(bob.userId);
  await page.getByRole('button', { name: 'Sohbeti başlat' }).click();
  await page.getByRole('textbox', { name: 'Mesaj' }).fill('Su okulda, bidonlarla gelin');
  await page.getByRole('button', { name: 'Gönder', exact: true }).click();
  await page.waitForFunction(() => (document.getElementById('msg-text') as HTMLTextAreaElement | null)?.value === '');
  const got = await bobClient.sync();
  assert.deepEqual(got.arrived.map((m) => m.text), ['Su okulda, bidonlarla gelin']);
  await page.screenshot({ path: `${shots}/messenger-limit-tr-laptop-after.png`, fullPage: true });
  assert.deepEqual(problems, []);
});

test('Sign out revokes this browser\u2019s messenger device and deletes its keys: signing in again elsewhere adds no device', async (t) => {
  const { browser, hub, alice } = await aliceAndBob(t);
  const first = await openPage(browser, hub);
  t.after(() => first.context.close());
  await signIn(first.page, hub, alice, '#/messages');
  await messengerReady(first.page);
  assert.equal((await deviceNames(hub, alice)).length, 1);
  assert.equal(await savedStates(first.page), 1);
  // Devices lists this browser as this device, seen by the hub when it synced.
  await first.page.getByRole('button', { name: 'Devices' }).click();
  const mine = first.page.getByRole('list', { name: 'Your devices' }).getByRole('listitem');
  await mine.getByText('This device').waitFor();
  await mine.getByText(/^Last seen /).waitFor();
  await first.page.getByRole('button', { name: 'Sign out' }).click();
  await first.page.getByLabel('Password').waitFor();
  assert.deepEqual(await deviceNames(hub, alice), [], 'revoked at the hub');
  assert.equal(await savedStates(first.page), 0, 'its keys are gone from this browser');

  const second = await openPage(browser, hub);
  t.after(() => second.context.close());
  await signIn(second.page, hub, alice, '#/messages');
  await messengerReady(second.page);
  assert.equal((await deviceNames(hub, alice)).length, 1, 'one device, not two');
  assert.deepEqual([...first.problems, ...second.problems], []);
});

test('Sign out with the hub not answering the revoke still signs out, and the keys are deleted here', async (t) => {
  const { browser, hub, alice } = await aliceAndBob(t);
  const { page, context } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  // The revoke never gets an answer (the hub went away mid-request).
  await page.route('**/api/v1/messenger/devices/*', () => {});
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Password').waitFor();
  assert.equal(await savedStates(page), 0);
  // Still in the user's list, to be revoked from there.
  assert.equal((await deviceNames(hub, alice)).length, 1);
});

test('a login that ended without Sign out revokes nothing: signing in again is the same messenger device', async (t) => {
  const { browser, hub, alice } = await aliceAndBob(t);
  const { page, context, problems } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  const before = await deviceNames(hub, alice);
  // The login ends at the hub (as when it expires): the page finds out at its next renewal.
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('unibos.refreshToken'));
  const ended = await fetch(`${hub.url}/api/v1/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) });
  assert.ok(ended.ok, `logout: ${ended.status}`);
  await page.reload();
  await page.getByLabel('Password').waitFor();
  assert.deepEqual(await deviceNames(hub, alice), before, 'nothing revoked');
  assert.equal(await savedStates(page), 1, 'the keys stay');
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  assert.deepEqual(await deviceNames(hub, alice), before, 'the same device');
  assert.deepEqual(problems, []);
});
