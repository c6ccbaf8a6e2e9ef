// `unibos msg node`: an end-to-end encrypted direct message from the command line to a mesh node,
// through a real hub and a real gateway uplink, the node's reply read with `unibos msg read`, and
// the delivery state as the node acknowledges it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MESH_DIRECT_MAX_TEXT_BYTES, MeshDirectEndpoint, meshNodeAddress, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { waitForEvent } from '../../controlplane/test/support/hub-events.ts';
import { api, createAdminSession, TEST_PASSWORD } from '../../controlplane/test/support/test-auth.ts';
import { TestGateway } from '../../controlplane/test/support/test-gateway.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { unibos } from './support/processes.ts';

const work = mkdtempSync(join(tmpdir(), 'unibos-msg-mesh-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('unibos msg node sends sealed to a node, refuses too long a text, reads the node\u2019s reply and shows its delivery', { timeout: 120_000 }, async () => {
  const hub = await startTestHub();
  const admin = await createAdminSession(hub);
  const gw = await TestGateway.connect(hub, admin);
  const keys = newX25519KeyPair(systemRandom);
  const nodeId = meshNodeAddress(meshNodeIdFromPublicKey(keys.publicKey));
  const node = new MeshDirectEndpoint(keys);
  gw.mesh(nodeId, 'info', { longName: 'Ridge', publicKey: Buffer.from(keys.publicKey).toString('base64') }, { packetId: 1 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.info' && e.data.nodeId === nodeId, { what: 'the NodeInfo' });

  const passwordFile = join(work, 'password');
  writeFileSync(passwordFile, `${TEST_PASSWORD}\n`, { mode: 0o600 });
  const msg = (...args: string[]) => unibos(['msg', ...args, '--data-dir', join(work, 'me')]);
  assert.equal((await msg('login', '--hub', hub.url, '--email', admin.email, '--password-file', passwordFile)).code, 0);

  assert.equal((await msg('node', nodeId)).stdout, `no messages with ${nodeId} yet\n`, 'an empty conversation says so');
  const stranger = await msg('node', '!0badcafe', 'hello');
  assert.match(stranger.stderr, /node !0badcafe \(no gateway of this org has heard it\) not found/);

  const tooLong = await msg('node', nodeId, 'x'.repeat(MESH_DIRECT_MAX_TEXT_BYTES + 1));
  assert.equal(tooLong.code, 2, 'a text to shorten is a usage mistake, as with unibos send');
  assert.match(tooLong.stderr, new RegExp(`at most ${MESH_DIRECT_MAX_TEXT_BYTES} bytes`));

  const sent = await msg('node', nodeId, 'water at the school');
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /handed to the hub for .*end-to-end encrypted/);
  const command = await gw.nextDownlink();
  assert.equal(gw.downlinks.length, 0, 'the too-long text never went out');
  const direct = command.direct as { sender: string; sealed: string };
  const deviceNumber = parseInt(direct.sender.slice(1), 16);
  assert.equal(node.decodeMeshDirect(deviceNumber, new Uint8Array(Buffer.from(direct.sealed, 'base64url'))), 'water at the school');

  const devices = await api(hub, admin, '/api/v1/messenger/devices');
  const identityKey = new Uint8Array(Buffer.from(devices.body.items[0].identityKey, 'base64url'));
  const reply = Buffer.from(node.encodeMeshDirect({ nodeId: deviceNumber, identityKey }, 'on my way')).toString('base64url');
  gw.mesh(nodeId, 'direct', { direct: { sender: nodeId, sealed: reply } }, { packetId: 2, to: direct.sender });
  gw.txStatus({ ref: command.ref, status: 'queued', packetId: 77 });
  gw.mesh(nodeId, 'ack', { requestId: 77, error: 'NONE' }, { packetId: 3 });
  await waitForEvent(hub, admin.orgId, (e) => e.type === 'mesh.ack' && e.data.packetId === 3, { what: 'the acknowledgement' });

  const read = await msg('read');
  assert.equal(read.code, 0, read.stderr);
  assert.match(read.stdout, new RegExp(`\\[mesh ${nodeId} .*\\] ${nodeId}: on my way`));
  const list = (await msg('list')).stdout;
  assert.match(list, /^ID +KIND +NAME +UNREAD\n/, 'the list is a table with a header');
  assert.match(list, new RegExp(`^\\S+ +mesh node +${nodeId} \\(Ridge\\) +1 +unibos msg node ${nodeId}$`, 'm'));
  const conversation = await msg('node', nodeId);
  assert.equal(conversation.code, 0, conversation.stderr);
  assert.match(conversation.stdout, /you: water at the school {2}\(acknowledged by the node\)/);
  assert.match(conversation.stdout, new RegExp(`${nodeId}: on my way`));
  assert.match((await msg('list')).stdout, new RegExp(`mesh node +${nodeId} \\(Ridge\\) +0 +unibos`), 'reading the conversation marks it read');

  // The id `msg list` prints for it, and the node id, work with read and send as with any conversation.
  const listed = new RegExp(`^(\\S+) +mesh node +${nodeId}`, 'm').exec((await msg('list')).stdout)?.[1];
  assert.ok(listed, 'msg list names the conversation by an id');
  for (const ref of [listed, nodeId]) {
    const byRef = await msg('read', ref);
    assert.equal(byRef.code, 0, byRef.stderr);
    assert.match(byRef.stdout, new RegExp(`${nodeId}: on my way`));
  }
  const again = await msg('send', listed, 'and blankets');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /handed to the hub for .*end-to-end encrypted/);
  const second = await gw.nextDownlink();
  assert.equal(node.decodeMeshDirect(deviceNumber, new Uint8Array(Buffer.from((second.direct as { sealed: string }).sealed, 'base64url'))), 'and blankets');
  const file = await msg('send', nodeId, 'x', '--attach', passwordFile);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /a mesh node takes text only/);
});
