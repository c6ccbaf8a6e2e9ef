// Safety numbers against a real hub: both sides see the same 60 digits, and looking at them, however
// often, takes none of anyone's one-time prekeys (those are what new sessions start with).
// Accepting or verifying keys takes the number that was compared: keys it did not cover are refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, type MessengerClientError } from '../src/index.ts';

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

test('accepting a key change takes what was compared: a device added after the number was shown refuses the accept, and nothing goes to it', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice laptop');
  const b1 = await open(hub, bob, 'bob phone');
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'hello' });
  assert.deepEqual((await b1.sync()).arrived.map((m) => m.text), ['hello']);

  // Bob adds a tablet; Alice and the tablet compare the number: equal.
  const tablet = await open(hub, bob, 'bob tablet');
  const shown = await a1.safetyNumber(bob.userId);
  assert.equal(shown.status, 'key_changed');
  assert.equal((await tablet.safetyNumber(alice.userId)).safetyNumber, shown.safetyNumber);

  // Before Alice clicks accept, a device nobody compared appears under Bob (a hub adding a reader).
  const ghost = await open(hub, bob, 'ghost');
  await assert.rejects(a1.send(dm.id, { text: 'not yet' }), (err: MessengerClientError) => err.code === 'E_KEY_CHANGED');
  let now = '';
  await assert.rejects(a1.acceptKeyChange(bob.userId, shown.safetyNumber), (err: MessengerClientError) => {
    now = String(err.details.safetyNumber);
    return err.code === 'E_KEYS_CHANGED_AGAIN' && err.details.userId === bob.userId;
  });
  assert.notEqual(now, shown.safetyNumber);
  assert.equal(now, (await a1.safetyNumber(bob.userId)).safetyNumber, 'the error carries the number to compare now');
  assert.equal(a1.trustStatus(bob.userId), 'key_changed', 'nothing was accepted');
  assert.deepEqual(a1.pinnedDevices(bob.userId).filter((d) => d.state === 'changed').map((d) => d.deviceId).sort(), [tablet.deviceId, ghost.deviceId].sort());
  await assert.rejects(a1.send(dm.id, { text: 'for the ghost?' }), (err: MessengerClientError) => err.code === 'E_KEY_CHANGED');
  assert.deepEqual((await ghost.sync()).arrived, [], 'the ghost read nothing');
  await assert.rejects(a1.markVerified(bob.userId, now), (err: MessengerClientError) => err.code === 'E_KEY_CHANGED', 'a pending change is accepted before it is verified');

  // The number that does cover every device is accepted; verifying takes only the number as it is.
  await a1.acceptKeyChange(bob.userId, now.replace(/ /g, ''));
  assert.equal(a1.trustStatus(bob.userId), 'trusted');
  await assert.rejects(a1.markVerified(bob.userId, shown.safetyNumber), (err: MessengerClientError) => err.code === 'E_KEYS_CHANGED_AGAIN');
  assert.equal(a1.trustStatus(bob.userId), 'trusted');
  await a1.markVerified(bob.userId, now);
  assert.equal(a1.trustStatus(bob.userId), 'verified');

  // Alice's own new device: what she accepts is the keys listed to her, not whatever is pending by then.
  const a2 = await open(hub, alice, 'alice phone');
  await a1.safetyNumber(alice.userId);
  const listed = a1.pinnedDevices(alice.userId).filter((d) => d.state === 'changed').map((d) => d.identityKey);
  assert.equal(listed.length, 1);
  const a3 = await open(hub, alice, 'not alice');
  await a1.safetyNumber(alice.userId);
  await assert.rejects(a1.acceptKeyChange(alice.userId, listed), (err: MessengerClientError) => err.code === 'E_KEYS_CHANGED_AGAIN');
  assert.deepEqual(a1.pinnedDevices(alice.userId).filter((d) => d.state === 'changed').map((d) => d.deviceId).sort(), [a2.deviceId, a3.deviceId].sort());
});
