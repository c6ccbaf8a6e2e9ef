// A sync that fails half way (the hub or the network errs between rows) must not use up anything:
// the next sync opens what the failed one did not finish.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, type SyncResult } from '../src/index.ts';

function open(hub: TestHub, who: TestSession, name: string, fetchFn?: typeof fetch): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: new MemoryStateStore(), deviceName: name, ...(fetchFn ? { fetch: fetchFn } : {}) });
}

function texts(r: SyncResult): string[] {
  return r.arrived.map((a) => a.text ?? '');
}

test('a group sender key whose conversation could not be read (hub error) is not lost: the next sync opens the message', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  let failConversation = false;
  const b1 = await open(hub, bob, 'bob', async (input, init) => {
    if (failConversation && /\/messenger\/conversations\/[^/?]+$/.test(String(input)) && (init?.method ?? 'GET') === 'GET') {
      failConversation = false;
      return new Response(JSON.stringify({ error: { code: 'E_INTERNAL', message: 'try again' } }), { status: 500, headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  });
  const a1 = await open(hub, alice, 'alice');
  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId] });
  await a1.send(group.id, { text: 'pump 3 is down' });
  failConversation = true;
  // The failed sync may throw (nothing acked) but must not report the message as unreadable.
  const first = await b1.sync().catch(() => null);
  assert.deepEqual(first?.problems ?? [], []);
  const r = await b1.sync();
  assert.deepEqual(r.problems, []);
  assert.deepEqual([...texts(first ?? { arrived: [], problems: [] }), ...texts(r)], ['pump 3 is down']);
  assert.deepEqual(b1.history(group.id).map((m) => m.text), ['pump 3 is down']);
});

test('a group message from a device whose key change waits for acceptance is held with its sender key and opens on acceptance', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  const b1 = await open(hub, bob, 'bob');
  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId] });
  await a1.send(group.id, { text: 'hello' });
  assert.deepEqual(texts(await b1.sync()), ['hello']);
  await b1.send(group.id, { text: 'hi' });
  assert.deepEqual(texts(await a1.sync()), ['hi']);

  // Bob adds a phone: a key Alice has not pinned. What it says waits for her to accept the key.
  const b2 = await open(hub, bob, 'bob phone');
  await b2.send(group.id, { text: 'from my phone' });
  const held = await a1.sync();
  assert.deepEqual(texts(held), []);
  assert.deepEqual(held.problems.map((p) => p.code), ['key_changed']);
  const released = await a1.acceptKeyChange(bob.userId, (await a1.safetyNumber(bob.userId)).safetyNumber);
  assert.deepEqual(released.problems, []);
  assert.deepEqual(texts(released), ['from my phone']);
  assert.deepEqual(a1.history(group.id).map((m) => m.text), ['hello', 'hi', 'from my phone']);
});

test('an inbox page the hub sends without valid seqs is refused with a clear error; the saved state still opens and the message still arrives', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  let breakSeq = false;
  const store = new MemoryStateStore();
  const fetchFn: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!breakSeq || !String(input).includes('/messenger/inbox?')) return res;
    const body = (await res.json()) as { items: Array<Record<string, unknown>> };
    for (const item of body.items) delete item.seq;
    return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
  };
  const b1 = await MessengerClient.open({ hubUrl: hub.url, auth: async () => bob.accessToken, store, deviceName: 'bob', fetch: fetchFn });
  const dm = await a1.startDirect(bob.userId);
  await a1.send(dm.id, { text: 'one' });
  breakSeq = true;
  await assert.rejects(b1.sync(), (err: Error & { code?: string }) => err.code === 'E_HUB_ANSWER');
  assert.deepEqual(b1.history(dm.id), [], 'nothing was taken from the broken page');
  breakSeq = false;
  const again = await MessengerClient.open({ hubUrl: hub.url, auth: async () => bob.accessToken, store, deviceName: 'bob', fetch: fetchFn });
  assert.deepEqual(texts(await again.sync()), ['one']);
});

test('a group send whose sender key meets a device change (409) reads the devices again and goes out, as a message does', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const b1 = await open(hub, bob, 'bob one');
  const b2 = await open(hub, bob, 'bob two');
  let revokeFirst = true;
  const a1 = await open(hub, alice, 'alice', async (input, init) => {
    if (init?.method === 'POST' && String(input).endsWith('/messages') && revokeFirst) {
      revokeFirst = false;
      await b2.revokeDevice(b2.deviceId);
    }
    return fetch(input, init);
  });
  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId] });
  await a1.send(group.id, { text: 'pump 3 is down' });
  assert.deepEqual(texts(await b1.sync()), ['pump 3 is down']);
});

test('a hub that lists an outsider\u2019s device in a DM gets nothing encrypted for it: the send is refused before anything goes out', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const mallory = await createOrgUser(hub, alice, 'member');
  await open(hub, bob, 'bob');
  const m1 = await open(hub, mallory, 'mallory');
  const posted: string[][] = [];
  const a1 = await open(hub, alice, 'alice', async (input, init) => {
    const url = String(input);
    if (init?.method === 'POST' && url.endsWith('/messages')) posted.push((JSON.parse(String(init.body)) as { recipientDevices: string[] }).recipientDevices);
    const res = await fetch(input, init);
    if ((init?.method ?? 'GET') !== 'GET' || !/\/messenger\/conversations\/[^/?]+$/.test(url)) return res;
    // The hub slips Mallory's device into the DM's device list.
    const c = (await res.json()) as { devices: Array<{ deviceId: string; userId: string }> };
    c.devices.push({ deviceId: m1.deviceId, userId: mallory.userId });
    return new Response(JSON.stringify(c), { status: res.status, headers: { 'content-type': 'application/json' } });
  });
  const dm = await a1.startDirect(bob.userId);
  await assert.rejects(a1.send(dm.id, { text: 'for bob only' }));
  assert.ok(posted.every((r) => !r.includes(m1.deviceId)), 'nothing was encrypted to a device of someone outside the conversation');
});

test('a hub that floods the inbox with first messages under unpinned keys cannot grow the held messages without end; what is let go is reported', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  await open(hub, bob, 'bob');
  const pages = 12;
  let served = 0;
  let seq = 1_000_000;
  const forged = (): string => {
    const b = new Uint8Array(2 + 73 + 40 + 16);
    crypto.getRandomValues(b);
    b[0] = 1;
    b[1] = 2;
    b[2 + 68] = 0;
    b.fill(0, 2 + 69, 2 + 73);
    return Buffer.from(b).toString('base64url');
  };
  const store = new MemoryStateStore();
  const a1 = await MessengerClient.open({
    hubUrl: hub.url, auth: async () => alice.accessToken, store, deviceName: 'alice',
    fetch: async (input, init) => {
      const url = String(input);
      if (url.includes('/messenger/inbox/ack')) return new Response(JSON.stringify({ acked: 0 }), { status: 200, headers: { 'content-type': 'application/json' } });
      if (!url.includes('/messenger/inbox?') || served >= pages) return fetch(input, init);
      served++;
      const items = Array.from({ length: 100 }, () => ({ seq: ++seq, messageId: crypto.randomUUID(), conversationId: crypto.randomUUID(), senderUser: bob.userId, senderDevice: crypto.randomUUID(), kind: 'message', target: null, sentAt: new Date().toISOString(), expiresAt: null, ciphertext: null, envelope: forged(), attachments: [] }));
      return new Response(JSON.stringify({ items }), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  const r = await a1.sync();
  const keyChanged = r.problems.find((p) => p.code === 'key_changed');
  assert.ok(keyChanged && keyChanged.code === 'key_changed');
  assert.ok(keyChanged.held <= 1000, `held ${keyChanged.held}`);
  const dropped = r.problems.filter((p) => p.code === 'undecryptable' && p.errorCode === 'E_KEY_CHANGED');
  assert.equal(keyChanged.held + dropped.length, pages * 100, 'every forged message is either held or reported');
  assert.ok((JSON.parse(store.json!) as { held: unknown[] }).held.length <= 1000);
});

test('"read by" never covers a message the reader had not received: a receipt counts for what the hub took before the message it names', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  const b1 = await open(hub, bob, 'bob');
  const c1 = await open(hub, carol, 'carol');
  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId, carol.userId] });
  await a1.send(group.id, { text: 'hello' });
  await b1.sync();
  await c1.sync();
  await a1.sync();
  const fromCarol = await c1.send(group.id, { text: 'carol here' });
  assert.deepEqual(texts(await b1.sync()), ['carol here']);
  // Alice writes before she has synced Carol's message; Bob reads up to Carol's before Alice's reaches him.
  const late = await a1.send(group.id, { text: 'alice, after carol' });
  assert.equal(await b1.markRead(group.id), fromCarol.id);
  await a1.sync();
  const view = a1.history(group.id);
  assert.deepEqual(view.find((m) => m.text === 'hello')?.readBy, [bob.userId], 'what Bob had is read');
  assert.deepEqual(view.find((m) => m.id === late.id)?.readBy, [], 'Bob never had this one');
  // Once he reads it, it shows read.
  await b1.sync();
  await b1.markRead(group.id, late.id);
  await a1.sync();
  assert.deepEqual(a1.history(group.id).find((m) => m.id === late.id)?.readBy, [bob.userId]);
});

test('"read by" never names someone added after the message was sent: their receipt covers only what was addressed to them', async () => {
  // The hub's clock moves one second per step, so "before" and "after" the join are never the same millisecond.
  let clock = Date.now();
  const hub = await startTestHub({}, { now: () => clock });
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  const b1 = await open(hub, bob, 'bob');
  const c1 = await open(hub, carol, 'carol');
  // Alice's phone: it did not send the message, so it has no list of whom it was addressed to.
  const a2 = await open(hub, alice, 'alice phone');
  const group = await a1.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId] });
  const before = await a1.send(group.id, { text: 'for bob only: the old code is 4471' });
  await b1.sync();
  await a2.sync();
  clock += 1000;
  await a1.addMember(group.id, [carol.userId]);
  clock += 1000;
  const after = await a1.send(group.id, { text: 'welcome carol' });
  clock += 1000;
  assert.deepEqual(texts(await c1.sync()), ['welcome carol'], 'Carol never received the earlier message');
  assert.equal(await c1.markRead(group.id), after.id);
  await b1.sync();
  await b1.markRead(group.id);
  await a1.sync();
  const view = a1.history(group.id);
  assert.deepEqual(view.find((m) => m.id === before.id)?.readBy, [bob.userId], 'read by Bob, not by Carol, who never had it');
  assert.deepEqual(view.find((m) => m.id === after.id)?.readBy.sort(), [bob.userId, carol.userId].sort());
  await a2.sync();
  const phone = a2.history(group.id);
  assert.deepEqual(phone.find((m) => m.id === before.id)?.readBy, [bob.userId], 'on Alice\u2019s phone too: it saw Carol join after the message');
  assert.deepEqual(phone.find((m) => m.id === after.id)?.readBy.sort(), [bob.userId, carol.userId].sort());
});
