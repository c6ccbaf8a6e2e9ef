// Stored messenger messages and their deliveries (the `messenger_messages` and
// `messenger_deliveries` tables). A message is ciphertext plus the metadata the hub needs to route
// it; a delivery is one recipient device's copy with its own sequence number: the device's inbox
// is its undelivered deliveries in that order, its history all of them.

import type { MessengerMessageKind } from '@unibos/mesh-protocol';
import type { HubDb } from '../storage/hub-db.ts';

export interface StoredMessage {
  id: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  clientId: string;
  kind: MessengerMessageKind;
  target: string | null;
  sentAt: string;
  expiresAt: string | null;
  attachments: string[];
}

/** One device's copy, as its inbox and history return it. */
export interface DeliveryView {
  seq: number;
  messageId: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  kind: MessengerMessageKind;
  target: string | null;
  sentAt: string;
  expiresAt: string | null;
  ciphertext: string | null;
  envelope: string | null;
  attachments: string[];
}

export interface NewMessage {
  id: string;
  orgId: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  clientId: string;
  kind: MessengerMessageKind;
  target: string | null;
  sentMs: number;
  expiresMs: number | null;
  ciphertext: string | null;
  /** Decoded bytes of the ciphertext and every envelope (what the hub stores). */
  bytes: number;
  recipients: Array<{ deviceId: string; envelope: string | null }>;
  attachments: readonly string[];
}

interface MessageRow {
  id: string;
  conversation_id: string;
  sender_user: string;
  sender_device: string;
  client_id: string;
  kind: MessengerMessageKind;
  target: string | null;
  sent_ms: number;
  expires_ms: number | null;
  attachments: string | null;
}

type DeliveryRow = MessageRow & { seq: number; ciphertext: string | null; envelope: string | null };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messenger_messages (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  sender_user TEXT NOT NULL,
  sender_device TEXT NOT NULL,
  client_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT,
  sent_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  ciphertext TEXT,
  bytes INTEGER NOT NULL,
  attachments TEXT,
  UNIQUE (sender_device, client_id)
);
CREATE INDEX IF NOT EXISTS messenger_messages_expiry ON messenger_messages (expires_ms) WHERE expires_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS messenger_messages_target ON messenger_messages (target) WHERE target IS NOT NULL;
CREATE TABLE IF NOT EXISTS messenger_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  envelope TEXT,
  delivered INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messenger_deliveries_device ON messenger_deliveries (device_id, delivered, seq);
CREATE INDEX IF NOT EXISTS messenger_deliveries_history ON messenger_deliveries (device_id, conversation_id, seq);
CREATE INDEX IF NOT EXISTS messenger_deliveries_message ON messenger_deliveries (message_id);
CREATE TABLE IF NOT EXISTS messenger_message_attachments (
  message_id TEXT NOT NULL,
  attachment_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  PRIMARY KEY (attachment_id, message_id)
);`;

const MESSAGE_COLUMNS = 'm.id, m.conversation_id, m.sender_user, m.sender_device, m.client_id, m.kind, m.target, m.sent_ms, m.expires_ms, m.attachments';
const LIVE = '(m.expires_ms IS NULL OR m.expires_ms > ?)';

export class MailboxStore {
  private readonly stmt;

  constructor(private readonly db: HubDb) {
    db.exec(SCHEMA);
    const deliveries = `SELECT d.seq, d.envelope, m.ciphertext, ${MESSAGE_COLUMNS} FROM messenger_deliveries d JOIN messenger_messages m ON m.id = d.message_id`;
    this.stmt = {
      insert: db.prepare<{ id: string; org: string; conv: string; user: string; device: string; clientId: string; kind: string; target: string | null; t: number; exp: number | null; ct: string | null; bytes: number; att: string | null }>(
        `INSERT INTO messenger_messages (id, org_id, conversation_id, sender_user, sender_device, client_id, kind, target, sent_ms, expires_ms, ciphertext, bytes, attachments)
         VALUES (@id, @org, @conv, @user, @device, @clientId, @kind, @target, @t, @exp, @ct, @bytes, @att)`,
      ),
      deliver: db.prepare<[string, string, string, string | null]>('INSERT INTO messenger_deliveries (message_id, conversation_id, device_id, envelope) VALUES (?, ?, ?, ?)'),
      attach: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO messenger_message_attachments (message_id, attachment_id, conversation_id) VALUES (?, ?, ?)'),
      byClientId: db.prepare<[string, string], MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messenger_messages m WHERE m.sender_device = ? AND m.client_id = ?`),
      inConversation: db.prepare<[string, string, number], MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messenger_messages m WHERE m.conversation_id = ? AND m.id = ? AND ${LIVE}`),
      inbox: db.prepare<[string, number, number, number], DeliveryRow>(`${deliveries} WHERE d.device_id = ? AND d.delivered = 0 AND d.seq > ? AND ${LIVE} ORDER BY d.seq LIMIT ?`),
      history: db.prepare<[string, string, number, number, number], DeliveryRow>(`${deliveries} WHERE d.device_id = ? AND d.conversation_id = ? AND d.seq < ? AND ${LIVE} ORDER BY d.seq DESC LIMIT ?`),
      ack: db.prepare<[string, number]>('UPDATE messenger_deliveries SET delivered = 1 WHERE device_id = ? AND seq <= ? AND delivered = 0'),
      dropDevice: db.prepare<[string]>('DELETE FROM messenger_deliveries WHERE device_id = ?'),
      expired: db.prepare<[number], { id: string }>('SELECT id FROM messenger_messages WHERE expires_ms IS NOT NULL AND expires_ms <= ?'),
      expiredAttachments: db.prepare<[number], { attachment_id: string }>(
        'SELECT DISTINCT a.attachment_id FROM messenger_message_attachments a JOIN messenger_messages m ON m.id = a.message_id WHERE m.expires_ms IS NOT NULL AND m.expires_ms <= ?',
      ),
      dropExpiredDeliveries: db.prepare<[number]>('DELETE FROM messenger_deliveries WHERE message_id IN (SELECT id FROM messenger_messages WHERE expires_ms IS NOT NULL AND expires_ms <= ?)'),
      dropExpiredLinks: db.prepare<[number]>('DELETE FROM messenger_message_attachments WHERE message_id IN (SELECT id FROM messenger_messages WHERE expires_ms IS NOT NULL AND expires_ms <= ?)'),
      dropExpiredMessages: db.prepare<[number]>('DELETE FROM messenger_messages WHERE expires_ms IS NOT NULL AND expires_ms <= ?'),
      linksOf: db.prepare<[string], { attachment_id: string }>('SELECT attachment_id FROM messenger_message_attachments WHERE message_id = ?'),
      eraseDeliveries: db.prepare<[string]>('DELETE FROM messenger_deliveries WHERE message_id = ?'),
      eraseLinks: db.prepare<[string]>('DELETE FROM messenger_message_attachments WHERE message_id = ?'),
      eraseMessage: db.prepare<[string]>('DELETE FROM messenger_messages WHERE id = ?'),
      // What refers to a message and carries its content or a reply to it (an edit holds the new text).
      // Not the delete itself, nor a read receipt: it says what its reader had up to there, earlier messages included.
      aboutMessage: db.prepare<[string], { id: string }>("SELECT id FROM messenger_messages WHERE target = ? AND kind IN ('edit', 'reaction')"),
      referenced: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM messenger_message_attachments WHERE attachment_id = ?'),
      memberMayRead: db.prepare<[string, string, string, number], { n: number }>(
        `SELECT COUNT(*) AS n FROM messenger_message_attachments a
         JOIN messenger_messages m ON m.id = a.message_id AND m.org_id = ?
         JOIN messenger_members mm ON mm.conversation_id = a.conversation_id AND mm.user_id = ?
         WHERE a.attachment_id = ? AND ${LIVE}`,
      ),
    };
  }

  /** The sender device's earlier message with this client id (an idempotent resend), or null. */
  byClientId(senderDevice: string, clientId: string): StoredMessage | null {
    const row = this.stmt.byClientId.get(senderDevice, clientId);
    return row ? toMessage(row) : null;
  }

  /** A live (not expired) message of the conversation, or null. */
  messageIn(conversationId: string, messageId: string, nowMs: number): StoredMessage | null {
    const row = this.stmt.inConversation.get(conversationId, messageId, nowMs);
    return row ? toMessage(row) : null;
  }

  /** Stores the message and one delivery per recipient device, as one transaction. */
  store(m: NewMessage): StoredMessage {
    this.db.transaction(() => {
      this.stmt.insert.run({
        id: m.id,
        org: m.orgId,
        conv: m.conversationId,
        user: m.senderUser,
        device: m.senderDevice,
        clientId: m.clientId,
        kind: m.kind,
        target: m.target,
        t: m.sentMs,
        exp: m.expiresMs,
        ct: m.ciphertext,
        bytes: m.bytes,
        att: m.attachments.length > 0 ? JSON.stringify(m.attachments) : null,
      });
      for (const r of m.recipients) this.stmt.deliver.run(m.id, m.conversationId, r.deviceId, r.envelope);
      for (const a of m.attachments) this.stmt.attach.run(m.id, a, m.conversationId);
    })();
    return this.byClientId(m.senderDevice, m.clientId)!;
  }

  /** The device's undelivered, unexpired copies after `afterSeq`, oldest first. */
  inbox(deviceId: string, afterSeq: number, limit: number, nowMs: number): DeliveryView[] {
    return this.stmt.inbox.all(deviceId, afterSeq, nowMs, limit).map(toDelivery);
  }

  /** The device's copies in one conversation, newest first, before `beforeSeq`. */
  history(deviceId: string, conversationId: string, limit: number, nowMs: number, beforeSeq?: number): DeliveryView[] {
    return this.stmt.history.all(deviceId, conversationId, beforeSeq ?? Number.MAX_SAFE_INTEGER, nowMs, limit).map(toDelivery);
  }

  /** Marks the device's copies up to `upTo` delivered; they leave its inbox. Returns how many. */
  ack(deviceId: string, upTo: number): number {
    return this.stmt.ack.run(deviceId, upTo).changes;
  }

  dropDevice(deviceId: string): void {
    this.stmt.dropDevice.run(deviceId);
  }

  /**
   * Deletes every message whose expiry has passed, with its deliveries and attachment links.
   * Returns how many messages went and the attachments no message refers to any more.
   */
  deleteExpired(nowMs: number): { messages: number; orphanedAttachments: string[] } {
    return this.db.transaction(() => {
      const messages = this.stmt.expired.all(nowMs).length;
      if (messages === 0) return { messages, orphanedAttachments: [] };
      const attachments = this.stmt.expiredAttachments.all(nowMs).map((r) => r.attachment_id);
      this.stmt.dropExpiredDeliveries.run(nowMs);
      this.stmt.dropExpiredLinks.run(nowMs);
      this.stmt.dropExpiredMessages.run(nowMs);
      return { messages, orphanedAttachments: attachments.filter((a) => this.stmt.referenced.get(a)!.n === 0) };
    })();
  }

  /** Deletes one message everywhere (a delete for everyone); returns the attachments no message refers to any more. */
  erase(messageId: string): string[] {
    return this.db.transaction(() => {
      // Its edits (each the whole new text) and reactions go with it.
      const ids = [messageId, ...this.stmt.aboutMessage.all(messageId).map((r) => r.id)];
      const attachments = ids.flatMap((id) => this.stmt.linksOf.all(id).map((r) => r.attachment_id));
      for (const id of ids) {
        this.stmt.eraseDeliveries.run(id);
        this.stmt.eraseLinks.run(id);
        this.stmt.eraseMessage.run(id);
      }
      return [...new Set(attachments)].filter((a) => this.stmt.referenced.get(a)!.n === 0);
    })();
  }

  /** Whether the user is a member of a conversation in which a live message referred to the attachment. */
  mayReadAttachment(orgId: string, userId: string, attachmentId: string, nowMs: number): boolean {
    return this.stmt.memberMayRead.get(orgId, userId, attachmentId, nowMs)!.n > 0;
  }
}

function toMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    senderUser: row.sender_user,
    senderDevice: row.sender_device,
    clientId: row.client_id,
    kind: row.kind,
    target: row.target,
    sentAt: new Date(row.sent_ms).toISOString(),
    expiresAt: row.expires_ms === null ? null : new Date(row.expires_ms).toISOString(),
    attachments: row.attachments ? (JSON.parse(row.attachments) as string[]) : [],
  };
}

function toDelivery(row: DeliveryRow): DeliveryView {
  const m = toMessage(row);
  return {
    seq: row.seq,
    messageId: m.id,
    conversationId: m.conversationId,
    senderUser: m.senderUser,
    senderDevice: m.senderDevice,
    kind: m.kind,
    target: m.target,
    sentAt: m.sentAt,
    expiresAt: m.expiresAt,
    ciphertext: row.ciphertext,
    envelope: row.envelope,
    attachments: m.attachments,
  };
}
