// The rules of conversations: a direct one has exactly two users and there is one per pair; groups
// and channels have an owner, admins and members. Admins add and remove members, only the owner
// changes roles; everyone may leave. Membership changes bump the epoch and raise
// `conversation.updated` so clients re-key. A conversation the caller is not in does not exist
// for them (404), and neither does a user of another org.

import { randomUUID } from 'node:crypto';
import { MESSENGER_LIMITS } from '@unibos/messenger-crypto';
import { HubError, notFound } from '../hub-error.ts';
import { directPair, type Conversation, type ConversationKind, type ConversationMember, type ConversationStore, type Departure, type MemberRole } from './conversation-store.ts';
import type { DeviceDirectory } from './device-directory.ts';
import type { MessengerEvents } from './messenger-events.ts';
import type { MessengerMetrics } from './messenger-metrics.ts';

/** A conversation as a member sees it: with its members and every device a message must reach. */
export interface ConversationView extends Conversation {
  /** Whether the caller muted it. */
  muted: boolean;
  members: Array<Omit<ConversationMember, 'muted'>>;
  devices: Array<{ deviceId: string; userId: string }>;
  /**
   * Former members and when they left: a device catching up opens what they sent before that
   * (the hub took it from them only while they were members), and nothing after.
   */
  departed: Departure[];
}

export type NewConversation =
  | { kind: 'direct'; userId: string }
  | { kind: 'group' | 'channel'; name: string; description?: string; members?: string[] };

export interface MessengerConversationsDeps {
  store: ConversationStore;
  directory: DeviceDirectory;
  events: MessengerEvents;
  metrics: MessengerMetrics;
  isOrgMember: (orgId: string, userId: string) => boolean;
  now: () => number;
}

const RANK: Record<MemberRole, number> = { member: 0, admin: 1, owner: 2 };

export class MessengerConversations {
  constructor(private readonly d: MessengerConversationsDeps) {}

  /** Creates one; a direct conversation that exists already is returned as it is (`created: false`). */
  create(orgId: string, userId: string, input: NewConversation): { conversation: ConversationView; created: boolean } {
    const nowMs = this.d.now();
    if (input.kind === 'direct') {
      if (input.userId === userId) throw new HubError('E_BAD_REQUEST', 'a direct conversation is with someone else');
      if (!this.d.isOrgMember(orgId, input.userId)) throw notFound('user');
      const pair = directPair(orgId, userId, input.userId);
      const existing = this.d.store.directByPair(pair);
      if (existing) return { conversation: this.view(existing, userId), created: false };
      const c = this.d.store.create(orgId, { id: randomUUID(), kind: 'direct', name: null, description: null, pair, createdBy: userId, nowMs, members: [{ userId, role: 'member' }, { userId: input.userId, role: 'member' }] });
      this.d.events.toConversation(orgId, c.id, 'conversation.updated', { conversationId: c.id, epoch: c.epoch, change: 'created', userIds: [userId, input.userId], by: userId });
      return { conversation: this.view(c, userId), created: true };
    }
    const others = [...new Set(input.members ?? [])].filter((u) => u !== userId);
    this.checkUsers(orgId, others);
    this.checkSize(others.length + 1);
    const c = this.d.store.create(orgId, {
      id: randomUUID(),
      kind: input.kind,
      name: input.name,
      description: input.description ?? null,
      pair: null,
      createdBy: userId,
      nowMs,
      members: [{ userId, role: 'owner' }, ...others.map((u) => ({ userId: u, role: 'member' as const }))],
    });
    this.d.events.toConversation(orgId, c.id, 'conversation.updated', { conversationId: c.id, epoch: c.epoch, change: 'created', userIds: [userId, ...others], by: userId });
    return { conversation: this.view(c, userId), created: true };
  }

  list(orgId: string, userId: string, limit: number, before?: number): { items: ConversationView[]; nextCursor: string | null } {
    const rows = this.d.store.listOfUser(orgId, userId, limit, before);
    return { items: rows.map(({ cursor: _cursor, ...c }) => this.view(c, userId)), nextCursor: rows.length === limit ? String(rows[rows.length - 1]!.cursor) : null };
  }

  get(orgId: string, userId: string, id: string): ConversationView {
    return this.view(this.membership(orgId, userId, id).conversation, userId);
  }

  /** The conversation and the caller's membership, or 404 when the caller is not in it. */
  membership(orgId: string, userId: string, id: string): { conversation: Conversation; member: ConversationMember } {
    const conversation = this.d.store.get(orgId, id);
    const member = conversation ? this.d.store.member(conversation.id, userId) : null;
    if (!conversation || !member) throw notFound('conversation');
    return { conversation, member };
  }

  /** Every active device of every member: what a message must be addressed to. */
  memberDevices(conversationId: string, orgId: string): Array<{ deviceId: string; userId: string }> {
    // A user who left the org keeps their seat in the table but is sent nothing more.
    return this.d.store
      .members(conversationId)
      .filter((m) => this.d.isOrgMember(orgId, m.userId))
      .flatMap((m) => this.d.directory.activeDevicesOf(orgId, m.userId).map((dev) => ({ deviceId: dev.id, userId: m.userId })));
  }

  updateDetails(orgId: string, userId: string, id: string, patch: { name?: string; description?: string | null }): ConversationView {
    const { conversation } = this.asAdmin(orgId, userId, id, 'change its name or description');
    this.d.store.setDetails(conversation.id, patch.name ?? conversation.name, patch.description === undefined ? conversation.description : patch.description);
    const updated = this.d.store.get(orgId, id)!;
    this.d.events.toConversation(orgId, id, 'conversation.updated', { conversationId: id, epoch: updated.epoch, change: 'details', userIds: [], by: userId });
    return this.view(updated, userId);
  }

  addMembers(orgId: string, userId: string, id: string, userIds: readonly string[]): ConversationView {
    const { conversation } = this.asAdmin(orgId, userId, id, 'add members');
    const current = new Set(this.d.store.members(id).map((m) => m.userId));
    const added = [...new Set(userIds)].filter((u) => !current.has(u));
    this.checkUsers(orgId, added);
    if (added.length === 0) return this.view(conversation, userId);
    this.checkSize(current.size + added.length);
    this.d.store.addMembers(id, added, this.d.now());
    const updated = this.d.store.get(orgId, id)!;
    this.d.events.toConversation(orgId, id, 'conversation.updated', { conversationId: id, epoch: updated.epoch, change: 'members_added', userIds: added, by: userId });
    return this.view(updated, userId);
  }

  removeMember(orgId: string, userId: string, id: string, target: string): ConversationView {
    if (target === userId) return this.leave(orgId, userId, id);
    const { member } = this.asAdmin(orgId, userId, id, 'remove members');
    const victim = this.d.store.member(id, target);
    if (!victim) throw notFound('member');
    // An admin removes members; only the owner removes an admin; nobody removes the owner.
    if (RANK[victim.role] >= RANK[member.role]) throw new HubError('E_FORBIDDEN', `a conversation ${member.role} cannot remove its ${victim.role}`);
    this.d.store.removeMember(id, target, this.d.now());
    const updated = this.d.store.get(orgId, id)!;
    // The removed user is told they are out (and nothing more), the rest to re-key.
    this.d.events.toConversation(orgId, id, 'conversation.updated', { conversationId: id, epoch: updated.epoch, change: 'member_removed', userIds: [target], by: userId }, [target]);
    return this.view(updated, userId);
  }

  leave(orgId: string, userId: string, id: string): ConversationView {
    const { conversation, member } = this.membership(orgId, userId, id);
    if (conversation.kind === 'direct') throw new HubError('E_BAD_REQUEST', 'a direct conversation cannot be left; mute it instead');
    const rest = this.d.store.members(id).filter((m) => m.userId !== userId);
    // The owner's seat passes to the longest-serving admin, or else the longest-serving member.
    const successor = member.role === 'owner' ? (rest.find((m) => m.role === 'admin') ?? rest[0])?.userId : undefined;
    this.d.store.removeMember(id, userId, this.d.now(), successor);
    const updated = this.d.store.get(orgId, id)!;
    this.d.events.toConversation(orgId, id, 'conversation.updated', { conversationId: id, epoch: updated.epoch, change: 'member_left', userIds: [userId], by: userId }, [userId]);
    return this.view(updated, userId);
  }

  setRole(orgId: string, userId: string, id: string, target: string, role: MemberRole): ConversationView {
    const { conversation, member } = this.membership(orgId, userId, id);
    if (conversation.kind === 'direct') throw new HubError('E_BAD_REQUEST', 'a direct conversation has no roles');
    if (member.role !== 'owner') throw new HubError('E_FORBIDDEN', 'only the conversation\u2019s owner changes roles');
    if (!this.d.store.member(id, target)) throw notFound('member');
    if (target === userId) throw new HubError('E_BAD_REQUEST', 'the owner hands over ownership by making someone else the owner');
    if (role === 'owner') this.d.store.transferOwnership(id, userId, target);
    else this.d.store.setRole(id, target, role);
    this.d.events.toConversation(orgId, id, 'conversation.updated', { conversationId: id, epoch: conversation.epoch, change: 'role_changed', userIds: [target], by: userId });
    return this.view(this.d.store.get(orgId, id)!, userId);
  }

  setMuted(orgId: string, userId: string, id: string, muted: boolean): ConversationView {
    const { conversation } = this.membership(orgId, userId, id);
    this.d.store.setMuted(id, userId, muted);
    return this.view(conversation, userId);
  }

  private asAdmin(orgId: string, userId: string, id: string, what: string): { conversation: Conversation; member: ConversationMember } {
    const m = this.membership(orgId, userId, id);
    if (m.conversation.kind === 'direct') throw new HubError('E_BAD_REQUEST', `a direct conversation has exactly two members: cannot ${what}`);
    if (RANK[m.member.role] < RANK.admin) throw new HubError('E_FORBIDDEN', `only the conversation\u2019s owner and admins ${what}`);
    return m;
  }

  private checkUsers(orgId: string, userIds: readonly string[]): void {
    const stranger = userIds.find((u) => !this.d.isOrgMember(orgId, u));
    if (stranger !== undefined) throw notFound('user');
  }

  private checkSize(members: number): void {
    if (members > MESSENGER_LIMITS.maxGroupMembers) {
      this.d.metrics.refused.inc({ reason: 'limit_reached' });
      throw new HubError('E_LIMIT_REACHED', `a conversation has at most ${MESSENGER_LIMITS.maxGroupMembers} members`);
    }
  }

  private view(c: Conversation, userId: string): ConversationView {
    const members = this.d.store.members(c.id);
    // Muting is the caller's own business: others' mute flags are not shown.
    return { ...c, muted: members.find((m) => m.userId === userId)?.muted ?? false, members: members.map(({ muted: _muted, ...m }) => m), devices: this.memberDevices(c.id, c.orgId), departed: this.d.store.departures(c.id) };
  }
}

export type { ConversationKind, MemberRole };
