// The lowdb accounts store on a real file: writes are serialized and checked against every
// earlier write, survive a reopen, and leave no temporary file or loose permissions behind.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Org, User } from '../src/accounts/account-store.ts';
import { openLowdbAccountStore } from '../src/accounts/lowdb-account-store.ts';

const at = '2030-01-01T00:00:00.000Z';
const user = (id: string, email: string): User => ({ id, email, name: id, passwordHash: '$scrypt$ln=14,r=8,p=1$x$y', createdAt: at });
const org = (id: string): Org => ({ id, name: id, createdAt: at });

test('concurrent writes see each other; the file survives a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-accounts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openLowdbAccountStore(dir);
  await store.createFirstUser(user('u1', 'a@example.test'), org('o1'));
  await assert.rejects(store.createFirstUser(user('u9', 'z@example.test'), org('o9')), { code: 'E_SETUP_DONE' });
  // Two requests adding the same email at once: exactly one wins.
  const results = await Promise.allSettled([store.createUser(user('u2', 'b@example.test'), { orgId: 'o1', role: 'owner' }), store.createUser(user('u3', 'b@example.test'))]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  // Two owners demoting each other at once: one must stay owner.
  const demotions = await Promise.allSettled([store.setRole('o1', 'u1', 'admin'), store.setRole('o1', 'u2', 'admin')]);
  assert.deepEqual(demotions.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  assert.equal(store.membersOf('o1').filter((m) => m.role === 'owner').length, 1);
  await store.addApiKey({ id: 'k1', orgId: 'o1', name: 'k', scopes: ['read'], secretHash: '00', createdBy: 'u2', createdAt: at, lastUsedAt: null });
  await store.recordApiKeyUse(new Map([['k1', at], ['gone', at]]));
  await store.close();

  assert.equal(statSync(join(dir, 'accounts.json')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['accounts.json']);
  const reopened = await openLowdbAccountStore(dir);
  assert.equal(reopened.userByEmail(' B@Example.test ')?.id, 'u2');
  assert.equal(reopened.membersOf('o1').length, 2);
  assert.equal(reopened.apiKeyById('k1')?.lastUsedAt, at);
  // Removing the key's creator takes the key with them.
  const owner = reopened.membersOf('o1').find((m) => m.role === 'owner')!.userId;
  const other = owner === 'u1' ? 'u2' : 'u1';
  await reopened.setRole('o1', other, 'owner');
  await reopened.removeMember('o1', 'u2');
  assert.equal(reopened.apiKeyById('k1'), undefined);
  await assert.rejects(reopened.removeMember('o1', 'u2'), { code: 'E_NOT_FOUND' });
  await reopened.close();
});
