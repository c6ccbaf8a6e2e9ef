// The hub on a LAN is reached over plain http by a name that is not localhost: the browser gives
// such a page no WebCrypto. The messenger still works there (its keys kept unsealed in the
// browser, which the page says), survives a reload as the same device, and messages arrive.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aliceAndBob, startDirect } from './support/messenger-ui.ts';
import { messengerReady, openPage, signIn } from './support/ui-browser.ts';

test('the messenger over plain http on a LAN name: a message goes out and comes in, and a reload is the same device', async (t) => {
  // hub.lan resolves to this machine; for the browser it is an ordinary, insecure origin.
  const { browser, hub, localUrl, alice, bob, bobClient } = await aliceAndBob(t, { lanName: 'hub.lan' });

  const { page, problems, context } = await openPage(browser, hub);
  t.after(() => context.close());
  await signIn(page, hub, alice, '#/messages');
  await messengerReady(page);
  assert.equal(await page.evaluate(() => window.isSecureContext), false, 'an insecure page, as on a LAN');
  await page.getByText('This page is plain http').waitFor();
  await startDirect(page, bob);
  await page.getByRole('textbox', { name: 'Message' }).fill('Water at the school, come with jerrycans');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction(() => (document.getElementById('msg-text') as HTMLTextAreaElement | null)?.value === '');
  const got = await bobClient.sync();
  assert.deepEqual(got.arrived.map((m) => m.text), ['Water at the school, come with jerrycans']);

  const devices = async () => (await (await fetch(`${localUrl}/api/v1/messenger/devices`, { headers: { authorization: `Bearer ${alice.accessToken}` } })).json()) as unknown;
  const before = await devices();
  await page.reload();
  await messengerReady(page);
  await page.getByRole('list', { name: 'Conversations' }).getByRole('button').first().click();
  await page.getByText('Water at the school, come with jerrycans').waitFor();
  const conversation = (await bobClient.conversations())[0]!;
  await bobClient.send(conversation.id, { text: 'On our way' });
  await page.getByText('On our way').waitFor();
  assert.deepEqual(await devices(), before, 'the reloaded page is the same messenger device');
  // Chrome notes on every plain-http load that it ignores the hub's Cross-Origin-Opener-Policy
  // (kept for https and localhost, where it counts); nothing else may go wrong.
  assert.deepEqual(problems.filter((p) => !p.includes('Cross-Origin-Opener-Policy header has been ignored')), []);
});
