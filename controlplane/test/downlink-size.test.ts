// A text or alert the mesh cannot carry is refused when it is sent, not stored and handed to a
// gateway that would refuse it: the limits are UTF-8 bytes (a Turkish text of 200 letters can be
// 300 bytes) and the Send screen counts the same.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES } from '@unibos/mesh-protocol';
import { MESH_DIRECT_MAX_TEXT_BYTES, MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { startTestHub } from './support/test-hub.ts';
import { api, createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { waitForEvent } from './support/hub-events.ts';

test("the browser counts the mesh's and the messenger's text limits as the libraries enforce them (mesh-protocol checks they fit a frame)", async () => {
  const browser = (await import(new URL('../public/js/text-limits.js', import.meta.url).href)) as Record<string, unknown>;
  assert.deepEqual(
    { text: browser.MESH_TEXT_MAX_BYTES, alert: browser.MESH_ALERT_TEXT_MAX_BYTES, direct: browser.MESH_DIRECT_MAX_TEXT_BYTES, messenger: browser.MESSENGER_MAX_TEXT_CHARS },
    { text: MESH_TEXT_MAX_BYTES, alert: MESH_ALERT_TEXT_MAX_BYTES, direct: MESH_DIRECT_MAX_TEXT_BYTES, messenger: MESSENGER_LIMITS.maxTextChars },
  );
  assert.equal((browser.utf8Bytes as (text: string) => number)('ş'.repeat(150)), 300, 'counted in UTF-8 bytes');
});

test('a text or alert over the byte limit is refused with the reason, and nothing is stored or sent to the gateway', async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  gw.mesh('!cccc0002', 'info', { longName: 'Köy', shortName: 'KOY', role: 'CLIENT' }, { packetId: 5 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info', { what: 'the node info' });

  // 150 letters, 300 bytes: within the schema's 200 characters, beyond what a frame carries.
  const long = 'ş'.repeat(150);
  const refused = await api(hub.url, admin, '/api/v1/nodes/!cccc0002/messages', { method: 'POST', body: { text: long } });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.code, 'E_BAD_REQUEST');
  assert.match(refused.body.message, /300 bytes in UTF-8; one radio frame carries at most 200/);
  const alert = await api(hub.url, admin, '/api/v1/messages', { method: 'POST', body: { alert: { level: 'EVACUATE', text: 'ğ'.repeat(81) } } });
  assert.equal(alert.status, 400);
  assert.match(alert.body.message, /alert text is 162 bytes/);
  // An SOS is a person's call for help: from the hub every node would show it as the gateway's.
  const sos = await api(hub.url, admin, '/api/v1/messages', { method: 'POST', body: { alert: { level: 'SOS', text: 'Go to the assembly point' } } });
  assert.equal(sos.status, 400, JSON.stringify(sos.body));
  assert.deepEqual((await api(hub.url, admin, '/api/v1/messages')).body.items, [], 'nothing was stored');

  // At the limit it goes, and it is the first command the gateway gets.
  const fits = 'ş'.repeat(100);
  const sent = await api(hub.url, admin, '/api/v1/nodes/!cccc0002/messages', { method: 'POST', body: { text: fits } });
  assert.equal(sent.status, 202);
  assert.deepEqual(await gw.nextDownlink(), { ref: sent.body.id, to: '!cccc0002', text: fits });
});
