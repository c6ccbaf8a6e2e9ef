// Module settings' secrets, as an admin's browser could try to get them out: a *** is filled in
// only where its secret was stored, with the same user and host (a URL) or the same addresses
// beside it (a secret setting of its own); anywhere else it is refused, never filled in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hideSecrets, keepSecrets } from '../src/modules/settings-secrets.ts';

const refused = (fn: () => unknown, why: RegExp): void => assert.throws(fn, (err: Error & { code?: string }) => err.code === 'E_BAD_REQUEST' && why.test(err.message));

test("a stored camera password typed as *** into another field (a camera's name, which viewers see) is refused, not filled in", () => {
  const stored = { mediaDir: '/var/lib/unibos/cctv', cameras: [{ id: 'gate', name: 'Gate', source: 'rtsp://admin:hunter2@192.0.2.10:554/s' }] };
  const shown = hideSecrets(stored);
  assert.equal(shown.cameras[0]!.source, 'rtsp://admin:***@192.0.2.10:554/s');
  // As shown: kept.
  assert.deepEqual(keepSecrets(shown, stored), stored);
  // A new camera named with the shown URL, and the media folder set to it: both refused.
  refused(() => keepSecrets({ ...shown, cameras: [...shown.cameras, { id: 'x', name: shown.cameras[0]!.source, source: 'synthetic:walker' }] }, stored), /cameras\[#x\]\.name/);
  refused(() => keepSecrets({ ...shown, mediaDir: shown.cameras[0]!.source }, stored), /stored in mediaDir: type the password again/);
});

test('a secret setting is kept only while the address beside it is the same; items without an id are not matched by position', () => {
  const schema = { type: 'object', properties: { feeds: { type: 'array', items: { type: 'object', properties: { apiKey: { type: 'string', writeOnly: true } } } } } };
  const stored = { endpoint: 'https://api.good.example/v1', token: 'REAL-TOKEN', feeds: [{ url: 'https://a.example/q', apiKey: 'KEY-A' }, { url: 'https://b.example/q', apiKey: 'KEY-B' }] };
  const shown = hideSecrets(stored, schema);
  assert.deepEqual(shown, { endpoint: 'https://api.good.example/v1', token: '***', feeds: [{ url: 'https://a.example/q', apiKey: '***' }, { url: 'https://b.example/q', apiKey: '***' }] });
  assert.deepEqual(keepSecrets(shown, stored, schema), stored, 'saved as shown');
  refused(() => keepSecrets({ ...shown, endpoint: 'https://evil.example/v1' }, stored, schema), /^token is shown as \*\*\* but the address beside it changed: type it again$/);
  // The first feed deleted: the second is not given the first one's key (nor its own, by position).
  refused(() => keepSecrets({ ...shown, feeds: [shown.feeds[1]] }, stored, schema), /feeds\[0\/1\]\.apiKey is shown as \*\*\* but no value is stored there/);
  // With the key typed again, it saves.
  assert.deepEqual(keepSecrets({ ...shown, feeds: [{ url: 'https://b.example/q', apiKey: 'KEY-B' }] }, stored, schema).feeds, [{ url: 'https://b.example/q', apiKey: 'KEY-B' }]);
});

test('an item that takes an existing id gets its secret only with the same address', () => {
  const stored = { stations: [{ id: 'north', url: 'https://north.example', token: 'TOK-N' }] };
  const shown = hideSecrets(stored);
  refused(() => keepSecrets({ stations: [{ id: 'north', url: 'https://evil.example', token: '***' }] }, stored), /stations\[#north\]\.token is shown as \*\*\* but the address beside it changed/);
  assert.deepEqual(keepSecrets({ stations: [{ ...shown.stations[0]!, name: 'North hill' }] }, stored), { stations: [{ id: 'north', url: 'https://north.example', token: 'TOK-N', name: 'North hill' }] });
});

test('which names are secrets: by their last word', () => {
  const stored = { userPassword: 'a', accessTokens: ['b'], api_key: 'c', 'private-key': 'd', passcode: 'e', tokenUrl: 'https://t.example', passMode: 'wpa2', sortKey: 'name', label: 'Valley' };
  assert.deepEqual(hideSecrets(stored), { userPassword: '***', accessTokens: ['***'], api_key: '***', 'private-key': '***', passcode: '***', tokenUrl: 'https://t.example', passMode: 'wpa2', sortKey: 'name', label: 'Valley' });
  // A key that is a dotted name does not stand for a nested one.
  const dotted = { 'a.token': 'X', a: { token: 'Y' } };
  assert.deepEqual(keepSecrets({ 'a.token': '***', a: { token: '***' } }, dotted), dotted);
});

test('an XMEye address (password in the path) edited around its *** keeps the stored password, at the same host only', () => {
  const stored = { cameras: [{ id: 'dvr', name: 'DVR', source: 'rtsp://192.0.2.30:554/user=admin&password=s3cr%2Ft&channel=1&stream=0.sdp' }] };
  const shown = hideSecrets(stored);
  assert.equal(shown.cameras[0]!.source, 'rtsp://192.0.2.30:554/user=***&password=***&channel=1&stream=0.sdp');
  // Another channel of the same recorder: the password (and user) come back, not a literal ***.
  const edited = { cameras: [{ ...shown.cameras[0]!, source: shown.cameras[0]!.source.replace('channel=1', 'channel=2') }] };
  assert.equal(keepSecrets(edited, stored).cameras[0]!.source, 'rtsp://192.0.2.30:554/user=admin&password=s3cr%2Ft&channel=2&stream=0.sdp');
  // Pointed at another host, the stored password is not sent there.
  refused(() => keepSecrets({ cameras: [{ ...shown.cameras[0]!, source: shown.cameras[0]!.source.replace('192.0.2.30', '198.51.100.9') }] }, stored), /type the password again/);
});
