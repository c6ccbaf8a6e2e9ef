// The hub's logs hold no plaintext and no private key: a hub logging at debug level to a file
// relays real ratchet-encrypted 1:1 messages and a sender-key group message, then the log file and
// the whole data dir are searched for every plaintext and every device's private keys.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { DeviceIdentity, GroupSession, PairwiseSessions, TrustStore, fromBase64url } from '@unibos/messenger-crypto';
import { hubConfigDefaults, runHub } from '../src/index.ts';
import { registerDevice, type RegisteredDevice } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser, type TestSession } from './support/test-auth.ts';
import type { TestHub } from './support/test-hub.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'unibos-hub-logs-'));
const logDir = mkdtempSync(join(tmpdir(), 'unibos-hub-logfile-'));
const logFile = join(logDir, 'hub.log');
// Synchronous, so every line is on disk when the test reads the file.
const logger = pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true }));
const running = await runHub({ ...hubConfigDefaults(dataDir), httpPort: 0, mqttPort: 0 }, { logger });
const hub: TestHub = { ...running, dataDir };
after(async () => {
  try {
    await running.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(logDir, { recursive: true, force: true });
  }
});

const owner = await createAdminSession(hub, { orgName: 'Messenger logs' });
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A device with real sessions; its private keys are noted at birth, before any one-time prekey is used up. */
class Client {
  readonly sessions: PairwiseSessions;
  readonly secrets: Uint8Array[];
  group: GroupSession | null = null;

  private constructor(readonly user: TestSession, readonly device: RegisteredDevice) {
    this.sessions = new PairwiseSessions(device.keys, new TrustStore());
    this.secrets = privateKeysOf(device.keys);
  }

  static async create(user: TestSession, name: string): Promise<Client> {
    return new Client(user, await registerDevice(hub, user, name, 3));
  }

  async others(conversationId: string): Promise<Array<{ deviceId: string; userId: string }>> {
    const res = await api(hub, this.user, `/api/v1/messenger/conversations/${conversationId}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.devices as Array<{ deviceId: string; userId: string }>).filter((d) => d.deviceId !== this.device.id);
  }

  async post(conversationId: string, body: Record<string, unknown>): Promise<void> {
    const res = await api(hub, this.user, `/api/v1/messenger/conversations/${conversationId}/messages`, { method: 'POST', body: { clientId: randomUUID(), senderDevice: this.device.id, ...body } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }

  async envelopesFor(devices: Array<{ deviceId: string; userId: string }>, payload: Uint8Array): Promise<unknown[]> {
    for (const userId of new Set(devices.filter((d) => !this.sessions.hasSession(d.deviceId)).map((d) => d.userId))) {
      const bundles = await api(hub, this.user, `/api/v1/messenger/users/${userId}/bundles`);
      for (const b of bundles.body.items) if (!this.sessions.hasSession(b.deviceId)) this.sessions.startSession(b.deviceId, b);
    }
    return this.sessions.encryptForDevices(devices.map((d) => ({ address: d.deviceId, deviceId: d.deviceId })), payload);
  }

  async sendDirect(conversationId: string, message: string): Promise<void> {
    const others = await this.others(conversationId);
    await this.post(conversationId, { kind: 'message', recipientDevices: others.map((d) => d.deviceId), envelopes: await this.envelopesFor(others, utf8.encode(message)) });
  }

  async sendGroup(conversationId: string, message: string): Promise<void> {
    const others = await this.others(conversationId);
    this.group ??= new GroupSession(conversationId, this.device.id);
    const rekey = this.group.setMembers(others.map((d) => d.deviceId));
    if (rekey) await this.post(conversationId, { kind: 'sender-key', recipientDevices: others.map((d) => d.deviceId), envelopes: await this.envelopesFor(others, rekey.distribution) });
    await this.post(conversationId, { kind: 'message', recipientDevices: this.group.currentMembers, ciphertext: this.group.encrypt(utf8.encode(message)) });
  }

  /** Reads and decrypts the inbox, acknowledges it, and returns the texts. */
  async sync(): Promise<string[]> {
    const res = await api(hub, this.user, `/api/v1/messenger/inbox?device=${this.device.id}`);
    assert.equal(res.status, 200);
    const texts: string[] = [];
    for (const row of res.body.items) {
      if (row.kind === 'sender-key') {
        this.group ??= new GroupSession(row.conversationId, this.device.id);
        this.group.setMembers((await this.others(row.conversationId)).map((d) => d.deviceId));
        this.group.processDistribution(row.senderDevice, this.sessions.decrypt(row.senderDevice, row.envelope));
        continue;
      }
      texts.push(text.decode(row.envelope ? this.sessions.decrypt(row.senderDevice, row.envelope) : this.group!.decrypt(row.senderDevice, row.ciphertext)));
    }
    if (res.body.items.length > 0) await api(hub, this.user, '/api/v1/messenger/inbox/ack', { method: 'POST', body: { device: this.device.id, upTo: res.body.items.at(-1).seq } });
    return texts;
  }
}

function privateKeysOf(keys: DeviceIdentity): Uint8Array[] {
  const json = keys.toJSON();
  const encoded = [json.identitySecret, json.signingSecret, json.signedPrekey.secret, ...json.oneTimePrekeys.map((k) => k.secret)];
  return encoded.map((s) => fromBase64url(s));
}

describe('the hub\u2019s logs and storage after real encrypted traffic', { timeout: 60_000 }, () => {
  test('a debug-level log file and the data dir hold no plaintext and no private key', async () => {
    const [ana, ben, cem] = await Promise.all([1, 2, 3].map(() => createOrgUser(hub, owner, 'member')));
    const a = await Client.create(ana!, 'Ana phone');
    const b = await Client.create(ben!, 'Ben laptop');
    const c = await Client.create(cem!, 'Cem tablet');
    const direct = (await api(hub, ana!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'direct', userId: ben!.userId } })).body.id as string;
    const group = (await api(hub, ana!, '/api/v1/messenger/conversations', { method: 'POST', body: { kind: 'group', name: 'Shelter', members: [ben!.userId, cem!.userId] } })).body.id as string;
    const lines = ['insulin in the blue cooler 7d1e', 'bring two more stretchers 4a9c'];
    const groupLine = 'shelter B has power again 93f0';

    await a.sendDirect(direct, lines[0]!);
    assert.deepEqual(await b.sync(), [lines[0]]);
    await b.sendDirect(direct, lines[1]!);
    assert.deepEqual(await a.sync(), [lines[1]]);
    await a.sendGroup(group, groupLine);
    assert.deepEqual(await b.sync(), [groupLine]);
    assert.deepEqual(await c.sync(), [groupLine]);

    const log = readFileSync(logFile);
    assert.ok(log.includes(Buffer.from('/api/v1/messenger/conversations/')), 'the log records the messenger requests (the scan reads a real log)');
    assert.ok(logger.isLevelEnabled('debug'), 'debug lines, were there any, would be in the file too');
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
    const stored = Buffer.concat(files.map((f) => readFileSync(f)));
    assert.ok(stored.includes(Buffer.from(a.device.id)), 'the scan reads the hub\u2019s storage (a device id is there)');

    for (const [where, bytes] of [['log', log], ['data dir', stored]] as const) {
      for (const p of [...lines, groupLine]) assert.ok(!bytes.includes(Buffer.from(p)), `plaintext in the ${where}: ${p}`);
      for (const client of [a, b, c]) {
        for (const secret of client.secrets) {
          assert.ok(!bytes.includes(Buffer.from(secret)), `a private key of ${client.device.id} in the ${where} (raw)`);
          assert.ok(!bytes.includes(Buffer.from(Buffer.from(secret).toString('base64url'))), `a private key of ${client.device.id} in the ${where} (base64url)`);
          assert.ok(!bytes.includes(Buffer.from(Buffer.from(secret).toString('base64'))), `a private key of ${client.device.id} in the ${where} (base64)`);
        }
      }
    }
  });
});
