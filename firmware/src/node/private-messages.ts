// This node's end of end-to-end encrypted private messages (Data.direct): one MeshDirectEndpoint
// on the node's own X25519 identity, its sessions kept in the node database after every change
// (so a restart neither loses a conversation nor reuses a message key), and the identity keys
// peers announced in their NodeInfo, which is where a first private message gets its key.

import type { KeyObject } from 'node:crypto';
import { formatNodeId, type DirectMessage } from '@unibos/mesh-protocol';
import { MeshDirectEndpoint, isMessengerCryptoError, meshNodeAddress, meshNodeIdFromPublicKey, type KeyPair } from '@unibos/messenger-crypto';
import { FirmwareError } from '../firmware-error.ts';
import type { Db } from './node-db.ts';
import { MAX_PEERS } from './peer-store.ts';

const STATE_KEY = 'mesh-direct';
/** Early messages kept per sender; past that the oldest is given up (its inbox row keeps saying why). */
const MAX_HELD_PER_SENDER = 32;
/**
 * Peers' announced keys remembered, as many as the peer list holds: anyone on a public channel can
 * invent node ids (with keys that hash to them), so past that the least recently heard is forgotten.
 */
const MAX_PEER_KEYS = MAX_PEERS;
/** Hub users' devices remembered; past that the least recently heard is forgotten. */
const MAX_HUB_DEVICES = 1000;

/** What opening a Data.direct gave: the text, or why it could not be read. */
export type Opened = { ok: true; text: string } | { ok: false; code: string; reason: string };

export class PrivateMessages {
  private readonly endpoint: MeshDirectEndpoint;
  private readonly loadState;
  private readonly saveState;
  private readonly keyOf;
  private readonly rememberKey;
  private readonly trimKeys;
  private readonly holdOne;
  private readonly heldFrom;
  private readonly release;
  private readonly trimHeld;
  private readonly rememberHubDevice;
  private readonly trimHubDevices;
  private readonly findHubDevice;
  /** Private messages that could not be opened, by error code (they are still stored, as such). */
  readonly failures = new Map<string, number>();

  constructor(
    db: Db,
    identity: { publicKey: Uint8Array; privateKey: KeyObject },
  ) {
    this.loadState = db.prepare('SELECT value FROM kv WHERE key = ?');
    this.saveState = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.keyOf = db.prepare('SELECT public_key AS key FROM direct_peer_keys WHERE node_id = ?');
    this.rememberKey = db.prepare(`INSERT INTO direct_peer_keys (node_id, public_key, heard_ms) VALUES (?, ?, ?)
      ON CONFLICT(node_id) DO UPDATE SET public_key = excluded.public_key, heard_ms = excluded.heard_ms`);
    this.trimKeys = db.prepare(`DELETE FROM direct_peer_keys WHERE node_id NOT IN (SELECT node_id FROM direct_peer_keys ORDER BY heard_ms DESC LIMIT ${MAX_PEER_KEYS})`);
    this.holdOne = db.prepare('INSERT OR IGNORE INTO direct_held (sender, packet_id, sealed, inbox_seq) VALUES (?, ?, ?, ?)');
    this.heldFrom = db.prepare('SELECT packet_id AS packetId, sealed, inbox_seq AS seq FROM direct_held WHERE sender = ? ORDER BY inbox_seq');
    this.release = db.prepare('DELETE FROM direct_held WHERE sender = ? AND packet_id = ?');
    this.trimHeld = db.prepare(`DELETE FROM direct_held WHERE sender = ? AND inbox_seq NOT IN
      (SELECT inbox_seq FROM direct_held WHERE sender = ? ORDER BY inbox_seq DESC LIMIT ${MAX_HELD_PER_SENDER})`);
    this.rememberHubDevice = db.prepare('INSERT INTO hub_devices (node_id, heard_ms) VALUES (?, ?) ON CONFLICT(node_id) DO UPDATE SET heard_ms = excluded.heard_ms');
    this.trimHubDevices = db.prepare(`DELETE FROM hub_devices WHERE node_id NOT IN (SELECT node_id FROM hub_devices ORDER BY heard_ms DESC LIMIT ${MAX_HUB_DEVICES})`);
    this.findHubDevice = db.prepare('SELECT 1 FROM hub_devices WHERE node_id = ?');
    const keys = keyPairOf(identity);
    const row = this.loadState.get(STATE_KEY) as { value: string } | undefined;
    if (!row) {
      this.endpoint = new MeshDirectEndpoint(keys);
      return;
    }
    try {
      this.endpoint = MeshDirectEndpoint.fromJSON(JSON.parse(row.value), keys);
    } catch (err) {
      // Starting over would silently break every conversation (and could reuse keys): say so and stop.
      throw new FirmwareError('E_STORAGE', `the private-message sessions in the node database cannot be read (${(err as Error).message}); restore node.db from a backup`);
    }
  }

  /**
   * `sender` wrote a private message that opened, carried on its behalf by `transmitter`: a hub
   * user's messenger device (its address is its key's hash; it has no radio), which no node can
   * acknowledge a message for.
   */
  heardFromHubDevice(sender: number, nowMs: number): void {
    this.rememberHubDevice.run(sender, nowMs);
    this.trimHubDevices.run();
  }

  isHubDevice(nodeId: number): boolean {
    return this.findHubDevice.get(nodeId) !== undefined;
  }

  /** A peer's NodeInfo key: kept only when it is the key its node id is the hash of. */
  keyHeard(nodeId: number, publicKey: Uint8Array, nowMs: number): void {
    if (publicKey.length !== 32 || meshNodeIdFromPublicKey(publicKey) !== nodeId >>> 0) return;
    this.rememberKey.run(nodeId, Buffer.from(publicKey), nowMs);
    this.trimKeys.run();
  }

  /** The identity key for `nodeId`: from its NodeInfo, or pinned when it wrote to us first (a hub user). */
  keyFor(nodeId: number): Uint8Array | undefined {
    const row = this.keyOf.get(nodeId) as { key: Buffer } | undefined;
    if (row) return new Uint8Array(row.key);
    return this.endpoint.trust.pinnedKey(meshNodeAddress(nodeId));
  }

  /**
   * Encrypts `text` for `to` and keeps the advanced session on disk before the bytes are handed
   * on, so a crash can only skip a message number, never use one twice.
   */
  seal(to: number, text: string): DirectMessage {
    const identityKey = this.keyFor(to);
    if (!identityKey) throw new FirmwareError('E_NO_KEY', `no key for ${formatNodeId(to)} yet: asked it for its node info; send again once it has answered (see unibos peers)`);
    let sealed: Uint8Array;
    try {
      sealed = this.endpoint.encodeMeshDirect({ nodeId: to, identityKey }, text);
    } catch (err) {
      if (isMessengerCryptoError(err) && err.code === 'E_TEXT_TOO_LONG') throw new FirmwareError('E_TEXT_TOO_LONG', err.message);
      if (isMessengerCryptoError(err)) throw new FirmwareError('E_BAD_REQUEST', `cannot encrypt for ${formatNodeId(to)}: ${err.message}`);
      throw err;
    }
    this.persist();
    return { sender: this.endpoint.nodeId, sealed };
  }

  /** Node `to` could not open what we sent (Routing NOT_OPENED): our next message to it starts a new session. */
  restartSession(to: number): boolean {
    if (!this.endpoint.restartSession(to)) return false;
    this.persist();
    return true;
  }

  /** Opens a Data.direct addressed to this node; never throws for what came off the air. */
  open(direct: DirectMessage, count = true): Opened {
    try {
      const text = this.endpoint.decodeMeshDirect(direct.sender, direct.sealed);
      this.persist();
      return { ok: true, text };
    } catch (err) {
      const code = isMessengerCryptoError(err) ? err.code : 'E_DECRYPT_FAILED';
      if (count) this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
      // A failed message leaves the sessions as they were; only what authenticated moves them on.
      return { ok: false, code, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Keeps a message that came before the one starting its chain (E_EARLY_MESSAGE): the mesh does
   * not keep order, and the crypto opens it once that one has arrived (reopenHeld).
   */
  hold(sender: number, packetId: number, sealed: Uint8Array, inboxSeq: number): void {
    this.holdOne.run(sender, packetId, Buffer.from(sealed), inboxSeq);
    this.trimHeld.run(sender, sender);
  }

  /** After a message from `sender` opened: every kept one that now opens, with its inbox row. */
  reopenHeld(sender: number): Array<{ seq: number; text: string }> {
    const opened: Array<{ seq: number; text: string }> = [];
    // Each one opened may start the chain another is waiting for: go round until nothing opens.
    for (let progress = true; progress; ) {
      progress = false;
      for (const h of this.heldFrom.all(sender) as Array<{ packetId: number; sealed: Buffer; seq: number }>) {
        const r = this.open({ sender, sealed: new Uint8Array(h.sealed) }, false);
        if (!r.ok && r.code === 'E_EARLY_MESSAGE') continue;
        // Opened, or now failing for another reason (a replay, a lost session): no longer worth keeping.
        this.release.run(sender, h.packetId);
        if (r.ok) {
          opened.push({ seq: h.seq, text: r.text });
          progress = true;
        }
      }
    }
    return opened;
  }

  private persist(): void {
    this.saveState.run(STATE_KEY, JSON.stringify(this.endpoint.toJSON()));
  }
}

/** The raw X25519 key pair of the node's identity, as the crypto library takes it. */
function keyPairOf(identity: { publicKey: Uint8Array; privateKey: KeyObject }): KeyPair {
  const jwk = identity.privateKey.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new FirmwareError('E_STORAGE', 'the node identity has no X25519 private key');
  return { secretKey: new Uint8Array(Buffer.from(jwk.d, 'base64url')), publicKey: identity.publicKey };
}
