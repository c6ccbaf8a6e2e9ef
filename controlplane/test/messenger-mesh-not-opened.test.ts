// A node that lost its data (reflashed with its identity kept) cannot open the next message of a
// conversation it no longer has. It answers NOT_OPENED after its radio's ack: the hub then shows the
// message as failed with that reason (not "delivered"), and the client's next message starts a new
// session, which the node opens.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshDirectEndpoint, isMessengerCryptoError, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { MemoryStateStore, MessengerClient } from '../../messenger-client/src/index.ts';
import { waitForEvent } from './support/hub-events.ts';
import { createAdminSession } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

test('a message the node answers NOT_OPENED shows failed with why, and the next one starts a session the node can open', { timeout: 60_000 }, async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const keys = newX25519KeyPair(systemRandom);
  const nodeId = meshNodeAddress(meshNodeIdFromPublicKey(keys.publicKey));
  gw.mesh(nodeId, 'info', { longName: 'Ridge', publicKey: Buffer.from(keys.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the NodeInfo' });
  const store = new MemoryStateStore();
  const open = () => MessengerClient.open({ hubUrl: hub.url, auth: async () => admin.accessToken, store, deviceName: 'field laptop' });
  let client = await open();
  const sender = () => parseInt(client.meshAddress.slice(1), 16);

  /** What the node's radio receives of the client's next message, as bytes. */
  let packetId = 900;
  const carry = async (text: string): Promise<{ messageId: string; sealed: Uint8Array; packetId: number }> => {
    const sent = await client.sendToNode(nodeId, text);
    const command = await gw.nextDownlink();
    const direct = command.direct as { sender: string; sealed: string };
    gw.txStatus({ ref: sent.messageId, status: 'queued', packetId: ++packetId });
    gw.mesh(nodeId, 'ack', { requestId: packetId, error: 'NONE' }, { packetId: packetId + 1000 });
    await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && e.data.packetId === packetId + 1000, { what: `the ack of ${text}` });
    return { messageId: sent.messageId, sealed: new Uint8Array(Buffer.from(direct.sealed, 'base64url')), packetId };
  };

  // A conversation under way: the node answered, so the client's next message continues the chain.
  const node = new MeshDirectEndpoint(keys);
  assert.equal(node.decodeMeshDirect(sender(), (await carry('one')).sealed), 'one');
  const me = (await (await fetch(`${hub.url}/api/v1/messenger/devices`, { headers: { authorization: `Bearer ${admin.accessToken}` } })).json()) as { items: Array<{ id: string; identityKey: string }> };
  const peer = { nodeId: sender(), identityKey: new Uint8Array(Buffer.from(me.items.find((d) => d.id === client.deviceId)!.identityKey, 'base64url')) };
  gw.mesh(nodeId, 'direct', { direct: { sender: nodeId, sealed: Buffer.from(node.encodeMeshDirect(peer, 'reply')).toString('base64url') } }, { packetId: 50, to: client.meshAddress });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.direct' && e.data.packetId === 50, { what: 'the reply' });
  assert.deepEqual((await client.sync()).arrived.map((a) => a.text), ['reply']);

  // Reflashed: the same identity, no sessions.
  const reflashed = new MeshDirectEndpoint(keys);
  const lost = await carry('two');
  assert.throws(() => reflashed.decodeMeshDirect(sender(), lost.sealed), (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_NO_SESSION');
  assert.deepEqual((await client.meshDeliveries(nodeId)).find((d) => d.messageId === lost.messageId), { messageId: lost.messageId, status: 'delivered', error: null });
  gw.mesh(nodeId, 'ack', { requestId: lost.packetId, error: 'NOT_OPENED' }, { packetId: 60 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && e.data.packetId === 60, { what: 'the NOT_OPENED answer' });
  assert.deepEqual((await client.meshDeliveries(nodeId)).find((d) => d.messageId === lost.messageId), { messageId: lost.messageId, status: 'failed', error: 'NOT_OPENED' });

  // The client saw it (the view asks for deliveries on every refresh); across a restart of the client too.
  client = await open();
  await client.meshDeliveries(nodeId);
  assert.equal(reflashed.decodeMeshDirect(sender(), (await carry('three')).sealed), 'three');
  // Asked again, the same answer does not restart the session that now works.
  await client.meshDeliveries(nodeId);
  assert.equal(reflashed.decodeMeshDirect(sender(), (await carry('four')).sealed), 'four');
});
