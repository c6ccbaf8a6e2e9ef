// The signed prekey is replaced once a week, the previous one kept for first messages built on it:
// a first message made without a one-time prekey (the hub had none left) then opens for two weeks
// at most, so a recording of it opens nowhere later and a device stolen later cannot read it.
// A rotation the hub did not take is sent again, not rotated again.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, createAdminSession, createOrgUser } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, SIGNED_PREKEY_ROTATE_MS } from '../src/index.ts';

const DAY = 86_400_000;

test('the signed prekey on the hub is replaced every week; the previous one still opens, the one before is gone; a failed upload is sent again', async (t) => {
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const clock = { t: Date.UTC(2026, 11, 7) };
  const store = new MemoryStateStore();
  let refuseUpload = false;
  const open = () =>
    MessengerClient.open({
      hubUrl: hub.url,
      auth: async () => bob.accessToken,
      store,
      deviceName: 'bob laptop',
      now: () => clock.t,
      fetch: async (input, init) => {
        if (refuseUpload && /\/prekeys$/.test(String(input))) return new Response(JSON.stringify({ code: 'E_UNAVAILABLE', message: 'down' }), { status: 503, headers: { 'content-type': 'application/json' } });
        return fetch(input, init);
      },
    });
  const onHub = async () => ((await api(hub, alice, `/api/v1/messenger/users/${bob.userId}/bundles`)).body.items as Array<{ signedPrekey: { keyId: number } }>)[0]!.signedPrekey.keyId;
  const held = () => {
    const identity = (JSON.parse(store.json!) as { identity: { signedPrekey: { keyId: number }; previousSignedPrekey: { keyId: number } | null } }).identity;
    return [identity.signedPrekey.keyId, identity.previousSignedPrekey?.keyId ?? null];
  };

  await open();
  const first = await onHub();
  assert.deepEqual(held(), [first, null]);
  clock.t += SIGNED_PREKEY_ROTATE_MS - DAY;
  await open();
  assert.equal(await onHub(), first, 'not yet a week old');

  clock.t += 2 * DAY;
  await open();
  const second = await onHub();
  assert.notEqual(second, first);
  assert.deepEqual(held(), [second, first], 'the previous one still opens first messages built on it');

  // A rotation the hub does not take: the new key is kept, the hub keeps the old one, and the next
  // open sends the same one again instead of making another (the hub's would then be two back).
  clock.t += SIGNED_PREKEY_ROTATE_MS;
  refuseUpload = true;
  await assert.rejects(open());
  const third = held()[0]!;
  assert.deepEqual(held(), [third, second]);
  assert.equal(await onHub(), second);
  refuseUpload = false;
  clock.t += DAY;
  const bobClient = await open();
  assert.equal(await onHub(), third);
  assert.deepEqual(held(), [third, second], 'the one before the previous is gone: a first message built on it opens nowhere');

  // Messages still flow on the new key.
  const a = await MessengerClient.open({ hubUrl: hub.url, auth: async () => alice.accessToken, store: new MemoryStateStore(), deviceName: 'alice' });
  const dm = await a.startDirect(bob.userId);
  await a.send(dm.id, { text: 'the new key works' });
  assert.deepEqual((await bobClient.sync()).arrived.map((x) => x.text), ['the new key works']);
});
