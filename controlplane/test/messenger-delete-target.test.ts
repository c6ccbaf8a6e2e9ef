// A delete for everyone erases its target at the hub, so it may target only a message: a group
// admin who aims it at another member's sender key would make that member's group messages
// unreadable for everyone who had not synced yet. Real clients against a real hub.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryStateStore, MessengerClient, MessengerClientError } from '../../messenger-client/src/index.ts';
import { api, createAdminSession, createOrgUser, type TestSession } from './support/test-auth.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

async function device(hub: TestHub, who: TestSession, name: string): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: new MemoryStateStore(), deviceName: name });
}

test('a group admin\u2019s delete aimed at a member\u2019s sender key is refused (400); the others still read that member\u2019s messages', async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub);
  const alice = await createOrgUser(hub, owner, 'member');
  const bob = await createOrgUser(hub, owner, 'member');
  const o = await device(hub, owner, 'owner laptop');
  const a = await device(hub, alice, 'alice phone');
  const b = await device(hub, bob, 'bob phone');
  const g = await o.createGroup({ kind: 'group', name: 'street 4', members: [alice.userId, bob.userId] });
  await a.send(g.id, { text: 'alice 1' });

  // The owner sees every message's kind and id in its own copies (metadata), the sender key among them.
  const copies = await api(hub, owner, `/api/v1/messenger/conversations/${g.id}/messages?device=${o.deviceId}`);
  const senderKey = (copies.body.items as Array<{ kind: string; senderUser: string; messageId: string }>).find((r) => r.kind === 'sender-key' && r.senderUser === alice.userId);
  assert.ok(senderKey, 'Alice\u2019s sender key is among the owner\u2019s copies');
  await assert.rejects(o.delete(g.id, senderKey.messageId), (err: unknown) => err instanceof MessengerClientError && err.status === 400 && err.code === 'E_BAD_REQUEST');

  await a.send(g.id, { text: 'alice 2' });
  const got = await b.sync();
  assert.deepEqual(got.problems, []);
  assert.deepEqual(b.history(g.id).map((m) => m.text), ['alice 1', 'alice 2']);

  // A message itself is still the admin's to delete.
  const spam = b.history(g.id).find((m) => m.text === 'alice 2')!;
  await o.sync();
  await o.delete(g.id, spam.id);
  await b.sync();
  assert.equal(b.history(g.id).find((m) => m.id === spam.id)?.deleted, true);
});
