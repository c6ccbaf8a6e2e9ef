// This device's end of direct messages with mesh nodes: a MeshDirectEndpoint on the device's own
// X25519 identity (its mesh address is that key's hash, as a node's id is), the conversation the
// hub files each node under, and the messages that arrived before the first of their chain
// (E_EARLY_MESSAGE): kept, and opened again after the next message from that node.

import {
  MESH_DIRECT_MAX_TEXT_BYTES,
  MeshDirectEndpoint,
  fromBase64url,
  isMessengerCryptoError,
  meshNodeAddress,
  toBase64url,
  type KeyPair,
} from '@unibos/messenger-crypto';
import type { InboxRow } from './hub-api.ts';
import { MessengerClientError } from './messenger-client-error.ts';

/** Early messages kept at most (a chain's first message lost for good must not grow the state forever). */
const MAX_EARLY = 256;
/** Messages a node answered NOT_OPENED that were acted on, remembered so each restarts the session once. */
const MAX_NOT_OPENED = 64;
const ADDRESS = /^![0-9a-f]{8}$/;

export interface MeshOpened {
  row: InboxRow;
  nodeId: string;
  text: string;
}

export interface MeshReceived {
  opened: MeshOpened[];
  failed: Array<{ row: InboxRow; code: string; reason: string }>;
}

interface MeshStateJson {
  v: 1;
  endpoint: unknown;
  conversations: Record<string, string>;
  early: InboxRow[];
  /** Absent in a state saved before it existed. */
  notOpened?: string[];
}

export class MeshConversations {
  private constructor(
    private readonly endpoint: MeshDirectEndpoint,
    /** Node id -> the hub's conversation id for it. */
    private readonly conversations: Map<string, string>,
    private early: InboxRow[],
    /** Our messages whose NOT_OPENED answer restarted the session already, oldest first. */
    private readonly notOpened: string[] = [],
  ) {}

  static fromJSON(json: unknown, identity: KeyPair): MeshConversations {
    if (json === undefined || json === null) return new MeshConversations(new MeshDirectEndpoint(identity), new Map(), []);
    const j = json as Partial<MeshStateJson>;
    if (j.v !== 1 || typeof j.conversations !== 'object' || j.conversations === null || !Array.isArray(j.early)) {
      throw new MessengerClientError('E_STATE_MALFORMED', 'the saved mesh conversations are malformed');
    }
    const notOpened = Array.isArray(j.notOpened) ? j.notOpened.filter((id): id is string => typeof id === 'string').slice(-MAX_NOT_OPENED) : [];
    return new MeshConversations(MeshDirectEndpoint.fromJSON(j.endpoint, identity), new Map(Object.entries(j.conversations)), j.early, notOpened);
  }

  toJSON(): MeshStateJson {
    return { v: 1, endpoint: this.endpoint.toJSON(), conversations: Object.fromEntries(this.conversations), early: this.early, notOpened: [...this.notOpened] };
  }

  /**
   * The node answered our message `messageId` that it cannot open it (NOT_OPENED: it lost its data,
   * or was reflashed): the next message to it starts a new session. Once per message; true when
   * something changed (the state is to be saved).
   */
  nodeCouldNotOpen(nodeId: string, messageId: string): boolean {
    if (this.notOpened.includes(messageId)) return false;
    this.notOpened.push(messageId);
    this.notOpened.splice(0, Math.max(0, this.notOpened.length - MAX_NOT_OPENED));
    this.endpoint.restartSession(nodeNumber(nodeId));
    return true;
  }

  /** This device's address on the mesh ("!1a2b3c4d"): what a node replies to. */
  get address(): string {
    return meshNodeAddress(this.endpoint.nodeId);
  }

  conversationOf(nodeId: string): string | undefined {
    return this.conversations.get(nodeId);
  }

  remember(nodeId: string, conversationId: string): void {
    this.conversations.set(nodeId, conversationId);
  }

  /** Seals `text` for the node, refusing too long a text before anything else (the node's key is checked against its id). */
  seal(nodeId: string, identityKey: Uint8Array, text: string): string {
    checkMeshText(text);
    try {
      return toBase64url(this.endpoint.encodeMeshDirect({ nodeId: nodeNumber(nodeId), identityKey }, text));
    } catch (err) {
      // One error type for callers: E_BAD_KEY (a key that is not the node's), E_KEY_CHANGED (not the pinned one).
      if (isMessengerCryptoError(err)) throw new MessengerClientError(err.code, err.message, 0, { nodeId });
      throw err;
    }
  }

  /** Opens a node's message; an early one is kept, and every kept one from that node is tried again after a success. */
  receive(row: InboxRow): MeshReceived {
    const result: MeshReceived = { opened: [], failed: [] };
    const nodeId = row.senderDevice;
    if (!ADDRESS.test(nodeId) || row.ciphertext === null) {
      result.failed.push({ row, code: 'E_CONTENT_MALFORMED', reason: 'a mesh message without a node address or ciphertext' });
      return result;
    }
    if (row.conversationId) this.conversations.set(nodeId, row.conversationId);
    const outcome = this.tryOpen(row);
    if (outcome === 'early') {
      this.keepEarly(row, result);
      return result;
    }
    if ('code' in outcome) {
      result.failed.push({ row, ...outcome });
      return result;
    }
    result.opened.push({ row, nodeId, text: outcome.text });
    for (let progress = true; progress; ) {
      progress = false;
      for (const kept of this.early.filter((r) => r.senderDevice === nodeId)) {
        const again = this.tryOpen(kept);
        if (again === 'early') continue;
        this.early = this.early.filter((r) => r !== kept);
        if ('code' in again) result.failed.push({ row: kept, ...again });
        else {
          result.opened.push({ row: kept, nodeId, text: again.text });
          progress = true;
        }
      }
    }
    return result;
  }

  private tryOpen(row: InboxRow): 'early' | { text: string } | { code: string; reason: string } {
    try {
      return { text: this.endpoint.decodeMeshDirect(nodeNumber(row.senderDevice), fromBase64url(row.ciphertext!)) };
    } catch (err) {
      if (isMessengerCryptoError(err) && err.code === 'E_EARLY_MESSAGE') return 'early';
      if (isMessengerCryptoError(err) || err instanceof MessengerClientError) return { code: err.code, reason: err.message };
      return { code: 'E_CONTENT_MALFORMED', reason: (err as Error).message };
    }
  }

  private keepEarly(row: InboxRow, result: MeshReceived): void {
    if (this.early.some((r) => r.messageId === row.messageId)) return;
    this.early.push(row);
    for (const dropped of this.early.splice(0, Math.max(0, this.early.length - MAX_EARLY))) {
      result.failed.push({ row: dropped, code: 'E_EARLY_MESSAGE', reason: 'the messages before it in its chain never arrived, so it cannot be opened' });
    }
  }
}

export function checkMeshText(text: string): void {
  const bytes = new TextEncoder().encode(text).length;
  if (bytes === 0) throw new MessengerClientError('E_BAD_REQUEST', 'a message needs some text');
  if (bytes > MESH_DIRECT_MAX_TEXT_BYTES) {
    throw new MessengerClientError('E_TEXT_TOO_LONG', `a direct message to a mesh node holds at most ${MESH_DIRECT_MAX_TEXT_BYTES} bytes of text (UTF-8); this one has ${bytes}`, 0, { maxBytes: MESH_DIRECT_MAX_TEXT_BYTES, bytes });
  }
}

function nodeNumber(nodeId: string): number {
  if (!ADDRESS.test(nodeId)) throw new MessengerClientError('E_BAD_REQUEST', `"${nodeId}" is not a node id like !1a2b3c4d`);
  return parseInt(nodeId.slice(1), 16);
}
