// Cost per message (encrypt + decrypt) of each messenger construction against a bare
// XChaCha20-Poly1305 seal/open of the same plaintext, measured in the same run.
// Usage: npm run bench -w messenger-crypto [-- --messages N]

import { performance } from 'node:perf_hooks';
import { DeviceIdentity, GroupSession, MeshDirectEndpoint, PairwiseSession, decodeRatchetMessage, newX25519KeyPair, systemRandom } from '../src/index.ts';
import { aeadOpen, aeadSeal } from '../src/message-aead.ts';

const argIndex = process.argv.indexOf('--messages');
const MESSAGES = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 1000;
const plaintext = new Uint8Array(100).fill(0x61);

function time(label: string, perRun: number, run: () => void): { label: string; usPerMessage: number } {
  run(); // warm-up: JIT and noble's precomputed tables
  const start = performance.now();
  run();
  const us = ((performance.now() - start) * 1000) / perRun;
  return { label, usPerMessage: us };
}

function bareAead() {
  const key = systemRandom(32);
  const ad = new Uint8Array(40);
  for (let i = 0; i < MESSAGES; i++) {
    const nonce = systemRandom(24);
    aeadOpen(key, nonce, aeadSeal(key, nonce, plaintext, ad), ad);
  }
}

function startedPair() {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bob = DeviceIdentity.generate({ oneTimePrekeys: 1 });
  const a = PairwiseSession.initiate(alice, bob.publishedBundle());
  const { session: b } = PairwiseSession.respond(bob, decodeRatchetMessage(a.encrypt(plaintext)));
  a.decrypt(b.encrypt(plaintext));
  return { a, b };
}

function ratchetOneChain() {
  const { a, b } = startedPair();
  for (let i = 0; i < MESSAGES; i++) b.decrypt(a.encrypt(plaintext));
}

function ratchetEveryMessageADhStep() {
  const { a, b } = startedPair();
  for (let i = 0; i < MESSAGES / 2; i++) {
    b.decrypt(a.encrypt(plaintext));
    a.decrypt(b.encrypt(plaintext));
  }
}

function group() {
  const a = new GroupSession('bench', 'a');
  const b = new GroupSession('bench', 'b');
  a.setMembers(['b']);
  b.setMembers(['a']);
  b.processDistribution('a', a.currentDistribution());
  for (let i = 0; i < MESSAGES; i++) b.decrypt('a', a.encrypt(plaintext));
}

function meshShort() {
  const node = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const user = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const nodePeer = { nodeId: node.nodeId, identityKey: node.identity.publicKey };
  node.decodeMeshDirect(user.nodeId, user.encodeMeshDirect(nodePeer, 'hi'));
  user.decodeMeshDirect(node.nodeId, node.encodeMeshDirect({ nodeId: user.nodeId, identityKey: user.identity.publicKey }, 'hi'));
  const text = 'x'.repeat(100);
  for (let i = 0; i < MESSAGES; i++) node.decodeMeshDirect(user.nodeId, user.encodeMeshDirect(nodePeer, text));
}

const baseline = time('bare XChaCha20-Poly1305 (baseline)', MESSAGES, bareAead);
const rows = [
  baseline,
  time('1:1 ratchet, one chain (HMAC chain + HKDF + AEAD)', MESSAGES, ratchetOneChain),
  time('1:1 ratchet, DH step on every message', MESSAGES, ratchetEveryMessageADhStep),
  time('group sender key (AEAD + Ed25519 sign/verify)', MESSAGES, group),
  time('mesh direct, short form', MESSAGES, meshShort),
];

console.log(`messenger-crypto bench: ${MESSAGES} messages of ${plaintext.length} bytes, encrypt + decrypt each`);
console.log('construction'.padEnd(54) + 'us/msg'.padStart(10) + 'msg/s'.padStart(10));
for (const r of rows) console.log(r.label.padEnd(54) + r.usPerMessage.toFixed(1).padStart(10) + Math.round(1e6 / r.usPerMessage).toString().padStart(10));
const ratio = (i: number) => (rows[i]!.usPerMessage / baseline.usPerMessage).toFixed(1);
console.log(`ratios: ratchet-chain/aead=${ratio(1)} ratchet-dh-step/aead=${ratio(2)} group/aead=${ratio(3)} mesh-short/aead=${ratio(4)}`);
