// A node's first message (INIT) recorded off the air and played again later, after the node has
// started new sessions, must not open again: the device would show an old message as new.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshDirectEndpoint, newX25519KeyPair, systemRandom, isMessengerCryptoError } from '../src/index.ts';

/** A device that took three first messages (INITs) from a node that rebooted before each, losing its sessions. */
function threeInits() {
  const deviceKeys = newX25519KeyPair(systemRandom);
  const nodeKeys = newX25519KeyPair(systemRandom);
  const device = new MeshDirectEndpoint(deviceKeys);
  const toDevice = { nodeId: device.nodeId, identityKey: deviceKeys.publicKey };
  const inits: Uint8Array[] = [];
  let node = new MeshDirectEndpoint(nodeKeys);
  for (const text of ['one', 'two', 'three']) {
    node = new MeshDirectEndpoint(nodeKeys);
    const init = node.encodeMeshDirect(toDevice, text);
    inits.push(init);
    assert.equal(device.decodeMeshDirect(node.nodeId, init), text);
  }
  return { deviceKeys, device, toDevice, inits, node };
}

test('an old INIT replayed after the node restarted its session twice is refused as a replay, and the live session still works', () => {
  const { deviceKeys, device, toDevice, inits, node } = threeInits();
  for (const old of inits) {
    assert.throws(() => device.decodeMeshDirect(node.nodeId, old), (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_REPLAY');
  }
  // Restored from its saved state, the device still knows them.
  const restored = MeshDirectEndpoint.fromJSON(JSON.parse(JSON.stringify(device.toJSON())), deviceKeys);
  assert.throws(() => restored.decodeMeshDirect(node.nodeId, inits[0]!), (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_REPLAY');
  assert.equal(restored.decodeMeshDirect(node.nodeId, node.encodeMeshDirect(toDevice, 'four')), 'four');
});

test('256 first messages from made-up nodes do not push a real node’s INIT out of memory: its replay is still refused (also from state saved in the older one-list form)', () => {
  const { deviceKeys, device, toDevice, inits, node } = threeInits();
  // Anyone on the channel can make keys, and so node ids, and send first messages from them.
  for (let i = 0; i < 300; i++) {
    const fake = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
    device.decodeMeshDirect(fake.nodeId, fake.encodeMeshDirect(toDevice, `spam ${i}`));
  }
  const refused = (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_REPLAY';
  assert.throws(() => device.decodeMeshDirect(node.nodeId, inits[0]!), refused, 'the gate code does not open again');

  // A state saved when the INITs were one list: that list is still checked.
  const saved = JSON.parse(JSON.stringify(device.toJSON())) as Record<string, unknown>;
  const ours = (saved.handshakesByPeer as Record<string, string[]>)[Object.keys(saved.handshakesByPeer as object).find((k) => k === `!${node.nodeId.toString(16).padStart(8, '0')}`)!]!;
  const older = { ...saved, handshakes: ours, handshakesByPeer: undefined };
  const restored = MeshDirectEndpoint.fromJSON(older, deviceKeys);
  assert.throws(() => restored.decodeMeshDirect(node.nodeId, inits[1]!), refused);
});
