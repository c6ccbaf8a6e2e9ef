// Messenger groups and channels through a real hub: roles (admins add and remove, only the owner
// changes roles), epochs that move on every membership change, a removed member who receives
// nothing sent after the removal, leaving, muting, channels where members only read and react,
// and users of another org who do not exist.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { conversationDevices, inbox, registerDevice, sendOpaque } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const owner = await createAdminSession(hub, { orgName: 'Messenger groups' });
const other = await createAdminSession(hub, { orgName: 'Other org' });

describe('messenger conversations', { timeout: 60_000 }, () => {
  test('a group: admins add and remove, only the owner changes roles, every membership change is a new epoch', async () => {
    const [olga, pat, ray, sue] = await Promise.all([1, 2, 3, 4].map(() => createOrgUser(hub, owner, 'member')));
    const created = await api(hub, olga!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Shelter 3', description: 'night shift', members: [pat!.userId] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.deepEqual(created.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role]), [[olga!.userId, 'owner'], [pat!.userId, 'member']]);
    const epoch0 = created.body.epoch as number;

    const byMember = await api(hub, pat!, `/api/v1/messenger/conversations/${id}/members`, { method: 'POST', body: { userIds: [ray!.userId] } });
    assert.deepEqual([byMember.status, byMember.body.code], [403, 'E_FORBIDDEN']);
    const promote = await api(hub, olga!, `/api/v1/messenger/conversations/${id}/members/${pat!.userId}`, { method: 'PATCH', body: { role: 'admin' } });
    assert.equal(promote.status, 200);
    const added = await api(hub, pat!, `/api/v1/messenger/conversations/${id}/members`, { method: 'POST', body: { userIds: [ray!.userId, sue!.userId] } });
    assert.equal(added.status, 200, 'an admin adds members');
    assert.equal(added.body.epoch, epoch0 + 1);
    const byAdmin = await api(hub, pat!, `/api/v1/messenger/conversations/${id}/members/${ray!.userId}`, { method: 'PATCH', body: { role: 'admin' } });
    assert.deepEqual([byAdmin.status, byAdmin.body.code], [403, 'E_FORBIDDEN'], 'only the owner changes roles');
    const removeOwner = await api(hub, pat!, `/api/v1/messenger/conversations/${id}/members/${olga!.userId}`, { method: 'DELETE' });
    assert.equal(removeOwner.status, 403, 'nobody removes the owner');
    const removed = await api(hub, pat!, `/api/v1/messenger/conversations/${id}/members/${sue!.userId}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.epoch, epoch0 + 2);
    assert.ok(!removed.body.members.some((m: { userId: string }) => m.userId === sue!.userId));
    const renamed = await api(hub, ray!, `/api/v1/messenger/conversations/${id}`, { method: 'PATCH', body: { name: 'by a member' } });
    assert.equal(renamed.status, 403);
    assert.equal((await api(hub, pat!, `/api/v1/messenger/conversations/${id}`, { method: 'PATCH', body: { name: 'Shelter 3 (north)' } })).body.name, 'Shelter 3 (north)');
  });

  test('a removed member receives nothing sent after the removal and no longer sees the conversation', async () => {
    const [tom, uma, vic] = await Promise.all([1, 2, 3].map(() => createOrgUser(hub, owner, 'member')));
    const [t, u, v] = await Promise.all([registerDevice(hub, tom!, 't'), registerDevice(hub, uma!, 'u'), registerDevice(hub, vic!, 'v')]);
    const id = (await api(hub, tom!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Convoy', members: [uma!.userId, vic!.userId] } })).body.id as string;
    const before = await sendOpaque(hub, t, id);
    assert.equal(before.status, 201);
    const devicesBefore = await conversationDevices(hub, tom!, id);
    assert.equal((await api(hub, tom!, `/api/v1/messenger/conversations/${id}/members/${vic!.userId}`, { method: 'DELETE' })).status, 200);
    // A client that missed the removal still names Vic's device: refused, nothing stored for anyone.
    const stale = await api(hub, tom!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: t.id, recipientDevices: devicesBefore.filter((d) => d !== t.id), ciphertext: 'AAAA' } });
    assert.deepEqual([stale.status, stale.body.extra], [409, [v.id]]);
    const after = await sendOpaque(hub, t, id);
    assert.equal(after.status, 201);
    assert.deepEqual((await inbox(hub, v)).map((r) => r.messageId), [before.body.id], 'only what was sent before the removal');
    assert.deepEqual((await inbox(hub, u)).map((r) => r.messageId), [before.body.id, after.body.id]);
    assert.equal((await api(hub, vic!, `/api/v1/messenger/conversations/${id}`)).status, 404);
    assert.equal((await api(hub, vic!, `/api/v1/messenger/conversations/${id}/messages?device=${v.id}`)).status, 404);
    const post = await api(hub, vic!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: v.id, recipientDevices: [t.id, u.id], ciphertext: 'AAAA' } });
    assert.equal(post.status, 404, 'and cannot post');
    const list = await api(hub, vic!, '/api/v1/messenger/conversations');
    assert.ok(!list.body.items.some((c: { id: string }) => c.id === id));
  });

  test('leaving hands the owner\u2019s seat on; a direct conversation cannot be left, only muted', async () => {
    const [wes, xia] = await Promise.all([1, 2].map(() => createOrgUser(hub, owner, 'member')));
    const id = (await api(hub, wes!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Water', members: [xia!.userId] } })).body.id as string;
    assert.equal((await api(hub, wes!, `/api/v1/messenger/conversations/${id}/leave`, { method: 'POST' })).status, 204);
    const left = await api(hub, xia!, `/api/v1/messenger/conversations/${id}`);
    assert.deepEqual(left.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role]), [[xia!.userId, 'owner']]);
    const dm = (await api(hub, wes!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: xia!.userId } })).body.id as string;
    assert.equal((await api(hub, wes!, `/api/v1/messenger/conversations/${dm}/leave`, { method: 'POST' })).status, 400);
    const muted = await api(hub, wes!, `/api/v1/messenger/conversations/${dm}/mute`, { method: 'PUT', body: { muted: true } });
    assert.equal(muted.body.muted, true);
    assert.equal((await api(hub, xia!, `/api/v1/messenger/conversations/${dm}`)).body.muted, false, 'muting is per member');
  });

  test('in a channel the owner and admins post; members read and react', async () => {
    const [yan, zed] = await Promise.all([1, 2].map(() => createOrgUser(hub, owner, 'member')));
    const [y, z] = await Promise.all([registerDevice(hub, yan!, 'y'), registerDevice(hub, zed!, 'z')]);
    const id = (await api(hub, yan!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'channel', name: 'Announcements', members: [zed!.userId] } })).body.id as string;
    const post = await sendOpaque(hub, y, id);
    assert.equal(post.status, 201);
    assert.equal((await sendOpaque(hub, z, id)).status, 403);
    assert.equal((await sendOpaque(hub, z, id, { kind: 'reaction', target: post.body.id })).status, 201);
    assert.equal((await sendOpaque(hub, z, id, { kind: 'read', target: post.body.id })).status, 201);
    const edit = await sendOpaque(hub, z, id, { kind: 'edit', target: post.body.id });
    assert.equal(edit.status, 403);
  });

  test('users, conversations and groups of another org do not exist', async () => {
    const ann = await createOrgUser(hub, owner, 'member');
    const stranger = await createOrgUser(hub, other, 'member');
    const dm = await api(hub, ann, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: stranger.userId } });
    const nobody = await api(hub, ann, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: randomUUID() } });
    assert.deepEqual([dm.status, dm.body.code], [404, 'E_NOT_FOUND']);
    assert.deepEqual(dm.body, nobody.body);
    const group = await api(hub, ann, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'mixed', members: [stranger.userId] } });
    assert.equal(group.status, 404);
    const mine = (await api(hub, ann, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'ours' } })).body.id as string;
    assert.equal((await api(hub, ann, `/api/v1/messenger/conversations/${mine}/members`, { method: 'POST', body: { userIds: [stranger.userId] } })).status, 404);
    assert.equal((await api(hub, stranger, `/api/v1/messenger/conversations/${mine}`)).status, 404);
  });

  test('the caller\u2019s conversations page like the other lists', async () => {
    const bea = await createOrgUser(hub, owner, 'member');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api(hub, bea, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: `g${i}` } })).body.id as string);
    const first = await api(hub, bea, '/api/v1/messenger/conversations?limit=3');
    const second = await api(hub, bea, `/api/v1/messenger/conversations?limit=3&cursor=${first.body.nextCursor}`);
    assert.deepEqual([...first.body.items, ...second.body.items].map((c: { id: string }) => c.id), [...ids].reverse());
    assert.equal(second.body.nextCursor, null);
  });
});
