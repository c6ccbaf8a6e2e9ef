// End to end through a real hub with real encryption: clients built on @unibos/messenger-crypto
// (X3DH + Double Ratchet for 1:1 envelopes, sender keys for groups) exchange messages through the
// relay. The hub's storage holds none of the plaintext and no private key afterwards, and a
// member removed from a group can neither receive nor decrypt what is sent after the removal.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GroupSession, PairwiseSessions, TrustStore, isMessengerCryptoError, toBase64url } from '@unibos/messenger-crypto';
import { registerDevice, type RegisteredDevice } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser, type TestSession } from './support/test-auth.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const owner = await createAdminSession(hub, { orgName: 'Messenger end to end' });
const utf8 = new TextEncoder();
const text = new TextDecoder();

interface Received {
  conversationId: string;
  from: string;
  kind: string;
  text: string;
  ciphertext: string | null;
}

/** A messenger client as thin as a real one: device keys, 1:1 sessions, group sessions, the inbox. */
class Client {
  readonly sessions: PairwiseSessions;
  readonly groups = new Map<string, GroupSession>();
  readonly received: Received[] = [];
  /** Devices whose sender keys arrived after they had left a group. */
  readonly ignored: string[] = [];

  private constructor(readonly user: TestSession, readonly device: RegisteredDevice) {
    this.sessions = new PairwiseSessions(device.keys, new TrustStore());
  }

  static async create(user: TestSession, name: string): Promise<Client> {
    return new Client(user, await registerDevice(hub, user, name, 10));
  }

  get id(): string {
    return this.device.id;
  }

  async otherDevices(conversationId: string): Promise<Array<{ deviceId: string; userId: string }>> {
    const res = await api(hub, this.user, `/api/v1/messenger/conversations/${conversationId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.devices as Array<{ deviceId: string; userId: string }>).filter((d) => d.deviceId !== this.id);
  }

  /** Starts a 1:1 session with every device that has none yet, from the bundles the hub hands out. */
  async ensureSessions(devices: Array<{ deviceId: string; userId: string }>): Promise<void> {
    const missing = devices.filter((d) => !this.sessions.hasSession(d.deviceId));
    for (const userId of new Set(missing.map((d) => d.userId))) {
      const bundles = await api(hub, this.user, `/api/v1/messenger/users/${userId}/bundles`);
      for (const b of bundles.body.items) if (missing.some((m) => m.deviceId === b.deviceId)) this.sessions.startSession(b.deviceId, b);
    }
  }

  async post(conversationId: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> {
    return api(hub, this.user, `/api/v1/messenger/conversations/${conversationId}/messages`, { method: 'POST', body: { clientId: randomUUID(), senderDevice: this.id, ...body } });
  }

  /** A 1:1 message: one ratchet envelope per device of the conversation. */
  async sendDirect(conversationId: string, message: string): Promise<void> {
    const others = await this.otherDevices(conversationId);
    await this.ensureSessions(others);
    const envelopes = this.sessions.encryptForDevices(others.map((d) => ({ address: d.deviceId, deviceId: d.deviceId })), utf8.encode(message));
    const res = await this.post(conversationId, { kind: 'message', recipientDevices: others.map((d) => d.deviceId), envelopes });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  /** The group's session, re-keyed (and the new sender key sent) whenever its member devices changed. */
  async group(conversationId: string): Promise<GroupSession> {
    const others = await this.otherDevices(conversationId);
    let group = this.groups.get(conversationId);
    if (!group) this.groups.set(conversationId, (group = new GroupSession(conversationId, this.id)));
    const rekey = group.setMembers(others.map((d) => d.deviceId));
    if (rekey) {
      await this.ensureSessions(others);
      const envelopes = this.sessions.encryptForDevices(rekey.recipients.map((d) => ({ address: d, deviceId: d })), rekey.distribution);
      const res = await this.post(conversationId, { kind: 'sender-key', recipientDevices: others.map((d) => d.deviceId), envelopes });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    return group;
  }

  /** A group message: one sender-key ciphertext shared by every member device. */
  async sendGroup(conversationId: string, message: string): Promise<void> {
    const group = await this.group(conversationId);
    const res = await this.post(conversationId, { kind: 'message', recipientDevices: group.currentMembers, ciphertext: group.encrypt(utf8.encode(message)) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  /** Reads and decrypts the inbox in order, then acknowledges it. */
  async sync(): Promise<Received[]> {
    const res = await api(hub, this.user, `/api/v1/messenger/inbox?device=${this.id}`);
    assert.equal(res.status, 200);
    const fresh: Received[] = [];
    for (const row of res.body.items) {
      if (row.kind === 'sender-key') {
        const distribution = this.sessions.decrypt(row.senderDevice, row.envelope);
        try {
          (await this.group(row.conversationId)).processDistribution(row.senderDevice, distribution);
        } catch (err) {
          // A key sent by a device that has left the group since: ignored, as the library says.
          if (!isMessengerCryptoError(err) || err.code !== 'E_NOT_A_MEMBER') throw err;
          this.ignored.push(row.senderDevice);
        }
        continue;
      }
      const plaintext = row.envelope ? this.sessions.decrypt(row.senderDevice, row.envelope) : (await this.group(row.conversationId)).decrypt(row.senderDevice, row.ciphertext);
      fresh.push({ conversationId: row.conversationId, from: row.senderDevice, kind: row.kind, text: text.decode(plaintext), ciphertext: row.ciphertext });
    }
    const items = res.body.items as Array<{ seq: number }>;
    if (items.length > 0) await api(hub, this.user, '/api/v1/messenger/inbox/ack', { method: 'POST', body: { device: this.id, upTo: items[items.length - 1]!.seq } });
    this.received.push(...fresh);
    return fresh;
  }
}

describe('messenger end to end with messenger-crypto', { timeout: 60_000 }, () => {
  const plaintexts: string[] = [];
  const clients: Client[] = [];

  test('two users exchange ratcheted 1:1 messages through the hub', async () => {
    const [ana, ben] = await Promise.all([createOrgUser(hub, owner, 'member'), createOrgUser(hub, owner, 'member')]);
    const a = await Client.create(ana, 'Ana phone');
    const b = await Client.create(ben, 'Ben laptop');
    clients.push(a, b);
    const id = (await api(hub, ana, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: ben.userId } })).body.id as string;
    const lines = ['water at the school gym 5f2a', 'how many cots? 9b1c', 'forty, more tomorrow e77d', 'good, the road north is open 0c3e', 'noted 61aa'];
    plaintexts.push(...lines);
    await a.sendDirect(id, lines[0]!);
    assert.deepEqual((await b.sync()).map((r) => r.text), [lines[0]]);
    await b.sendDirect(id, lines[1]!);
    assert.deepEqual((await a.sync()).map((r) => r.text), [lines[1]]);
    // Two in a row from one side, then the other: the ratchet turns with every change of speaker.
    await a.sendDirect(id, lines[2]!);
    await a.sendDirect(id, lines[3]!);
    assert.deepEqual((await b.sync()).map((r) => r.text), [lines[2], lines[3]]);
    await b.sendDirect(id, lines[4]!);
    assert.deepEqual((await a.sync()).map((r) => [r.from, r.text]), [[b.id, lines[4]]]);
  });

  test('a group on sender keys: members read, a removed member neither receives nor can decrypt what follows', async () => {
    const [cy, di, ed] = await Promise.all([1, 2, 3].map(() => createOrgUser(hub, owner, 'member')));
    const c = await Client.create(cy!, 'Cy');
    const d = await Client.create(di!, 'Di');
    const e = await Client.create(ed!, 'Ed');
    clients.push(c, d, e);
    const id = (await api(hub, cy!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Relief', members: [di!.userId, ed!.userId] } })).body.id as string;
    const before = 'generator fuel at depot 2 a4d9';
    const after = 'depot 2 moved to the harbour 3be0';
    plaintexts.push(before, after);
    await c.sendGroup(id, before);
    for (const member of [d, e]) assert.deepEqual((await member.sync()).map((r) => r.text), [before]);

    assert.equal((await api(hub, cy!, `/api/v1/messenger/conversations/${id}/members/${ed!.userId}`, { method: 'DELETE' })).status, 200);
    await c.sendGroup(id, after);
    const got = await d.sync();
    assert.deepEqual(got.map((r) => r.text), [after]);
    assert.deepEqual(d.ignored, [e.id], 'Ed\u2019s sender key, still in Di\u2019s inbox from before the removal, is not taken');
    assert.deepEqual(await e.sync(), [], 'the hub sends the removed member nothing');
    // Even holding the ciphertext (copied from another member's inbox), the removed member has no key to it.
    assert.throws(() => e.groups.get(id)!.decrypt(c.id, got[0]!.ciphertext!), (err: unknown) => isMessengerCryptoError(err) && (err.code === 'E_UNKNOWN_SENDER_KEY' || err.code === 'E_NOT_A_MEMBER'));
  });

  test('the hub\u2019s storage holds no plaintext and no private key', () => {
    assert.ok(plaintexts.length > 0 && clients.length > 0, 'the conversations above ran');
    const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
    const stored = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(stored.includes(Buffer.from(clients[0]!.id)), 'the scan reads the hub\u2019s storage (a device id is there)');
    for (const p of plaintexts) assert.ok(!stored.includes(Buffer.from(p)), `plaintext in storage: ${p}`);
    for (const client of clients) {
      for (const secret of [client.device.keys.identity.secretKey, client.device.keys.signing.secretKey]) {
        assert.ok(!stored.includes(Buffer.from(secret)), 'a private key in storage (raw)');
        assert.ok(!stored.includes(Buffer.from(toBase64url(secret))), 'a private key in storage (base64url)');
      }
    }
  });
});
