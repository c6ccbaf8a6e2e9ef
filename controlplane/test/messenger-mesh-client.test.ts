// The messenger client's side of direct messages with a mesh node, against a real hub and a real
// gateway uplink: sendToNode seals for the node's key, too long a text never leaves the client,
// the node's replies open in sync() (one that arrives before the first of its chain is kept and
// opened after it), and the state survives a restart.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MESH_DIRECT_MAX_TEXT_BYTES, MeshDirectEndpoint, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { MemoryStateStore, MessengerClient, MessengerClientError } from '../../messenger-client/src/index.ts';
import { MeshConversations } from '../../messenger-client/src/mesh-conversations.ts';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('a client sends to a node and reads its replies in order, an early one kept until its chain opens, across a restart; the hub holds no plaintext', { timeout: 60_000 }, async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const keys = newX25519KeyPair(systemRandom);
  const nodeNumber = meshNodeIdFromPublicKey(keys.publicKey);
  const nodeId = meshNodeAddress(nodeNumber);
  const node = new MeshDirectEndpoint(keys);
  gw.mesh(nodeId, 'info', { longName: 'Ridge', publicKey: Buffer.from(keys.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the NodeInfo' });

  let requests = 0;
  const counting: typeof fetch = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  const store = new MemoryStateStore();
  const open = () => MessengerClient.open({ hubUrl: hub.url, auth: async () => admin.accessToken, store, deviceName: 'field laptop', fetch: counting });
  let client = await open();

  const before = requests;
  await assert.rejects(client.sendToNode(nodeId, 'ü'.repeat(59)), (err: unknown) => {
    assert.ok(err instanceof MessengerClientError);
    assert.equal(err.code, 'E_TEXT_TOO_LONG');
    assert.match(err.message, new RegExp(`at most ${MESH_DIRECT_MAX_TEXT_BYTES} bytes`));
    return true;
  });
  assert.equal(requests, before, 'nothing reached the hub');

  const question = 'QUESTION-PLAINTEXT how many at the shelter?';
  const sent = await client.sendToNode(nodeId, question);
  assert.equal(sent.status, 'queued', 'the hub has it; the gateway has not reported yet');
  const command = await gw.nextDownlink();
  const direct = command.direct as { sender: string; sealed: string };
  assert.equal(direct.sender, client.meshAddress);
  assert.equal(node.decodeMeshDirect(parseInt(direct.sender.slice(1), 16), new Uint8Array(Buffer.from(direct.sealed, 'base64url'))), question);

  // The node answers twice; the second reaches the hub first.
  const me = await (await fetch(`${hub.url}/api/v1/messenger/devices`, { headers: { authorization: `Bearer ${admin.accessToken}` } })).json() as { items: Array<{ id: string; identityKey: string }> };
  const identityKey = new Uint8Array(Buffer.from(me.items.find((d) => d.id === client.deviceId)!.identityKey, 'base64url'));
  const peer = { nodeId: parseInt(client.meshAddress.slice(1), 16), identityKey };
  const first = Buffer.from(node.encodeMeshDirect(peer, 'ANSWER-ONE-PLAINTEXT 42 people')).toString('base64url');
  const second = Buffer.from(node.encodeMeshDirect(peer, 'ANSWER-TWO-PLAINTEXT need blankets')).toString('base64url');
  const heard = async (sealed: string, packetId: number): Promise<void> => {
    gw.mesh(nodeId, 'direct', { direct: { sender: nodeId, sealed } }, { packetId, to: client.meshAddress });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.direct' && e.data.packetId === packetId, { what: `direct frame ${packetId}` });
  };
  await heard(second, 11);
  const early = await client.sync();
  assert.deepEqual(early.arrived, [], 'the early one waits');
  assert.deepEqual(early.problems, [], 'and is not reported as unreadable');

  client = await open();
  await heard(first, 10);
  const later = await client.sync();
  assert.deepEqual(later.problems, []);
  assert.deepEqual(later.arrived.map((a) => [a.nodeId, a.text]), [[nodeId, 'ANSWER-ONE-PLAINTEXT 42 people'], [nodeId, 'ANSWER-TWO-PLAINTEXT need blankets']]);
  assert.deepEqual(client.meshHistory(nodeId).map((m) => m.text), [question, 'ANSWER-ONE-PLAINTEXT 42 people', 'ANSWER-TWO-PLAINTEXT need blankets']);
  assert.equal(later.arrived[0]!.conversationId, sent.conversationId, 'one conversation both ways');
  assert.deepEqual(await client.meshConversations(), [{ conversationId: sent.conversationId, nodeId, name: 'Ridge', unread: 2 }]);
  await client.markMeshRead(nodeId);
  assert.equal((await client.meshConversations())[0]!.unread, 0);

  // Another gateway of the org, which was not given the message, cannot mark it failed.
  const other = await TestGateway.connect(hub, admin);
  other.txStatus({ ref: sent.messageId, status: 'refused', error: 'made up' });
  other.sensor('other-marker', 'level', '1');
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'sensor.reading' && e.data.sensorId === 'other-marker', { what: 'the other gateway\u2019s marker reading' });
  assert.deepEqual((await client.meshDeliveries(nodeId)).map((d) => d.status), ['queued']);

  gw.txStatus({ ref: sent.messageId, status: 'queued', packetId: 900 });
  gw.mesh(nodeId, 'ack', { requestId: 900, error: 'NONE' }, { packetId: 12 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && e.data.packetId === 12, { what: 'the acknowledgement' });
  assert.deepEqual(await client.meshDeliveries(nodeId), [{ messageId: sent.messageId, status: 'delivered', error: null }]);

  const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
  const stored = Buffer.concat(files.map((f) => readFileSync(f)));
  for (const p of ['PLAINTEXT', 'shelter', 'blankets']) assert.equal(stored.includes(Buffer.from(p)), false, `hub storage holds "${p}"`);
});

test('a key that does not belong to the node (a lying hub) is refused with E_BAD_KEY as a client error, before anything is sealed', () => {
  const mine = newX25519KeyPair(systemRandom);
  const mesh = MeshConversations.fromJSON(undefined, mine);
  const node = newX25519KeyPair(systemRandom);
  const impostor = newX25519KeyPair(systemRandom);
  assert.throws(() => mesh.seal(meshNodeAddress(meshNodeIdFromPublicKey(node.publicKey)), impostor.publicKey, 'hello'), (err: unknown) => err instanceof MessengerClientError && err.code === 'E_BAD_KEY');
});
