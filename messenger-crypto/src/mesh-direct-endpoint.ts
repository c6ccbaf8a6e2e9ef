// One device's (or node's) end of end-to-end encrypted direct messages over the mesh: a compact
// session per peer node, the peer's key checked against its node id and pinned on first use, and
// the size limit enforced before anything is encrypted.

import { utf8ToBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import type { KeyPair } from './curve-keys.ts';
import { MESH_DIRECT_MAX_BYTES, MESH_DIRECT_MAX_TEXT_BYTES, parseMeshDirect } from './mesh-direct-message.ts';
import { MeshDirectSession } from './mesh-direct-session.ts';
import { meshNodeAddress, meshNodeIdFromPublicKey } from './mesh-node-id.ts';
import { HandshakeMemory } from './handshake-memory.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { systemRandom, type RandomSource } from './random-source.ts';
import { toBase64url } from './base64url.ts';
import { asArray, asRecord, asString, asUint, asVersion, type JsonRecord } from './state-json.ts';
import { TrustStore } from './trust-store.ts';

export interface MeshPeer {
  nodeId: number;
  /** The node's X25519 identity key (from its NodeInfo or the hub's node registry). */
  identityKey: Uint8Array;
}

/** First-message (INIT) ephemeral keys remembered per node after their session is gone, so a replayed INIT is refused. */
const HANDSHAKES_KEPT_PER_NODE = 32;
/** The one list state saved before they were kept per node held at most this many. */
const LEGACY_HANDSHAKES_KEPT = 256;

interface Entry {
  current: MeshDirectSession;
  previous: MeshDirectSession | null;
}

export class MeshDirectEndpoint {
  private readonly sessions = new Map<number, Entry>();
  /** Ephemeral keys of the INITs this endpoint answered, per node (bounded). */
  private handshakes = new HandshakeMemory(HANDSHAKES_KEPT_PER_NODE);

  constructor(
    readonly identity: KeyPair,
    readonly trust: TrustStore = new TrustStore(),
    private readonly random: RandomSource = systemRandom,
  ) {}

  get nodeId(): number {
    return meshNodeIdFromPublicKey(this.identity.publicKey);
  }

  /** Encrypts `text` for `to`. Too long a text is refused with E_TEXT_TOO_LONG before anything else happens. */
  encodeMeshDirect(to: MeshPeer, text: string): Uint8Array {
    const plaintext = utf8ToBytes(text);
    if (plaintext.length > MESH_DIRECT_MAX_TEXT_BYTES) {
      throw new MessengerCryptoError('E_TEXT_TOO_LONG', `a direct message over the mesh holds at most ${MESH_DIRECT_MAX_TEXT_BYTES} bytes of text; this one has ${plaintext.length}`, { maxBytes: String(MESH_DIRECT_MAX_TEXT_BYTES), bytes: String(plaintext.length) });
    }
    checkKeyMatchesId(to.nodeId, to.identityKey);
    const address = meshNodeAddress(to.nodeId);
    this.trust.require(address, to.identityKey);
    let entry = this.sessions.get(to.nodeId);
    if (entry && !equalBytes(entry.current.remoteIdentityKey, to.identityKey)) entry = undefined;
    if (!entry) {
      entry = { current: MeshDirectSession.initiate(this.identity, to.identityKey, this.random), previous: this.sessions.get(to.nodeId)?.current ?? null };
      this.sessions.set(to.nodeId, entry);
      this.trust.pinIfNew(address, to.identityKey);
    }
    const bytes = entry.current.encrypt(plaintext);
    if (bytes.length > MESH_DIRECT_MAX_BYTES) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `encoded direct message of ${bytes.length} bytes exceeds ${MESH_DIRECT_MAX_BYTES}`);
    return bytes;
  }

  /**
   * Node `nodeId` said it could not open what we sent it (a Routing NOT_OPENED: it lost its data, or
   * was reflashed): the next message to it starts a new session, while the old one still opens what
   * it sends on it. Returns false when there was no session with it. A session restarted and not
   * used since is kept (several messages answered NOT_OPENED restart it once).
   */
  restartSession(nodeId: number): boolean {
    const entry = this.sessions.get(nodeId);
    if (!entry) return false;
    if (!entry.current.unused) this.sessions.set(nodeId, { current: MeshDirectSession.initiate(this.identity, entry.current.remoteIdentityKey, this.random), previous: entry.current });
    return true;
  }

  /** Opens a direct message that came from node `fromNodeId` (the frame's authenticated sender). */
  decodeMeshDirect(fromNodeId: number, bytes: Uint8Array): string {
    const m = parseMeshDirect(bytes);
    const address = meshNodeAddress(fromNodeId);
    const entry = this.sessions.get(fromNodeId);
    let plaintext: Uint8Array;
    if (m.form === 'init') {
      checkKeyMatchesId(fromNodeId, m.identityKey);
      this.trust.require(address, m.identityKey);
      const existing = entry && [entry.current, entry.previous].find((s) => s?.matchesHandshake(m));
      if (existing) {
        plaintext = existing.decrypt(m);
      } else {
        // An INIT answered before whose session has since been replaced: recorded and played again.
        const handshake = toBase64url(m.ratchetKey);
        if (this.handshakes.seen(address, handshake)) throw new MessengerCryptoError('E_REPLAY', 'this first message was already received: refused as a replay', { address });
        // A new handshake from a known peer (it lost its session, or we both started at once) replaces the old session.
        const r = MeshDirectSession.respond(this.identity, m, this.random);
        this.handshakes.remember(address, handshake);
        this.sessions.set(fromNodeId, { current: r.session, previous: entry?.current ?? null });
        this.trust.pinIfNew(address, m.identityKey);
        plaintext = r.plaintext;
      }
    } else {
      if (!entry) throw new MessengerCryptoError('E_NO_SESSION', `no session with node ${address}; its next message will start a new one`, { address });
      this.trust.require(address, entry.current.remoteIdentityKey);
      plaintext = decryptWithEither(entry, m);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch {
      throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the direct message is not UTF-8 text');
    }
  }

  toJSON(): JsonRecord {
    return { v: 1, sessions: [...this.sessions].map(([nodeId, e]) => ({ nodeId, current: e.current.toJSON(), previous: e.previous?.toJSON() ?? null })), trust: this.trust.toJSON(), ...this.handshakes.toJSON() };
  }

  static fromJSON(json: unknown, identity: KeyPair, random: RandomSource = systemRandom): MeshDirectEndpoint {
    const j = asRecord(json, 'mesh');
    asVersion(j.v, 'mesh.v', 1);
    const endpoint = new MeshDirectEndpoint(identity, TrustStore.fromJSON(j.trust), random);
    asArray(j.sessions, 'mesh.sessions').forEach((v, i) => {
      const r = asRecord(v, `mesh.sessions[${i}]`);
      endpoint.sessions.set(asUint(r.nodeId, `mesh.sessions[${i}].nodeId`), {
        current: MeshDirectSession.fromJSON(r.current, random),
        previous: r.previous === null ? null : MeshDirectSession.fromJSON(r.previous, random),
      });
    });
    // Per node since handshakesByPeer came; `handshakes`, the one list before it, is still checked.
    endpoint.handshakes = HandshakeMemory.fromJSON(j.handshakesByPeer, j.handshakes, HANDSHAKES_KEPT_PER_NODE, LEGACY_HANDSHAKES_KEPT, 'mesh');
    return endpoint;
  }
}

function decryptWithEither(entry: Entry, m: ReturnType<typeof parseMeshDirect>): Uint8Array {
  try {
    return entry.current.decrypt(m);
  } catch (e) {
    if (!entry.previous) throw e;
    try {
      return entry.previous.decrypt(m);
    } catch (old) {
      // A repeat of a message the previous session opened is a replay, whatever the current one says.
      throw old instanceof MessengerCryptoError && old.code === 'E_REPLAY' ? old : e;
    }
  }
}

function checkKeyMatchesId(nodeId: number, identityKey: Uint8Array): void {
  if (identityKey.length !== 32 || meshNodeIdFromPublicKey(identityKey) !== nodeId >>> 0) {
    throw new MessengerCryptoError('E_BAD_KEY', `the identity key does not belong to node ${meshNodeAddress(nodeId)} (a node id is the hash of its key)`, { address: meshNodeAddress(nodeId) });
  }
}

export function encodeMeshDirect(endpoint: MeshDirectEndpoint, to: MeshPeer, text: string): Uint8Array {
  return endpoint.encodeMeshDirect(to, text);
}

export function decodeMeshDirect(endpoint: MeshDirectEndpoint, fromNodeId: number, bytes: Uint8Array): string {
  return endpoint.decodeMeshDirect(fromNodeId, bytes);
}
