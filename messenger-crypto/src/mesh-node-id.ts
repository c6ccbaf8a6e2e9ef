// A mesh node's id from its X25519 identity key, the same rule as mesh-protocol's
// nodeIdFromPublicKey (the first 4 bytes of SHA-256 that are neither 0 nor broadcast), written on
// noble so this library stays free of node:crypto. A test holds the two to the same answers.

import { sha256 } from '@noble/hashes/sha2.js';

const BROADCAST = 0xffffffff;

export function meshNodeIdFromPublicKey(x25519PublicKey: Uint8Array): number {
  const h = sha256(x25519PublicKey);
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  for (let i = 0; i + 4 <= h.length; i++) {
    const v = view.getUint32(i);
    if (v !== 0 && v !== BROADCAST) return v;
  }
  return 1;
}

/** The trust-store address of a mesh node: its id as the mesh writes it ("!1a2b3c4d"). */
export function meshNodeAddress(nodeId: number): string {
  return `!${(nodeId >>> 0).toString(16).padStart(8, '0')}`;
}
