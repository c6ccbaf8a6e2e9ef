// The device's identity, created once on first start and kept for its life: the node number the
// mesh knows it by, and its key pairs (X25519 for key agreement, Ed25519 for signatures). The
// private keys never leave this file, which only the node's user can read.

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatNodeId, nodeIdFromPublicKey, parseNodeId } from '@unibos/mesh-protocol';
import { FirmwareError } from '../firmware-error.ts';
import { writeFileDurably } from './durable-file.ts';

export interface NodeIdentity {
  nodeId: number;
  /** X25519 public key, 32 bytes (advertised in NodeInfo). */
  publicKey: Uint8Array;
  /** Ed25519 public key, 32 bytes. */
  signingPublicKey: Uint8Array;
  privateKey: KeyObject;
  signingPrivateKey: KeyObject;
  createdMs: number;
}

interface IdentityFile {
  version: 1;
  nodeId: string;
  createdMs: number;
  x25519PrivateKey: string;
  ed25519PrivateKey: string;
}

/** Loads the identity at `path`, creating it on first use. */
export function loadOrCreateIdentity(path: string, now = Date.now()): NodeIdentity {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new FirmwareError('E_STORAGE', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (text === undefined) {
    const x = generateKeyPairSync('x25519');
    const e = generateKeyPairSync('ed25519');
    const publicKey = rawPublicKey(x.publicKey);
    const file: IdentityFile = {
      version: 1,
      nodeId: formatNodeId(nodeIdFromPublicKey(publicKey)),
      createdMs: now,
      x25519PrivateKey: pem(x.privateKey),
      ed25519PrivateKey: pem(e.privateKey),
    };
    writeFileDurably(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    text = readFileSync(path, 'utf8');
  }
  return parseIdentity(text, path);
}

function parseIdentity(text: string, path: string): NodeIdentity {
  try {
    const f = JSON.parse(text) as IdentityFile;
    const nodeId = parseNodeId(String(f.nodeId));
    if (f.version !== 1 || nodeId === null) throw new Error('unknown version or bad nodeId');
    const privateKey = createPrivateKey(f.x25519PrivateKey);
    const signingPrivateKey = createPrivateKey(f.ed25519PrivateKey);
    if (privateKey.asymmetricKeyType !== 'x25519' || signingPrivateKey.asymmetricKeyType !== 'ed25519') throw new Error('wrong key types');
    const publicKey = rawPublicKey(createPublicKey(privateKey));
    // The id is the key's hash: other nodes refuse a key that does not hash to the id it came from.
    const keyId = nodeIdFromPublicKey(publicKey);
    if (keyId !== nodeId) throw new Error(`nodeId ${formatNodeId(nodeId)} is not its key's, ${formatNodeId(keyId)}`);
    return {
      nodeId,
      publicKey,
      signingPublicKey: rawPublicKey(createPublicKey(signingPrivateKey)),
      privateKey,
      signingPrivateKey,
      createdMs: Number(f.createdMs) || 0,
    };
  } catch (err) {
    // Never silently replace an identity: the mesh and the hub know this node by it.
    throw new FirmwareError('E_STORAGE', `${path} is not a valid node identity (${(err as Error).message}); restore it from a backup or move it away to create a new one`);
  }
}

function rawPublicKey(key: KeyObject): Uint8Array {
  // SPKI DER for X25519/Ed25519 ends with the 32-byte raw key.
  const der = key.export({ type: 'spki', format: 'der' });
  return new Uint8Array(der.subarray(der.length - 32));
}

function pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
