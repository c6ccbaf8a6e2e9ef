// One messenger device of one hub user: registers itself, keeps 1:1 sessions with every device it
// talks to and a sender key per group, encrypts what it sends, pulls its inbox in order, decrypts,
// keeps the decrypted history locally, saves its state before acknowledging, and reports every
// key change and every message it could not read (with the reason) instead of skipping it.

import {
  ATTACHMENT_OVERHEAD_BYTES,
  DeviceIdentity,
  decryptAttachment,
  encryptAttachment,
  GroupSession,
  MESSENGER_LIMITS,
  PairwiseSessions,
  TrustStore,
  decodeRatchetMessage,
  formatSafetyNumber,
  fromBase64url,
  isMessengerCryptoError,
  maySendInChannel,
  safetyNumber as computeSafetyNumber,
  toBase64url,
  type SenderStanding,
} from '@unibos/messenger-crypto';
import { followHubEvents, type FollowHandle, type HubEventNudge, type WebSocketFactory, type WebSocketLike } from './hub-event-follower.ts';
import { HubApi, type FetchedBundle, type HubConversation, type HubDevice, type InboxRow, type OrgMember, type SendBody } from './hub-api.ts';
import { LocalHistory, type HistoryView, type MembershipChange, type TimelineEntry } from './local-history.ts';
import { checkText, decodeContent, encodeContent, KIND_OF, type AttachmentRef, type ConversationShape, type MessageContent } from './message-content.ts';
import { MessengerClientError } from './messenger-client-error.ts';
import { checkMeshText, MeshConversations } from './mesh-conversations.ts';
import type { MessengerStateStore } from './state-store.ts';
import { UserKeyPins, type UserTrustStatus } from './user-key-pins.ts';

export interface MessengerClientOptions {
  hubUrl: string;
  /** A current bearer token (the client asks before every request, so it may refresh). */
  auth: () => Promise<string>;
  store: MessengerStateStore;
  /** Shown in the user's device list. */
  deviceName: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** How long one request to the hub may take before it is given up (default 30 s). */
  requestTimeoutMs?: number;
}

/** Something that arrived and was decrypted. */
export interface Arrival {
  messageId: string;
  conversationId: string;
  type: MessageContent['type'];
  senderUser: string;
  senderDevice: string;
  sentAt: string;
  text?: string;
  target?: string;
  emoji?: string;
  replyTo?: string;
  expiresAt?: string;
  attachment?: AttachmentRef;
  /** A mesh node's message: the node's id ("!1a2b3c4d"), also its senderUser and senderDevice. */
  nodeId?: string;
}

export type SyncProblem =
  | { code: 'key_changed'; userId: string; devices: string[]; safetyNumber: string; held: number }
  | { code: 'undecryptable'; messageId: string; conversationId: string; senderUser: string; senderDevice: string; errorCode: string; reason: string };

export interface SyncResult {
  arrived: Arrival[];
  problems: SyncProblem[];
}

export interface ConversationSummary extends HubConversation {
  unread: number;
}

export interface SendOptions {
  text: string;
  replyTo?: string;
  expiresInMs?: number;
  attachment?: { data: Uint8Array; name: string; mimeType?: string };
  /**
   * The send's id at the hub (from sendId()): given again when a send is tried again after it went
   * unanswered (the connection dropped), the hub keeps one message, so nobody gets it twice.
   */
  clientId?: string;
}

interface StateJson {
  v: 1;
  hubUrl: string;
  userId: string;
  orgId: string;
  deviceId: string;
  deviceName: string;
  identity: unknown;
  trust: unknown;
  sessions: unknown;
  groups: Record<string, { session: unknown; distributed: boolean }>;
  pins: unknown;
  history: unknown;
  seen: string[];
  lastSeq: number;
  held: InboxRow[];
  /** Direct messages with mesh nodes (absent in a state saved before they existed). */
  mesh?: unknown;
  /**
   * Group or channel id -> its members (user ids, sorted) as this device last saw them; absent in
   * a state saved before it (every conversation is then seen for the first time).
   */
  members?: Record<string, string[]>;
  /**
   * Conversation id -> its kind as this device first saw it (a direct conversation's two people are
   * in `members` too): the hub may not turn a DM into a group, nor change who the DM is with.
   * Absent in a state saved before it (each conversation's next sight is then its first).
   */
  kinds?: Record<string, string>;
  /**
   * When the signed prekey now on the hub was made, ms; absent in a state saved before rotation
   * (it is then due). `signedPrekeyUnpublished`: rotated but not yet on the hub (sent again first,
   * not rotated again, or the hub would hold one two generations old, which no longer opens).
   */
  signedPrekeyAtMs?: number;
  signedPrekeyUnpublished?: boolean;
}

/** Below this many one-time prekeys left on the hub, the client uploads a new batch. */
const PREKEY_LOW_WATER = 25;
/**
 * How often the signed prekey is replaced. A first message made without a one-time prekey (the
 * hub had none left) opens with the current or the previous signed prekey only: after two
 * rotations its secret is gone, so a recording of it opens nowhere, and one stolen later reads none.
 */
export const SIGNED_PREKEY_ROTATE_MS = 7 * 86_400_000;
const INBOX_PAGE = 100;
/** Message ids remembered to drop a redelivery (the hub redelivers only what was not acked). */
const SEEN_KEPT = 10_000;
const SEND_ATTEMPTS = 4;
/** Messages held back for key changes, at most (the oldest are let go, each reported). */
const HELD_KEPT = 1000;
/** The hub event naming a user's new or revoked device (mesh-protocol's HubEventType). */
const DEVICES_CHANGED_EVENT = 'messenger.devices_changed';
/** The hub event naming a conversation's change (its members among them). */
const CONVERSATION_UPDATED_EVENT = 'conversation.updated';

export class MessengerClient {
  private readonly sessions: PairwiseSessions;
  private readonly groups = new Map<string, { session: GroupSession; distributed: boolean }>();
  private seen: string[];
  private readonly seenSet: Set<string>;
  private syncing: Promise<SyncResult> | null = null;
  private readonly mesh: MeshConversations;
  /**
   * conversationId/userId -> how a member went, as this device did it or heard the hub say it: the
   * member list alone does not tell leaving from being removed.
   */
  private readonly departures = new Map<string, Exclude<MembershipChange, 'added'>>();
  /** Opened from a state saved before conversation kinds were kept (observeMembers tells its DMs by their history). */
  private readonly legacyKinds: boolean;

  private constructor(
    private readonly api: HubApi,
    private readonly store: MessengerStateStore,
    private readonly now: () => number,
    private readonly state: StateJson,
    private readonly identity: DeviceIdentity,
    private readonly trust: TrustStore,
    private readonly pins: UserKeyPins,
    private readonly log: LocalHistory,
  ) {
    this.sessions = PairwiseSessions.fromJSON(state.sessions, identity, trust);
    // Only where members were kept (groups and channels): there, one held without them was a DM.
    this.legacyKinds = state.kinds === undefined && state.members !== undefined;
    for (const [id, g] of Object.entries(state.groups)) this.groups.set(id, { session: GroupSession.fromJSON(g.session), distributed: g.distributed });
    this.seen = [...state.seen];
    this.seenSet = new Set(this.seen);
    this.mesh = MeshConversations.fromJSON(state.mesh, identity.identity);
  }

  /** Opens the device kept in `store`, or creates and registers a new one (keys made here, never sent). */
  static async open(o: MessengerClientOptions): Promise<MessengerClient> {
    const api = new HubApi(o.hubUrl, o.auth, o.fetch, o.requestTimeoutMs);
    const now = o.now ?? Date.now;
    const saved = await o.store.load();
    let state: StateJson;
    if (saved === null) {
      const me = await api.me();
      const identity = DeviceIdentity.generate({ oneTimePrekeys: MESSENGER_LIMITS.maxOneTimePrekeys });
      const device = await api.registerDevice(o.deviceName, identity.publishedBundle());
      state = {
        v: 1, hubUrl: o.hubUrl, userId: me.user.id, orgId: me.org.id, deviceId: device.id, deviceName: o.deviceName,
        identity: identity.toJSON(), trust: new TrustStore().toJSON(), sessions: new PairwiseSessions(identity, new TrustStore()).toJSON(),
        groups: {}, pins: {}, history: {}, seen: [], lastSeq: 0, held: [], signedPrekeyAtMs: now(),
      };
      await o.store.save(JSON.stringify(state));
    } else {
      state = parseState(saved);
    }
    let client: MessengerClient;
    try {
      const identity = DeviceIdentity.fromJSON(state.identity);
      client = new MessengerClient(api, o.store, now, state, identity, TrustStore.fromJSON(state.trust), UserKeyPins.fromJSON(state.pins), LocalHistory.fromJSON(state.history));
    } catch (err) {
      if (err instanceof MessengerClientError) throw err;
      throw new MessengerClientError('E_STATE_MALFORMED', `the saved messenger state does not load: ${(err as Error).message}`);
    }
    await client.refillPrekeys();
    return client;
  }

  get userId(): string {
    return this.state.userId;
  }

  get deviceId(): string {
    return this.state.deviceId;
  }

  get hubUrl(): string {
    return this.state.hubUrl;
  }

  // ---- devices and people ---------------------------------------------------------------

  /** This user's devices on the hub (this one included). */
  async devices(): Promise<HubDevice[]> {
    return (await this.api.devices()).items;
  }

  async revokeDevice(deviceId: string): Promise<void> {
    await this.api.revokeDevice(deviceId);
  }

  /** The people of the user's org (to find someone by email). */
  async people(): Promise<OrgMember[]> {
    return (await this.api.members()).items;
  }

  /** Uploads new one-time prekeys when the hub has few left; the private halves are saved first. */
  /**
   * Tops up the one-time prekeys on the hub when few are left, and replaces the signed prekey once
   * it is SIGNED_PREKEY_ROTATE_MS old (the previous one still opens first messages built on it).
   * Returns how many one-time prekeys were added.
   */
  async refillPrekeys(): Promise<number> {
    const own = (await this.api.devices()).items.find((d) => d.id === this.state.deviceId);
    if (!own) throw new MessengerClientError('E_DEVICE_REVOKED', `this device (${this.state.deviceId}) is no longer registered on the hub: it was revoked; set it up again`);
    if (!this.state.signedPrekeyUnpublished && this.now() - (this.state.signedPrekeyAtMs ?? 0) >= SIGNED_PREKEY_ROTATE_MS) {
      this.identity.rotateSignedPrekey();
      this.state.signedPrekeyUnpublished = true;
    }
    const low = own.oneTimePrekeys < PREKEY_LOW_WATER;
    if (!low && !this.state.signedPrekeyUnpublished) return 0;
    const fresh = low ? this.identity.generateOneTimePrekeys(MESSENGER_LIMITS.maxOneTimePrekeys - own.oneTimePrekeys) : [];
    // Kept before the hub hears of them: a crash between must not lose keys the hub hands out.
    await this.persist();
    await this.api.refillPrekeys(this.state.deviceId, this.identity.publishedBundle(fresh));
    if (this.state.signedPrekeyUnpublished) {
      this.state.signedPrekeyUnpublished = false;
      this.state.signedPrekeyAtMs = this.now();
      await this.persist();
    }
    return fresh.length;
  }

  // ---- conversations ----------------------------------------------------------------------

  async conversations(): Promise<ConversationSummary[]> {
    const out: ConversationSummary[] = [];
    let cursor: string | undefined;
    let changed = false;
    do {
      const page = await this.api.conversations(cursor);
      for (const c of page.items) {
        changed = this.observeMembers(c) || changed;
        out.push({ ...c, unread: this.log.unread(c.id, this.state.userId, this.now()) });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (changed) await this.persist();
    return out;
  }

  async conversation(id: string): Promise<HubConversation> {
    return this.observed(await this.api.conversation(id));
  }

  /** The direct conversation with `userId` (created, or the existing one). */
  async startDirect(userId: string): Promise<HubConversation> {
    const conv = await this.api.createConversation({ kind: 'direct', userId });
    // What was asked for is the first sight: a DM of the two of us, whatever the hub answers.
    const members = memberIds(conv);
    const pair = [...new Set([this.state.userId, userId])].sort();
    if (conv.kind !== 'direct' || members.join('\n') !== pair.join('\n')) {
      throw new MessengerClientError('E_CONVERSATION_CHANGED', `asked for a direct conversation with ${userId}, the hub answered a ${conv.kind} of ${members.join(', ')}; nothing was sent in it`, 0, { conversationId: conv.id, was: pair, now: members });
    }
    return this.observed(conv);
  }

  async createGroup(o: { kind: 'group' | 'channel'; name: string; description?: string; members: string[] }): Promise<HubConversation> {
    return this.observed(await this.api.createConversation({ kind: o.kind, name: o.name, ...(o.description !== undefined ? { description: o.description } : {}), members: o.members }));
  }

  /** Adds members and hands this device's new sender key to the members now (the new ones included). */
  async addMember(conversationId: string, userIds: string[]): Promise<HubConversation> {
    const c = await this.observed(await this.api.addMembers(conversationId, userIds));
    await this.rekey(conversationId);
    return c;
  }

  /** Removes a member and re-keys at once: what this device sends next is closed to them. */
  async removeMember(conversationId: string, userId: string): Promise<HubConversation> {
    const removed = await this.api.removeMember(conversationId, userId);
    this.departures.set(`${conversationId}/${userId}`, userId === this.state.userId ? 'left' : 'removed');
    const c = await this.observed(removed);
    await this.rekey(conversationId);
    return c;
  }

  /**
   * Tells the client what the hub's event stream said of a membership change (a
   * `conversation.updated` event's data), so a member who left is shown as having left rather than
   * removed (the member list does not say which). `follow()` does this itself.
   */
  noteMembershipEvent(data: unknown): void {
    if (typeof data !== 'object' || data === null) return;
    const { conversationId, change, userIds, by } = data as Record<string, unknown>;
    if (typeof conversationId !== 'string' || !Array.isArray(userIds) || (change !== 'member_left' && change !== 'member_removed')) return;
    for (const u of userIds) if (typeof u === 'string') this.departures.set(`${conversationId}/${u}`, change === 'member_left' && by === u ? 'left' : 'removed');
  }

  /**
   * Compares the members the hub lists now with the ones this device last saw, and records every
   * difference in the conversation's history, after what it holds now: the hub decides who is in a
   * group (and could add a reader), so no one may join or go unseen. The first sight of a
   * conversation is the baseline. Saved with the next persist (every send persists first); true
   * when there is something to save.
   */
  private observeMembers(conv: HubConversation): boolean {
    if (!Array.isArray(conv.members)) return false;
    const now = memberIds(conv);
    const seen = (this.state.members ??= {});
    const kinds = (this.state.kinds ??= {});
    let first = false;
    if (kinds[conv.id] === undefined) {
      // A state from before kinds were kept tracked members of groups and channels only: one with
      // members of its own was a group or channel, and one it already holds history of without them
      // was a DM, whatever the hub says now, between the people who wrote in it.
      const held = this.legacyKinds && !seen[conv.id] ? this.log.list(conv.id, Number.NEGATIVE_INFINITY) : [];
      const wasDirect = held.length > 0 ? held : undefined;
      kinds[conv.id] = seen[conv.id] && conv.kind === 'direct' ? 'group' : wasDirect ? 'direct' : conv.kind;
      const writers = wasDirect ? [...new Set([this.state.userId, ...wasDirect.map((m) => m.senderUser)])].sort() : [];
      if (writers.length === 2) seen[conv.id] = writers;
      first = true;
    }
    // Another kind than first seen: refused wherever it matters (shapeChange), and no baseline moves.
    if (kinds[conv.id] !== conv.kind) return first;
    if (conv.kind === 'direct') {
      // The two people of a DM, fixed at first sight.
      if (seen[conv.id]) return first;
      seen[conv.id] = now;
      return true;
    }
    const before = seen[conv.id];
    if (before && before.join('\n') === now.join('\n')) return false;
    seen[conv.id] = now;
    if (!before) return true;
    const was = new Set(before);
    const is = new Set(now);
    const at = new Date(this.now()).toISOString();
    const note = (change: MembershipChange, userId: string): void => {
      if (userId !== this.state.userId) this.log.noteMembership({ type: 'membership', id: `membership:${uuid()}`, conversationId: conv.id, change, userId, at });
    };
    for (const u of before) {
      if (is.has(u)) continue;
      note(this.departures.get(`${conv.id}/${u}`) ?? 'removed', u);
      this.departures.delete(`${conv.id}/${u}`);
    }
    for (const u of now) if (!was.has(u)) note('added', u);
    return true;
  }

  private async observed(conv: HubConversation): Promise<HubConversation> {
    if (this.observeMembers(conv)) await this.persist();
    return conv;
  }

  /** The conversation as this device first saw it: its kind, and a DM's two people. */
  private shapeOf(conv: HubConversation): ConversationShape {
    const kind = (this.state.kinds?.[conv.id] ?? conv.kind) as ConversationShape['kind'];
    if (kind !== 'direct') return { kind };
    return { kind, pair: this.state.members?.[conv.id] ?? memberIds(conv) };
  }

  /**
   * A message sealed for a DM of its sender and this user, in what the hub shows as a group (or
   * with other people): the hub relabelled it before this device's first look. Not shown, and
   * this device takes the sealed DM as the conversation, so nothing of its own goes to a third.
   * A group's message in what the hub shows as a DM is refused the same way.
   */
  private checkSealedShape(conv: HubConversation, sealed: ConversationShape, sender: string): void {
    const members = memberIds(conv);
    if (sealed.kind === conv.kind && (sealed.kind !== 'direct' || sealed.pair!.join('\n') === members.join('\n'))) return;
    if (sealed.kind === 'direct' && sealed.pair!.includes(sender) && sealed.pair!.includes(this.state.userId)) {
      (this.state.kinds ??= {})[conv.id] = 'direct';
      (this.state.members ??= {})[conv.id] = sealed.pair!;
    }
    throw new MessengerClientError('E_CONVERSATION_CHANGED', `${sender} sent this for a ${sealed.kind}${sealed.pair ? ` of ${sealed.pair.join(' and ')}` : ''}, but the hub shows a ${conv.kind} of ${members.join(', ')}: not shown, and nothing of this device's goes into it`, 0, { conversationId: conv.id, was: sealed.kind, now: conv.kind });
  }

  /**
   * A conversation first seen as a DM stays one, with the same two people, and a group or channel
   * never becomes a DM: a hub that relabels a DM as a group to add a reader (or swaps the other
   * person) gets nothing sent or opened in it (E_CONVERSATION_CHANGED).
   */
  private refuseShapeChange(conv: HubConversation): void {
    const was = this.state.kinds?.[conv.id];
    const pair = conv.kind === 'direct' ? this.state.members?.[conv.id] : undefined;
    const now = memberIds(conv);
    if (was !== undefined && was !== conv.kind) {
      throw new MessengerClientError('E_CONVERSATION_CHANGED', `the hub now calls this ${was} conversation a ${conv.kind} (members: ${now.join(', ')}); a conversation's kind never changes, so nothing was sent or opened in it`, 0, { conversationId: conv.id, was, now: conv.kind });
    }
    if (pair && pair.join('\n') !== now.join('\n')) {
      throw new MessengerClientError('E_CONVERSATION_CHANGED', `the hub lists other people in this direct conversation (${now.join(', ')}) than the two it began with (${pair.join(', ')}); nothing was sent or opened in it`, 0, { conversationId: conv.id, was: pair, now });
    }
  }

  // ---- sending ----------------------------------------------------------------------------

  async send(conversationId: string, o: SendOptions): Promise<HistoryView> {
    if (o.text !== '' || !o.attachment) checkText(o.text);
    let expiresAt: string | undefined;
    if (o.expiresInMs !== undefined) {
      if (!Number.isInteger(o.expiresInMs) || o.expiresInMs <= 0) throw new MessengerClientError('E_BAD_REQUEST', 'expiresInMs is a positive whole number of milliseconds');
      expiresAt = new Date(this.now() + o.expiresInMs).toISOString();
    }
    let attachment: AttachmentRef | undefined;
    if (o.attachment) {
      // The hub's limit is on the encrypted blob, which is a little bigger than the file.
      const max = MESSENGER_LIMITS.maxAttachmentBytes - ATTACHMENT_OVERHEAD_BYTES;
      if (o.attachment.data.length > max) throw new MessengerClientError('E_ATTACHMENT_TOO_LARGE', `an attachment is at most ${max} bytes; this one is ${o.attachment.data.length}`);
      // Whatever would refuse the send (nobody to send to, a key change, a channel) refuses it before
      // the upload: an upload no message refers to counts against the user's unsent uploads for a day.
      await this.addressed(await this.api.conversation(conversationId), 'message');
      const sealed = encryptAttachment(o.attachment.data);
      const uploaded = await this.api.upload(sealed.blob);
      attachment = { id: uploaded.id, key: sealed.attachment.key, digest: sealed.attachment.digest, name: o.attachment.name, mimeType: o.attachment.mimeType ?? 'application/octet-stream', bytes: sealed.attachment.size };
    }
    const content: MessageContent = { type: 'text', conversationId, text: o.text, ...(o.replyTo ? { replyTo: o.replyTo } : {}), ...(expiresAt ? { expiresAt } : {}), ...(attachment ? { attachment } : {}) };
    let id: string;
    try {
      id = await this.sendContent(conversationId, content, { ...(expiresAt ? { expiresAt } : {}), ...(attachment ? { attachments: [attachment.id] } : {}) }, o.clientId);
    } catch (err) {
      // The send failed, so its upload is taken back (the hub keeps it, 409, if the send did land after all).
      if (attachment) await this.api.discardAttachment(attachment.id).catch(() => undefined);
      throw err;
    }
    return this.history(conversationId).find((m) => m.id === id)!;
  }

  /** A new id for a send that may have to be tried again (SendOptions.clientId). */
  sendId(): string {
    return uuid();
  }

  async edit(conversationId: string, messageId: string, text: string): Promise<void> {
    checkText(text);
    await this.sendContent(conversationId, { type: 'edit', conversationId, target: messageId, text });
  }

  async delete(conversationId: string, messageId: string): Promise<void> {
    await this.sendContent(conversationId, { type: 'delete', conversationId, target: messageId });
  }

  /** Reacts with `emoji`; an empty string takes the reaction back. */
  async react(conversationId: string, messageId: string, emoji: string): Promise<void> {
    if ([...emoji].length > 16) throw new MessengerClientError('E_BAD_REQUEST', 'a reaction is one short emoji');
    await this.sendContent(conversationId, { type: 'reaction', conversationId, target: messageId, emoji });
  }

  /** Tells the others (and this user's other devices) everything up to `messageId` (default: the latest) was read. */
  async markRead(conversationId: string, messageId?: string): Promise<string | null> {
    if (messageId) {
      await this.sendContent(conversationId, { type: 'read', conversationId, target: messageId });
      return messageId;
    }
    // Newest first: the latest may have been deleted (or expired) on the hub since it arrived here.
    const candidates = this.history(conversationId).filter((m) => m.senderUser !== this.state.userId && !m.deleted).reverse().slice(0, 5);
    for (const m of candidates) {
      try {
        await this.sendContent(conversationId, { type: 'read', conversationId, target: m.id });
        return m.id;
      } catch (err) {
        if (!(err instanceof MessengerClientError && err.status === 404 && err.code === 'E_NOT_FOUND')) throw err;
      }
    }
    return null;
  }

  async downloadAttachment(ref: AttachmentRef): Promise<Uint8Array> {
    try {
      return decryptAttachment(await this.api.download(ref.id, ref.bytes), { key: ref.key, digest: ref.digest, size: ref.bytes });
    } catch (err) {
      if (isMessengerCryptoError(err)) throw new MessengerClientError('E_ATTACHMENT_CORRUPT', `the attachment ${ref.name} does not open: ${err.message}`);
      throw err;
    }
  }

  /** Encrypts and sends, re-reading the conversation's devices when the hub says they changed. */
  private async sendContent(conversationId: string, content: MessageContent, extra: { expiresAt?: string; attachments?: string[] } = {}, clientId = uuid()): Promise<string> {
    const kind = KIND_OF[content.type];
    const target = 'target' in content ? content.target : undefined;
    for (let attempt = 1; ; attempt++) {
      const conv = await this.api.conversation(conversationId);
      const recipients = await this.addressed(conv, kind);
      // Sealed with the conversation as this device first saw it (addressed() refused any other).
      const plaintext = encodeContent({ ...content, shape: this.shapeOf(conv) });
      const body: SendBody = { clientId, kind, senderDevice: this.state.deviceId, recipientDevices: recipients.map((r) => r.deviceId), ...(target ? { target } : {}), ...extra };
      if (conv.kind === 'direct') {
        body.envelopes = this.sessions.encryptForDevices(recipients, plaintext);
      } else {
        let group: GroupSession;
        try {
          group = await this.readyGroup(conv, recipients);
        } catch (err) {
          // The sender key met the same device change a message would: read the devices again.
          if (err instanceof MessengerClientError && err.code === 'E_DEVICES_CHANGED' && attempt < SEND_ATTEMPTS) continue;
          throw err;
        }
        body.ciphertext = group.encrypt(plaintext);
      }
      // Ratchet and chain keys moved on: saved before the hub sees anything, so a crash here never reuses a key.
      await this.persist();
      try {
        const sent = await this.api.send(conversationId, body);
        // Who it reached, as sent: their receipts count for it, nobody else's (a member added later never had it).
        this.log.apply({ id: sent.id, conversationId, senderUser: this.state.userId, senderDevice: this.state.deviceId, sentAt: sent.sentAt }, content, recipients.map((r) => r.userId));
        await this.persist();
        return sent.id;
      } catch (err) {
        if (err instanceof MessengerClientError && err.code === 'E_DEVICES_CHANGED' && attempt < SEND_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * The devices a send of `kind` goes to, with a session with each, or the reason it cannot go.
   * Checked before anything is encrypted or uploaded, with the hub's own rules: a refused send
   * would still have moved this device's ratchets on (enough of them make its later messages
   * unreadable) and left its upload counting against the user's unsent uploads.
   */
  private async addressed(conv: HubConversation, kind: string): Promise<Array<{ deviceId: string; userId: string; address: string }>> {
    const role = conv.members.find((m) => m.userId === this.state.userId)?.role;
    if (conv.kind === 'channel' && role !== undefined && !maySendInChannel(role, kind)) {
      throw new MessengerClientError('E_FORBIDDEN', 'in a channel only the owner and admins post; members read and react. Nothing was sent', 0, { conversationId: conv.id });
    }
    await this.ensureSessions(conv);
    const recipients = this.recipients(conv);
    const reachable = new Set(recipients.map((r) => r.userId));
    const unreachable = conv.members.filter((m) => m.userId !== this.state.userId && !reachable.has(m.userId)).map((m) => m.userId);
    // Sent anyway, it would reach only this user's other devices: the person would never know.
    if (conv.kind === 'direct' && unreachable.length > 0) throw new MessengerClientError('E_NO_DEVICES', `${unreachable[0]} has no messenger device yet (they must open the messenger once); nothing was sent`, 0, { userId: unreachable[0]! });
    if (recipients.length === 0) throw new MessengerClientError('E_NO_DEVICES', 'no one else in this conversation has a messenger device yet; nothing was sent');
    return recipients;
  }

  private recipients(conv: HubConversation): Array<{ deviceId: string; userId: string; address: string }> {
    // The hub lists the devices: one of someone who is not a member (or a direct conversation that
    // is not two people, this user one of them) would let the hub add a reader nobody sees.
    const members = new Set(conv.members.map((m) => m.userId));
    const outsider = conv.devices.find((d) => !members.has(d.userId));
    if (outsider || !members.has(this.state.userId) || (conv.kind === 'direct' && members.size !== 2)) {
      throw new MessengerClientError('E_HUB_ANSWER', `the hub lists ${outsider ? `a device of ${outsider.userId}, who is not a member of the conversation` : 'members that do not make up this conversation'}; nothing was sent`, 0, { conversationId: conv.id });
    }
    // At the latest here: whoever joined shows in this device's history before anything of it reaches them.
    this.observeMembers(conv);
    this.refuseShapeChange(conv);
    return conv.devices.filter((d) => d.deviceId !== this.state.deviceId).map((d) => ({ ...d, address: address(d.userId, d.deviceId) }));
  }

  /** The group session with this conversation's current devices; a new sender key is distributed first. */
  private async readyGroup(conv: HubConversation, recipients: Array<{ deviceId: string; address: string }>): Promise<GroupSession> {
    const g = this.groupOf(conv);
    if (!g.distributed) {
      await this.sendBody(conv.id, {
        clientId: uuid(), kind: 'sender-key', senderDevice: this.state.deviceId,
        recipientDevices: recipients.map((r) => r.deviceId),
        envelopes: this.sessions.encryptForDevices(recipients, g.session.currentDistribution()),
      });
      g.distributed = true;
      await this.persist();
    }
    return g.session;
  }

  private async sendBody(conversationId: string, body: SendBody): Promise<void> {
    await this.persist();
    await this.api.send(conversationId, body);
  }

  /** A fresh sender key for the group's members now, distributed at once (after add/remove). */
  private async rekey(conversationId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const conv = await this.api.conversation(conversationId);
      if (conv.kind === 'direct') return;
      await this.ensureSessions(conv);
      this.groupOf(conv);
      try {
        await this.readyGroup(conv, this.recipients(conv));
        return;
      } catch (err) {
        if (err instanceof MessengerClientError && err.code === 'E_DEVICES_CHANGED' && attempt < SEND_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** The group's session set to the conversation's devices now; a change makes a new own sender key to hand out. */
  private groupOf(conv: HubConversation): { session: GroupSession; distributed: boolean } {
    let g = this.groups.get(conv.id);
    if (!g) this.groups.set(conv.id, (g = { session: new GroupSession(conv.id, address(this.state.userId, this.state.deviceId)), distributed: false }));
    if (g.session.setMembers(this.recipients(conv).map((r) => r.address))) g.distributed = false;
    return g;
  }

  /**
   * A 1:1 session with every device of the conversation, each device's key checked against its
   * user's pin. A key the pin does not hold stops the send with E_KEY_CHANGED.
   */
  private async ensureSessions(conv: HubConversation): Promise<void> {
    const byUser = new Map<string, string[]>();
    for (const d of this.recipients(conv)) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d.deviceId]);
    const changed: string[] = [];
    for (const [userId, deviceIds] of byUser) {
      const ready = this.pins.isPinned(userId) && this.pins.status(userId) !== 'key_changed' && deviceIds.every((id) => this.pins.isAccepted(userId, id) && this.sessions.hasSession(address(userId, id)));
      if (ready) continue;
      const bundles = await this.fetchBundles(userId);
      if (this.pins.status(userId) === 'key_changed') {
        changed.push(userId);
        continue;
      }
      for (const b of bundles) {
        const addr = address(userId, b.deviceId);
        if (deviceIds.includes(b.deviceId) && !this.sessions.hasSession(addr)) this.startSession(userId, addr, b);
      }
    }
    await this.persist();
    if (changed.length > 0) {
      const userId = changed[0]!;
      throw new MessengerClientError('E_KEY_CHANGED', `the keys of ${userId} changed (a new or reinstalled device): compare safety numbers and accept the change before sending`, 0, { userId, users: changed, safetyNumber: await this.safetyNumberOf(userId) });
    }
  }

  private startSession(userId: string, addr: string, b: FetchedBundle): void {
    try {
      this.sessions.startSession(addr, b);
    } catch (err) {
      if (isMessengerCryptoError(err) && err.code === 'E_KEY_CHANGED') {
        this.pins.observeOne(userId, addr.slice(userId.length + 1), b.identityKey);
        throw new MessengerClientError('E_KEY_CHANGED', err.message, 0, { userId });
      }
      throw err;
    }
  }

  /** A user's current devices, observed against their pin (pinned on first sight). */
  private async fetchBundles(userId: string): Promise<FetchedBundle[]> {
    const bundles = (await this.api.bundles(userId)).items;
    this.pins.observe(userId, bundles.map((b) => ({ deviceId: b.deviceId, identityKey: b.identityKey })));
    return bundles;
  }

  // ---- trust ------------------------------------------------------------------------------

  trustStatus(userId: string): UserTrustStatus {
    return this.pins.status(userId);
  }

  /** This device's identity public key (base64url), what others pin and fingerprint. */
  get identityKey(): string {
    return toBase64url(this.identity.identity.publicKey);
  }

  get deviceName(): string {
    return this.state.deviceName;
  }

  /** A user's device keys as pinned here: accepted ('pinned'), or a changed key waiting for the user to accept it. */
  pinnedDevices(userId: string): Array<{ deviceId: string; identityKey: string; state: 'pinned' | 'changed' }> {
    const pin = this.pins.toJSON()[userId];
    if (!pin) return [];
    const out = new Map<string, { deviceId: string; identityKey: string; state: 'pinned' | 'changed' }>();
    for (const [deviceId, identityKey] of Object.entries(pin.keys)) out.set(deviceId, { deviceId, identityKey, state: 'pinned' });
    for (const [deviceId, identityKey] of Object.entries(pin.pending)) out.set(deviceId, { deviceId, identityKey, state: 'changed' });
    return [...out.values()];
  }

  /** Users with a key change waiting to be compared and accepted. */
  keyChanges(): string[] {
    return this.pins.usersWithChanges();
  }

  /**
   * The 60-digit number (12 groups of 5) both sides compare; over the keys as they are now, accepted
   * or not. Read from the hub's identity keys only: looking takes none of anyone's one-time prekeys.
   */
  async safetyNumber(userId: string): Promise<{ safetyNumber: string; status: UserTrustStatus }> {
    for (const u of new Set([this.state.userId, userId])) await this.observeKeys(u);
    await this.persist();
    return { safetyNumber: await this.safetyNumberOf(userId), status: this.pins.status(userId) };
  }

  /** A user's current device keys, observed against their pin (pinned on first sight), without starting sessions. */
  private async observeKeys(userId: string): Promise<void> {
    const { items } = await this.api.identityKeys(userId);
    this.pins.observe(userId, items.map((k) => ({ deviceId: k.deviceId, identityKey: k.identityKey })));
  }

  private async safetyNumberOf(userId: string): Promise<string> {
    if (!this.pins.isPinned(this.state.userId)) await this.observeKeys(this.state.userId);
    const mine = this.pins.keys(this.state.userId, true);
    const theirs = this.pins.keys(userId, true);
    if (mine.length === 0 || theirs.length === 0) return '';
    return formatSafetyNumber(computeSafetyNumber({ userId: this.state.userId, identityKeys: mine }, { userId, identityKeys: theirs }));
  }

  /**
   * The user compared `safetyNumber` (as shown to them) and marks the keys it covers verified.
   * Keys that changed since it was shown (E_KEYS_CHANGED_AGAIN) are not: the comparison did not
   * cover them.
   */
  async markVerified(userId: string, safetyNumber: string): Promise<void> {
    await this.checkShown(userId, safetyNumber);
    this.pins.markVerified(userId);
    await this.persist();
  }

  /**
   * Accepts a user's changed keys after comparing what was shown: the safety number (or, for this
   * user's own new devices, which have no number to compare, their identity keys as listed). Keys
   * pending now that it did not cover (a device the hub added after it was shown) refuse the whole
   * accept with E_KEYS_CHANGED_AGAIN, `details.safetyNumber` the number to compare now; nothing is
   * accepted. Messages held back because of the change are opened now and returned like a sync's.
   */
  async acceptKeyChange(userId: string, shown: string | string[]): Promise<SyncResult> {
    for (const d of this.pins.accept(userId, await this.checkShown(userId, shown))) {
      // The same device presenting another key (the hub cannot re-key a device in place, but a
      // forged bundle could try): the per-device pin follows the user's decision.
      const addr = address(userId, d.deviceId);
      if (this.trust.pinnedKey(addr)) this.trust.acceptKeyChange(addr, fromBase64url(d.identityKey));
    }
    const held = this.state.held.filter((r) => r.senderUser === userId);
    this.state.held = this.state.held.filter((r) => r.senderUser !== userId);
    const result: SyncResult = { arrived: [], problems: [] };
    const ctx = new Map<string, Promise<HubConversation | MessengerClientError>>();
    for (let i = 0; i < held.length; i++) {
      try {
        await this.processRow(held[i]!, result, ctx);
      } catch (err) {
        // The hub could not be reached: what was not opened yet stays held (in order) for the next try.
        this.state.held = [...held.slice(i), ...this.state.held];
        throw err;
      }
    }
    await this.persist();
    return result;
  }

  /**
   * Refuses (E_KEYS_CHANGED_AGAIN) when the keys as they are now are not the ones `shown` covered;
   * else the user's pending keys it covered (the pin accepts exactly those).
   */
  private async checkShown(userId: string, shown: string | string[]): Promise<string[]> {
    if (typeof shown === 'string') {
      const now = await this.safetyNumberOf(userId);
      if (now !== '' && now.replace(/\s+/g, '') === shown.replace(/\s+/g, '')) return this.pins.pendingKeys(userId);
      throw new MessengerClientError('E_KEYS_CHANGED_AGAIN', `the keys of ${userId} changed again after the safety number was shown: nothing was accepted; compare the new number`, 0, { userId, safetyNumber: now });
    }
    if (!Array.isArray(shown) || !shown.every((k) => typeof k === 'string')) throw new MessengerClientError('E_BAD_REQUEST', 'say what was shown: the safety number, or the identity keys listed');
    const pending = this.pins.pendingKeys(userId);
    if (pending.join('\n') === [...new Set(shown)].sort().join('\n')) return pending;
    throw new MessengerClientError('E_KEYS_CHANGED_AGAIN', `the new devices of ${userId} are not the ones shown: nothing was accepted; look at the list again`, 0, { userId, safetyNumber: await this.safetyNumberOf(userId) });
  }

  // ---- receiving --------------------------------------------------------------------------

  /** The conversation as this device decrypted it, oldest first (expired messages left out). */
  history(conversationId: string): HistoryView[] {
    return this.log.list(conversationId, this.now());
  }

  /**
   * The conversation's messages (as `history`, each with `type: 'message'`) and its membership
   * changes as this device saw them (`type: 'membership'`: someone `added`, `removed` or `left`),
   * in the order they came; what a thread shows.
   */
  timeline(conversationId: string): TimelineEntry[] {
    return this.log.timeline(conversationId, this.now());
  }

  // ---- mesh nodes -------------------------------------------------------------------------

  /** This device's address on the mesh ("!1a2b3c4d", the hash of its identity key): nodes reply to it. */
  get meshAddress(): string {
    return this.mesh.address;
  }

  /**
   * Sends `text` end-to-end encrypted to mesh node `nodeId` through the hub and the gateway that
   * heard the node last. Too long a text is refused (E_TEXT_TOO_LONG, with the byte limit) before
   * anything is sent. `status` is how far it got: 'queued' (the hub holds it until that gateway
   * connects), 'sent' (the gateway has it for the radio), 'delivered' (the node acknowledged), 'failed'.
   */
  async sendToNode(nodeId: string, text: string): Promise<{ messageId: string; conversationId: string; nodeId: string; status: string }> {
    checkMeshText(text);
    const node = (nodeId.startsWith('!') ? nodeId : `!${nodeId}`).toLowerCase();
    const key = await this.api.request<{ publicKey: string }>('GET', `/api/v1/messenger/mesh/${encodeURIComponent(node)}/key`);
    const sealed = this.mesh.seal(node, fromBase64url(key.publicKey), text);
    // The session has moved on: saved before the ciphertext leaves, as every send is.
    await this.persist();
    const sent = await this.api.request<{ id: string; conversationId: string; sentAt: string; status: string }>('POST', `/api/v1/messenger/mesh/${encodeURIComponent(node)}/messages`, { senderDevice: this.state.deviceId, sealed, clientId: uuid() });
    this.mesh.remember(node, sent.conversationId);
    this.log.apply({ id: sent.id, conversationId: sent.conversationId, senderUser: this.state.userId, senderDevice: this.state.deviceId, sentAt: sent.sentAt }, { type: 'text', conversationId: sent.conversationId, text });
    await this.persist();
    return { messageId: sent.id, conversationId: sent.conversationId, nodeId: node, status: sent.status };
  }

  /** Conversations with mesh nodes, newest first, with unread counts (from the local history). */
  async meshConversations(): Promise<Array<{ conversationId: string; nodeId: string; name: string | null; unread: number }>> {
    const { items } = await this.api.request<{ items: Array<{ id: string; nodeId: string; name: string | null }> }>('GET', '/api/v1/messenger/mesh');
    for (const c of items) this.mesh.remember(c.nodeId, c.id);
    return items.map((c) => ({ conversationId: c.id, nodeId: c.nodeId, name: c.name, unread: this.log.unread(c.id, this.state.userId, this.now()) }));
  }

  /** The decrypted conversation with a node, oldest first (what this device sent and received). */
  meshHistory(nodeId: string): HistoryView[] {
    const conversationId = this.mesh.conversationOf((nodeId.startsWith('!') ? nodeId : `!${nodeId}`).toLowerCase());
    return conversationId ? this.log.list(conversationId, this.now()) : [];
  }

  /** Marks the conversation with a node read up to its newest message, on this device only (a node gets no read receipts). */
  async markMeshRead(nodeId: string): Promise<void> {
    const conversationId = this.mesh.conversationOf((nodeId.startsWith('!') ? nodeId : `!${nodeId}`).toLowerCase());
    const last = conversationId ? this.log.list(conversationId, this.now()).at(-1) : undefined;
    if (!conversationId || !last) return;
    this.log.apply({ id: `read:${last.id}`, conversationId, senderUser: this.state.userId, senderDevice: this.state.deviceId, sentAt: new Date(this.now()).toISOString() }, { type: 'read', conversationId, target: last.id });
    await this.persist();
  }

  /**
   * How far this device's messages to a node got, as the hub follows them (newest first). One the
   * node answered NOT_OPENED (it lost the session) makes the next message to it start a new one.
   */
  async meshDeliveries(nodeId: string): Promise<Array<{ messageId: string; status: string; error: string | null }>> {
    const node = (nodeId.startsWith('!') ? nodeId : `!${nodeId}`).toLowerCase();
    const page = await this.api.request<{ items: Array<{ messageId: string; senderDevice: string; status?: string; error?: string | null }> }>('GET', `/api/v1/messenger/mesh/${encodeURIComponent(node)}/messages?device=${encodeURIComponent(this.state.deviceId)}`);
    const mine = page.items.filter((i) => i.senderDevice === this.state.deviceId && i.status).map((i) => ({ messageId: i.messageId, status: i.status!, error: i.error ?? null }));
    let changed = false;
    for (const d of mine) if (d.status === 'failed' && d.error === 'NOT_OPENED') changed = this.mesh.nodeCouldNotOpen(node, d.messageId) || changed;
    if (changed) await this.persist();
    return mine;
  }

  /** A node's message (or this device's own copy, already in the local history): opened, kept if early, or reported. */
  private receiveMesh(row: InboxRow, result: SyncResult): void {
    if (row.senderDevice !== this.state.deviceId) {
      const { opened, failed } = this.mesh.receive(row);
      for (const o of opened) {
        const meta = { id: o.row.messageId, conversationId: o.row.conversationId, senderUser: o.nodeId, senderDevice: o.nodeId, sentAt: o.row.sentAt };
        this.log.apply(meta, { type: 'text', conversationId: o.row.conversationId, text: o.text });
        result.arrived.push({ messageId: meta.id, conversationId: meta.conversationId, type: 'text', senderUser: o.nodeId, senderDevice: o.nodeId, sentAt: meta.sentAt, text: o.text, nodeId: o.nodeId });
      }
      for (const f of failed) {
        result.problems.push({ code: 'undecryptable', messageId: f.row.messageId, conversationId: f.row.conversationId, senderUser: f.row.senderUser, senderDevice: f.row.senderDevice, errorCode: f.code, reason: f.reason });
      }
    }
    this.remember(row.messageId);
  }

  /**
   * Pulls the inbox in order, decrypts, saves the state, then acknowledges. Returns what arrived
   * and every problem: key changes (those messages are held until accepted) and messages that
   * could not be decrypted, each with its code and reason.
   */
  sync(): Promise<SyncResult> {
    // One pull at a time: two overlapping pulls would decrypt the same rows twice.
    this.syncing ??= this.pull().finally(() => (this.syncing = null));
    return this.syncing;
  }

  /**
   * Syncs now and again whenever the hub's event stream says something arrived, handing each
   * result to `onResult`. `open` makes the WebSocket (default: the platform's own).
   */
  async follow(onResult: (r: SyncResult) => void | Promise<void>, o: { open?: WebSocketFactory; onError?: (err: unknown) => void } = {}): Promise<FollowHandle> {
    const open = o.open;
    const factory = open ?? ((url: string) => new (globalThis as unknown as { WebSocket: new (u: string) => WebSocketLike }).WebSocket(url));
    let pending = Promise.resolve();
    const round = (nudge?: HubEventNudge): void => {
      pending = pending
        .then(async () => {
          if (nudge?.event === CONVERSATION_UPDATED_EVENT) this.noteMembershipEvent(nudge.data);
          if (nudge) await this.noteDeviceChange(nudge);
          await onResult(await this.sync());
        })
        .catch((err: unknown) => o.onError?.(err));
    };
    const handle = followHubEvents(this.state.hubUrl, await this.api.token(), round, factory);
    await handle.ready;
    // Whatever came before the stream was open.
    round();
    await pending;
    return handle;
  }

  /**
   * The hub tells a user's partners when the user adds a device: a key the user's pin lacks is a
   * key change, announced by the next sync before any message from or to that device. (The hub
   * can only cause a warning this way, never an accepted key.)
   */
  private async noteDeviceChange(n: HubEventNudge): Promise<void> {
    const { userId, deviceId, identityKey, change } = n.data;
    if (n.event !== DEVICES_CHANGED_EVENT || change !== 'added' || typeof userId !== 'string' || typeof deviceId !== 'string' || typeof identityKey !== 'string') return;
    if (!this.pins.isPinned(userId) || deviceId === this.state.deviceId) return;
    this.pins.observeOne(userId, deviceId, identityKey);
    await this.persist();
  }

  private async pull(): Promise<SyncResult> {
    const result: SyncResult = { arrived: [], problems: [] };
    const ctx = new Map<string, Promise<HubConversation | MessengerClientError>>();
    for (;;) {
      let rows: InboxRow[];
      try {
        rows = (await this.api.inbox(this.state.deviceId, this.state.lastSeq, INBOX_PAGE)).items;
      } catch (err) {
        if (err instanceof MessengerClientError && err.status === 404) throw new MessengerClientError('E_DEVICE_REVOKED', `this device (${this.state.deviceId}) is no longer registered on the hub: it was revoked; set it up again`, 404);
        throw err;
      }
      // Checked before anything is opened: a page that cannot be acknowledged must change nothing.
      if (!Array.isArray(rows) || rows.some((r) => typeof r !== 'object' || r === null || !Number.isSafeInteger(r.seq) || r.seq <= 0)) {
        throw new MessengerClientError('E_HUB_ANSWER', 'the hub sent an inbox page whose rows lack valid sequence numbers; nothing was taken from it');
      }
      if (rows.length === 0) break;
      for (const row of rows) {
        if (!wellFormedRow(row)) {
          result.problems.push({ code: 'undecryptable', messageId: String(row.messageId), conversationId: String(row.conversationId), senderUser: String(row.senderUser), senderDevice: String(row.senderDevice), errorCode: 'E_CONTENT_MALFORMED', reason: 'the hub sent an inbox row with missing or malformed fields' });
          this.state.lastSeq = Math.max(this.state.lastSeq, row.seq);
          continue;
        }
        await this.processRow(row, result, ctx);
        this.state.lastSeq = Math.max(this.state.lastSeq, row.seq);
      }
      this.log.prune(this.now());
      await this.persist();
      await this.api.ack(this.state.deviceId, this.state.lastSeq);
      if (rows.length < INBOX_PAGE) break;
    }
    await this.refillPrekeys();
    // A key change is reported once per user, with what it holds back.
    const changed = new Map<string, number>();
    for (const r of this.state.held) changed.set(r.senderUser, (changed.get(r.senderUser) ?? 0) + 1);
    for (const userId of this.pins.usersWithChanges()) {
      result.problems.push({ code: 'key_changed', userId, devices: this.pins.pendingDevices(userId), safetyNumber: await this.safetyNumberOf(userId), held: changed.get(userId) ?? 0 });
    }
    return result;
  }

  private async processRow(row: InboxRow, result: SyncResult, ctx: Map<string, Promise<HubConversation | MessengerClientError>>): Promise<void> {
    if (this.seenSet.has(row.messageId) || row.kind === 'typing') return;
    if (row.kind === 'mesh') return this.receiveMesh(row, result);
    const problem = (errorCode: string, reason: string): void => {
      result.problems.push({ code: 'undecryptable', messageId: row.messageId, conversationId: row.conversationId, senderUser: row.senderUser, senderDevice: row.senderDevice, errorCode, reason });
    };
    try {
      // Whatever follows a held message from the same device (its group messages after its sender key) waits with it, in order.
      if (this.state.held.some((h) => h.senderUser === row.senderUser && h.senderDevice === row.senderDevice)) {
        throw new MessengerClientError('E_KEY_CHANGED', `${row.senderUser}'s device ${row.senderDevice} has a key change waiting`, 0, { userId: row.senderUser });
      }
      const from = address(row.senderUser, row.senderDevice);
      if (row.kind === 'sender-key') {
        if (row.envelope === null) throw new MessengerClientError('E_CONTENT_MALFORMED', 'a sender key arrived without an envelope for this device');
        // The conversation first: a hub error after the envelope is opened would use up its ratchet key.
        const conv = await this.conversationFor(row.conversationId, ctx);
        const plaintext = await this.openEnvelope(row, row.envelope);
        this.groupOf(conv).session.processDistribution(from, plaintext, standing(conv, row));
      } else {
        let plaintext: Uint8Array;
        if (row.envelope !== null) {
          // In a group or channel a message counts only from a member (or one who was, when the hub
          // took it), whichever way it was encrypted. Looked up after the key check (a message under
          // a key change is held, not judged) and before opening, as for a sender key.
          plaintext = await this.openEnvelope(row, row.envelope, async () => {
            const conv = await this.conversationFor(row.conversationId, ctx);
            const outsider = conv.kind === 'direct' ? !(this.state.members?.[conv.id] ?? conv.members.map((m) => m.userId)).includes(row.senderUser) : standing(conv, row).sentBeforeLeaving === false;
            if (outsider) throw new MessengerClientError('E_NOT_A_MEMBER', `${row.senderUser} is not a member of this ${conv.kind}: their message is not shown in it`);
          });
        } else if (row.ciphertext !== null) {
          const conv = await this.conversationFor(row.conversationId, ctx);
          if (conv.kind === 'direct') throw new MessengerClientError('E_CONTENT_MALFORMED', 'a direct conversation\u2019s message came without a per-device envelope');
          plaintext = this.groupOf(conv).session.decrypt(from, row.ciphertext, standing(conv, row));
        } else throw new MessengerClientError('E_CONTENT_MALFORMED', 'the message carries no ciphertext for this device');
        const content = decodeContent(plaintext);
        // The hub's plaintext labels must agree with the sealed content: a relabelled or moved message is refused.
        if (content.conversationId !== row.conversationId) throw new MessengerClientError('E_CONTENT_MALFORMED', 'the message was sealed for another conversation');
        if (content.shape) this.checkSealedShape(await this.conversationFor(row.conversationId, ctx), content.shape, row.senderUser);
        if (KIND_OF[content.type] !== row.kind) throw new MessengerClientError('E_CONTENT_MALFORMED', `the hub labels this message '${row.kind}' but it is a ${content.type}`);
        if ('target' in content && content.target !== row.target) throw new MessengerClientError('E_CONTENT_MALFORMED', 'the hub names another target message than the sealed one');
        this.log.apply({ id: row.messageId, conversationId: row.conversationId, senderUser: row.senderUser, senderDevice: row.senderDevice, sentAt: row.sentAt }, content);
        const arrival: Arrival = { messageId: row.messageId, conversationId: row.conversationId, type: content.type, senderUser: row.senderUser, senderDevice: row.senderDevice, sentAt: row.sentAt };
        if ('text' in content) arrival.text = content.text;
        if ('target' in content) arrival.target = content.target;
        if (content.type === 'reaction') arrival.emoji = content.emoji;
        if (content.type === 'text') {
          if (content.replyTo) arrival.replyTo = content.replyTo;
          if (content.expiresAt) arrival.expiresAt = content.expiresAt;
          if (content.attachment) arrival.attachment = content.attachment;
        }
        result.arrived.push(arrival);
      }
    } catch (err) {
      if ((err instanceof MessengerClientError || isMessengerCryptoError(err)) && err.code === 'E_KEY_CHANGED') {
        // Held, not dropped (and not marked seen): it is opened once the user accepts the new key.
        if (!this.state.held.some((h) => h.messageId === row.messageId)) this.state.held.push(row);
        // Bounded: a hub could send first messages under made-up keys without end. The oldest go, said.
        for (const h of this.state.held.splice(0, Math.max(0, this.state.held.length - HELD_KEPT))) {
          result.problems.push({ code: 'undecryptable', messageId: h.messageId, conversationId: h.conversationId, senderUser: h.senderUser, senderDevice: h.senderDevice, errorCode: 'E_KEY_CHANGED', reason: `more than ${HELD_KEPT} messages wait for key changes to be accepted; the oldest is let go unread` });
          this.remember(h.messageId);
        }
        return;
      } else if (err instanceof MessengerClientError && transient(err)) {
        // The hub or the network failed, not the message: the sync stops before the ack and the row comes again.
        throw err;
      } else if (err instanceof MessengerClientError || isMessengerCryptoError(err)) {
        problem(err.code, err.message);
      } else {
        throw err;
      }
    }
    this.remember(row.messageId);
  }

  /**
   * Opens a per-device envelope; a handshake from a key the sender's pin does not hold is a key
   * change. `beforeOpening` runs after that check and before the session moves on.
   */
  private async openEnvelope(row: InboxRow, envelope: string, beforeOpening?: () => Promise<void>): Promise<Uint8Array> {
    let header;
    try {
      header = decodeRatchetMessage(fromBase64url(envelope)).prekey;
    } catch (err) {
      if (isMessengerCryptoError(err)) throw err;
      throw new MessengerClientError('E_CONTENT_MALFORMED', 'the envelope is not a ratchet message');
    }
    if (header) {
      const key = toBase64url(header.identityKey);
      if (!this.pins.isPinned(row.senderUser)) await this.fetchBundles(row.senderUser);
      if (!this.pins.observeOne(row.senderUser, row.senderDevice, key)) {
        throw new MessengerClientError('E_KEY_CHANGED', `a new key for ${row.senderUser}'s device ${row.senderDevice}`, 0, { userId: row.senderUser });
      }
    }
    await beforeOpening?.();
    return this.sessions.decrypt(address(row.senderUser, row.senderDevice), envelope);
  }

  private async conversationFor(id: string, ctx: Map<string, Promise<HubConversation | MessengerClientError>>): Promise<HubConversation> {
    let p = ctx.get(id);
    if (!p) {
      p = this.api.conversation(id).catch((err: unknown) => {
        if (err instanceof MessengerClientError && err.status === 404) return new MessengerClientError('E_NOT_A_MEMBER', 'this user is no longer a member of the conversation, so its keys are gone');
        throw err;
      });
      ctx.set(id, p);
    }
    const c = await p;
    if (c instanceof MessengerClientError) throw c;
    this.observeMembers(c);
    this.refuseShapeChange(c);
    return c;
  }

  private remember(messageId: string): void {
    this.seen.push(messageId);
    this.seenSet.add(messageId);
    if (this.seen.length > SEEN_KEPT) for (const old of this.seen.splice(0, this.seen.length - SEEN_KEPT)) this.seenSet.delete(old);
  }

  private async persist(): Promise<void> {
    this.state.identity = this.identity.toJSON();
    this.state.trust = this.trust.toJSON();
    this.state.sessions = this.sessions.toJSON();
    this.state.groups = Object.fromEntries([...this.groups].map(([id, g]) => [id, { session: g.session.toJSON(), distributed: g.distributed }]));
    this.state.pins = this.pins.toJSON();
    this.state.history = this.log.toJSON();
    this.state.seen = this.seen;
    this.state.mesh = this.mesh.toJSON();
    await this.store.save(JSON.stringify(this.state));
  }
}

/**
 * A group message or sender key from someone who is no longer a member opens only if the hub took
 * it before they left: a device that syncs after the removal still reads what they said while a
 * member (both times are the hub's; it refuses sends from non-members).
 */
/** The conversation's members as the hub lists them: user ids, once each, sorted. */
function memberIds(conv: HubConversation): string[] {
  return [...new Set((conv.members ?? []).map((m) => m.userId))].sort();
}

function standing(conv: HubConversation, row: InboxRow): SenderStanding {
  if (conv.members.some((m) => m.userId === row.senderUser)) return {};
  const sent = Date.parse(row.sentAt);
  return { sentBeforeLeaving: (conv.departed ?? []).some((d) => d.userId === row.senderUser && sent <= Date.parse(d.leftAt)) };
}

/** An inbox row with every field the client reads of the right type. */
function wellFormedRow(r: InboxRow): boolean {
  const strings = [r.messageId, r.conversationId, r.senderUser, r.senderDevice, r.kind, r.sentAt];
  const nullable = [r.envelope, r.ciphertext, r.target ?? null];
  return strings.every((v) => typeof v === 'string') && nullable.every((v) => v === null || typeof v === 'string');
}

/** A failure to reach or hear from the hub (worth trying again), as opposed to one about the message itself. */
function transient(err: MessengerClientError): boolean {
  return err.code === 'E_HUB_UNREACHABLE' || err.status >= 500 || [401, 403, 408, 429].includes(err.status);
}

function address(userId: string, deviceId: string): string {
  return `${userId}/${deviceId}`;
}

/** A v4 UUID from getRandomValues: randomUUID exists only on https pages, and a hub on a LAN is often plain http. */
function uuid(): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function parseState(json: string): StateJson {
  let s: Partial<StateJson>;
  try {
    s = JSON.parse(json) as Partial<StateJson>;
  } catch {
    throw new MessengerClientError('E_STATE_MALFORMED', 'the saved messenger state is not JSON');
  }
  const strings = ['hubUrl', 'userId', 'orgId', 'deviceId', 'deviceName'] as const;
  if (s?.v !== 1 || strings.some((k) => typeof s[k] !== 'string') || typeof s.lastSeq !== 'number' || !Array.isArray(s.seen) || !Array.isArray(s.held) || typeof s.groups !== 'object' || s.groups === null) {
    throw new MessengerClientError('E_STATE_MALFORMED', 'the saved messenger state is malformed (or from another version)');
  }
  return s as StateJson;
}
