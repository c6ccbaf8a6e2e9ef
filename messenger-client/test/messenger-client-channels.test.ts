// Channels against a real hub: the owner posts, plain members read and react. What a member does
// must land (receipts, reactions), and what the hub would refuse must be refused before anything is
// encrypted, so refusals never wear out the member's keys.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, MessengerClientError } from '../src/index.ts';

async function device(hub: TestHub, who: TestSession, name: string): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: new MemoryStateStore(), deviceName: name });
}

test('a channel member\u2019s read receipt and reaction reach the owner, and the member\u2019s unread count drops to 0', async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub);
  const bob = await createOrgUser(hub, owner, 'member');
  const o = await device(hub, owner, 'owner laptop');
  const b = await device(hub, bob, 'bob phone');
  const ch = await o.createGroup({ kind: 'channel', name: 'news', members: [bob.userId] });
  const post = await o.send(ch.id, { text: 'water truck at noon' });
  await b.sync();
  assert.equal((await b.conversations()).find((c) => c.id === ch.id)?.unread, 1);

  await b.react(ch.id, post.id, '\u{1F44D}');
  assert.equal(await b.markRead(ch.id), post.id);
  assert.equal((await b.conversations()).find((c) => c.id === ch.id)?.unread, 0, 'read on Bob\u2019s side');

  const got = await o.sync();
  assert.deepEqual(got.problems, []);
  const seen = o.history(ch.id).find((m) => m.id === post.id)!;
  assert.deepEqual(seen.reactions, { [bob.userId]: '\u{1F44D}' });
  assert.deepEqual(seen.readBy, [bob.userId]);
});

test('a member\u2019s post in a channel is refused before anything is encrypted: a thousand refusals later the member\u2019s DM and reaction still open', { timeout: 180_000 }, async () => {
  const hub = await startTestHub();
  const owner = await createAdminSession(hub);
  const bob = await createOrgUser(hub, owner, 'member');
  const o = await device(hub, owner, 'owner laptop');
  const b = await device(hub, bob, 'bob phone');
  const dm = await o.startDirect(bob.userId);
  await o.send(dm.id, { text: 'hi bob' });
  await b.sync();
  await b.send(dm.id, { text: 'hi' });
  await o.sync();
  const ch = await o.createGroup({ kind: 'channel', name: 'news', members: [bob.userId] });
  const post = await o.send(ch.id, { text: 'water truck at noon' });
  await b.sync();

  // More refusals than a receiver skips keys for (1000): each one must change no key.
  for (let i = 0; i < 1001; i++) {
    await assert.rejects(b.send(ch.id, { text: 'can I post?' }), (err: unknown) => err instanceof MessengerClientError && err.code === 'E_FORBIDDEN');
  }
  await b.react(ch.id, post.id, '\u{1F44D}');
  await b.send(dm.id, { text: 'are you there?' });
  const got = await o.sync();
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.arrived.filter((a) => a.type === 'text').map((a) => a.text), ['are you there?']);
  assert.deepEqual(o.history(ch.id).find((m) => m.id === post.id)!.reactions, { [bob.userId]: '\u{1F44D}' });
});
