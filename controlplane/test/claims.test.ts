// Claims prove possession (issue 10, finding 4). Device ids are public: every frame carries its
// sender's. So an org whose gateways merely heard a node lists it as "heard, unclaimed" and cannot
// make it its own with a claim token; only a device answering the hub's challenge with the
// identity keys behind its id can claim it, once, into one org.

import assert from 'node:assert/strict';
import { createHash, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { claimTranscript, proveClaim, rawPublicKey, type ClaimProof } from '@unibos/mesh-protocol';
import { createAdminSession, bearer, type TestSession, api } from './support/test-auth.ts';
import { TestGateway } from './support/test-gateway.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';
import { waitForEvent } from './support/hub-events.ts';
import { claimChallenge, proveAndClaim, testIdentity, type TestIdentity } from './support/test-identity.ts';


async function nodeToken(hub: TestHub, session: TestSession, kind: 'node' | 'gateway' = 'node'): Promise<string> {
  const t = await api(hub, session, '/api/v1/claim-tokens', { method: 'POST', body: { kind } });
  assert.equal(t.status, 201);
  return t.body.token as string;
}

async function claimWithoutProof(hub: TestHub, token: string, deviceId: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${hub.url}/api/v1/devices/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, deviceId }) });
  return { status: res.status, body: await res.json() };
}

async function claimMetric(hub: TestHub, outcome: string): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  const m = new RegExp(`^unibos_hub_device_claims_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `no claims metric for ${outcome}`);
  return Number(m[1]);
}

/** The node is heard by `gw`: a position, as a gateway uplinks it. */
async function hear(hub: TestHub, session: TestSession, gw: TestGateway, node: TestIdentity, packetId: number): Promise<void> {
  gw.mesh(`!${node.id}`, 'position', { latitude: 46.5, longitude: 7.9 }, { packetId, snr: 4.5 });
  await waitForEvent(hub, session.orgId, (e) => e.type === 'mesh.position' && e.data.nodeId === `!${node.id}` && (e.data as { packetId: number }).packetId === packetId, { what: 'the node heard' });
}

describe('claims prove possession', { timeout: 60_000 }, async () => {
  const hub = await startTestHub({ dedupWindowMs: 0 });
  const orgA = await createAdminSession(hub, { orgName: 'Claims org A' });
  const orgB = await createAdminSession(hub, { orgName: 'Claims org B' });
  const gwA = await TestGateway.connect(hub, orgA);
  const gwB = await TestGateway.connect(hub, orgB);
  const node = testIdentity();
  await hear(hub, orgA, gwA, node, 1);
  await hear(hub, orgB, gwB, node, 2);

  test('a node heard by two orgs\u2019 gateways is listed in both as heard, unclaimed, with its position and signal', async () => {
    for (const org of [orgA, orgB]) {
      const n = await api(hub, org, `/api/v1/nodes/!${node.id}`);
      assert.equal(n.status, 200);
      assert.equal(n.body.claimed, false);
      assert.equal(n.body.position.latitude, 46.5);
      assert.equal(n.body.heardBy[0].snr, 4.5);
      const heard = await api(hub, org, '/api/v1/nodes?claimed=false');
      assert.deepEqual(heard.body.items.map((i: { id: string }) => i.id), [`!${node.id}`], 'only the heard node, not the org\u2019s own gateway');
      const own = await api(hub, org, '/api/v1/nodes?claimed=true');
      assert.ok(!own.body.items.some((i: { id: string }) => i.id === `!${node.id}`));
    }
  });

  test('an org that only heard a node cannot claim it with a token of its own', async () => {
    const before = await claimMetric(hub, 'no_proof');
    const token = await nodeToken(hub, orgB);
    const bare = await claimWithoutProof(hub, token, node.id);
    assert.equal(bare.status, 401, JSON.stringify(bare.body));
    assert.equal(bare.body.code, 'E_PROOF_REQUIRED');
    assert.equal(await claimMetric(hub, 'no_proof'), before + 1, 'the refusal is counted');
    // B's own keys prove B's own id, not the node's.
    const own = await proveAndClaim(hub.url, token, testIdentity(), { deviceId: node.id });
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.equal(own.body.code, 'E_PROOF_INVALID');
    assert.equal((await api(hub, orgB, `/api/v1/nodes/!${node.id}`)).body.claimed, false);
  });

  test('forged proofs are refused: wrong keys, another device id, another token, a replayed or expired challenge', async () => {
    const token = await nodeToken(hub, orgB);
    const attacker = testIdentity();
    const badProofs = await claimMetric(hub, 'bad_proof');

    // The node's X25519 key is public (it advertises it); the attacker signs with its own Ed25519
    // key but cannot compute the X25519 MAC for it.
    const challenge = await claimChallenge(hub.url);
    const own = proveClaim(challenge, token, attacker);
    const victimX = rawPublicKey(node.x25519PrivateKey);
    const transcript = claimTranscript({
      nonce: Buffer.from(challenge.nonce, 'base64url'),
      hubPublicKey: Buffer.from(challenge.hubPublicKey, 'base64url'),
      deviceId: parseInt(node.id, 16),
      x25519PublicKey: victimX,
      ed25519PublicKey: rawPublicKey(attacker.ed25519PrivateKey),
      token,
    });
    const forged: ClaimProof = { ...own, x25519PublicKey: victimX.toString('base64url'), signature: sign(null, transcript, attacker.ed25519PrivateKey).toString('base64url') };
    const mac = await proveAndClaim(hub.url, token, node, { proof: forged });
    assert.equal(mac.status, 403, JSON.stringify(mac.body));
    assert.equal(mac.body.code, 'E_PROOF_INVALID');

    // A proof made by the device itself, sent for another device id.
    const other = await proveAndClaim(hub.url, token, attacker, { deviceId: node.id });
    assert.equal(other.status, 403);
    // A signature over the right id by a key that is not the device's.
    const genuine = proveClaim(await claimChallenge(hub.url), token, node);
    const resigned = await proveAndClaim(hub.url, token, node, { proof: { ...genuine, ed25519PublicKey: rawPublicKey(attacker.ed25519PrivateKey).toString('base64url') } });
    assert.equal(resigned.status, 403);
    // The device's proof for one token does not carry over to another.
    const tokenA = await nodeToken(hub, orgA);
    const moved = await proveAndClaim(hub.url, token, node, { proof: proveClaim(await claimChallenge(hub.url), tokenA, node) });
    assert.equal(moved.status, 403);
    assert.equal(await claimMetric(hub, 'bad_proof'), badProofs + 4);

    // A challenge answers once, even when the first answer failed.
    const once = proveClaim(await claimChallenge(hub.url), tokenA, attacker);
    assert.equal((await proveAndClaim(hub.url, tokenA, attacker, { proof: once, deviceId: node.id })).status, 403);
    const replay = await proveAndClaim(hub.url, tokenA, attacker, { proof: once });
    assert.equal(replay.status, 401, JSON.stringify(replay.body));
    assert.equal(replay.body.code, 'E_CHALLENGE_INVALID');
    // A challenge the hub never issued.
    const invented = await proveAndClaim(hub.url, tokenA, attacker, { proof: proveClaim({ nonce: createHash('sha256').update('x').digest('base64url'), hubPublicKey: challenge.hubPublicKey }, tokenA, attacker) });
    assert.equal(invented.body.code, 'E_CHALLENGE_INVALID');

    assert.equal((await api(hub, orgA, `/api/v1/nodes/!${node.id}`)).body.claimed, false);
    assert.equal((await api(hub, orgB, `/api/v1/nodes/!${node.id}`)).body.claimed, false);
  });

  test('the device claims itself with its keys: its heard entry becomes claimed, and no other org can take it', async () => {
    const tokenA = await nodeToken(hub, orgA);
    const claimed = await proveAndClaim(hub.url, tokenA, node, { name: 'Ridge hut' });
    assert.equal(claimed.status, 201, JSON.stringify(claimed.body));
    assert.match(String(claimed.body.deviceToken), new RegExp(`^ubd_${node.id}_`));
    const n = await api(hub, orgA, `/api/v1/nodes/!${node.id}`);
    assert.equal(n.body.claimed, true);
    assert.equal(n.body.name, 'Ridge hut');
    assert.equal(n.body.position.latitude, 46.5, 'what was heard before the claim is kept');
    assert.equal(n.body.heardBy[0].gatewayId, `!${gwA.id}`);
    const keys = hub.app.fleet.credentials.publicKeys(orgA.orgId, node.id);
    assert.deepEqual(keys?.x25519, rawPublicKey(node.x25519PrivateKey), 'the hub keeps the keys the device proved');
    assert.deepEqual(keys?.ed25519, rawPublicKey(node.ed25519PrivateKey));

    // B still hears it, and still only as heard; even the device itself cannot move into B while A has it.
    const inB = await api(hub, orgB, `/api/v1/nodes/!${node.id}`);
    assert.equal(inB.body.claimed, false);
    const toB = await proveAndClaim(hub.url, await nodeToken(hub, orgB), node);
    assert.equal(toB.status, 409, JSON.stringify(toB.body));
    assert.equal(toB.body.code, 'E_CONFLICT');
    // Without the keys, B learns nothing about who has it: the same refusal as for any node.
    assert.equal((await claimWithoutProof(hub, await nodeToken(hub, orgB), node.id)).body.code, 'E_PROOF_REQUIRED');
    // A heartbeat with the token the claim gave works.
    const beat = await fetch(`${hub.url}/api/v1/devices/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${claimed.body.deviceToken}` }, body: '{}' });
    assert.equal(beat.status, 204);
  });
});

test('a challenge expires after five minutes', async () => {
  let skewMs = 0;
  const hub = await startTestHub({ dedupWindowMs: 0 }, { now: () => Date.now() + skewMs });
  const admin = await createAdminSession(hub);
  const device = testIdentity();
  const token = await nodeToken(hub, admin);
  const proof = proveClaim(await claimChallenge(hub.url), token, device);
  skewMs = 5 * 60_000 + 1000;
  const late = await proveAndClaim(hub.url, token, device, { proof });
  assert.equal(late.status, 401, JSON.stringify(late.body));
  assert.equal(late.body.code, 'E_CHALLENGE_INVALID');
  assert.equal((await proveAndClaim(hub.url, token, device)).status, 201, 'a fresh challenge works, and the token was not spent');
});

test('claim challenges are counted per address block: one IPv6 /64 cannot take the room every claim needs', async () => {
  // Behind a trusted proxy, so the test can speak from many addresses.
  const hub = await startTestHub({ dedupWindowMs: 0, trustedProxies: ['127.0.0.1'] });
  const ask = async (from: string) => {
    const res = await fetch(`${hub.url}/api/v1/devices/claim/challenge`, { method: 'POST', headers: { 'x-forwarded-for': from } });
    return { status: res.status, body: (await res.json()) as { code?: string; message?: string } };
  };
  // Ten addresses of one /64 share its ten outstanding challenges.
  for (let i = 1; i <= 10; i++) assert.equal((await ask(`2001:db8:0:7::${i.toString(16)}`)).status, 201);
  const refused = await ask('2001:db8:0:7::ffff');
  assert.equal(refused.status, 429);
  assert.equal(refused.body.code, 'E_RATE_LIMITED');
  assert.match(refused.body.message!, /too many claims in progress from this address/);
  // Another block, and a plain IPv4 address, still get theirs: a real device can claim.
  assert.equal((await ask('2001:db8:0:8::1')).status, 201);
  assert.equal((await ask('192.0.2.10')).status, 201);
  const admin = await createAdminSession(hub);
  const device = testIdentity();
  assert.equal((await proveAndClaim(hub.url, await nodeToken(hub, admin), device)).status, 201, 'a device claims while the /64 holds its most');
});
