// What the client does when things go wrong between it and the hub: the conversation's devices
// change under a send (409 E_DEVICES_CHANGED, retried with the new list), and a tampered or
// relabelled message (reported with its code, never dropped silently, the next one still opens).

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

test('a device revoked between reading the conversation and sending: the hub answers 409 and the client sends again to the devices there are now', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const b1 = await open(hub, bob, 'bob one');
  const b2 = await open(hub, bob, 'bob two');
  const statuses: number[] = [];
  let revokeFirst = true;
  const a1 = await open(hub, alice, 'alice', async (input, init) => {
    const url = String(input);
    if (init?.method === 'POST' && url.endsWith('/messages') && revokeFirst) {
      revokeFirst = false;
      await b2.revokeDevice(b2.deviceId);
    }
    const res = await fetch(input, init);
    if (url.endsWith('/messages')) statuses.push(res.status);
    return res;
  });
  const dm = await a1.startDirect(bob.userId);
  // Sessions with both of Bob's devices exist before the revocation.
  await a1.send(dm.id, { text: 'first' });
  assert.deepEqual(statuses, [409, 201]);
  assert.deepEqual(texts(await b1.sync()), ['first']);
  await a1.send(dm.id, { text: 'second' });
  assert.deepEqual(texts(await b1.sync()), ['second']);
});

test('a tampered envelope and a relabelled message are reported with their codes; the next message still opens', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  // Bob's client reads the inbox through a hub that flips a byte of the 2nd envelope and relabels the 3rd.
  let row = 0;
  const b1 = await open(hub, bob, 'bob', async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).includes('/messenger/inbox?')) return res;
    const body = (await res.json()) as { items: Array<{ envelope: string | null; kind: string }> };
    for (const item of body.items) {
      row++;
      if (row === 2 && item.envelope) item.envelope = item.envelope.slice(0, -6) + (item.envelope.at(-6) === 'A' ? 'B' : 'A') + item.envelope.slice(-5);
      if (row === 3) item.kind = 'delete';
    }
    return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
  });
  const dm = await a1.startDirect(bob.userId);
  for (const t of ['one', 'two', 'three', 'four']) await a1.send(dm.id, { text: t });
  const r = await b1.sync();
  assert.deepEqual(texts(r), ['one', 'four']);
  assert.deepEqual(r.problems.map((p) => (p.code === 'undecryptable' ? p.errorCode : p.code)), ['E_DECRYPT_FAILED', 'E_CONTENT_MALFORMED']);
  assert.ok(r.problems.every((p) => p.code === 'undecryptable' && p.reason.length > 0 && p.senderUser === alice.userId));
});

test('a message to someone without a messenger device is refused with E_NO_DEVICES, not sent to nobody', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const carol = await createOrgUser(hub, alice, 'member');
  const a1 = await open(hub, alice, 'alice');
  await open(hub, alice, 'alice two');
  const dm = await a1.startDirect(carol.userId);
  await assert.rejects(a1.send(dm.id, { text: 'anyone there?' }), (err: Error & { code?: string }) => err.code === 'E_NO_DEVICES' && /no messenger device yet/.test(err.message));
  assert.deepEqual(a1.history(dm.id), []);
});

test('failed sends with a photo leave no upload behind: after five refusals the photo still goes once it can', async () => {
  // Four attachments' worth of unsent uploads per user: five leftover photos would lock Alice out for a day.
  const hub = await startTestHub({ messengerMaxAttachmentBytes: 100_000 });
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  const carol = await createOrgUser(hub, alice, 'member');
  let hubDown = false;
  const flaky: typeof fetch = (input, init) => {
    if (hubDown && init?.method === 'POST' && String(input).endsWith('/messages')) return Promise.reject(new TypeError('fetch failed'));
    return fetch(input, init);
  };
  const a1 = await open(hub, alice, 'alice', flaky);
  const photo = { data: new Uint8Array(90_000).fill(7), name: 'pump.jpg', mimeType: 'image/jpeg' };

  // Refused before anything is uploaded: Bob has no messenger device yet.
  const toBob = await a1.startDirect(bob.userId);
  for (let i = 0; i < 5; i++) {
    await assert.rejects(a1.send(toBob.id, { text: 'the pump', attachment: photo }), (err: Error & { code?: string }) => err.code === 'E_NO_DEVICES' && /nothing was sent/.test(err.message));
  }
  // Failing after the upload (the hub went away mid-send): the upload is taken back.
  const c1 = await open(hub, carol, 'carol');
  const toCarol = await a1.startDirect(carol.userId);
  hubDown = true;
  for (let i = 0; i < 5; i++) {
    await assert.rejects(a1.send(toCarol.id, { text: 'the pump', attachment: photo }), (err: Error & { code?: string }) => err.code === 'E_HUB_UNREACHABLE');
  }
  hubDown = false;

  const b1 = await open(hub, bob, 'bob');
  await a1.send(toBob.id, { text: 'the pump', attachment: photo });
  await a1.send(toCarol.id, { text: 'the pump', attachment: photo });
  for (const reader of [b1, c1]) {
    const got = await reader.sync();
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.arrived.map((a) => a.text), ['the pump']);
    assert.deepEqual(await reader.downloadAttachment(got.arrived[0]!.attachment!), photo.data);
  }
});
