// End-to-end encrypted direct messages between a hub user's messenger device and a mesh node,
// through a real gateway uplink: the hub hands the gateway the sealed `direct` command, follows it
// to the node's acknowledgement, files the node's reply in the device's inbox, and never holds
// plaintext.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MeshDirectEndpoint, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { waitForEvent } from './support/hub-events.ts';
import { inbox, registerDevice } from './support/messenger-client.ts';
import { api, createAdminSession, createOrgUser } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub } from './support/test-hub.ts';

const hub = await startTestHub();
const admin = await createAdminSession(hub);
const other = await createOrgUser(hub, admin, 'member');

function meshNode(): { endpoint: MeshDirectEndpoint; address: string; id: number; publicKey: Uint8Array } {
  const keys = newX25519KeyPair(systemRandom);
  const id = meshNodeIdFromPublicKey(keys.publicKey);
  return { endpoint: new MeshDirectEndpoint(keys), address: meshNodeAddress(id), id, publicKey: keys.publicKey };
}

async function metric(name: string, reason: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('a device and a node exchange sealed direct messages through the gateway; the hub files them, follows delivery and holds no plaintext', { timeout: 60_000 }, async () => {
  const device = await registerDevice(hub, admin, 'laptop');
  const deviceEndpoint = new MeshDirectEndpoint(device.keys.identity);
  const deviceAddress = meshNodeAddress(deviceEndpoint.nodeId);
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();

  assert.equal((await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/key`)).status, 404, 'a node never heard has no key');
  gw.mesh(node.address, 'info', { longName: 'Hill relay', shortName: 'HILL', publicKey: Buffer.from(node.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === node.address, { what: 'the NodeInfo' });
  const key = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/key`);
  assert.equal(key.status, 200, JSON.stringify(key.body));
  assert.equal(key.body.source, 'nodeinfo');
  assert.deepEqual(new Uint8Array(Buffer.from(key.body.publicKey, 'base64url')), node.publicKey);

  const secret = 'meet at the water tower PLAINTEXT-TO-NODE-7731';
  const sealed = Buffer.from(deviceEndpoint.encodeMeshDirect({ nodeId: node.id, identityKey: new Uint8Array(Buffer.from(key.body.publicKey, 'base64url')) }, secret)).toString('base64url');
  const sent = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages`, { method: 'POST', body: { senderDevice: device.id, sealed } });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));

  // The gateway gets the direct command; the node opens it with the device's virtual address.
  const command = await gw.nextDownlink();
  assert.deepEqual(command, { direct: { sender: deviceAddress, sealed }, to: node.address, ref: sent.body.id });
  assert.equal(node.endpoint.decodeMeshDirect(parseInt(deviceAddress.slice(1), 16), new Uint8Array(Buffer.from(sealed, 'base64url'))), secret);

  // Sent to the gateway (its packet id), then acknowledged by the node: each step told to the
  // sender alone, as it happens.
  const status = (want: string) => (e: { type: string; data: Record<string, unknown> }) => e.type === 'messenger.mesh_status' && e.data.messageId === sent.body.id && e.data.status === want;
  gw.txStatus({ ref: sent.body.id, status: 'queued', packetId: 4242 });
  const onAir = await waitForEvent(hub, admin.orgId, status('sent'), { what: 'the sender told it is on the air' });
  assert.deepEqual({ data: onAir.data, audience: onAir.audience }, { data: { nodeId: node.address, messageId: sent.body.id, status: 'sent', error: null }, audience: [admin.userId] });
  gw.mesh(node.address, 'ack', { requestId: 4242, error: 'NONE' }, { packetId: 2, to: gw.id });
  const acked = await waitForEvent(hub, admin.orgId, status('delivered'), { what: 'the sender told the node has it' });
  assert.deepEqual(acked.audience, [admin.userId]);
  const history = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages?device=${device.id}`);
  assert.equal(history.status, 200);
  assert.equal(history.body.conversationId, sent.body.conversationId);
  assert.equal(history.body.items.length, 1);
  assert.equal(history.body.items[0].status, 'delivered');
  assert.equal(history.body.items[0].ciphertext, sealed, 'the sender\u2019s own history keeps the ciphertext');

  // The node answers: into the device's inbox, told to its user.
  const answer = 'ok, bring water PLAINTEXT-FROM-NODE-1187';
  const reply = Buffer.from(node.endpoint.encodeMeshDirect({ nodeId: deviceEndpoint.nodeId, identityKey: device.keys.identity.publicKey }, answer)).toString('base64url');
  gw.mesh(node.address, 'direct', { direct: { sender: node.address, sealed: reply } }, { packetId: 3, to: deviceAddress });
  const event = await waitForEvent(hub, admin.orgId, (e) => e.type === 'message.new' && e.data.kind === 'mesh' && e.data.senderDevice === node.address, { what: 'the node\u2019s reply' });
  assert.deepEqual(event.audience, [admin.userId], 'only the device\u2019s user is told');
  assert.equal(event.data.conversationId, sent.body.conversationId, 'the same conversation');
  const rows = (await inbox(hub, device)).filter((r) => r.kind === 'mesh' && r.senderDevice === node.address);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].target, node.address);
  assert.equal(deviceEndpoint.decodeMeshDirect(node.id, new Uint8Array(Buffer.from(rows[0].ciphertext, 'base64url'))), answer);

  // Someone else in the org cannot read or send as that device.
  const otherHistory = await api(hub, other, `/api/v1/messenger/mesh/${node.address}/messages?device=${device.id}`);
  assert.equal(otherHistory.status, 404);
  const forged = await api(hub, other, `/api/v1/messenger/mesh/${node.address}/messages`, { method: 'POST', body: { senderDevice: device.id, sealed } });
  assert.equal(forged.status, 403);

  const files = readdirSync(hub.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
  const stored = Buffer.concat(files.map((f) => readFileSync(f)));
  for (const p of [secret, answer, 'PLAINTEXT']) assert.equal(stored.includes(Buffer.from(p)), false, `hub storage holds "${p}"`);
});

test('a direct frame for no device of the org is a counted drop, and so is our own message heard again', { timeout: 60_000 }, async () => {
  const device = await registerDevice(hub, admin, 'phone');
  const deviceAddress = meshNodeAddress(new MeshDirectEndpoint(device.keys.identity).nodeId);
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();
  const stranger = newX25519KeyPair(systemRandom);
  const strangerId = meshNodeIdFromPublicKey(stranger.publicKey);
  const toStranger = Buffer.from(node.endpoint.encodeMeshDirect({ nodeId: strangerId, identityKey: stranger.publicKey }, 'not for us')).toString('base64url');
  const unknownBefore = await metric('unibos_messenger_mesh_dropped_total', 'unknown_device');
  const echoBefore = await metric('unibos_messenger_mesh_dropped_total', 'own_echo');
  gw.mesh(node.address, 'direct', { direct: { sender: node.address, sealed: toStranger } }, { packetId: 10, to: meshNodeAddress(strangerId) });
  gw.mesh(`!${gw.id}`, 'direct', { direct: { sender: deviceAddress, sealed: toStranger } }, { packetId: 11, to: node.address });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.direct' && e.data.packetId === 11, { what: 'the echo' });
  assert.equal(await metric('unibos_messenger_mesh_dropped_total', 'unknown_device'), unknownBefore + 1);
  assert.equal(await metric('unibos_messenger_mesh_dropped_total', 'own_echo'), echoBefore + 1);
  assert.equal((await inbox(hub, device)).filter((r) => r.kind === 'mesh').length, 0);
});

test('a send the hub cannot carry is refused with a clear code before anything is stored', { timeout: 60_000 }, async () => {
  const device = await registerDevice(hub, admin, 'tablet');
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();
  gw.mesh(node.address, 'info', { longName: 'Valley', publicKey: Buffer.from(node.publicKey).toString('base64') }, { packetId: 20 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === node.address, { what: 'the NodeInfo' });
  const post = (nodeId: string, sealed: string) => api(hub, admin, `/api/v1/messenger/mesh/${nodeId}/messages`, { method: 'POST', body: { senderDevice: device.id, sealed, clientId: randomUUID() } });
  const tooLong = await post(node.address, Buffer.alloc(201, 7).toString('base64url'));
  assert.equal(tooLong.status, 400);
  const padded = await post(node.address, 'AAAA=');
  assert.equal(padded.status, 400);
  const unknown = await post(meshNode().address, Buffer.alloc(40, 1).toString('base64url'));
  assert.equal(unknown.status, 404);
  const history = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages?device=${device.id}`);
  assert.deepEqual(history.body.items, []);
});

test('while the gateway that heard the node is away the message waits at the hub, goes out when it connects, and a refusal shows as failed', { timeout: 60_000 }, async () => {
  const device = await registerDevice(hub, admin, 'radio desk');
  const deviceEndpoint = new MeshDirectEndpoint(device.keys.identity);
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();
  gw.mesh(node.address, 'info', { longName: 'Pass', publicKey: Buffer.from(node.publicKey).toString('base64') }, { packetId: 30 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === node.address, { what: 'the NodeInfo' });
  await gw.uplink.stop({ timeoutMs: 1000 });

  const sealed = Buffer.from(deviceEndpoint.encodeMeshDirect({ nodeId: node.id, identityKey: node.publicKey }, 'road closed')).toString('base64url');
  const sent = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages`, { method: 'POST', body: { senderDevice: device.id, sealed } });
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  assert.equal(sent.body.status, 'queued');

  gw.uplink.start();
  const command = await gw.nextDownlink();
  assert.equal(command.ref, sent.body.id, 'it went out once the gateway was back');
  gw.txStatus({ ref: sent.body.id, status: 'refused', error: 'duty cycle exhausted' });
  // The uplink is in order: once a later frame is in, the report before it was handled.
  gw.mesh(node.address, 'telemetry', { batteryLevel: 80 }, { packetId: 31 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.telemetry' && e.data.packetId === 31, { what: 'the frame after the report' });
  const history = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages?device=${device.id}`);
  assert.equal(history.body.items[0].status, 'failed');
  assert.equal(history.body.items[0].error, 'duty cycle exhausted');
});

test('a node heard without a key: the key lookup says so and the hub asks the node for its NodeInfo', { timeout: 60_000 }, async () => {
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();
  gw.mesh(node.address, 'info', { longName: 'Keyless', shortName: 'KL' }, { packetId: 40 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === node.address, { what: 'the NodeInfo' });
  assert.equal(gw.nameRequests.includes(node.address), false, 'a named node is not asked for its NodeInfo by the fleet');
  const key = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/key`);
  assert.equal(key.status, 404);
  assert.equal(key.body.code, 'E_NOT_FOUND');
  assert.match(key.body.message, /asked for its NodeInfo/);
  await gw.nameRequested(node.address);
});

test('a send that fails between its history row and its outgoing row leaves nothing behind: its resend goes out, never "queued" for good', { timeout: 60_000 }, async () => {
  const device = await registerDevice(hub, admin, 'field kit');
  const deviceEndpoint = new MeshDirectEndpoint(device.keys.identity);
  const gw = await TestGateway.connect(hub, admin);
  const node = meshNode();
  gw.mesh(node.address, 'info', { longName: 'Weir', publicKey: Buffer.from(node.publicKey).toString('base64') }, { packetId: 40 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === node.address, { what: 'the NodeInfo' });
  const sealed = Buffer.from(deviceEndpoint.encodeMeshDirect({ nodeId: node.id, identityKey: node.publicKey }, 'bridge out')).toString('base64url');
  const body = { senderDevice: device.id, sealed, clientId: randomUUID() };

  // The hub fails right after the history row is written, as a crash or a full disk would.
  hub.app.db.exec(`CREATE TEMP TRIGGER fail_mesh_outgoing BEFORE INSERT ON messenger_mesh_outgoing BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`);
  try {
    const failed = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages`, { method: 'POST', body });
    assert.equal(failed.status, 500);
  } finally {
    hub.app.db.exec('DROP TRIGGER fail_mesh_outgoing');
  }
  const history = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages?device=${device.id}`);
  assert.deepEqual(history.body.items, [], 'no message shown that nothing will send');

  const again = await api(hub, admin, `/api/v1/messenger/mesh/${node.address}/messages`, { method: 'POST', body });
  assert.equal(again.status, 201, JSON.stringify(again.body));
  assert.equal(again.body.duplicate, false, 'a new message, not the half-stored one');
  const command = await gw.nextDownlink();
  assert.equal(command.ref, again.body.id, 'the resend went out to the gateway');
});
