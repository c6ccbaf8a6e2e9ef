// The live feed's filters work on what was loaded from history too: an SOS and an "I am safe" heard
// before the page opened are under "Alerts", the hub's broadcasts under "Sent messages"; a filter
// with nothing to show says so instead of showing an empty box. Sensor rows read as the Sensors
// screen reads them ("nem: %69"), not "humidity = 69".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

test('history rows show under their own filter; an empty filter says so', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  gw.mesh('!2b3c4d05', 'alert', { level: 'SOS', text: 'trapped under rubble' }, { packetId: 1 });
  gw.mesh('!2b3c4d06', 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: 2 });
  gw.mesh('!2b3c4d07', 'text', { text: 'water at the school' }, { packetId: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.text', { what: 'the text' });
  const sent = await api(hub, admin, '/api/v1/messages', { method: 'POST', body: { text: 'Assembly point: the stadium' } });
  assert.equal(sent.status, 202);

  const { page, problems, context } = await openPage(browser, hub, { size: 'phone' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/feed');
  const feed = page.getByRole('list', { name: 'Live mesh feed' });
  await feed.getByRole('listitem').filter({ hasText: 'water at the school' }).waitFor();
  const filter = page.locator('#feed-filter');
  const shown = async () => (await feed.getByRole('listitem').all()).length === 0 ? [] : (await feed.locator(':scope > li:not([hidden])').allInnerTexts());

  await filter.selectOption({ label: 'Alerts' });
  const alerts = await shown();
  assert.ok(alerts.some((r) => r.includes('trapped under rubble')), `the SOS under Alerts: ${alerts.join(' | ')}`);
  assert.ok(alerts.some((r) => r.includes('I am safe')), `"I am safe" under Alerts: ${alerts.join(' | ')}`);
  assert.ok(!alerts.some((r) => r.includes('water at the school')), 'a text is not an alert');

  await filter.selectOption({ label: 'Sent messages' });
  const messages = await shown();
  assert.ok(messages.some((r) => r.includes('Assembly point: the stadium')), `the broadcast under Sent messages: ${messages.join(' | ')}`);

  await filter.selectOption({ label: 'Mesh traffic' });
  assert.ok((await shown()).some((r) => r.includes('trapped under rubble')), 'the SOS is mesh traffic too');

  // Nothing from sensors yet: a note, not an empty bordered list.
  await filter.selectOption({ label: 'Sensors' });
  await page.getByText('Nothing here yet').waitFor();
  assert.equal(await feed.isVisible(), false, 'no empty box');
  // A reading arriving under the filter shows, and the note goes.
  gw.sensor('demo-weather', 'humidity', '69');
  await feed.getByRole('listitem').filter({ hasText: 'demo-weather' }).waitFor();
  assert.equal(await page.getByText('Nothing here yet').isVisible(), false);
  await filter.selectOption({ label: 'Everything' });
  assert.ok((await shown()).length >= 5);
  assert.deepEqual(problems, []);
});

test('a sensor row in the Turkish feed names the metric and its unit as the Sensors screen does', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const { page, problems, context } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  t.after(() => context.close());
  await signIn(page, hub, admin, '#/feed');
  const feed = page.getByRole('list', { name: 'Canlı ağ akışı' });
  await page.getByText('Ağ bekleniyor').waitFor();
  gw.sensor('demo-weather', 'humidity', '69');
  gw.sensor('demo-weather', 'temperature', '17.2');
  const humidity = feed.locator('li[data-type="sensor.reading"]').filter({ hasText: 'nem' });
  await humidity.waitFor();
  assert.match(await humidity.locator('.feed-what').innerText(), /^nem: %69\b/);
  const temperature = feed.locator('li[data-type="sensor.reading"]').filter({ hasText: 'sıcaklık' });
  await temperature.waitFor();
  assert.match(await temperature.locator('.feed-what').innerText(), /^sıcaklık: 17,2 °C\b/);
  assert.deepEqual(problems, []);
});
