// Safety numbers against a real hub: both sides see the same 60 digits, and looking at them, however
// often, takes none of anyone's one-time prekeys (those are what new sessions start with).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient } from '../src/index.ts';

function open(hub: TestHub, who: TestSession, name: string): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: new MemoryStateStore(), deviceName: name });
}

async function prekeysLeft(c: MessengerClient): Promise<number> {
  return (await c.devices()).find((d) => d.id === c.deviceId)!.oneTimePrekeys;
}

test('looking at a safety number again and again uses up nobody\u2019s one-time prekeys; both sides see the same number', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice laptop');
  const a2 = await open(hub, alice, 'alice phone');
  const b1 = await open(hub, bob, 'bob phone');
  const full = MESSENGER_LIMITS.maxOneTimePrekeys;
  assert.deepEqual([await prekeysLeft(a1), await prekeysLeft(a2), await prekeysLeft(b1)], [full, full, full]);

  // The thread and its list look the number up on every render: a dozen times is an ordinary visit.
  let seenByAlice = '';
  for (let i = 0; i < 12; i++) seenByAlice = (await a1.safetyNumber(bob.userId)).safetyNumber;
  const seenByBob = (await b1.safetyNumber(alice.userId)).safetyNumber;
  assert.match(seenByAlice, /^(\d{5} ){11}\d{5}$/);
  assert.equal(seenByBob, seenByAlice);
  assert.deepEqual([await prekeysLeft(a1), await prekeysLeft(a2), await prekeysLeft(b1)], [full, full, full], 'no prekey taken');

  // And a conversation afterwards still starts with a one-time prekey (one of Bob's, one of Alice's phone's).
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'numbers match' });
  assert.deepEqual((await b1.sync()).arrived.map((m) => m.text), ['numbers match']);
  assert.equal(await prekeysLeft(b1), full - 1);
});
