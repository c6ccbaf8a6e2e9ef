// The client's own decrypted record of its conversations (the hub has only ciphertext): messages
// in arrival order with edits, deletes, reactions and read receipts applied, expired messages
// dropped on the client's clock, and the membership changes this device saw, in order with them.

import type { AttachmentRef, MessageContent } from './message-content.ts';
import { MessengerClientError } from './messenger-client-error.ts';

export interface HistoryMessage {
  id: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  sentAt: string;
  text: string;
  replyTo: string | null;
  expiresAt: string | null;
  attachment: AttachmentRef | null;
  editedAt: string | null;
  deleted: boolean;
  /** userId -> emoji */
  reactions: Record<string, string>;
}

export interface HistoryView extends HistoryMessage {
  /** Users (other than the sender) whose read receipt covers this message. */
  readBy: string[];
}

export type MembershipChange = 'added' | 'removed' | 'left';

/** A member who joined or went, as this device saw it happen in the hub's member list. */
export interface MembershipEntry {
  type: 'membership';
  id: string;
  conversationId: string;
  change: MembershipChange;
  userId: string;
  /** When this device saw the change (its own clock): it sits after everything it had then. */
  at: string;
}

/** A conversation as its thread shows it: messages and membership changes, in the order they came. */
export type TimelineEntry = ({ type: 'message' } & HistoryView) | MembershipEntry;

function isMembership(e: HistoryMessage | MembershipEntry): e is MembershipEntry {
  return (e as MembershipEntry).type === 'membership';
}

interface ConversationLog {
  /** Messages and membership entries, in the order this device got them. */
  messages: Array<HistoryMessage | MembershipEntry>;
  /** userId -> id of the last message they said they read. */
  readUpTo: Record<string, string>;
  /**
   * messageId -> the users it was addressed to, for what this device sent (absent from states
   * saved before it): a receipt counts only for a message one of the reader's devices was sent.
   */
  addressedTo?: Record<string, string[]>;
}

export interface Meta {
  id: string;
  conversationId: string;
  senderUser: string;
  senderDevice: string;
  sentAt: string;
}

/** Whether message a (at index ai) comes after message b (at bi): by the hub's time, then by arrival here. */
function later(a: HistoryMessage, ai: number, b: HistoryMessage, bi: number): boolean {
  const ta = Date.parse(a.sentAt);
  const tb = Date.parse(b.sentAt);
  return ta !== tb ? ta > tb : ai > bi;
}

export class LocalHistory {
  private readonly logs = new Map<string, ConversationLog>();

  private log(conversationId: string): ConversationLog {
    let l = this.logs.get(conversationId);
    if (!l) this.logs.set(conversationId, (l = { messages: [], readUpTo: {} }));
    return l;
  }

  /** Applies one decrypted message; false when it changed nothing (a duplicate, an unknown target). */
  apply(meta: Meta, c: MessageContent, addressedTo?: string[]): boolean {
    const log = this.log(meta.conversationId);
    // A membership entry is this device's own record: nobody's message edits, deletes or reacts to it.
    const find = (id: string) => log.messages.find((m): m is HistoryMessage => !isMembership(m) && m.id === id);
    switch (c.type) {
      case 'text':
        if (find(meta.id)) return false;
        if (addressedTo) (log.addressedTo ??= {})[meta.id] = [...new Set(addressedTo)];
        log.messages.push({ ...meta, text: c.text, replyTo: c.replyTo ?? null, expiresAt: c.expiresAt ?? null, attachment: c.attachment ?? null, editedAt: null, deleted: false, reactions: {} });
        return true;
      case 'edit': {
        const m = find(c.target);
        // Only the author edits: the hub checks it too, but the hub is not trusted with content.
        if (!m || m.senderUser !== meta.senderUser || m.deleted) return false;
        m.text = c.text;
        m.editedAt = meta.sentAt;
        return true;
      }
      case 'delete': {
        const m = find(c.target);
        if (!m) return false;
        m.deleted = true;
        m.text = '';
        m.attachment = null;
        m.reactions = {};
        return true;
      }
      case 'reaction': {
        const m = find(c.target);
        if (!m) return false;
        if (c.emoji === '') delete m.reactions[meta.senderUser];
        else m.reactions[meta.senderUser] = c.emoji;
        return true;
      }
      case 'read': {
        const at = log.messages.findIndex((m) => !isMembership(m) && m.id === c.target);
        if (at < 0) return false;
        const before = log.readUpTo[meta.senderUser];
        const was = before === undefined ? -1 : log.messages.findIndex((m) => !isMembership(m) && m.id === before);
        // Only a later message (by the hub's time, which is the order the reader got them in) moves the marker.
        if (was >= 0 && !later(log.messages[at] as HistoryMessage, at, log.messages[was] as HistoryMessage, was)) return false;
        log.readUpTo[meta.senderUser] = c.target;
        return true;
      }
    }
  }

  /** Records that `userId` joined or went, after everything the conversation holds now. */
  noteMembership(e: MembershipEntry): void {
    this.log(e.conversationId).messages.push(e);
  }

  get(conversationId: string, messageId: string): HistoryMessage | undefined {
    return this.logs.get(conversationId)?.messages.find((m): m is HistoryMessage => !isMembership(m) && m.id === messageId);
  }

  /** The conversation's messages, oldest first, without expired ones. */
  list(conversationId: string, nowMs: number): HistoryView[] {
    return this.timeline(conversationId, nowMs).flatMap((e) => {
      if (e.type !== 'message') return [];
      const { type: _type, ...m } = e;
      return [m];
    });
  }

  /** The conversation's messages and membership changes, oldest first, without expired messages. */
  timeline(conversationId: string, nowMs: number): TimelineEntry[] {
    const log = this.logs.get(conversationId);
    if (!log) return [];
    // A receipt names the last message the reader had; the hub delivered everything it took before
    // that one first, so it covers those (by the hub's time), not what merely sits above it here
    // (this device's own messages go in when sent, before incoming ones it had not synced yet). And
    // only a message addressed to one of the reader's devices: what was sent before they joined
    // (or before their first device) never reached them.
    const readAt = Object.entries(log.readUpTo).flatMap(([user, id]) => {
      const target = log.messages.find((m): m is HistoryMessage => !isMembership(m) && m.id === id);
      return target ? [[user, target] as const] : [];
    });
    // Where each member was last added here: a message above that never reached them. What says so
    // on the device that sent a message is `addressedTo`; on the others, the order of this log.
    const addedAt = new Map<string, number>();
    log.messages.forEach((m, i) => {
      if (isMembership(m) && m.change === 'added') addedAt.set(m.userId, i);
    });
    return log.messages.flatMap((m, index): TimelineEntry[] => {
      if (isMembership(m)) return [{ ...m }];
      if (m.expiresAt !== null && Date.parse(m.expiresAt) <= nowMs) return [];
      const to = log.addressedTo?.[m.id];
      const reached = (user: string): boolean => (to === undefined ? (addedAt.get(user) ?? -1) < index : to.includes(user));
      const covers = (user: string, t: HistoryMessage): boolean => user !== m.senderUser && reached(user) && (t.id === m.id || Date.parse(m.sentAt) < Date.parse(t.sentAt));
      return [{ type: 'message', ...m, reactions: { ...m.reactions }, readBy: readAt.filter(([user, t]) => covers(user, t)).map(([user]) => user) }];
    });
  }

  /** Messages from others after `userId`'s own read marker. */
  unread(conversationId: string, userId: string, nowMs: number): number {
    const log = this.logs.get(conversationId);
    if (!log) return 0;
    const marker = log.readUpTo[userId];
    const from = marker === undefined ? 0 : log.messages.findIndex((m) => !isMembership(m) && m.id === marker) + 1;
    return log.messages.slice(from).filter((m) => !isMembership(m) && m.senderUser !== userId && !m.deleted && (m.expiresAt === null || Date.parse(m.expiresAt) > nowMs)).length;
  }

  /** Forgets expired messages for good (their text must not outlive them on disk). */
  prune(nowMs: number): void {
    for (const log of this.logs.values()) {
      log.messages = log.messages.filter((m) => isMembership(m) || m.expiresAt === null || Date.parse(m.expiresAt) > nowMs);
      if (log.addressedTo) {
        const kept = new Set(log.messages.map((m) => m.id));
        for (const id of Object.keys(log.addressedTo)) if (!kept.has(id)) delete log.addressedTo[id];
      }
    }
  }

  toJSON(): Record<string, ConversationLog> {
    return Object.fromEntries(this.logs);
  }

  static fromJSON(json: unknown): LocalHistory {
    if (typeof json !== 'object' || json === null) throw new MessengerClientError('E_STATE_MALFORMED', 'the saved history is not an object');
    const h = new LocalHistory();
    for (const [id, v] of Object.entries(json as Record<string, ConversationLog>)) {
      if (!Array.isArray(v?.messages) || typeof v.readUpTo !== 'object' || v.readUpTo === null || (v.addressedTo !== undefined && (typeof v.addressedTo !== 'object' || v.addressedTo === null))) throw new MessengerClientError('E_STATE_MALFORMED', `the saved history of conversation ${id} is malformed`);
      h.logs.set(id, { messages: v.messages, readUpTo: v.readUpTo, ...(v.addressedTo ? { addressedTo: v.addressedTo } : {}) });
    }
    return h;
  }
}
