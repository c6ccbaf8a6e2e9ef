// Messenger events on the hub's event stream reach only the conversation's members: two streams
// in the same org, one member and one not, live and replayed. They carry ids and metadata, never
// ciphertext; typing and presence go to live streams only and are never stored.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { EventStream, opaque, registerDevice } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const owner = await createAdminSession(hub, { orgName: 'Messenger events' });

describe('messenger events', { timeout: 60_000 }, () => {
  test('message, typing and membership events reach the members\u2019 streams only, without ciphertext', async () => {
    const [amy, ben, cat] = await Promise.all([1, 2, 3].map(() => createOrgUser(hub, owner, 'member')));
    const [a, b] = await Promise.all([registerDevice(hub, amy!, 'a'), registerDevice(hub, ben!, 'b')]);
    await registerDevice(hub, cat!, 'c');
    const id = (await api(hub, amy!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: ben!.userId } })).body.id as string;
    const member = await EventStream.open(hub, ben!);
    const outsider = await EventStream.open(hub, cat!);
    // The org owner (who may read every event of the org) is no member either.
    const orgOwner = await EventStream.open(hub, owner);

    const ciphertext = opaque(64);
    const typing = await api(hub, amy!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'typing', senderDevice: a.id, recipientDevices: [b.id] } });
    assert.equal(typing.status, 202);
    const sent = await api(hub, amy!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: a.id, recipientDevices: [b.id], ciphertext } });
    assert.equal(sent.status, 201);
    const edit = await api(hub, amy!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'edit', target: sent.body.id, senderDevice: a.id, recipientDevices: [b.id], ciphertext: opaque() } });
    assert.equal(edit.status, 201);

    const frames = await member.until((f) => f.event === 'message.edited');
    const events = frames.filter((f) => f.type === 'event');
    assert.deepEqual(events.map((f) => f.event), ['typing', 'message.new', 'message.edited']);
    assert.deepEqual(events[0]!.data, { conversationId: id, userId: amy!.userId, deviceId: a.id });
    assert.deepEqual(events[1]!.data, { conversationId: id, messageId: sent.body.id, senderUser: amy!.userId, senderDevice: a.id, kind: 'message', target: null, sentAt: sent.body.sentAt, expiresAt: null });
    assert.equal(events[2]!.data.target, sent.body.id);
    assert.ok(!JSON.stringify(frames).includes(ciphertext), 'no ciphertext on the stream');

    // Something for everyone in the org afterwards: whatever the others got before it is all they got.
    const marker = await api(hub, owner, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'everyone', members: [cat!.userId] } });
    for (const stream of [outsider, orgOwner]) {
      const seen = await stream.until((f) => f.event === 'conversation.updated' && f.data.conversationId === marker.body.id);
      assert.deepEqual(seen.filter((f) => f.type === 'event' && f.data.conversationId === id), [], 'a non-member\u2019s stream carried the conversation\u2019s events');
    }

    // Typing was never stored; the stored events are replayed to members only.
    const stored = hub.app.events.after(owner.orgId, 0, 10_000);
    assert.ok(!stored.some((e) => e.type === 'typing'), 'typing is not in the event log');
    const replayMember = await EventStream.open(hub, ben!, 0);
    const replayed = await replayMember.until((f) => f.event === 'message.edited');
    assert.deepEqual(replayed.filter((f) => f.type === 'event' && f.data.conversationId === id).map((f) => f.event), ['conversation.updated', 'message.new', 'message.edited']);
    const replayOutsider = await EventStream.open(hub, cat!, 0);
    const outsiderReplay = await replayOutsider.until((f) => f.event === 'conversation.updated' && f.data.conversationId === marker.body.id);
    assert.deepEqual(outsiderReplay.filter((f) => f.type === 'event' && f.data.conversationId === id), []);
  });

  test('a removed member is told once, then hears nothing of the conversation', async () => {
    const [dee, eli, fox] = await Promise.all([1, 2, 3].map(() => createOrgUser(hub, owner, 'member')));
    const [d, e] = await Promise.all([registerDevice(hub, dee!, 'd'), registerDevice(hub, eli!, 'e')]);
    await registerDevice(hub, fox!, 'f');
    const id = (await api(hub, dee!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Team', members: [eli!.userId, fox!.userId] } })).body.id as string;
    const foxStream = await EventStream.open(hub, fox!);
    assert.equal((await api(hub, dee!, `/api/v1/messenger/conversations/${id}/members/${fox!.userId}`, { method: 'DELETE' })).status, 200);
    const removal = await foxStream.next((f) => f.event === 'conversation.updated');
    assert.deepEqual([removal.data.change, removal.data.userIds], ['member_removed', [fox!.userId]]);
    const sent = await api(hub, dee!, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: d.id, recipientDevices: [e.id], ciphertext: opaque() } });
    assert.equal(sent.status, 201);
    const presence = await api(hub, fox!, '/api/v1/messenger/presence', { method: 'POST', body: { device: (await api(hub, fox!, '/api/v1/messenger/devices')).body.items[0].id, status: 'online' } });
    assert.equal(presence.status, 204);
    // Fox's own presence comes back to Fox; nothing of the conversation came before it.
    const seen = await foxStream.until((f) => f.event === 'presence');
    assert.deepEqual(seen.filter((f) => f.data?.conversationId === id), []);
  });
});
