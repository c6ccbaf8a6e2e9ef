import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeviceIdentity, MessengerCryptoError, verifyDeviceBundle } from '../src/index.ts';

const isCode = (code: string) => (e: unknown) => e instanceof MessengerCryptoError && e.code === code;

test('a generated device publishes a bundle the hub accepts, with distinct one-time prekeys', () => {
  const device = DeviceIdentity.generate({ oneTimePrekeys: 20 });
  const bundle = device.publishedBundle();
  const r = verifyDeviceBundle(bundle);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(bundle.oneTimePrekeys.length, 20);
  assert.equal(new Set(bundle.oneTimePrekeys.map((k) => k.publicKey)).size, 20);
  assert.notEqual(bundle.identityKey, bundle.signedPrekey.publicKey);
});

test('a device restored from its JSON publishes the same bundle and keeps counting prekey ids', () => {
  const device = DeviceIdentity.generate({ oneTimePrekeys: 3 });
  const restored = DeviceIdentity.fromJSON(JSON.parse(JSON.stringify(device)));
  assert.deepEqual(restored.publishedBundle(), device.publishedBundle());
  const a = device.generateOneTimePrekeys(2).map((k) => k.keyId);
  const b = restored.generateOneTimePrekeys(2).map((k) => k.keyId);
  assert.deepEqual(a, b);
  assert.ok(!device.publishedBundle().oneTimePrekeys.slice(0, 3).some((k) => a.includes(k.keyId)));
});

test('a refresh uploads only the new prekeys; a rotated signed prekey still verifies and the previous one is kept', () => {
  const device = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const before = device.publishedBundle().signedPrekey;
  device.rotateSignedPrekey();
  const fresh = device.generateOneTimePrekeys(5);
  const refresh = device.publishedBundle(fresh);
  const r = verifyDeviceBundle(refresh);
  assert.ok(r.ok);
  assert.notEqual(refresh.signedPrekey.keyId, before.keyId);
  assert.ok(device.signedPrekeyById(before.keyId), 'a handshake made against the old bundle can still be answered');
  assert.equal(refresh.oneTimePrekeys.length, 5);
  assert.throws(() => device.generateOneTimePrekeys(101), isCode('E_BUNDLE_TOO_MANY_PREKEYS'));
});

test('a consumed one-time prekey is gone, also after a save and restore', () => {
  const device = DeviceIdentity.generate({ oneTimePrekeys: 2 });
  const id = device.publishedBundle().oneTimePrekeys[0]!.keyId;
  device.consumeOneTimePrekey(id);
  assert.equal(device.peekOneTimePrekey(id), undefined);
  assert.equal(DeviceIdentity.fromJSON(device.toJSON()).peekOneTimePrekey(id), undefined);
  assert.equal(device.oneTimePrekeyCount, 1);
});

test('corrupt stored device state is refused with E_STATE_MALFORMED', () => {
  const json = DeviceIdentity.generate({ oneTimePrekeys: 1 }).toJSON();
  for (const bad of [null, 'x', { ...json, v: 2 }, { ...json, identitySecret: 'AAAA' }, { ...json, oneTimePrekeys: [{ keyId: -1, secret: json.identitySecret }] }, { ...json, signedPrekey: null }]) {
    assert.throws(() => DeviceIdentity.fromJSON(bad), isCode('E_STATE_MALFORMED'));
  }
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      try {
        DeviceIdentity.fromJSON(v);
      } catch (e) {
        assert.ok(isCode('E_STATE_MALFORMED')(e));
      }
    }),
  );
});
