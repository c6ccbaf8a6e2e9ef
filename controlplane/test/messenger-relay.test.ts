// The messenger relay through a real hub: opaque ciphertext from one device to the others'
// inboxes byte for byte, 409 E_DEVICES_CHANGED when the recipient list is stale, idempotent
// resends, size limits counted on /metrics, an offline device catching up in order exactly once,
// expiry on the hub's clock, and attachments (size limit, 0600 file, members only).

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MESSENGER_LIMITS, fromBase64url, toBase64url } from '@unibos/messenger-crypto';
import { conversationDevices, inbox, registerDevice, type RegisteredDevice } from './support/messenger-client.ts';
import { api, bearer, createAdminSession, createOrgUser, type TestSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

let clock = Date.parse('2026-06-01T10:00:00Z');
const MAX_ATTACHMENT = 4096;
const hub = await startTestHub({ messengerMaxAttachmentBytes: MAX_ATTACHMENT }, { now: () => clock });
const owner = await createAdminSession(hub, { orgName: 'Messenger relay' });

async function direct(a: TestSession, b: TestSession): Promise<string> {
  const res = await api(hub, a, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: b.userId } });
  assert.ok(res.status === 201 || res.status === 200, JSON.stringify(res.body));
  return res.body.id as string;
}

function send(from: RegisteredDevice, conversationId: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
  return api(hub, from.session, `/api/v1/messenger/conversations/${conversationId}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: from.id, ...body } });
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('messenger relay', { timeout: 60_000 }, () => {
  test('a direct message reaches the other user\u2019s device byte for byte, with its own envelope', async () => {
    const alice = await createOrgUser(hub, owner, 'member');
    const bob = await createOrgUser(hub, owner, 'member');
    const a = await registerDevice(hub, alice, 'a');
    const b = await registerDevice(hub, bob, 'b');
    const id = await direct(alice, bob);
    assert.equal(await direct(bob, alice), id, 'one direct conversation per pair, whoever starts it');
    const bytes = randomBytes(300);
    const envelope = randomBytes(80);
    const sent = await send(a, id, { recipientDevices: [b.id], ciphertext: toBase64url(bytes), envelopes: [{ deviceId: b.id, ciphertext: toBase64url(envelope) }] });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const [row, ...rest] = await inbox(hub, b);
    assert.deepEqual(rest, []);
    assert.equal(row.messageId, sent.body.id);
    assert.deepEqual([row.conversationId, row.senderUser, row.senderDevice, row.kind], [id, alice.userId, a.id, 'message']);
    assert.deepEqual(Buffer.from(fromBase64url(row.ciphertext)), bytes);
    assert.deepEqual(Buffer.from(fromBase64url(row.envelope)), envelope);
    assert.deepEqual(await inbox(hub, a), [], 'the sender\u2019s own device is not a recipient');
  });

  test('a stale recipient list is refused with what is missing and extra, then the resend goes through', async () => {
    const carol = await createOrgUser(hub, owner, 'member');
    const dan = await createOrgUser(hub, owner, 'member');
    const c = await registerDevice(hub, carol, 'c');
    const d1 = await registerDevice(hub, dan, 'd1');
    const id = await direct(carol, dan);
    const before = await metric('unibos_messenger_refused_total{reason="devices_changed"}');
    const d2 = await registerDevice(hub, dan, 'd2 (new)');
    const stale = await send(c, id, { recipientDevices: [d1.id], ciphertext: 'AAAA' });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'E_DEVICES_CHANGED');
    assert.deepEqual([stale.body.missing, stale.body.extra], [[d2.id], []]);
    const stranger = randomUUID();
    const extra = await send(c, id, { recipientDevices: [d1.id, d2.id, stranger], ciphertext: 'AAAA' });
    assert.deepEqual([extra.status, extra.body.missing, extra.body.extra], [409, [], [stranger]]);
    assert.equal(await metric('unibos_messenger_refused_total{reason="devices_changed"}'), before + 2);
    assert.deepEqual(await inbox(hub, d1), [], 'nothing was stored for a refused send');
    assert.equal((await send(c, id, { recipientDevices: [d1.id, d2.id], ciphertext: 'AAAA' })).status, 201);
    assert.equal((await inbox(hub, d2)).length, 1);
  });

  test('a resend with the same clientId is the same message, delivered once', async () => {
    const erin = await createOrgUser(hub, owner, 'member');
    const fay = await createOrgUser(hub, owner, 'member');
    const e = await registerDevice(hub, erin, 'e');
    const f = await registerDevice(hub, fay, 'f');
    const id = await direct(erin, fay);
    const body = { clientId: randomUUID(), recipientDevices: [f.id], ciphertext: toBase64url(randomBytes(20)) };
    const first = await send(e, id, body);
    const again = await send(e, id, body);
    assert.deepEqual([first.status, again.status], [201, 200]);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.duplicate, true);
    assert.equal((await inbox(hub, f)).length, 1);
  });

  test('ciphertext over the limit or not base64url is refused before anything is stored, and counted', async () => {
    const gus = await createOrgUser(hub, owner, 'member');
    const hal = await createOrgUser(hub, owner, 'member');
    const g = await registerDevice(hub, gus, 'g');
    const h = await registerDevice(hub, hal, 'h');
    const id = await direct(gus, hal);
    const tooLarge = await metric('unibos_messenger_refused_total{reason="too_large"}');
    const badEncoding = await metric('unibos_messenger_refused_total{reason="bad_encoding"}');
    const big = await send(g, id, { recipientDevices: [h.id], ciphertext: toBase64url(randomBytes(MESSENGER_LIMITS.maxCiphertextBytes + 1)) });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'E_TOO_LARGE');
    const bigEnvelope = await send(g, id, { recipientDevices: [h.id], envelopes: [{ deviceId: h.id, ciphertext: toBase64url(randomBytes(MESSENGER_LIMITS.maxCiphertextBytes + 3)) }] });
    assert.equal(bigEnvelope.status, 413);
    const padded = await send(g, id, { recipientDevices: [h.id], ciphertext: 'AAA=' });
    assert.deepEqual([padded.status, padded.body.code], [400, 'E_BAD_REQUEST']);
    assert.equal(await metric('unibos_messenger_refused_total{reason="too_large"}'), tooLarge + 2);
    assert.equal(await metric('unibos_messenger_refused_total{reason="bad_encoding"}'), badEncoding + 1);
    assert.equal((await send(g, id, { recipientDevices: [h.id], ciphertext: toBase64url(randomBytes(MESSENGER_LIMITS.maxCiphertextBytes)) })).status, 201, 'exactly the limit is fine');
    assert.equal((await inbox(hub, h)).length, 1);
  });

  test('an offline device gets everything on return, in order, exactly once across ack and refetch', async () => {
    const ivy = await createOrgUser(hub, owner, 'member');
    const jon = await createOrgUser(hub, owner, 'member');
    const i = await registerDevice(hub, ivy, 'i');
    const j = await registerDevice(hub, jon, 'j (offline)');
    const id = await direct(ivy, jon);
    const sent: string[] = [];
    for (let n = 0; n < 7; n++) sent.push((await send(i, id, { recipientDevices: [j.id], ciphertext: toBase64url(Buffer.from([n])) })).body.id as string);
    // The device reads a page of three and acks it, then loses its connection before acking the next page.
    const page1 = (await api(hub, jon, `/api/v1/messenger/inbox?device=${j.id}&limit=3`)).body.items as Array<{ seq: number; messageId: string }>;
    assert.equal((await api(hub, jon, '/api/v1/messenger/inbox/ack', { method: 'POST', body: { device: j.id, upTo: page1[2]!.seq } })).body.acknowledged, 3);
    const page2 = (await api(hub, jon, `/api/v1/messenger/inbox?device=${j.id}&after=${page1[2]!.seq}&limit=3`)).body.items as Array<{ seq: number; messageId: string }>;
    // Reconnected: it starts over from its inbox, which still holds everything not acknowledged.
    const again = await inbox(hub, j);
    const received = [...page1, ...again].map((r) => r.messageId);
    assert.deepEqual(received, sent, 'every message, in send order, none twice');
    assert.deepEqual(page2.map((r) => r.messageId), sent.slice(3, 6));
    const seqs = again.map((r: { seq: number }) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    await api(hub, jon, '/api/v1/messenger/inbox/ack', { method: 'POST', body: { device: j.id, upTo: again[again.length - 1].seq } });
    assert.deepEqual(await inbox(hub, j), []);
    const history = await api(hub, jon, `/api/v1/messenger/conversations/${id}/messages?device=${j.id}&limit=5`);
    assert.deepEqual(history.body.items.map((r: { messageId: string }) => r.messageId), [...sent].reverse().slice(0, 5), 'history keeps delivered messages, newest first');
    const older = await api(hub, jon, `/api/v1/messenger/conversations/${id}/messages?device=${j.id}&cursor=${history.body.nextCursor}`);
    assert.deepEqual(older.body.items.map((r: { messageId: string }) => r.messageId), [sent[1], sent[0]]);
  });

  test('an expired message is hidden at once and deleted by the sweep, with its attachment', async () => {
    const kim = await createOrgUser(hub, owner, 'member');
    const lou = await createOrgUser(hub, owner, 'member');
    const k = await registerDevice(hub, kim, 'k');
    const l = await registerDevice(hub, lou, 'l');
    const id = await direct(kim, lou);
    const blob = await upload(kim, randomBytes(100));
    assert.equal(blob.status, 201);
    const marker = toBase64url(Buffer.from('expiring ciphertext marker 7d1f'));
    const expiring = await send(k, id, { recipientDevices: [l.id], ciphertext: marker, expiresAt: new Date(clock + 60_000).toISOString(), attachments: [blob.body.id] });
    assert.equal(expiring.status, 201, JSON.stringify(expiring.body));
    const keeper = await send(k, id, { recipientDevices: [l.id], ciphertext: 'AAAA' });
    assert.equal((await inbox(hub, l)).length, 2);
    assert.equal((await download(lou, blob.body.id)).status, 200);
    clock += 61_000;
    assert.deepEqual((await inbox(hub, l)).map((r) => r.messageId), [keeper.body.id], 'hidden from the moment it expires');
    assert.equal((await download(lou, blob.body.id)).status, 404, 'its attachment with it');
    const swept = hub.app.messenger.relay.sweep();
    assert.deepEqual(swept, { messages: 1, attachments: 1 });
    const rows = hub.app.db.prepare('SELECT COUNT(*) AS n FROM messenger_messages WHERE ciphertext = ?').get(marker) as { n: number };
    assert.equal(rows.n, 0, 'the ciphertext is gone from storage');
    assert.ok(!readdirSync(join(hub.dataDir, 'messenger', 'attachments')).includes(blob.body.id), 'the blob file is gone');
    const past = await send(k, id, { recipientDevices: [l.id], ciphertext: 'AAAA', expiresAt: new Date(clock - 1000).toISOString() });
    assert.equal(past.status, 400);
  });

  test('attachments: size limit (counted), a 0600 file, readable by the conversation\u2019s members only', async () => {
    const max = await createOrgUser(hub, owner, 'member');
    const ned = await createOrgUser(hub, owner, 'member');
    const outsider = await createOrgUser(hub, owner, 'member');
    const m = await registerDevice(hub, max, 'm');
    const n = await registerDevice(hub, ned, 'n');
    await registerDevice(hub, outsider, 'o');
    const id = await direct(max, ned);
    const refused = await metric('unibos_messenger_refused_total{reason="attachment_too_large"}');
    const big = await upload(max, randomBytes(MAX_ATTACHMENT + 1));
    assert.deepEqual([big.status, big.body.code], [413, 'E_TOO_LARGE']);
    assert.equal(await metric('unibos_messenger_refused_total{reason="attachment_too_large"}'), refused + 1);
    const bytes = randomBytes(MAX_ATTACHMENT);
    const up = await upload(max, bytes);
    assert.equal(up.status, 201);
    assert.equal(statSync(join(hub.dataDir, 'messenger', 'attachments', up.body.id)).mode & 0o777, 0o600);
    assert.equal((await download(ned, up.body.id)).status, 404, 'not before a message refers to it');
    // Nobody can attach someone else's upload to gain access to it.
    const stolen = await send(n, id, { recipientDevices: [m.id], ciphertext: 'AAAA', attachments: [up.body.id] });
    assert.equal(stolen.status, 404);
    assert.equal((await send(m, id, { recipientDevices: [n.id], ciphertext: 'AAAA', attachments: [up.body.id] })).status, 201);
    const got = await download(ned, up.body.id);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, bytes);
    assert.equal((await inbox(hub, n))[0].attachments[0], up.body.id);
    assert.equal((await download(outsider, up.body.id)).status, 404, 'a non-member of the conversation cannot fetch it');
    const unauthenticated = await fetch(`${hub.url}/api/v1/messenger/attachments`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: randomBytes(10) });
    assert.equal(unauthenticated.status, 401);
  });

  test('the large-body routes refuse a request without a token as it arrives, before its megabytes are read', async () => {
    // Announces 8 MB and sends 1 KiB: the answer can only come if the hub did not wait for the rest.
    const answerBeforeBody = (path: string, type: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': type, 'content-length': String(8_000_000) } });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.write(Buffer.alloc(1024, 0x20));
      });
    assert.equal(await answerBeforeBody(`/api/v1/messenger/conversations/${randomUUID()}/messages`, 'application/json'), 401);
    assert.equal(await answerBeforeBody('/api/v1/messenger/attachments', 'application/octet-stream'), 401);
  });

  test("one user's uploads not yet in a message are capped (counted); sending one makes room again", async () => {
    const pia = await createOrgUser(hub, owner, 'member');
    const rex = await createOrgUser(hub, owner, 'member');
    const p = await registerDevice(hub, pia, 'p');
    const r = await registerDevice(hub, rex, 'r');
    const id = await direct(pia, rex);
    const ups = [];
    for (let i = 0; i < 4; i++) ups.push(await upload(pia, randomBytes(MAX_ATTACHMENT)));
    assert.deepEqual(ups.map((u) => u.status), [201, 201, 201, 201], 'four attachments waiting to be sent');
    const refused = await metric('unibos_messenger_refused_total{reason="attachment_unsent"}');
    const fifth = await upload(pia, randomBytes(10));
    assert.deepEqual([fifth.status, fifth.body.code], [409, 'E_LIMIT_REACHED']);
    assert.match(fifth.body.message, /in no message yet/);
    assert.equal(await metric('unibos_messenger_refused_total{reason="attachment_unsent"}'), refused + 1);
    assert.equal((await upload(rex, randomBytes(10))).status, 201, 'another user is not held up');
    assert.equal((await send(p, id, { recipientDevices: [r.id], ciphertext: 'AAAA', attachments: [ups[0]!.body.id] })).status, 201);
    assert.equal((await upload(pia, randomBytes(10))).status, 201, 'one sent, room for another');
  });

  test('an upload whose send failed is taken back by its uploader and makes room; one a message refers to stays', async () => {
    const sue = await createOrgUser(hub, owner, 'member');
    const tom = await createOrgUser(hub, owner, 'member');
    const su = await registerDevice(hub, sue, 'su');
    const to = await registerDevice(hub, tom, 'to');
    const id = await direct(sue, tom);
    const ups = [];
    for (let i = 0; i < 4; i++) ups.push(await upload(sue, randomBytes(MAX_ATTACHMENT)));
    assert.equal((await upload(sue, randomBytes(10))).status, 409, 'the unsent uploads are full');
    const discard = (who: TestSession, attachmentId: string) => api(hub, who, `/api/v1/messenger/attachments/${attachmentId}`, { method: 'DELETE' });
    assert.equal((await discard(tom, ups[0]!.body.id)).status, 404, 'only its uploader takes it back');
    assert.equal((await discard(sue, ups[0]!.body.id)).status, 204);
    assert.equal((await download(sue, ups[0]!.body.id)).status, 404, 'gone');
    assert.equal((await upload(sue, randomBytes(10))).status, 201, 'room again');
    assert.equal((await send(su, id, { recipientDevices: [to.id], ciphertext: 'AAAA', attachments: [ups[1]!.body.id] })).status, 201);
    const kept = await discard(sue, ups[1]!.body.id);
    assert.deepEqual([kept.status, kept.body.code], [409, 'E_CONFLICT']);
    assert.equal((await download(tom, ups[1]!.body.id)).status, 200, 'the message\u2019s attachment still opens');
  });

  test('a delete for everyone removes the target\u2019s ciphertext from the hub', async () => {
    const rae = await createOrgUser(hub, owner, 'member');
    const sam = await createOrgUser(hub, owner, 'member');
    const r = await registerDevice(hub, rae, 'r');
    const s = await registerDevice(hub, sam, 's');
    const id = await direct(rae, sam);
    const marker = toBase64url(Buffer.from('deleted ciphertext marker 41c2'));
    const original = await send(r, id, { recipientDevices: [s.id], ciphertext: marker });
    // Its edit holds the whole new text, and a reaction to it says who felt what: they go with it.
    const editMarker = toBase64url(Buffer.from('edited ciphertext marker 77d1'));
    assert.equal((await send(r, id, { kind: 'edit', target: original.body.id, recipientDevices: [s.id], ciphertext: editMarker })).status, 201);
    assert.equal((await send(s, id, { kind: 'reaction', target: original.body.id, recipientDevices: [r.id], ciphertext: 'AAAA' })).status, 201);
    // A read receipt says what its reader had up to there (earlier messages too): it stays.
    assert.equal((await send(s, id, { kind: 'read', target: original.body.id, recipientDevices: [r.id], ciphertext: 'AAAA' })).status, 201);
    const byOther = await send(s, id, { kind: 'delete', target: original.body.id, recipientDevices: [r.id], ciphertext: 'AAAA' });
    assert.equal(byOther.status, 403, 'only its author deletes a message in a direct conversation');
    const deleted = await send(r, id, { kind: 'delete', target: original.body.id, recipientDevices: [s.id], ciphertext: 'AAAA' });
    assert.equal(deleted.status, 201);
    const rows = await inbox(hub, s);
    assert.deepEqual(rows.map((x) => [x.kind, x.target]), [['delete', original.body.id]], 'the original is gone from the inbox; the delete itself arrives');
    const stored = hub.app.db.prepare('SELECT COUNT(*) AS n FROM messenger_messages WHERE ciphertext IN (?, ?)').get(marker, editMarker) as { n: number };
    assert.equal(stored.n, 0, 'neither the message nor its edit is kept');
    const about = hub.app.db.prepare("SELECT kind FROM messenger_messages WHERE target = ?").all(original.body.id) as Array<{ kind: string }>;
    assert.deepEqual(about.map((x) => x.kind).sort(), ['delete', 'read'], 'only the delete and the receipt still name it');
  });

  test('an edit or reaction of a message that disappears expires with it, whatever its own expiry', async () => {
    const ann = await createOrgUser(hub, owner, 'member');
    const ben = await createOrgUser(hub, owner, 'member');
    const a = await registerDevice(hub, ann, 'a');
    const b = await registerDevice(hub, ben, 'b');
    const id = await direct(ann, ben);
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const original = await send(a, id, { recipientDevices: [b.id], ciphertext: 'AAAA', expiresAt });
    const edited = await send(a, id, { kind: 'edit', target: original.body.id, recipientDevices: [b.id], ciphertext: 'AAAA' });
    const reacted = await send(b, id, { kind: 'reaction', target: original.body.id, recipientDevices: [a.id], ciphertext: 'AAAA', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    assert.deepEqual([edited.body.expiresAt, reacted.body.expiresAt], [expiresAt, expiresAt]);
  });

  test('a user removed from the org drops out of the devices a message must reach', async () => {
    const tia = await createOrgUser(hub, owner, 'member');
    const ulf = await createOrgUser(hub, owner, 'member');
    const vin = await createOrgUser(hub, owner, 'member');
    const t = await registerDevice(hub, tia, 't');
    const u = await registerDevice(hub, ulf, 'u');
    const v = await registerDevice(hub, vin, 'v');
    const id = (await api(hub, tia, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'g', members: [ulf.userId, vin.userId] } })).body.id as string;
    assert.deepEqual((await conversationDevices(hub, tia, id)).sort(), [t.id, u.id, v.id].sort());
    assert.equal((await api(hub, owner, `/api/v1/members/${vin.userId}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await conversationDevices(hub, tia, id)).sort(), [t.id, u.id].sort());
    assert.equal((await send(t, id, { recipientDevices: [u.id], ciphertext: 'AAAA' })).status, 201);
  });

  test('a device sends only as itself, and only members post', async () => {
    const oli = await createOrgUser(hub, owner, 'member');
    const pia = await createOrgUser(hub, owner, 'member');
    const quinn = await createOrgUser(hub, owner, 'member');
    const o = await registerDevice(hub, oli, 'o');
    const p = await registerDevice(hub, pia, 'p');
    const q = await registerDevice(hub, quinn, 'q');
    const id = await direct(oli, pia);
    const asOther = await api(hub, oli, `/api/v1/messenger/conversations/${id}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: p.id, recipientDevices: [o.id], ciphertext: 'AAAA' } });
    assert.equal(asOther.status, 403);
    const intruder = await send(q, id, { recipientDevices: [o.id, p.id], ciphertext: 'AAAA' });
    assert.equal(intruder.status, 404, 'a non-member does not see the conversation');
    assert.equal((await api(hub, quinn, `/api/v1/messenger/conversations/${id}`)).status, 404);
    assert.deepEqual((await conversationDevices(hub, oli, id)).sort(), [o.id, p.id].sort(), 'the conversation lists both devices (in no particular order)');
  });
});

test("attachments stop while the hub's disk would keep less free than its floor; messages still go", async (t) => {
  // A floor above any disk's free space: every upload would cross it.
  const full = await startTestHub({ messengerMinFreeBytes: 2 ** 50 });
  t.after(() => full.stop());
  const boss = await createAdminSession(full);
  const ann = await createOrgUser(full, boss, 'member');
  const a = await registerDevice(full, ann, 'a');
  const b = await registerDevice(full, boss, 'b');
  const res = await fetch(`${full.url}/api/v1/messenger/attachments`, { method: 'POST', headers: { ...bearer(ann.accessToken), 'content-type': 'application/octet-stream' }, body: new Uint8Array(randomBytes(100)) });
  const body = (await res.json()) as { code: string; message: string };
  assert.deepEqual([res.status, body.code], [503, 'E_UNAVAILABLE']);
  assert.match(body.message, /disk is nearly full/);
  const metrics = await (await fetch(`${full.url}/metrics`)).text();
  assert.match(metrics, /unibos_messenger_refused_total\{reason="attachment_disk_full"\} 1/);
  const conversation = (await api(full, ann, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: boss.userId } })).body.id as string;
  const sent = await api(full, ann, `/api/v1/messenger/conversations/${conversation}/messages`, { method: 'POST', body: { clientId: randomUUID(), kind: 'message', senderDevice: a.id, recipientDevices: [b.id], ciphertext: 'AAAA' } });
  assert.equal(sent.status, 201, 'a message without a file still goes');
});

async function upload(session: TestSession, bytes: Buffer): Promise<{ status: number; body: any }> {
  const res = await fetch(`${hub.url}/api/v1/messenger/attachments`, { method: 'POST', headers: { ...bearer(session.accessToken), 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
  return { status: res.status, body: await res.json() };
}

async function download(session: TestSession, id: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${hub.url}/api/v1/messenger/attachments/${id}`, { headers: bearer(session.accessToken) });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}
