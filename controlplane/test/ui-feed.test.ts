// The live feed says what happened in the operator's language and keeps to the mesh: alert levels
// read as words ("Deprem", not EARTHQUAKE, no "ALERT ALERT"), and the messenger's own events
// (a conversation renamed, a message read) stay on the messenger's screen instead of appearing
// as raw event names.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api } from './support/test-auth.ts';
import { waitForEvent } from './support/hub-events.ts';
import { openPage, signIn } from './support/ui-browser.ts';
import { browserAndGateway } from './support/browser-and-gateway.ts';

test('feed rows name alert levels in Turkish and leave the messenger\u2019s events out', async (t) => {
  const { browser, hub, admin, gw } = await browserAndGateway(t);
  const { page, problems } = await openPage(browser, hub, { size: 'phone', locale: 'tr-TR' });
  await signIn(page, hub, admin, '#/feed');
  const feed = page.getByRole('list', { name: 'Canlı ağ akışı' });

  // Messenger activity for this user while the feed is open.
  const group = await api(hub, admin, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Depo ekibi', members: [] } });
  assert.equal(group.status, 201);
  assert.equal((await api(hub, admin, `/api/v1/messenger/conversations/${group.body.id}`, { method: 'PATCH', body: { name: 'Depo ekibi 2' } })).status, 200);
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'conversation.updated', { what: 'the rename' });

  gw.mesh('!2b3c4d05', 'alert', { level: 'EARTHQUAKE', text: 'M5.1 Antakya' }, { packetId: 1 });
  gw.mesh('!2b3c4d06', 'alert', { level: 'SAFE', text: 'I am safe' }, { packetId: 3 });
  // A node without a battery reading (level and voltage both 0, as protobuf leaves them) and one with.
  gw.mesh('!2b3c4d07', 'telemetry', { batteryLevel: 0, voltage: 0, channelUtilization: 9 }, { packetId: 4 });
  gw.mesh('!2b3c4d08', 'telemetry', { batteryLevel: 80, voltage: 3.9, channelUtilization: 9 }, { packetId: 5 });
  gw.mesh('!2b3c4d05', 'text', { text: 'son satır' }, { packetId: 2 });
  const quake = feed.locator('li[data-type="mesh.alert"]').filter({ hasText: 'M5.1 Antakya' });
  await quake.waitFor();
  await feed.locator('li[data-type="alert.raised"]').filter({ hasText: /deprem bildirildi/i }).waitFor();
  await feed.getByRole('listitem').filter({ hasText: 'son satır' }).waitFor();
  assert.equal(await quake.locator('.feed-kind').innerText(), 'DEPREM');
  // "I am safe" reads as good news, not as another alarm.
  const safe = feed.locator('li[data-type="mesh.alert"]').filter({ hasText: 'I am safe' });
  assert.equal(await safe.locator('.feed-kind').innerText(), 'GÜVENDE');
  assert.match((await safe.getAttribute('class')) ?? '', /tone--good/);
  const telemetry = feed.locator('li[data-type="mesh.telemetry"]');
  assert.equal(await telemetry.filter({ hasText: '!2b3c4d07' }).locator('.feed-what').innerText(), 'kanal %9 dolu', 'no battery reading is not "battery 0%"');
  assert.match(await telemetry.filter({ hasText: '!2b3c4d08' }).locator('.feed-what').innerText(), /^pil %80, 3,90 V, kanal %9 dolu$/);
  const rows = await feed.getByRole('listitem').allInnerTexts();
  assert.deepEqual(rows.filter((r) => /conversation|message\.|messenger|EARTHQUAKE|\bALERT\b/i.test(r)), [], `raw event names or levels in the feed: ${rows.join(' | ')}`);
  assert.deepEqual(problems, []);
});
