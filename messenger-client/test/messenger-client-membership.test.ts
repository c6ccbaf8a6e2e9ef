// Group membership comes from the hub, so the hub could add a reader to a group; it cannot add one
// unseen: every member's client records each change of the member list in the thread, before
// anything more of theirs reaches the new member. A DM stays a DM between the same two people.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { api, createAdminSession, createOrgUser, type TestSession } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub, type TestHub } from '../../controlplane/test/support/test-hub.ts';
import { MemoryStateStore, MessengerClient, type MessengerClientError, type SyncResult, type TimelineEntry, type WebSocketLike } from '../src/index.ts';

function open(hub: TestHub, who: TestSession, name: string, o: { fetch?: typeof fetch; store?: MemoryStateStore } = {}): Promise<MessengerClient> {
  return MessengerClient.open({ hubUrl: hub.url, auth: async () => who.accessToken, store: o.store ?? new MemoryStateStore(), deviceName: name, ...(o.fetch ? { fetch: o.fetch } : {}) });
}

/** The thread as a list of lines: a message's text, or "+user" / "-user (removed|left)" for a membership entry. */
function thread(entries: TimelineEntry[]): string[] {
  return entries.map((e) => (e.type === 'message' ? e.text : e.change === 'added' ? `+${e.userId}` : `-${e.userId} ${e.change}`));
}

async function hubWithFour(t: TestContext) {
  const hub = await startTestHub();
  t.after(() => hub.stop());
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  const mallory = await createOrgUser(hub, alice, 'member');
  return { hub, alice, bob, carol, mallory };
}

test('a member the hub adds by itself (a row in its database) shows in every member\u2019s thread before their next message reaches them', async (t) => {
  const { hub, alice, bob, carol, mallory } = await hubWithFour(t);
  // What Alice's device had saved, and its thread, at the moment each of its sends left for the hub.
  const aliceStore = new MemoryStateStore();
  const atSend: Array<{ kind: string; recipients: string[]; saved: string; thread: string[] }> = [];
  let a: MessengerClient | null = null;
  let groupId = '';
  a = await open(hub, alice, 'alice', {
    store: aliceStore,
    fetch: async (input, init) => {
      if (a && groupId && String(input).endsWith(`/messenger/conversations/${groupId}/messages`) && init?.method === 'POST') {
        const body = JSON.parse(String(init.body)) as { kind: string; recipientDevices: string[] };
        atSend.push({ kind: body.kind, recipients: body.recipientDevices, saved: aliceStore.json ?? '', thread: thread(a.timeline(groupId)) });
      }
      return fetch(input, init);
    },
  });
  const b = await open(hub, bob, 'bob');
  const c = await open(hub, carol, 'carol');
  const m = await open(hub, mallory, 'mallory');
  const group = await a.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId, carol.userId] });
  groupId = group.id;
  await a.send(group.id, { text: 'first' });
  assert.deepEqual(texts(await b.sync()), ['first']);
  assert.deepEqual(texts(await c.sync()), ['first']);
  assert.deepEqual(thread(b.timeline(group.id)), ['first'], 'the members a conversation had when first seen are no change');

  // What an operator of the hub can do without any API: one row in its own database.
  const db = (hub.app as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
  db.prepare("INSERT INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, 'member', ?)").run(group.id, mallory.userId, Date.now());
  atSend.length = 0;
  await a.send(group.id, { text: 'the plan' });

  // Alice's device: the entry was in its thread, and saved, before anything went to Mallory's device.
  const toMallory = atSend.filter((s) => s.recipients.includes(m.deviceId));
  assert.ok(toMallory.length > 0, 'the hub made the send reach Mallory (the entry is what tells the group)');
  for (const s of toMallory) {
    assert.deepEqual(s.thread, ['first', `+${mallory.userId}`], `when the ${s.kind} left`);
    assert.match(s.saved, new RegExp(`"type":"membership","id":"[^"]+","conversationId":"${group.id}","change":"added","userId":"${mallory.userId}"`), `saved before the ${s.kind} left`);
  }
  assert.deepEqual(thread(a.timeline(group.id)), ['first', `+${mallory.userId}`, 'the plan']);
  // Bob's and Carol's devices show it before the message that also went to Mallory.
  assert.deepEqual(texts(await b.sync()), ['the plan']);
  assert.deepEqual(thread(b.timeline(group.id)), ['first', `+${mallory.userId}`, 'the plan']);
  assert.deepEqual(texts(await c.sync()), ['the plan']);
  assert.deepEqual(thread(c.timeline(group.id)), ['first', `+${mallory.userId}`, 'the plan']);
  // history() stays the messages alone.
  assert.deepEqual(b.history(group.id).map((x) => x.text), ['first', 'the plan']);
  // The entry is said once, and survives a restart of the device.
  assert.deepEqual(thread((await open(hub, alice, 'alice', { store: aliceStore })).timeline(group.id)), ['first', `+${mallory.userId}`, 'the plan']);
  await b.conversations();
  assert.deepEqual(thread(b.timeline(group.id)), ['first', `+${mallory.userId}`, 'the plan']);
});

test('an add through the API and a removal show in every member\u2019s thread; a member who leaves is shown leaving', async (t) => {
  const { hub, alice, bob, carol, mallory } = await hubWithFour(t);
  const a = await open(hub, alice, 'alice');
  const b = await open(hub, bob, 'bob');
  const c = await open(hub, carol, 'carol');
  await open(hub, mallory, 'mallory');
  const group = await a.createGroup({ kind: 'group', name: 'pumps', members: [bob.userId, mallory.userId] });
  await a.send(group.id, { text: 'hello' });
  await b.sync();

  await a.addMember(group.id, [carol.userId]);
  assert.deepEqual(thread(a.timeline(group.id)), ['hello', `+${carol.userId}`]);
  await b.sync();
  assert.deepEqual(thread(b.timeline(group.id)), ['hello', `+${carol.userId}`], 'Bob sees Carol join without a message from anyone');
  await a.send(group.id, { text: 'welcome carol' });
  await b.sync();
  await c.sync();
  assert.deepEqual(thread(c.timeline(group.id)), ['welcome carol'], 'Carol\u2019s first sight of the group is no change');

  await a.removeMember(group.id, carol.userId);
  assert.deepEqual(thread(a.timeline(group.id)), ['hello', `+${carol.userId}`, 'welcome carol', `-${carol.userId} removed`]);
  await b.sync();
  assert.deepEqual(thread(b.timeline(group.id)), ['hello', `+${carol.userId}`, 'welcome carol', `-${carol.userId} removed`]);

  // Mallory leaves herself: the member list alone does not say so, the hub's event does (follow() hears it).
  const rounds: SyncResult[] = [];
  let wake = () => {};
  const follow = await b.follow(() => {
    rounds.push({ arrived: [], problems: [] });
    wake();
  }, { open: (url) => new WebSocket(url) as unknown as WebSocketLike });
  t.after(() => follow.close());
  const heard = new Promise<void>((resolve) => (wake = () => rounds.length >= 2 && resolve()));
  assert.equal((await api(hub, mallory, `/api/v1/messenger/conversations/${group.id}/leave`, { method: 'POST', body: {} })).status, 204);
  await heard;
  await b.conversations();
  assert.deepEqual(thread(b.timeline(group.id)), ['hello', `+${carol.userId}`, 'welcome carol', `-${carol.userId} removed`, `-${mallory.userId} left`]);
  // Alice heard no event: the list only says Mallory is gone, which is shown as a removal.
  await a.conversations();
  assert.deepEqual(thread(a.timeline(group.id)).at(-1), `-${mallory.userId} removed`);
});

function texts(r: SyncResult): string[] {
  return r.arrived.map((x) => x.text ?? '');
}

test('a hub that turns a DM into a group to add a reader, or swaps the other person, gets nothing sent to the newcomer', async (t) => {
  const { hub, alice, bob, mallory } = await hubWithFour(t);
  const posted: Array<{ kind: string; recipients: string[] }> = [];
  // What the hub tells Alice about the DM, once the test says so: Bob swapped for Mallory (same kind).
  let swap: { dm: string; bobDevice: string; malloryDevice: string } | null = null;
  const a = await open(hub, alice, 'alice', {
    fetch: async (input, init) => {
      if (init?.method === 'POST' && String(input).endsWith('/messages')) {
        const body = JSON.parse(String(init.body)) as { kind: string; recipientDevices: string[] };
        posted.push({ kind: body.kind, recipients: body.recipientDevices });
      }
      const res = await fetch(input, init);
      if (!swap || (init?.method ?? 'GET') !== 'GET' || !String(input).endsWith(`/messenger/conversations/${swap.dm}`)) return res;
      const conv = (await res.json()) as { members: Array<{ userId: string }>; devices: Array<{ userId: string; deviceId: string }> };
      for (const m of conv.members) if (m.userId === bob.userId) m.userId = mallory.userId;
      for (const d of conv.devices) if (d.deviceId === swap.bobDevice) Object.assign(d, { userId: mallory.userId, deviceId: swap.malloryDevice });
      return new Response(JSON.stringify(conv), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  const b = await open(hub, bob, 'bob');
  const m = await open(hub, mallory, 'mallory');
  const dm = await a.startDirect(bob.userId);
  await a.send(dm.id, { text: 'just us' });
  assert.deepEqual(texts(await b.sync()), ['just us']);

  // The hub relabels the DM a group and adds Mallory (rows in its own database).
  const db = (hub.app as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
  db.prepare("UPDATE messenger_conversations SET kind = 'group', name = 'just us' WHERE id = ?").run(dm.id);
  db.prepare("INSERT INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, 'member', ?)").run(dm.id, mallory.userId, Date.now());
  assert.equal((await api(hub, alice, `/api/v1/messenger/conversations/${dm.id}`)).body.kind, 'group', 'the hub says group now');
  const before = posted.length;
  await assert.rejects(a.send(dm.id, { text: 'still just us?' }), (err: MessengerClientError) => err.code === 'E_CONVERSATION_CHANGED' && err.details.conversationId === dm.id);
  assert.deepEqual(posted.slice(before), [], 'no sender key, no message: nothing went out');
  assert.equal(a.trustStatus(mallory.userId), 'new', 'Mallory was not even pinned');
  assert.deepEqual(texts(await m.sync()), []);
  assert.deepEqual(m.history(dm.id), []);

  // Put back as it was, then the hub swaps Bob for Mallory in the DM it still calls direct.
  db.prepare("UPDATE messenger_conversations SET kind = 'direct', name = NULL WHERE id = ?").run(dm.id);
  db.prepare('DELETE FROM messenger_members WHERE conversation_id = ? AND user_id = ?').run(dm.id, mallory.userId);
  await a.send(dm.id, { text: 'back to normal' });
  assert.deepEqual(texts(await b.sync()), ['back to normal']);
  swap = { dm: dm.id, bobDevice: b.deviceId, malloryDevice: m.deviceId };
  const sentBefore = posted.length;
  await assert.rejects(a.send(dm.id, { text: 'for bob only' }), (err: MessengerClientError) => err.code === 'E_CONVERSATION_CHANGED');
  assert.deepEqual(posted.slice(sentBefore), []);
  assert.equal(a.trustStatus(mallory.userId), 'new');
});

test('a message from someone who is not a member, sealed for a group and filed there by the hub, is refused, not shown in the group', async (t) => {
  const { hub, alice, bob, mallory: eve } = await hubWithFour(t);
  let board = '';
  let eveDm = '';
  // Alice's device, as a hub that files Eve's DM rows under the board group would answer.
  const a = await open(hub, alice, 'alice', {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (!board || !String(input).includes('/messenger/inbox?')) return res;
      const page = (await res.json()) as { items: Array<{ senderUser: string; conversationId: string }> };
      for (const r of page.items) if (r.senderUser === eve.userId && r.conversationId === eveDm) r.conversationId = board;
      return new Response(JSON.stringify(page), { status: res.status, headers: { 'content-type': 'application/json' } });
    },
  });
  const b = await open(hub, bob, 'bob');
  // Eve's device seals its content for the board group: it asks for the board and gets her DM with Alice under its id, and posts into the DM.
  const e = await open(hub, eve, 'eve', {
    fetch: async (input, init) => {
      const url = String(input);
      if (board && url.endsWith(`/messenger/conversations/${board}`) && (init?.method ?? 'GET') === 'GET') {
        const dm = (await (await fetch(url.replace(board, eveDm), init)).json()) as Record<string, unknown>;
        return new Response(JSON.stringify({ ...dm, id: board }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      if (board && url.endsWith(`/messenger/conversations/${board}/messages`)) return fetch(url.replace(board, eveDm), init);
      return fetch(input, init);
    },
  });
  eveDm = (await e.startDirect(alice.userId)).id;
  await e.send(eveDm, { text: 'hi alice' });
  assert.deepEqual(texts(await a.sync()), ['hi alice']);
  const group = await a.createGroup({ kind: 'group', name: 'board', members: [bob.userId] });
  await a.send(group.id, { text: 'board meeting at 9' });
  assert.deepEqual(texts(await b.sync()), ['board meeting at 9']);
  board = group.id;

  await e.send(board, { text: 'the meeting moved to 10' });
  const r = await a.sync();
  assert.deepEqual(texts(r), [], 'not shown');
  assert.deepEqual(r.problems.map((p) => p.code === 'undecryptable' && [p.errorCode, p.conversationId, p.senderUser]), [['E_NOT_A_MEMBER', board, eve.userId]], 'reported as a sync problem');
  assert.deepEqual(a.history(board).map((m) => m.text), ['board meeting at 9']);
});

test('a DM is a DM from its first sight: a hub answering the request for one with a group of three, or filing an outsider\u2019s message in it, or relabelling one kept in an older state, gets nothing through', async (t) => {
  const { hub, alice, bob, mallory } = await hubWithFour(t);
  let addMallory = true;
  let eveDm = '';
  let dmId = '';
  // The hub answers Alice's "a DM with Bob" with a group that holds Mallory too.
  const a = await open(hub, alice, 'alice', {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (!addMallory || init?.method !== 'POST' || !String(input).endsWith('/messenger/conversations')) return res;
      const conv = (await res.json()) as Record<string, unknown> & { members: Array<{ userId: string; role: string }> };
      return new Response(JSON.stringify({ ...conv, kind: 'group', members: [...conv.members, { userId: mallory.userId, role: 'member' }] }), { status: res.status, headers: { 'content-type': 'application/json' } });
    },
  });
  // Alice's phone, through a hub that files Mallory's rows of her own DM with Alice under Alice and Bob's.
  const phone = await open(hub, alice, 'alice phone', {
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (!eveDm || !String(input).includes('/messenger/inbox?')) return res;
      const page = (await res.json()) as { items: Array<{ senderUser: string; conversationId: string }> };
      for (const r of page.items) if (r.senderUser === mallory.userId && r.conversationId === eveDm) r.conversationId = dmId;
      return new Response(JSON.stringify(page), { status: res.status, headers: { 'content-type': 'application/json' } });
    },
  });
  const tabletStore = new MemoryStateStore();
  const tablet = await open(hub, alice, 'alice tablet', { store: tabletStore });
  const b = await open(hub, bob, 'bob');
  // Mallory's device seals its content for Alice and Bob's DM (asking for it, it gets her own DM under its id).
  const e = await open(hub, mallory, 'mallory', {
    fetch: async (input, init) => {
      const url = String(input);
      if (dmId && eveDm && url.endsWith(`/messenger/conversations/${dmId}`) && (init?.method ?? 'GET') === 'GET') {
        const own = (await (await fetch(url.replace(dmId, eveDm), init)).json()) as Record<string, unknown>;
        return new Response(JSON.stringify({ ...own, id: dmId }), { status: 200, headers: { 'content-type': 'application/json' } });
      }
      if (dmId && eveDm && url.endsWith(`/messenger/conversations/${dmId}/messages`)) return fetch(url.replace(dmId, eveDm), init);
      return fetch(input, init);
    },
  });

  await assert.rejects(a.startDirect(bob.userId), (err: MessengerClientError) => err.code === 'E_CONVERSATION_CHANGED');
  addMallory = false;
  const dm = await a.startDirect(bob.userId);
  await a.send(dm.id, { text: 'wire the money?' });
  assert.deepEqual(texts(await b.sync()), ['wire the money?']);
  assert.deepEqual(texts(await phone.sync()), ['wire the money?']);
  assert.deepEqual(texts(await tablet.sync()), ['wire the money?']);
  const own = (await e.startDirect(alice.userId)).id;
  eveDm = own;
  dmId = dm.id;
  await e.send(dm.id, { text: 'yes, to account 666' });
  const r = await phone.sync();
  assert.deepEqual(texts(r), [], 'not shown in the DM');
  assert.deepEqual(r.problems.map((p) => p.code === 'undecryptable' && p.errorCode), ['E_NOT_A_MEMBER']);
  assert.deepEqual(phone.history(dm.id).map((m) => m.text), ['wire the money?']);

  // A state saved before kinds were kept (members of groups only): the DM is known by its history.
  const saved = JSON.parse(tabletStore.json!) as { kinds?: unknown; members?: Record<string, unknown> };
  delete saved.kinds;
  delete saved.members![dm.id];
  const db = (hub.app as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
  db.prepare("UPDATE messenger_conversations SET kind = 'group', name = 'us' WHERE id = ?").run(dm.id);
  db.prepare("INSERT INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, 'member', ?)").run(dm.id, mallory.userId, Date.now());
  const upgraded = await MessengerClient.open({ hubUrl: hub.url, auth: async () => alice.accessToken, store: new MemoryStateStore(JSON.stringify(saved)), deviceName: 'alice tablet' });
  await assert.rejects(upgraded.send(dm.id, { text: 'still just us?' }), (err: MessengerClientError) => err.code === 'E_CONVERSATION_CHANGED');
});

test('a DM the hub relabels as a group before the receiver\u2019s first look is caught by the sender\u2019s sealed message: not shown, and the receiver\u2019s reply goes to no third person', async (t) => {
  const { hub, alice, bob, mallory } = await hubWithFour(t);
  const a = await open(hub, alice, 'alice');
  const b = await open(hub, bob, 'bob');
  const m = await open(hub, mallory, 'mallory');
  const dm = await a.startDirect(bob.userId);
  await a.send(dm.id, { text: 'just us: the door code is 4711' });
  // Before Bob's device has looked at the conversation, the hub makes it a group with Mallory in it.
  const db = (hub.app as unknown as { db: { prepare(sql: string): { run(...args: unknown[]): unknown } } }).db;
  db.prepare("UPDATE messenger_conversations SET kind = 'group', name = 'just us' WHERE id = ?").run(dm.id);
  db.prepare("INSERT INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, 'member', ?)").run(dm.id, mallory.userId, Date.now());
  const r = await b.sync();
  assert.deepEqual(texts(r), [], 'Alice\u2019s DM is not shown inside a group');
  assert.deepEqual(r.problems.map((p) => p.code === 'undecryptable' && p.errorCode), ['E_CONVERSATION_CHANGED']);
  await assert.rejects(b.send(dm.id, { text: 'thanks, I will be there at 9' }), (err: MessengerClientError) => err.code === 'E_CONVERSATION_CHANGED');
  assert.deepEqual(texts(await m.sync()), [], 'Mallory gets nothing');
  // Put back as the DM it is, it works again both ways.
  db.prepare("UPDATE messenger_conversations SET kind = 'direct', name = NULL WHERE id = ?").run(dm.id);
  db.prepare('DELETE FROM messenger_members WHERE conversation_id = ? AND user_id = ?').run(dm.id, mallory.userId);
  await b.send(dm.id, { text: 'back to just us' });
  assert.deepEqual(texts(await a.sync()), ['back to just us']);
});
