// Messenger devices through a real hub: registration with a verified bundle, the per-user limit,
// one-time prekeys handed out once, prekey refills that cannot swap the identity, revocation
// (its inbox goes, it gets nothing more, partners are told), and other orgs' users not existing.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { DeviceIdentity, MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { EventStream, inbox, registerDevice, sendOpaque } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';
import { PREKEY_FETCHES_PER_HOUR } from '../src/messenger/messenger-devices.ts';

const hub = await startTestHub();
const owner = await createAdminSession(hub, { orgName: 'Messenger devices' });
const alice = await createOrgUser(hub, owner, 'member');
const bob = await createOrgUser(hub, owner, 'member');
const other = await createAdminSession(hub, { orgName: 'Another org' });

describe('messenger devices', { timeout: 60_000 }, () => {
  test('a device registers with its bundle and is listed for its user only', async () => {
    const keys = DeviceIdentity.generate({ oneTimePrekeys: 4 });
    const res = await api(hub, alice, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'Alice phone', bundle: keys.publishedBundle() } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.identityKey, keys.publishedBundle().identityKey);
    assert.equal(res.body.oneTimePrekeys, 4);
    const mine = await api(hub, alice, '/api/v1/messenger/devices');
    assert.ok(mine.body.items.some((d: { id: string; name: string }) => d.id === res.body.id && d.name === 'Alice phone'));
    const bobs = await api(hub, bob, '/api/v1/messenger/devices');
    assert.ok(!bobs.body.items.some((d: { id: string }) => d.id === res.body.id), 'another user does not list it');
  });

  test('a bundle with a bad signature is refused with a stable code and counted', async () => {
    const bundle = DeviceIdentity.generate({ oneTimePrekeys: 1 }).publishedBundle();
    const forged = { ...bundle, signedPrekey: { ...bundle.signedPrekey, keyId: bundle.signedPrekey.keyId + 1 } };
    const res = await api(hub, alice, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'forged', bundle: forged } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'E_BAD_BUNDLE');
    assert.match(res.body.message, /signature/i);
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    assert.match(metrics, /unibos_messenger_refused_total\{reason="bad_bundle"\} [1-9]/);
  });

  test('the same identity key again is refused: a new device needs new keys', async () => {
    const keys = DeviceIdentity.generate({ oneTimePrekeys: 1 });
    assert.equal((await api(hub, bob, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'first', bundle: keys.publishedBundle() } })).status, 201);
    const again = await api(hub, bob, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'again', bundle: keys.publishedBundle() } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'E_CONFLICT');
  });

  test(`a user has at most ${MESSENGER_LIMITS.maxDevicesPerUser} active devices`, async () => {
    const carol = await createOrgUser(hub, owner, 'member');
    const devices = [];
    for (let i = 0; i < MESSENGER_LIMITS.maxDevicesPerUser; i++) devices.push(await registerDevice(hub, carol, `device ${i}`, 0));
    const over = await api(hub, carol, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'one too many', bundle: DeviceIdentity.generate({ oneTimePrekeys: 0 }).publishedBundle() } });
    assert.equal(over.status, 409);
    assert.equal(over.body.code, 'E_LIMIT_REACHED');
    assert.equal((await api(hub, carol, `/api/v1/messenger/devices/${devices[0]!.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await api(hub, carol, '/api/v1/messenger/devices', { method: 'POST', body: { name: 'replacement', bundle: DeviceIdentity.generate({ oneTimePrekeys: 0 }).publishedBundle() } })).status, 201, 'a revoked device frees its seat');
  });

  test('each one-time prekey is handed out once; then bundles come without one', async () => {
    const dave = await createOrgUser(hub, owner, 'member');
    const device = await registerDevice(hub, dave, 'Dave laptop', 2);
    const taken: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api(hub, alice, `/api/v1/messenger/users/${dave.userId}/bundles`);
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 1);
      const b = res.body.items[0];
      assert.equal(b.deviceId, device.id);
      assert.equal(b.identityKey, device.keys.publishedBundle().identityKey);
      assert.equal(b.signedPrekey.signature, device.keys.publishedBundle().signedPrekey.signature);
      if (b.oneTimePrekey) taken.push(b.oneTimePrekey.keyId);
      else assert.equal(i, 2, 'only the third fetch finds none left');
    }
    assert.equal(new Set(taken).size, 2, 'two different prekeys, each once');
    const mine = await api(hub, dave, '/api/v1/messenger/devices');
    assert.equal(mine.body.items[0].oneTimePrekeys, 0);
  });

  test("one member cannot drain another's one-time prekeys: past the hourly budget, bundles come without them", async () => {
    const fay = await createOrgUser(hub, owner, 'member');
    const mallory = await createOrgUser(hub, owner, 'member');
    await registerDevice(hub, fay, 'Fay phone', PREKEY_FETCHES_PER_HOUR + 5);
    let withKey = 0;
    for (let i = 0; i < PREKEY_FETCHES_PER_HOUR + 5; i++) {
      const res = await api(hub, mallory, `/api/v1/messenger/users/${fay.userId}/bundles`);
      assert.equal(res.status, 200, 'still answered: a session can start without a one-time prekey');
      if (res.body.items[0].oneTimePrekey) withKey++;
    }
    assert.equal(withKey, PREKEY_FETCHES_PER_HOUR);
    const fays = await api(hub, fay, '/api/v1/messenger/devices');
    assert.equal(fays.body.items[0].oneTimePrekeys, 5, 'the rest stay for everyone else');
    assert.ok((await api(hub, alice, `/api/v1/messenger/users/${fay.userId}/bundles`)).body.items[0].oneTimePrekey, 'another member still gets one');
  });

  test('a prekey refill adds one-time prekeys and rotates the signed prekey, but never swaps the identity', async () => {
    const erin = await createOrgUser(hub, owner, 'member');
    const device = await registerDevice(hub, erin, 'Erin tablet', 0);
    const fresh = device.keys.generateOneTimePrekeys(3);
    device.keys.rotateSignedPrekey();
    const refill = await api(hub, erin, `/api/v1/messenger/devices/${device.id}/prekeys`, { method: 'POST', body: { bundle: device.keys.publishedBundle(fresh) } });
    assert.equal(refill.status, 200, JSON.stringify(refill.body));
    assert.equal(refill.body.oneTimePrekeys, 3);
    assert.equal(refill.body.signedPrekey.keyId, device.keys.publishedBundle().signedPrekey.keyId);
    const stranger = DeviceIdentity.generate({ oneTimePrekeys: 1 }).publishedBundle();
    const swap = await api(hub, erin, `/api/v1/messenger/devices/${device.id}/prekeys`, { method: 'POST', body: { bundle: stranger } });
    assert.equal(swap.status, 409);
    assert.equal(swap.body.code, 'E_CONFLICT');
    const notMine = await api(hub, alice, `/api/v1/messenger/devices/${device.id}/prekeys`, { method: 'POST', body: { bundle: device.keys.publishedBundle([]) } });
    assert.equal(notMine.status, 404, 'another user\u2019s device does not exist for the caller');
  });

  test('a new device is announced to conversation partners; a revoked one loses its inbox and gets nothing more', async () => {
    const frank = await createOrgUser(hub, owner, 'member');
    const grace = await createOrgUser(hub, owner, 'member');
    const outsider = await createOrgUser(hub, owner, 'member');
    const frankPhone = await registerDevice(hub, frank, 'Frank phone');
    const gracePhone = await registerDevice(hub, grace, 'Grace phone');
    const conv = await api(hub, frank, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: grace.userId } });
    assert.equal(conv.status, 201);
    const graceStream = await EventStream.open(hub, grace);
    const outsiderStream = await EventStream.open(hub, outsider);
    const frankLaptop = await registerDevice(hub, frank, 'Frank laptop');
    const announced = await graceStream.next((f) => f.event === 'messenger.devices_changed');
    assert.deepEqual(announced.data, { userId: frank.userId, deviceId: frankLaptop.id, change: 'added', identityKey: frankLaptop.keys.publishedBundle().identityKey });

    assert.equal((await sendOpaque(hub, gracePhone, conv.body.id)).status, 201);
    assert.equal((await inbox(hub, frankLaptop)).length, 1);
    assert.equal((await api(hub, frank, `/api/v1/messenger/devices/${frankLaptop.id}`, { method: 'DELETE' })).status, 204);
    const revoked = await graceStream.next((f) => f.event === 'messenger.devices_changed' && f.data.change === 'revoked');
    assert.equal(revoked.data.deviceId, frankLaptop.id);
    const gone = await api(hub, frank, `/api/v1/messenger/inbox?device=${frankLaptop.id}`);
    assert.equal(gone.status, 404, 'a revoked device has no inbox');
    // Grace's client, told of the revocation, leaves it out; naming it is refused.
    const stale = await api(hub, grace, `/api/v1/messenger/conversations/${conv.body.id}/messages`, {
      method: 'POST',
      body: { clientId: randomUUID(), kind: 'message', senderDevice: gracePhone.id, recipientDevices: [frankPhone.id, frankLaptop.id], ciphertext: 'AAAA' },
    });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.body.extra, [frankLaptop.id]);
    assert.equal((await sendOpaque(hub, gracePhone, conv.body.id)).status, 201);
    assert.equal((await inbox(hub, frankPhone)).length, 2);
    // The outsider shares no conversation with Frank: told nothing. A later event of their own proves the stream is live.
    await registerDevice(hub, outsider, 'outsider device');
    const seen = await outsiderStream.until((f) => f.event === 'messenger.devices_changed' && f.data.userId === outsider.userId);
    assert.deepEqual(seen.filter((f) => f.data?.userId === frank.userId), []);
  });

  test('another org\u2019s user and devices do not exist', async () => {
    const res = await api(hub, other, `/api/v1/messenger/users/${alice.userId}/bundles`);
    const missing = await api(hub, other, `/api/v1/messenger/users/${randomUUID()}/bundles`);
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'E_NOT_FOUND');
    assert.deepEqual(res.body, missing.body);
    const aliceDevices = await api(hub, alice, '/api/v1/messenger/devices');
    const id = aliceDevices.body.items[0].id as string;
    assert.equal((await api(hub, other, `/api/v1/messenger/devices/${id}`, { method: 'DELETE' })).status, 404);
    assert.equal((await api(hub, other, `/api/v1/messenger/inbox?device=${id}`)).status, 404);
    assert.equal((await api(hub, alice, '/api/v1/messenger/devices')).body.items.length, aliceDevices.body.items.length, 'still there');
  });
});
