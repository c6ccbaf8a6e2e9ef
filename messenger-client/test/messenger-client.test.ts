// The client against a real hub: two users of one org, Alice on two devices and Bob on one, real
// keys and real encryption end to end; what the users see is asserted, and the hub's files are
// searched for the plaintext afterwards.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { GroupSession } from '@unibos/messenger-crypto';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, MessengerClientError, type SyncResult, type WebSocketLike } from '../src/index.ts';

async function device(hub: TestHub, who: TestSession, name: string, store = new MemoryStateStore(), now?: () => number): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store, deviceName: name, ...(now ? { now } : {}) });
}

function texts(r: SyncResult): string[] {
  return r.arrived.filter((a) => a.type === 'text').map((a) => a.text!);
}

/** Every byte the hub keeps on disk: the database, its WAL, attachments. */
function hubBytes(dir: string): Buffer {
  const out: Buffer[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(hubBytes(p));
    else out.push(readFileSync(p));
  }
  return Buffer.concat(out);
}

test('a DM reaches both of Alice\u2019s devices and Bob; an offline device catches up in order, exactly once; the hub keeps no plaintext', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await device(hub, alice, 'alice laptop');
  const a2 = await device(hub, alice, 'alice phone');
  const b1 = await device(hub, bob, 'bob laptop');

  const dm = await a1.startDirect(bob.userId);
  const secret = 'meet at the water tower 7pm ZEBRA-42';
  await a1.send(dm.id, { text: secret });
  assert.deepEqual(texts(await b1.sync()), [secret]);
  assert.deepEqual(texts(await a2.sync()), [secret], 'Alice\u2019s other device gets her own message too');

  // a2 is offline while Bob writes three messages; on return it gets them in order, once.
  for (const t of ['one', 'two', 'three']) await b1.send(dm.id, { text: t });
  assert.deepEqual(texts(await a1.sync()), ['one', 'two', 'three']);
  const back = await a2.sync();
  assert.deepEqual(texts(back), ['one', 'two', 'three']);
  assert.deepEqual(back.problems, []);
  assert.deepEqual((await a2.sync()).arrived, [], 'nothing twice');
  assert.deepEqual(a2.history(dm.id).map((m) => m.text), [secret, 'one', 'two', 'three']);

  // A device whose state was saved and reopened carries on (sessions and history persisted).
  const store = new MemoryStateStore();
  const b2 = await device(hub, bob, 'bob tablet', store);
  // A device Alice has not seen is a key change for her too: nothing goes to it until she accepts.
  await assert.rejects(a1.send(dm.id, { text: 'four' }), (err: MessengerClientError) => err.code === 'E_KEY_CHANGED');
  await a1.acceptKeyChange(bob.userId, (await a1.safetyNumber(bob.userId)).safetyNumber);
  await a1.send(dm.id, { text: 'four' });
  assert.deepEqual(texts(await b2.sync()), ['four']);
  const b2again = await device(hub, bob, 'ignored: the saved device is reopened', store);
  assert.equal(b2again.deviceId, b2.deviceId);
  await a1.send(dm.id, { text: 'five' });
  assert.deepEqual(texts(await b2again.sync()), ['five']);
  assert.deepEqual(b2again.history(dm.id).map((m) => m.text), ['four', 'five']);

  // A file goes encrypted: the hub holds ciphertext, the recipient opens it.
  const file = new TextEncoder().encode('PLAN-B-ATTACHMENT-CONTENT '.repeat(20));
  await a1.send(dm.id, { text: 'the plan', attachment: { data: file, name: 'plan.txt', mimeType: 'text/plain' } });
  const got = (await b1.sync()).arrived.find((a) => a.text === 'the plan');
  assert.ok(got?.attachment);
  assert.deepEqual(await b1.downloadAttachment(got.attachment), file);

  await hub.stop();
  const bytes = hubBytes(hub.dataDir);
  for (const plain of [secret, 'PLAN-B-ATTACHMENT-CONTENT', 'water tower']) assert.equal(bytes.indexOf(plain), -1, `the hub's files contain '${plain}'`);
});

test('Bob re-registers with a new identity: Alice is told the key changed and cannot send until she accepts it', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await device(hub, alice, 'alice');
  const b1 = await device(hub, bob, 'bob');
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'hello bob' });
  assert.deepEqual(texts(await b1.sync()), ['hello bob']);
  const before = (await a1.safetyNumber(bob.userId)).safetyNumber;
  assert.match(before, /^(\d{5} ){11}\d{5}$/);

  // Bob reinstalls: the old device is revoked, a new one with new keys appears.
  await b1.revokeDevice(b1.deviceId);
  const b2 = await device(hub, bob, 'bob reinstalled');
  await assert.rejects(a1.send(dm.id, { text: 'are you still you?' }), (err: MessengerClientError) => {
    assert.equal(err.code, 'E_KEY_CHANGED');
    assert.equal(err.details.userId, bob.userId);
    assert.notEqual(err.details.safetyNumber, before, 'the safety number to compare is the new one');
    return true;
  });
  assert.equal(a1.trustStatus(bob.userId), 'key_changed');
  const sync = await a1.sync();
  assert.deepEqual(sync.problems.map((p) => p.code), ['key_changed'], 'the change is reported by sync as well');

  // New Bob writes first: his message is held (not dropped, not opened) until Alice accepts.
  await b2.send(dm.id, { text: 'it is me, new phone' });
  const held = await a1.sync();
  assert.deepEqual(texts(held), []);
  assert.equal(held.problems[0]?.code, 'key_changed');
  assert.equal(held.problems[0]?.code === 'key_changed' && held.problems[0].held, 1);

  const { safetyNumber } = await a1.safetyNumber(bob.userId);
  assert.equal(safetyNumber, (await b2.safetyNumber(alice.userId)).safetyNumber, 'both sides see the same number');
  const released = await a1.acceptKeyChange(bob.userId, safetyNumber);
  assert.deepEqual(texts(released), ['it is me, new phone']);
  assert.equal(a1.trustStatus(bob.userId), 'trusted');
  await a1.send(dm.id, { text: 'welcome back' });
  assert.deepEqual(texts(await b2.sync()), ['welcome back']);
  await assert.rejects(b1.sync(), (err: MessengerClientError) => err.code === 'E_DEVICE_REVOKED');
});

test('a group re-keys when a member is removed: what follows cannot be read with the removed member\u2019s keys', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const a1 = await device(hub, alice, 'alice');
  const b1 = await device(hub, bob, 'bob');
  const carolStore = new MemoryStateStore();
  const c1 = await device(hub, carol, 'carol', carolStore);

  const group = await a1.createGroup({ kind: 'group', name: 'water team', members: [bob.userId, carol.userId] });
  await a1.send(group.id, { text: 'all three of us' });
  assert.deepEqual(texts(await b1.sync()), ['all three of us']);
  assert.deepEqual(texts(await c1.sync()), ['all three of us']);
  await c1.send(group.id, { text: 'carol here' });
  assert.deepEqual(texts(await a1.sync()), ['carol here']);
  assert.deepEqual(texts(await b1.sync()), ['carol here']);

  await a1.removeMember(group.id, carol.userId);
  await a1.send(group.id, { text: 'carol is gone now' });
  await b1.send(group.id, { text: 'bob after removal' });
  assert.deepEqual(texts(await b1.sync()), ['carol is gone now']);
  assert.deepEqual(texts(await a1.sync()), ['bob after removal']);
  const carolSync = await c1.sync();
  assert.deepEqual(carolSync.arrived, [], 'the hub sends Carol nothing more');

  // And her keys would not open it anyway: the ciphertext Bob received, tried with Carol's saved state.
  const bobsCopy = await fetch(`${hub.url}/api/v1/messenger/conversations/${group.id}/messages?device=${b1.deviceId}`, { headers: { authorization: `Bearer ${bob.accessToken}` } });
  const rows = ((await bobsCopy.json()) as { items: Array<{ kind: string; ciphertext: string | null; senderUser: string; senderDevice: string }> }).items;
  const after = rows.find((r) => r.kind === 'message' && r.senderUser === alice.userId && r.ciphertext !== null)!;
  const carolState = JSON.parse(carolStore.json!) as { groups: Record<string, { session: unknown }> };
  const carolGroup = GroupSession.fromJSON(carolState.groups[group.id]!.session);
  assert.throws(() => carolGroup.decrypt(`${alice.userId}/${a1.deviceId}`, after.ciphertext!), (err: Error & { code?: string }) => err.code === 'E_UNKNOWN_SENDER_KEY');
});

test('a device that syncs after a member was removed still reads what they said while a member, and nothing they could send after', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const dave = await createOrgUser(hub, alice, 'member');
  const a1 = await device(hub, alice, 'alice');
  const b1 = await device(hub, bob, 'bob');
  const c1 = await device(hub, carol, 'carol');
  const d1 = await device(hub, dave, 'dave');

  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId, carol.userId, dave.userId] });
  await a1.send(group.id, { text: 'pumps report in' });
  assert.deepEqual(texts(await b1.sync()), ['pumps report in']);
  assert.deepEqual(texts(await c1.sync()), ['pumps report in']);
  // Dave's device has not synced once: Carol's sender key is still in his inbox too.
  await c1.send(group.id, { text: 'carol: pump 3 is dry' });
  await a1.removeMember(group.id, carol.userId);
  await a1.send(group.id, { text: 'carol has left the team' });

  for (const [who, d] of [['bob', b1], ['dave', d1]] as const) {
    const got = await d.sync();
    assert.deepEqual(got.problems, [], `${who}: nothing undecryptable`);
    assert.deepEqual(texts(got), who === 'dave' ? ['pumps report in', 'carol: pump 3 is dry', 'carol has left the team'] : ['carol: pump 3 is dry', 'carol has left the team']);
  }
  assert.deepEqual(b1.history(group.id).map((m) => m.text), ['pumps report in', 'carol: pump 3 is dry', 'carol has left the team']);
  const conv = await b1.conversation(group.id);
  assert.deepEqual(conv.departed!.map((d) => d.userId), [carol.userId], 'the hub says who left, and when');
  await assert.rejects(c1.send(group.id, { text: 'carol: let me back in' }), (err: MessengerClientError) => err.status === 404, 'and takes nothing from her after');
});

test('edits, deletes, reactions, read receipts and expiry round trip inside the ciphertext', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  let clock = Date.now();
  const a1 = await device(hub, alice, 'alice', new MemoryStateStore(), () => clock);
  const b1 = await device(hub, bob, 'bob', new MemoryStateStore(), () => clock);
  const dm = await a1.startDirect(bob.userId);

  const first = await a1.send(dm.id, { text: 'helo' });
  const second = await a1.send(dm.id, { text: 'delete me' });
  await b1.sync();
  const reply = await b1.send(dm.id, { text: 'hi!', replyTo: first.id });
  await a1.edit(dm.id, first.id, 'hello');
  await a1.delete(dm.id, second.id);
  await b1.react(dm.id, first.id, '\u{1F44D}');
  await b1.markRead(dm.id);
  const arrived = (await b1.sync()).arrived.map((a) => a.type);
  assert.deepEqual(arrived, ['edit', 'delete']);
  const atAlice = await a1.sync();
  assert.deepEqual(atAlice.arrived.map((a) => a.type), ['text', 'reaction', 'read']);
  assert.equal(atAlice.arrived[0]!.replyTo, first.id);

  for (const c of [a1, b1]) {
    const h = c.history(dm.id);
    assert.deepEqual(h.map((m) => [m.text, m.deleted]), [['hello', false], ['', true], ['hi!', false]]);
    assert.ok(h[0]!.editedAt);
  }
  const seenByAlice = a1.history(dm.id);
  assert.deepEqual(seenByAlice[0]!.reactions, { [bob.userId]: '\u{1F44D}' });
  assert.deepEqual(seenByAlice[0]!.readBy, [bob.userId], 'Bob read Alice\u2019s messages');
  assert.equal((await b1.conversations()).find((c) => c.id === dm.id)!.unread, 0);

  // Only the author edits: Bob's client refuses an edit of Alice's message, which the hub refuses as well.
  await assert.rejects(b1.edit(dm.id, first.id, 'forged'), (err: MessengerClientError) => err.status === 403);

  await a1.send(dm.id, { text: 'this burns in a minute', expiresInMs: 60_000 });
  assert.deepEqual(texts(await b1.sync()), ['this burns in a minute']);
  assert.equal(b1.history(dm.id).at(-1)!.text, 'this burns in a minute');
  clock += 61_000;
  assert.ok(!b1.history(dm.id).some((m) => m.text === 'this burns in a minute'), 'gone from the local history once expired');
  await assert.rejects(a1.send(dm.id, { text: 'x'.repeat(4001) }), (err: MessengerClientError) => err.code === 'E_TEXT_TOO_LONG');
});

// The timeout only stops a hang when the announcement never comes.
test('a partner\u2019s reinstall is announced live, from the hub\u2019s event, before any message to or from the new device', { timeout: 60_000 }, async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await device(hub, alice, 'alice');
  const b1 = await device(hub, bob, 'bob');
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'hi' });
  await b1.sync();

  let wake: (r: SyncResult) => void = () => {};
  const results: SyncResult[] = [];
  const follow = await a1.follow((r) => {
    results.push(r);
    wake(r);
  }, { open: (url) => new WebSocket(url) as unknown as WebSocketLike });
  after(() => follow.close());
  const announced = new Promise<SyncResult>((resolve) => (wake = (r) => r.problems.some((p) => p.code === 'key_changed') && resolve(r)));
  await device(hub, bob, 'bob reinstalled');
  const r = await announced;
  const p = r.problems.find((x) => x.code === 'key_changed');
  assert.equal(p?.code === 'key_changed' && p.userId, bob.userId);
  assert.equal(a1.trustStatus(bob.userId), 'key_changed');
});
