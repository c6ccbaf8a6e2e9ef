// Device credentials for the gateway broker: secrets issued once and stored only as scrypt hashes,
// verification, listing without secrets, removal, rotation and refusal of bad ids.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { GatewayError } from '../src/gateway-error.ts';
import { DeviceCredentials } from '../src/broker/device-credentials.ts';

const isError = (code: string) => (err: unknown) => err instanceof GatewayError && err.code === code;

describe('device credentials', () => {
  it('issues a secret once, keeps only a salted scrypt hash with its parameters, and verifies it', async () => {
    const db = new Database(':memory:');
    const creds = new DeviceCredentials(db, { now: () => 1_700_000_000_000 });
    const secret = await creds.add('s1', 'sensor');
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    const other = await creds.add('s2', 'sensor');
    assert.notEqual(secret, other);

    const rows = db.prepare('SELECT * FROM devices ORDER BY id').all() as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['created_ms', 'id', 'role', 'secret_hash']);
    const [hash1, hash2] = rows.map((r) => String(r.secret_hash));
    assert.match(hash1!, /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    assert.ok(!hash1!.includes(secret));
    assert.notEqual(hash1!.split('$')[3], hash2!.split('$')[3], 'a salt per secret');

    assert.equal(await creds.verify('s1', secret), 'sensor');
    assert.equal(await creds.verify('s1', Buffer.from(secret)), 'sensor');
    assert.equal(await creds.verify('s1', other), null, "another device's secret");
    assert.equal(await creds.verify('s1', `${secret}x`), null);
    assert.equal(await creds.verify('s1', ''), null);
    assert.equal(await creds.verify('nobody', secret), null);
    assert.equal(await creds.verify('../../etc', secret), null);
    assert.deepEqual(creds.list().map(({ id, role, createdMs }) => ({ id, role, createdMs })), [
      { id: 's1', role: 'sensor', createdMs: 1_700_000_000_000 },
      { id: 's2', role: 'sensor', createdMs: 1_700_000_000_000 },
    ]);
    const [before] = creds.list();
    assert.doesNotMatch(before!.credential, /scrypt|\$/, 'a digest, not the secret hash');
    await creds.rotate('s1');
    assert.notEqual(creds.get('s1')!.credential, before!.credential, 'a rotated secret is another credential');
    assert.equal(creds.get('s2')!.credential, creds.list()[1]!.credential);
  });

  it('keeps verifying old hashes after the cost parameters change', async () => {
    const db = new Database(':memory:');
    const old = await new DeviceCredentials(db).add('old', 'hub');
    const creds = new DeviceCredentials(db, { scrypt: { ln: 12, r: 8, p: 1 } });
    const fresh = await creds.add('fresh', 'gateway');
    const stored = db.prepare("SELECT secret_hash FROM devices WHERE id = 'fresh'").pluck().get() as string;
    assert.match(stored, /^\$scrypt\$ln=12,r=8,p=1\$/);
    assert.equal(await creds.verify('old', old), 'hub');
    assert.equal(await creds.verify('fresh', fresh), 'gateway');
  });

  it('removes and rotates', async () => {
    const creds = new DeviceCredentials(new Database(':memory:'));
    const first = await creds.add('s1', 'sensor');
    const second = await creds.rotate('s1');
    assert.equal(await creds.verify('s1', first), null);
    assert.equal(await creds.verify('s1', second), 'sensor');
    assert.equal(creds.remove('s1'), true);
    assert.equal(creds.remove('s1'), false);
    assert.equal(await creds.verify('s1', second), null);
    assert.deepEqual(creds.list(), []);
    await assert.rejects(creds.rotate('s1'), isError('E_BAD_REQUEST'));
  });

  it('refuses bad ids, reserved ids, duplicates and unknown roles', async () => {
    const creds = new DeviceCredentials(new Database(':memory:'));
    for (const id of ['', 'a b', 'a/b', 'a:b', '+', '#', 'ü', 'x'.repeat(65), 'anonymous', 's1\u0000']) {
      await assert.rejects(creds.add(id, 'sensor'), isError('E_BAD_REQUEST'), JSON.stringify(id));
    }
    await creds.add('x'.repeat(64), 'sensor');
    await creds.add('s1', 'sensor');
    await assert.rejects(creds.add('s1', 'hub'), isError('E_BAD_REQUEST'));
    await assert.rejects(creds.add('s3', 'admin' as 'hub'), isError('E_BAD_REQUEST'));
    assert.throws(() => creds.remove('a/b'), isError('E_BAD_REQUEST'));
  });

  it('treats a tampered or unreadable stored hash as a failed login, not a crash', async () => {
    const db = new Database(':memory:');
    const creds = new DeviceCredentials(db);
    const secret = await creds.add('s1', 'sensor');
    for (const bad of ['', 'plain', '$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA', '$scrypt$ln=14,r=8,p=1$short$short']) {
      db.prepare("UPDATE devices SET secret_hash = ? WHERE id = 's1'").run(bad);
      assert.equal(await creds.verify('s1', secret), null, bad);
    }
  });

  it('refuses a devices table it cannot use', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE devices (id TEXT PRIMARY KEY, name TEXT)');
    assert.throws(() => new DeviceCredentials(db), isError('E_CONFIG'));
  });
});
