// A hub module that subscribes to messenger event types gets none of them: those events have an
// audience (a conversation's members), and a module is nobody's conversation partner. The same
// module still gets the org-wide events it declared.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { opaque, registerDevice } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { startModuleHub, writeModules } from './support/module-test-hub.ts';

const host = { platform: 'linux' as const, alsoLinux: false, provides: { requires_lora: true, requires_gps: false, requires_camera: false } };

test('modules never receive messenger events, which belong to the conversation\u2019s members', async () => {
  const hubJs = `
const seen = [];
export default async function plugin(app, { module }) {
  for (const type of ['message.new', 'message.read', 'conversation.updated', 'module.listener.ping']) module.events.subscribe(type, (e) => seen.push(e.type));
  app.get('/seen', async () => ({ seen }));
  app.post('/ping', async (request) => { module.events.publish(module.caller(request).orgId, 'module.listener.ping', {}); return { ok: true }; });
}`;
  const root = writeModules({ listener: { manifest: { permissions: { events: { publish: ['ping'], subscribe: ['message.new', 'message.read', 'conversation.updated'] } } }, files: { 'hub.js': hubJs } } });
  const hub = await startModuleHub({ root, host });
  const admin = await createAdminSession(hub);
  const enabled = await api(hub, admin, '/api/v1/modules/listener/enable', { method: 'POST' });
  assert.equal(enabled.body.state, 'loaded', JSON.stringify(enabled.body));

  const bob = await createOrgUser(hub, admin, 'member');
  const [a, b] = [await registerDevice(hub, admin, 'a'), await registerDevice(hub, bob, 'b')];
  const id = (await api(hub, admin, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: bob.userId } })).body.id as string;
  for (const kind of ['typing', 'message']) {
    const res = await api(hub, admin, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind, senderDevice: a.id, recipientDevices: [b.id], ...(kind === 'message' ? { ciphertext: opaque() } : {}) } });
    assert.ok(res.status < 300, JSON.stringify(res.body));
  }
  // An org-wide event after them; the event log calls subscribers as it appends, so once the ping
  // route has answered, the module has seen it and everything before it.
  assert.equal((await api(hub, admin, '/api/v1/modules/listener/ping', { method: 'POST', body: {} })).status, 200);
  const seen = (await api(hub, admin, '/api/v1/modules/listener/seen')).body.seen as string[];
  assert.deepEqual(seen, ['module.listener.ping']);
});
