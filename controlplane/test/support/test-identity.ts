// A device identity for tests, made the way a node makes its own (X25519 for the id, Ed25519 for
// signatures), and the device's side of a claim: ask the hub for a challenge, answer it with the
// identity's keys. Ids come from the keys, so tests take them from here instead of writing them.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { nodeIdFromPublicKey, proveClaim, rawPublicKey, type ClaimChallenge, type ClaimProof } from '@unibos/mesh-protocol';

export interface TestIdentity {
  /** 8 hex digits, as the hub broker's username and topics write it. */
  id: string;
  x25519PrivateKey: KeyObject;
  ed25519PrivateKey: KeyObject;
}

export function testIdentity(): TestIdentity {
  const x = generateKeyPairSync('x25519');
  const e = generateKeyPairSync('ed25519');
  return { id: nodeIdFromPublicKey(rawPublicKey(x.publicKey)).toString(16).padStart(8, '0'), x25519PrivateKey: x.privateKey, ed25519PrivateKey: e.privateKey };
}

export async function claimChallenge(hubUrl: string): Promise<ClaimChallenge> {
  const res = await fetch(`${hubUrl}/api/v1/devices/claim/challenge`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`claim challenge: ${res.status} ${await res.text()}`);
  return (await res.json()) as ClaimChallenge;
}

/** The device's claim call as a real device makes it; the response as it came. */
export async function proveAndClaim(hubUrl: string, token: string, device: TestIdentity, extra: { name?: string; proof?: ClaimProof; deviceId?: string } = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const proof = extra.proof ?? proveClaim(await claimChallenge(hubUrl), token, device);
  const res = await fetch(`${hubUrl}/api/v1/devices/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, deviceId: extra.deviceId ?? device.id, proof, ...(extra.name ? { name: extra.name } : {}) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
