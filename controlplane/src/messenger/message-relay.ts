// Relays ciphertext between devices. A send names every current device of every member except
// its own (else 409 E_DEVICES_CHANGED with what is missing and extra, so no client silently skips
// a new device or keeps writing to a removed member); the hub stores one copy per recipient
// device, enforces MESSENGER_LIMITS on decoded sizes, and tells the members (metadata only).
// A resend with the same clientId returns the first message. Expired messages are deleted.

import { randomUUID } from 'node:crypto';
import type { HubEventType, MessengerMessageEvent, MessengerMessageKind } from '@unibos/mesh-protocol';
import { MESSENGER_LIMITS, maySendInChannel } from '@unibos/messenger-crypto';
import { HubError, notFound } from '../hub-error.ts';
import type { AttachmentStore } from './attachment-store.ts';
import type { DeviceDirectory } from './device-directory.ts';
import type { DeliveryView, MailboxStore, StoredMessage } from './mailbox-store.ts';
import type { MessengerConversations } from './messenger-conversations.ts';
import type { MessengerEvents } from './messenger-events.ts';
import type { MessengerMetrics } from './messenger-metrics.ts';

export interface SendInput {
  clientId: string;
  kind: MessengerMessageKind;
  target?: string;
  expiresAt?: string;
  senderDevice: string;
  recipientDevices: string[];
  ciphertext?: string;
  envelopes?: Array<{ deviceId: string; ciphertext: string }>;
  attachments?: string[];
}

export type SendResult =
  | { ok: true; message: StoredMessage; duplicate: boolean }
  | { ok: false; missing: string[]; extra: string[] };

/** Kinds that name the message they are about. */
const TARGETED: ReadonlySet<MessengerMessageKind> = new Set(['edit', 'delete', 'reaction', 'read']);
const EVENT_OF: Record<Exclude<MessengerMessageKind, 'typing'>, HubEventType> = {
  message: 'message.new',
  reaction: 'message.new',
  'sender-key': 'message.new',
  edit: 'message.edited',
  delete: 'message.deleted',
  read: 'message.read',
  // Never sent through the relay (mesh-conversations.ts files them); here for completeness of the map.
  mesh: 'message.new',
};
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** Attachments one message may refer to. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 32;
/** An upload no message refers to is deleted after this long. */
export const ORPHAN_ATTACHMENT_MS = 24 * 3600_000;

/** What one user may keep on the hub's disk before it is sent, and what the disk must keep free. */
export interface AttachmentLimits {
  /** Bytes of a user's uploads that no message refers to yet (they are cleared after a day). */
  maxUnsentBytes: number;
  /** Uploads stop while less than this would stay free: the mesh's messages and alerts need the room. */
  minFreeBytes: number;
}

export interface MessageRelayDeps {
  mailbox: MailboxStore;
  directory: DeviceDirectory;
  conversations: MessengerConversations;
  attachments: AttachmentStore;
  attachmentLimits: AttachmentLimits;
  events: MessengerEvents;
  metrics: MessengerMetrics;
  now: () => number;
}

export class MessageRelay {
  constructor(private readonly d: MessageRelayDeps) {}

  send(orgId: string, userId: string, conversationId: string, input: SendInput): SendResult {
    const { conversation, member } = this.d.conversations.membership(orgId, userId, conversationId);
    const sender = this.d.directory.activeDevice(orgId, input.senderDevice);
    if (!sender || sender.userId !== userId) throw new HubError('E_FORBIDDEN', 'senderDevice is not one of your active messenger devices');
    const earlier = this.d.mailbox.byClientId(sender.id, input.clientId);
    if (earlier) {
      if (earlier.conversationId !== conversationId) throw new HubError('E_CONFLICT', 'this clientId was already used for another conversation');
      return { ok: true, message: earlier, duplicate: true };
    }
    // Members read and react (their sender key makes that readable); admins post. Shared with the clients.
    if (conversation.kind === 'channel' && !maySendInChannel(member.role, input.kind)) {
      throw new HubError('E_FORBIDDEN', 'in a channel only the owner and admins post; members read and react');
    }
    const nowMs = this.d.now();
    const targeted = this.target(conversationId, userId, member.role, input, nowMs);
    const target = targeted?.id ?? null;
    // An edit or reaction goes when its message goes: an edit holds the whole new text. (A read
    // receipt stays: it covers what its reader had up to there, earlier messages included.)
    const inherits = input.kind === 'edit' || input.kind === 'reaction';
    const expiresMs = earliest(this.expiry(input.expiresAt, nowMs), inherits && targeted?.expiresAt ? Date.parse(targeted.expiresAt) : null);

    // The recipient list must be exactly the members' current devices, the sender's own left out.
    const expected = new Set(this.d.conversations.memberDevices(conversationId, orgId).map((x) => x.deviceId).filter((id) => id !== sender.id));
    const named = new Set(input.recipientDevices);
    if (named.size !== input.recipientDevices.length) throw new HubError('E_BAD_REQUEST', 'recipientDevices names a device twice');
    const missing = [...expected].filter((id) => !named.has(id));
    const extra = [...named].filter((id) => !expected.has(id));
    if (missing.length > 0 || extra.length > 0) {
      this.d.metrics.refused.inc({ reason: 'devices_changed' });
      return { ok: false, missing, extra };
    }

    const envelopes = new Map<string, string>();
    for (const e of input.envelopes ?? []) {
      if (!named.has(e.deviceId)) throw new HubError('E_BAD_REQUEST', `an envelope is addressed to ${e.deviceId}, which is not in recipientDevices`);
      if (envelopes.has(e.deviceId)) throw new HubError('E_BAD_REQUEST', `two envelopes for ${e.deviceId}`);
      envelopes.set(e.deviceId, e.ciphertext);
    }
    if (input.kind !== 'typing' && input.ciphertext === undefined && envelopes.size === 0) throw new HubError('E_BAD_REQUEST', 'a message needs a ciphertext or envelopes');
    let bytes = 0;
    for (const [what, text] of [['ciphertext', input.ciphertext] as const, ...[...envelopes].map(([id, c]) => [`envelope for ${id}`, c] as const)]) {
      if (text !== undefined) bytes += this.ciphertextBytes(what, text);
    }
    const attachments = [...new Set(input.attachments ?? [])];
    for (const a of attachments) {
      const record = this.d.attachments.get(orgId, a);
      // Only the uploader can attach a blob: nobody gains access to another's upload by naming it.
      if (!record || record.uploadedBy !== userId) throw notFound('attachment');
    }

    const message: StoredMessage = { id: randomUUID(), conversationId, senderUser: userId, senderDevice: sender.id, clientId: input.clientId, kind: input.kind, target, sentAt: new Date(nowMs).toISOString(), expiresAt: expiresMs === null ? null : new Date(expiresMs).toISOString(), attachments };
    const metadata: MessengerMessageEvent = { conversationId, messageId: message.id, senderUser: userId, senderDevice: sender.id, kind: input.kind, target, sentAt: message.sentAt, expiresAt: message.expiresAt };
    this.d.metrics.relayed.inc({ kind: input.kind });
    if (input.kind === 'typing') {
      // A typing notice is live or worthless: announced, never stored.
      this.d.events.liveToConversation(orgId, conversationId, 'typing', { conversationId, userId, deviceId: sender.id });
      return { ok: true, message, duplicate: false };
    }
    const stored = this.d.mailbox.store({
      id: message.id,
      orgId,
      conversationId,
      senderUser: userId,
      senderDevice: sender.id,
      clientId: input.clientId,
      kind: input.kind,
      target,
      sentMs: nowMs,
      expiresMs,
      ciphertext: input.ciphertext ?? null,
      bytes,
      recipients: input.recipientDevices.map((deviceId) => ({ deviceId, envelope: envelopes.get(deviceId) ?? null })),
      attachments,
    });
    // A delete for everyone: the hub keeps no copy of what its author took back.
    if (input.kind === 'delete' && target) for (const a of this.d.mailbox.erase(target)) this.d.attachments.remove(a);
    this.d.events.toConversation(orgId, conversationId, EVENT_OF[input.kind] as 'message.new', metadata);
    return { ok: true, message: stored, duplicate: false };
  }

  inbox(orgId: string, userId: string, deviceId: string, afterSeq: number, limit: number): DeliveryView[] {
    this.ownDevice(orgId, userId, deviceId);
    this.d.directory.seen(deviceId, this.d.now());
    return this.d.mailbox.inbox(deviceId, afterSeq, limit, this.d.now());
  }

  ack(orgId: string, userId: string, deviceId: string, upTo: number): number {
    this.ownDevice(orgId, userId, deviceId);
    return this.d.mailbox.ack(deviceId, upTo);
  }

  history(orgId: string, userId: string, conversationId: string, deviceId: string | undefined, limit: number, beforeSeq?: number): { items: DeliveryView[]; nextCursor: string | null } {
    this.d.conversations.membership(orgId, userId, conversationId);
    if (deviceId === undefined) throw new HubError('E_BAD_REQUEST', 'name the device whose copies to read: ?device=<id>');
    this.ownDevice(orgId, userId, deviceId);
    const items = this.d.mailbox.history(deviceId, conversationId, limit, this.d.now(), beforeSeq);
    return { items, nextCursor: items.length === limit ? String(items[items.length - 1]!.seq) : null };
  }

  /** Announces that one of the caller's devices came online or went away, to their conversation partners. */
  presence(orgId: string, userId: string, deviceId: string, status: 'online' | 'offline'): void {
    this.ownDevice(orgId, userId, deviceId);
    this.d.events.liveToPartners(orgId, userId, 'presence', { userId, deviceId, status });
  }

  upload(orgId: string, userId: string, data: Buffer): { id: string; bytes: number; createdAt: string } {
    if (data.length === 0) throw new HubError('E_BAD_REQUEST', 'an attachment is the encrypted blob as the raw request body; this one is empty');
    const { maxUnsentBytes, minFreeBytes } = this.d.attachmentLimits;
    const unsent = this.d.attachments.unsentBytes(orgId, userId);
    if (unsent + data.length > maxUnsentBytes) {
      this.d.metrics.refused.inc({ reason: 'attachment_unsent' });
      throw new HubError('E_LIMIT_REACHED', `${unsent} bytes of your uploads are in no message yet (at most ${maxUnsentBytes}): send them, or wait a day for them to be cleared, before uploading more`);
    }
    if (this.d.attachments.freeBytes() - data.length < minFreeBytes) {
      this.d.metrics.refused.inc({ reason: 'attachment_disk_full' });
      throw new HubError('E_UNAVAILABLE', "the hub's disk is nearly full: attachments are refused to keep room for the mesh's messages and alerts");
    }
    const record = this.d.attachments.save(orgId, randomUUID(), userId, data, this.d.now());
    return { id: record.id, bytes: record.bytes, createdAt: record.createdAt };
  }

  /**
   * The uploader takes back an upload no message refers to (its send failed), so it stops counting
   * against their unsent bytes. One a message refers to stays (409): that send did go through.
   */
  discard(orgId: string, userId: string, attachmentId: string): void {
    const record = this.d.attachments.get(orgId, attachmentId);
    if (!record || record.uploadedBy !== userId) throw notFound('attachment');
    if (this.d.attachments.isReferenced(attachmentId)) throw new HubError('E_CONFLICT', 'a message refers to this attachment: it goes when that message is deleted or expires');
    this.d.attachments.remove(attachmentId);
  }

  /** The blob, for its uploader or a member of a conversation a live message referred to it in. */
  download(orgId: string, userId: string, attachmentId: string): Buffer {
    const record = this.d.attachments.get(orgId, attachmentId);
    if (!record || (record.uploadedBy !== userId && !this.d.mailbox.mayReadAttachment(orgId, userId, attachmentId, this.d.now()))) throw notFound('attachment');
    return this.d.attachments.read(attachmentId);
  }

  /** Deletes expired messages, the attachments only they referred to, and abandoned uploads. */
  sweep(): { messages: number; attachments: number } {
    const nowMs = this.d.now();
    const { messages, orphanedAttachments } = this.d.mailbox.deleteExpired(nowMs);
    const abandoned = this.d.attachments.unreferencedBefore(nowMs - ORPHAN_ATTACHMENT_MS);
    const gone = new Set([...orphanedAttachments, ...abandoned]);
    for (const a of gone) this.d.attachments.remove(a);
    if (messages > 0) this.d.metrics.expired.inc(messages);
    return { messages, attachments: gone.size };
  }

  private ownDevice(orgId: string, userId: string, deviceId: string): void {
    const device = this.d.directory.activeDevice(orgId, deviceId);
    if (!device || device.userId !== userId) throw notFound('messenger device');
  }

  private target(conversationId: string, userId: string, role: string, input: SendInput, nowMs: number): StoredMessage | null {
    if (!TARGETED.has(input.kind)) {
      if (input.target !== undefined) throw new HubError('E_BAD_REQUEST', `a ${input.kind} has no target`);
      return null;
    }
    if (input.target === undefined) throw new HubError('E_BAD_REQUEST', `a ${input.kind} names its target message`);
    const target = this.d.mailbox.messageIn(conversationId, input.target, nowMs);
    if (!target) throw notFound('target message');
    // A delete erases its target at the hub: only a message may go, never the sender key that opens the sender's other messages.
    if (input.kind === 'delete' && target.kind !== 'message') throw new HubError('E_BAD_REQUEST', `a delete targets a message; ${target.id} is a ${target.kind}`);
    // Only the author edits; the author or a group's owner/admins delete.
    if (input.kind === 'edit' && target.senderUser !== userId) throw new HubError('E_FORBIDDEN', 'only its author edits a message');
    if (input.kind === 'delete' && target.senderUser !== userId && role === 'member') throw new HubError('E_FORBIDDEN', 'only its author or an admin deletes a message');
    return target;
  }

  private expiry(expiresAt: string | undefined, nowMs: number): number | null {
    if (expiresAt === undefined) return null;
    const ms = Date.parse(expiresAt);
    if (!Number.isFinite(ms)) throw new HubError('E_BAD_REQUEST', 'expiresAt is not an ISO time');
    if (ms <= nowMs) throw new HubError('E_BAD_REQUEST', 'expiresAt is in the past');
    return ms;
  }

  /** Decoded size of a base64url ciphertext, refused (and counted) when malformed or too large. */
  private ciphertextBytes(what: string, text: string): number {
    if (!BASE64URL.test(text) || text.length % 4 === 1 || text.length === 0) {
      this.d.metrics.refused.inc({ reason: 'bad_encoding' });
      throw new HubError('E_BAD_REQUEST', `${what} is not unpadded base64url`);
    }
    const bytes = Math.floor((text.length * 3) / 4);
    if (bytes > MESSENGER_LIMITS.maxCiphertextBytes) {
      this.d.metrics.refused.inc({ reason: 'too_large' });
      throw new HubError('E_TOO_LARGE', `${what} is ${bytes} bytes; at most ${MESSENGER_LIMITS.maxCiphertextBytes}`);
    }
    return bytes;
  }
}

/** The earlier of two expiry times, either of which may be none. */
function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
