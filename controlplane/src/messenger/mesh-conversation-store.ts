// Mesh conversations (one per hub user and mesh node: the id their messages are filed under in the
// mailbox) and the hub's outgoing mesh direct messages on their way to a node: the gateways that
// may carry one, its sealed bytes (never plaintext) and how far it got (queued at the hub, sent to
// the gateway, acknowledged by the node, or failed).

import type { HubDb } from '../storage/hub-db.ts';

export type MeshSendStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface MeshOutgoing {
  /** The mailbox message id, also the tx command's `ref`. */
  id: string;
  orgId: string;
  nodeId: string;
  /** The sending device's virtual mesh address ("!1a2b3c4d"). */
  sender: string;
  sealed: string;
  gateways: string[];
  status: MeshSendStatus;
  packetId: number | null;
  error: string | null;
  updatedAt: string;
}

interface OutgoingRow {
  id: string;
  org_id: string;
  node_id: string;
  sender: string;
  sealed: string;
  gateways: string;
  status: MeshSendStatus;
  packet_id: number | null;
  error: string | null;
  updated_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messenger_mesh_conversations (
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (org_id, user_id, node_id)
);
CREATE TABLE IF NOT EXISTS messenger_mesh_outgoing (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  node_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  sealed TEXT NOT NULL,
  gateways TEXT NOT NULL,
  status TEXT NOT NULL,
  packet_id INTEGER,
  error TEXT,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messenger_mesh_outgoing_status ON messenger_mesh_outgoing (org_id, status);
CREATE INDEX IF NOT EXISTS messenger_mesh_outgoing_packet ON messenger_mesh_outgoing (org_id, packet_id);`;

export class MeshConversationStore {
  private readonly stmt;

  constructor(db: HubDb) {
    db.exec(SCHEMA);
    this.stmt = {
      ofUser: db.prepare<[string, string], { id: string; node_id: string; created_ms: number }>('SELECT id, node_id, created_ms FROM messenger_mesh_conversations WHERE org_id = ? AND user_id = ? ORDER BY created_ms DESC, node_id'),
      conversation: db.prepare<[string, string, string], { id: string }>('SELECT id FROM messenger_mesh_conversations WHERE org_id = ? AND user_id = ? AND node_id = ?'),
      anyWithNode: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM messenger_mesh_conversations WHERE org_id = ? AND node_id = ? LIMIT 1'),
      addConversation: db.prepare<[string, string, string, string, number]>('INSERT OR IGNORE INTO messenger_mesh_conversations (org_id, user_id, node_id, id, created_ms) VALUES (?, ?, ?, ?, ?)'),
      addOutgoing: db.prepare<[string, string, string, string, string, string, number]>(
        "INSERT INTO messenger_mesh_outgoing (id, org_id, node_id, sender, sealed, gateways, status, updated_ms) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)",
      ),
      outgoing: db.prepare<[string], OutgoingRow>('SELECT * FROM messenger_mesh_outgoing WHERE id = ?'),
      byPacket: db.prepare<[string, number], OutgoingRow>("SELECT * FROM messenger_mesh_outgoing WHERE org_id = ? AND packet_id = ? AND status IN ('sent', 'delivered') ORDER BY updated_ms DESC LIMIT 1"),
      queued: db.prepare<[string], OutgoingRow>("SELECT * FROM messenger_mesh_outgoing WHERE org_id = ? AND status = 'queued' ORDER BY rowid"),
      setStatus: db.prepare<[MeshSendStatus, number | null, string | null, number, string]>('UPDATE messenger_mesh_outgoing SET status = ?, packet_id = COALESCE(?, packet_id), error = ?, updated_ms = ? WHERE id = ?'),
    };
  }

  /** Whether anyone in the org has a conversation with the node. */
  hasConversationWith(orgId: string, nodeId: string): boolean {
    return this.stmt.anyWithNode.get(orgId, nodeId) !== undefined;
  }

  /** The user's conversation with the node, made on first use (`newId` names it then). */
  conversationId(orgId: string, userId: string, nodeId: string, newId: string, nowMs: number): string {
    this.stmt.addConversation.run(orgId, userId, nodeId, newId, nowMs);
    return this.stmt.conversation.get(orgId, userId, nodeId)!.id;
  }

  /** The user's conversations with nodes, newest first. */
  conversationsOf(orgId: string, userId: string): Array<{ id: string; nodeId: string; createdAt: string }> {
    return this.stmt.ofUser.all(orgId, userId).map((r) => ({ id: r.id, nodeId: r.node_id, createdAt: new Date(r.created_ms).toISOString() }));
  }

  existingConversationId(orgId: string, userId: string, nodeId: string): string | null {
    return this.stmt.conversation.get(orgId, userId, nodeId)?.id ?? null;
  }

  addOutgoing(m: { id: string; orgId: string; nodeId: string; sender: string; sealed: string; gateways: string[]; nowMs: number }): void {
    this.stmt.addOutgoing.run(m.id, m.orgId, m.nodeId, m.sender, m.sealed, JSON.stringify(m.gateways), m.nowMs);
  }

  outgoing(id: string): MeshOutgoing | null {
    const row = this.stmt.outgoing.get(id);
    return row ? toOutgoing(row) : null;
  }

  /** The message the gateway put on the air as `packetId` (the node's acknowledgement names it). */
  sentAs(orgId: string, packetId: number): MeshOutgoing | null {
    const row = this.stmt.byPacket.get(orgId, packetId);
    return row ? toOutgoing(row) : null;
  }

  queued(orgId: string): MeshOutgoing[] {
    return this.stmt.queued.all(orgId).map(toOutgoing);
  }

  setStatus(id: string, status: MeshSendStatus, nowMs: number, extra: { packetId?: number; error?: string } = {}): void {
    this.stmt.setStatus.run(status, extra.packetId ?? null, extra.error ?? null, nowMs, id);
  }
}

function toOutgoing(r: OutgoingRow): MeshOutgoing {
  return {
    id: r.id,
    orgId: r.org_id,
    nodeId: r.node_id,
    sender: r.sender,
    sealed: r.sealed,
    gateways: JSON.parse(r.gateways) as string[],
    status: r.status,
    packetId: r.packet_id,
    error: r.error,
    updatedAt: new Date(r.updated_ms).toISOString(),
  };
}
