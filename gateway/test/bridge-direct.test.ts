// Private messages between a hub user's device and a node: the hub hands the gateway a message
// the device sealed end to end (`direct` tx command); the gateway carries it as its own frame and
// the node opens it; the node's sealed reply is bridged to `unibos/v1/mesh/{node}/direct`, where
// only the device can open it. The gateway reads neither.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNodeId } from '@unibos/mesh-protocol';
import { MeshDirectEndpoint, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { MeshBridge, type UplinkSink } from '../src/bridge/mesh-bridge.ts';
import { parseTxCommand } from '../src/bridge/tx-command.ts';
import { params, silent, simMesh } from './support/sim-mesh.ts';

test('a direct tx command reaches the node as a private message, and its reply reaches the hub on mesh/{node}/direct', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 5, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-direct' });
  const g = make('G', 'GATEWAY');
  const n = make('Clinic', 'CLIENT');
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const uplink: UplinkSink = { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) };
  const reports: Array<{ ref: string; packetId?: number; status: string; error?: string }> = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) }, uplink, logger: silent });
  await g.device.start();
  await n.device.start();
  scheduler.runUntil(60_000);

  // The hub knows the node's key from its announcement, as bridged.
  const node = formatNodeId(n.id);
  const info = committed.find((c) => c.topic === `unibos/v1/mesh/${node}/info`);
  assert.ok(info, 'the node announced itself');
  const nodeKey = new Uint8Array(Buffer.from((JSON.parse(info.payload.toString()) as { publicKey: string }).publicKey, 'base64'));
  const user = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const userAddress = meshNodeIdFromPublicKey(user.identity.publicKey);
  const command = (text: string, ref: string) =>
    Buffer.from(JSON.stringify({ direct: { sender: formatNodeId(userAddress), sealed: Buffer.from(user.encodeMeshDirect({ nodeId: n.id, identityKey: nodeKey }, text)).toString('base64url') }, to: node, ref }));

  assert.equal(bridge.handleTx(command('is the clinic open tonight?', 'pm-1'), 'hub').ok, true);
  assert.equal(reports.at(-1)?.status, 'queued');
  assert.equal(reports.at(-1)?.ref, 'pm-1');
  scheduler.runUntil(scheduler.now() + 30_000);
  const received = n.device.inbox.since().filter((m) => m.kind === 'private');
  assert.deepEqual(received.map((m) => [m.from, m.text, m.decryptError]), [[userAddress, 'is the clinic open tonight?', null]]);
  assert.equal(g.device.inbox.since().length, 0, 'the gateway only carried it');
  assert.equal(g.device.outbox.size, 0, "the node's ack settled the gateway's frame");

  // The node answers the user (its key was learnt from the first message) with no hub or gateway code involved.
  n.device.sendPrivate('yes, until 22:00', userAddress);
  scheduler.runUntil(scheduler.now() + 30_000);
  const bridged = committed.filter((c) => c.topic === `unibos/v1/mesh/${node}/direct`);
  assert.equal(bridged.length, 1, 'bridged once to the hub');
  const doc = JSON.parse(bridged[0]!.payload.toString()) as { from: string; to: string; direct: { sender: string; sealed: string } };
  assert.deepEqual([doc.from, doc.to, doc.direct.sender], [node, formatNodeId(userAddress), node]);
  // The whole text, not a piece of it: the bridged document carries times of day of its own.
  assert.ok(!bridged[0]!.payload.toString().includes('yes, until'), 'sealed: the bridge cannot read it');
  assert.ok(!Buffer.from(doc.direct.sealed, 'base64url').includes(Buffer.from('yes, until 22:00')), 'nor is it in the sealed bytes');
  assert.equal(user.decodeMeshDirect(n.id, new Uint8Array(Buffer.from(doc.direct.sealed, 'base64url'))), 'yes, until 22:00');

  // The conversation goes on: the user's next message opens too (a new ratchet step).
  assert.equal(bridge.handleTx(command('thank you', 'pm-2'), 'hub').ok, true);
  scheduler.runUntil(scheduler.now() + 30_000);
  assert.deepEqual(n.device.inbox.since().filter((m) => m.kind === 'private').map((m) => m.text), ['is the clinic open tonight?', 'thank you']);
});

test('a direct tx command is parsed strictly: one node, a sender address, 1..200 sealed bytes in base64url', () => {
  const sealed = Buffer.alloc(40, 7).toString('base64url');
  const ok = parseTxCommand(Buffer.from(JSON.stringify({ direct: { sender: '!5e6f7a8b', sealed }, to: '!1a2b3c4d', ref: 'r' })));
  assert.deepEqual(ok, { ok: true, command: { kind: 'direct', to: 0x1a2b3c4d, sender: 0x5e6f7a8b, sealed: new Uint8Array(40).fill(7), ref: 'r' } });
  const refused = (body: unknown): string => {
    const p = parseTxCommand(Buffer.from(JSON.stringify(body)));
    assert.equal(p.ok, false, JSON.stringify(body));
    return p.ok ? '' : p.error;
  };
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed } }), /"to" is required/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed }, to: 'broadcast' }), /"to" is required/);
  assert.match(refused({ direct: { sender: 'broadcast', sealed }, to: '!1a2b3c4d' }), /direct.sender/);
  assert.match(refused({ direct: { sealed }, to: '!1a2b3c4d' }), /direct.sender/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed: '' }, to: '!1a2b3c4d' }), /base64url/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed: Buffer.alloc(40).toString('base64') + '+/=' }, to: '!1a2b3c4d' }), /base64url/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed: Buffer.alloc(201).toString('base64url') }, to: '!1a2b3c4d' }), /1\.\.200 bytes/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed, text: 'x' }, to: '!1a2b3c4d' }), /not a field/);
  assert.match(refused({ direct: { sender: '!5e6f7a8b', sealed }, text: 'hi', to: '!1a2b3c4d' }), /alone/);
  assert.match(refused({ direct: 'hi', to: '!1a2b3c4d' }), /must be an object/);
});

test('a hub user writes to the gateway\u2019s own node: received there, answered "arrived" (then NOT_OPENED for one it cannot read) as its radio would, and its reply reaches the hub', async (t) => {
  const { scheduler, make } = simMesh(t, { seed: 6, link: { rssi: -100, snr: 4 }, prefix: 'unibos-bridge-direct-own' });
  const g = make('G', 'GATEWAY');
  const committed: Array<{ topic: string; payload: Buffer }> = [];
  const uplink: UplinkSink = { forward: (m) => void committed.push({ topic: m.topic, payload: m.payload }) };
  const reports: Array<{ ref: string; packetId?: number; status: string }> = [];
  const bridge = new MeshBridge({ gatewayId: 'gw1', device: g.device, params, local: { publish: async (topic: string, body: string | Buffer) => void (topic.endsWith('/txstatus') && reports.push(JSON.parse(String(body)))) }, uplink, logger: silent });
  await g.device.start();
  scheduler.runUntil(10_000);
  const me = formatNodeId(g.id);
  // The hub learns the key of the gateway's own node from its report.
  bridge.reportSelf();
  const info = committed.find((c) => c.topic === `unibos/v1/mesh/${me}/info`)!;
  const key = new Uint8Array(Buffer.from((JSON.parse(info.payload.toString()) as { publicKey: string }).publicKey, 'base64'));
  const user = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const userAddress = meshNodeIdFromPublicKey(user.identity.publicKey);
  const command = (sealed: Uint8Array, ref: string) => Buffer.from(JSON.stringify({ direct: { sender: formatNodeId(userAddress), sealed: Buffer.from(sealed).toString('base64url') }, to: me, ref }));
  const answers = () => committed.filter((c) => c.topic === `unibos/v1/mesh/${me}/ack`).map((c) => JSON.parse(c.payload.toString()) as { from: string; to: string; requestId: number; error: string });

  assert.equal(bridge.handleTx(command(user.encodeMeshDirect({ nodeId: g.id, identityKey: key }, 'is the gateway room warm?'), 'own-1'), 'hub').ok, true);
  const sent = reports.at(-1)!;
  assert.deepEqual([sent.ref, sent.status], ['own-1', 'queued']);
  assert.deepEqual(g.device.inbox.since().filter((m) => m.kind === 'private').map((m) => [m.from, m.text]), [[userAddress, 'is the gateway room warm?']]);
  assert.deepEqual(answers().map((a) => [a.from, a.to, a.requestId, a.error]), [[me, formatNodeId(userAddress), sent.packetId, 'NONE']], 'arrived, under the packet id the hub was told');

  // Bytes that do not open: "arrived", then NOT_OPENED, so the hub shows it failed and the client starts anew.
  const tampered = user.encodeMeshDirect({ nodeId: g.id, identityKey: key }, 'second');
  tampered[tampered.length - 1]! ^= 0xff;
  assert.equal(bridge.handleTx(command(tampered, 'own-2'), 'hub').ok, true);
  const second = reports.at(-1)!;
  assert.deepEqual(answers().slice(1).map((a) => [a.requestId, a.error]), [[second.packetId, 'NONE'], [second.packetId, 'NOT_OPENED']]);
  assert.equal(g.device.outbox.size, 0, 'nothing went on air for it');

  // The gateway's node answers the user: to the hub, as a heard reply would.
  g.device.sendPrivate('yes, 21 degrees', userAddress);
  scheduler.runUntil(scheduler.now() + 1000);
  const reply = committed.filter((c) => c.topic === `unibos/v1/mesh/${me}/direct`).map((c) => JSON.parse(c.payload.toString()) as { direct: { sealed: string } });
  assert.equal(reply.length, 1);
  assert.equal(user.decodeMeshDirect(g.id, new Uint8Array(Buffer.from(reply[0]!.direct.sealed, 'base64url'))), 'yes, 21 degrees');
});
