// A downlink the gateway could not send: the Send screen and the live feed say it failed and why,
// in the reader's language (the gateway's reason came in English and was shown raw in Turkish; the
// feed said "failed" with no reason at all).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { join } from 'node:path';
import { artifactsDir, openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

test('a message the gateway gave up on reads failed, with why, in Turkish on Send and in the feed', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh(`!${gw.id}`, 'info', { longName: 'Meydan ağ geçidi', shortName: 'GW', hwModel: 'UNIBOS', role: 'GATEWAY' }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the gateway online' });
  const { page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  await signIn(page, hub, admin, '#/send');

  const sent = await api(hub, admin, '/api/v1/messages', { method: 'POST', body: { text: 'okulda su var' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const row = page.getByRole('row').filter({ hasText: 'okulda su var' });
  await row.filter({ hasText: 'sırada' }).waitFor();
  const command = await gw.nextDownlink();
  gw.txStatus({ ref: command.ref, status: 'refused', error: "not sent: the gateway's radio gave up: nobody acknowledged it" });
  await row.filter({ hasText: 'başarısız' }).waitFor();
  const sendText = await row.innerText();
  assert.match(sendText, /gönderilmedi: ağ geçidinin telsizi vazgeçti/, `the reason in Turkish on Send: ${sendText}`);
  assert.doesNotMatch(sendText, /gave up|not sent/, `no English left on Send: ${sendText}`);

  // On a phone the row is a card: the badge keeps its size and the reason sits beside the label, under the badge.
  const label = await row.locator('td[data-label="Durum"]').evaluate((td) => {
    const badge = td.querySelector('.badge')!.getBoundingClientRect();
    const why = td.querySelector('.hint')!.getBoundingClientRect();
    return { badgeWidth: badge.width, badgeLeft: badge.left, whyLeft: why.left, whyTop: why.top, badgeBottom: badge.bottom };
  });
  assert.ok(label.badgeWidth < 150, `the status badge is ${label.badgeWidth} px wide`);
  assert.ok(Math.abs(label.whyLeft - label.badgeLeft) < 2 && label.whyTop >= label.badgeBottom - 1, `the reason is under the badge, not under the label: ${JSON.stringify(label)}`);
  await page.screenshot({ path: join(artifactsDir('ui-send-failed'), 'tr-phone-send-failed.png'), fullPage: true });

  await page.evaluate(() => (location.hash = '#/feed'));
  const item = page.locator('li.feed-item[data-type="message.status"]').filter({ hasText: 'başarısız' });
  await item.waitFor();
  const feedText = await item.innerText();
  assert.match(feedText, /ağ geçidinin telsizi vazgeçti/, `the feed says why it failed: ${feedText}`);
  assert.doesNotMatch(feedText, /gave up/, 'no English reason in the feed');
  assert.deepEqual(problems, []);
});

test('refusals the hub gives in English read in Turkish: no gateway to send with, an alert someone else handled', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh('!3c4d5e0c', 'info', { longName: 'Samandağ', shortName: 'SMD', hwModel: 'UNIBOS', role: 'CLIENT' }, { packetId: 1 });
  gw.mesh('!3c4d5e0c', 'alert', { level: 'SOS', text: 'SOS', requestId: 7 }, { packetId: 2 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'alert.raised', { what: 'the SOS' });
  const { page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  await signIn(page, hub, admin, '#/alerts');

  // Another operator resolved it a moment ago; this page has not heard yet (the hub answers 409).
  await page.route('**/api/v1/alerts/*/acknowledge', (route) =>
    route.fulfill({ status: 409, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 409, code: 'E_CONFLICT', error: 'Conflict', message: 'alert is resolved; it cannot be acknowledged' }) }),
  );
  await page.getByRole('button', { name: 'Teyit et' }).first().click();
  await page.locator('dialog[open]').getByRole('button', { name: 'Teyit et' }).click();
  const toast = page.locator('.toasts').getByText(/Teyit edilemedi/);
  await toast.waitFor();
  assert.equal(await toast.innerText(), 'Teyit edilemedi: başka biri zaten ilgilendi');

  // No gateway at all (the hub's answer, as downlink.ts gives it): nothing can carry a broadcast.
  await page.route('**/api/v1/messages', (route) =>
    route.request().method() === 'POST'
      ? route.fulfill({ status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 503, code: 'E_UNAVAILABLE', error: 'Service Unavailable', message: 'this org has no gateway: nothing can carry it' }) })
      : route.continue(),
  );
  await page.evaluate(() => (location.hash = '#/send'));
  await page.locator('#send-text').fill('okul kapalı');
  await page.getByRole('button', { name: 'Gönder', exact: true }).click();
  const result = page.locator('.form-result').filter({ hasText: /Gönderilmedi/ });
  await result.waitFor();
  assert.equal(await result.innerText(), 'Gönderilmedi: bu kuruluşun henüz ağ geçidi yok: iletecek kimse yok');
  // The browser logs the 503 it was answered: that is the refusal itself, not a fault of the page.
  assert.deepEqual(problems.filter((p) => !/status of 503/.test(p)), []);
});
