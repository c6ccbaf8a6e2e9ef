// Messenger conversations and their members (the `messenger_conversations` and
// `messenger_members` tables). A direct conversation is unique per pair of users (its `pair`
// key); every membership change bumps the conversation's epoch, which tells clients to re-key.
// When a member leaves or is removed is kept (`messenger_departures`), so a device that syncs
// later can still open what they sent while they were a member.

import type { HubDb } from '../storage/hub-db.ts';

export type ConversationKind = 'direct' | 'group' | 'channel';
export type MemberRole = 'owner' | 'admin' | 'member';

export interface ConversationMember {
  userId: string;
  role: MemberRole;
  muted: boolean;
  joinedAt: string;
}

/** A user who left the conversation or was removed, and when (their latest departure). */
export interface Departure {
  userId: string;
  leftAt: string;
}

export interface Conversation {
  id: string;
  orgId: string;
  kind: ConversationKind;
  name: string | null;
  description: string | null;
  epoch: number;
  createdAt: string;
  createdBy: string;
}

interface ConversationRow {
  n: number;
  id: string;
  org_id: string;
  kind: ConversationKind;
  name: string | null;
  description: string | null;
  epoch: number;
  pair: string | null;
  created_ms: number;
  created_by: string;
}

interface MemberRow {
  user_id: string;
  role: MemberRole;
  muted: number;
  joined_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messenger_conversations (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT,
  description TEXT,
  epoch INTEGER NOT NULL DEFAULT 0,
  pair TEXT UNIQUE,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messenger_members (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  muted INTEGER NOT NULL DEFAULT 0,
  joined_ms INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX IF NOT EXISTS messenger_members_user ON messenger_members (user_id, conversation_id);
CREATE TABLE IF NOT EXISTS messenger_departures (
  conversation_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  left_ms INTEGER NOT NULL,
  PRIMARY KEY (conversation_id, user_id)
);`;

/** The key that makes a direct conversation unique: the org and both users, in a fixed order. */
export function directPair(orgId: string, a: string, b: string): string {
  return [orgId, ...[a, b].sort()].join('|');
}

export class ConversationStore {
  private readonly stmt;

  constructor(private readonly db: HubDb) {
    db.exec(SCHEMA);
    this.stmt = {
      insert: db.prepare<{ id: string; org: string; kind: string; name: string | null; description: string | null; pair: string | null; t: number; by: string }>(
        'INSERT INTO messenger_conversations (id, org_id, kind, name, description, pair, created_ms, created_by) VALUES (@id, @org, @kind, @name, @description, @pair, @t, @by)',
      ),
      addMember: db.prepare<[string, string, string, number]>('INSERT OR IGNORE INTO messenger_members (conversation_id, user_id, role, joined_ms) VALUES (?, ?, ?, ?)'),
      get: db.prepare<[string, string], ConversationRow>('SELECT * FROM messenger_conversations WHERE org_id = ? AND id = ?'),
      byPair: db.prepare<[string], ConversationRow>('SELECT * FROM messenger_conversations WHERE pair = ?'),
      members: db.prepare<[string], MemberRow>("SELECT user_id, role, muted, joined_ms FROM messenger_members WHERE conversation_id = ? ORDER BY joined_ms, CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, user_id"),
      member: db.prepare<[string, string], MemberRow>('SELECT user_id, role, muted, joined_ms FROM messenger_members WHERE conversation_id = ? AND user_id = ?'),
      listOfUser: db.prepare<[string, string, number, number], ConversationRow>(
        `SELECT c.* FROM messenger_conversations c JOIN messenger_members m ON m.conversation_id = c.id
         WHERE c.org_id = ? AND m.user_id = ? AND c.n < ? ORDER BY c.n DESC LIMIT ?`,
      ),
      removeMember: db.prepare<[string, string]>('DELETE FROM messenger_members WHERE conversation_id = ? AND user_id = ?'),
      departed: db.prepare<[string, string, number]>(
        'INSERT INTO messenger_departures (conversation_id, user_id, left_ms) VALUES (?, ?, ?) ON CONFLICT (conversation_id, user_id) DO UPDATE SET left_ms = MAX(left_ms, excluded.left_ms)',
      ),
      departures: db.prepare<[string], { user_id: string; left_ms: number }>('SELECT user_id, left_ms FROM messenger_departures WHERE conversation_id = ? ORDER BY left_ms, user_id'),
      setRole: db.prepare<[string, string, string]>('UPDATE messenger_members SET role = ? WHERE conversation_id = ? AND user_id = ?'),
      setMuted: db.prepare<[number, string, string]>('UPDATE messenger_members SET muted = ? WHERE conversation_id = ? AND user_id = ?'),
      setDetails: db.prepare<[string | null, string | null, string]>('UPDATE messenger_conversations SET name = ?, description = ? WHERE id = ?'),
      bumpEpoch: db.prepare<[string]>('UPDATE messenger_conversations SET epoch = epoch + 1 WHERE id = ?'),
      partners: db.prepare<[string, string], { user_id: string }>(
        `SELECT DISTINCT o.user_id FROM messenger_members m
         JOIN messenger_conversations c ON c.id = m.conversation_id AND c.org_id = ?
         JOIN messenger_members o ON o.conversation_id = m.conversation_id
         WHERE m.user_id = ?`,
      ),
    };
  }

  create(orgId: string, c: { id: string; kind: ConversationKind; name: string | null; description: string | null; pair: string | null; createdBy: string; members: Array<{ userId: string; role: MemberRole }>; nowMs: number }): Conversation {
    this.db.transaction(() => {
      this.stmt.insert.run({ id: c.id, org: orgId, kind: c.kind, name: c.name, description: c.description, pair: c.pair, t: c.nowMs, by: c.createdBy });
      for (const m of c.members) this.stmt.addMember.run(c.id, m.userId, m.role, c.nowMs);
    })();
    return this.get(orgId, c.id)!;
  }

  get(orgId: string, id: string): Conversation | null {
    const row = this.stmt.get.get(orgId, id);
    return row ? toConversation(row) : null;
  }

  directByPair(pair: string): Conversation | null {
    const row = this.stmt.byPair.get(pair);
    return row ? toConversation(row) : null;
  }

  members(conversationId: string): ConversationMember[] {
    return this.stmt.members.all(conversationId).map(toMember);
  }

  /** Who left or was removed, and when (the latest time for each); one row per user ever gone. */
  departures(conversationId: string): Departure[] {
    return this.stmt.departures.all(conversationId).map((r) => ({ userId: r.user_id, leftAt: new Date(r.left_ms).toISOString() }));
  }

  member(conversationId: string, userId: string): ConversationMember | null {
    const row = this.stmt.member.get(conversationId, userId);
    return row ? toMember(row) : null;
  }

  /** The user's conversations, newest first; `before` is the previous page's cursor. */
  listOfUser(orgId: string, userId: string, limit: number, before?: number): Array<Conversation & { cursor: number }> {
    return this.stmt.listOfUser.all(orgId, userId, before ?? Number.MAX_SAFE_INTEGER, limit).map((r) => ({ ...toConversation(r), cursor: r.n }));
  }

  /** Adds members (those already in stay as they are) and bumps the epoch. */
  addMembers(conversationId: string, userIds: readonly string[], nowMs: number): void {
    this.db.transaction(() => {
      for (const u of userIds) this.stmt.addMember.run(conversationId, u, 'member', nowMs);
      this.stmt.bumpEpoch.run(conversationId);
    })();
  }

  removeMember(conversationId: string, userId: string, nowMs: number, successor?: string): void {
    this.db.transaction(() => {
      this.stmt.removeMember.run(conversationId, userId);
      this.stmt.departed.run(conversationId, userId, nowMs);
      if (successor) this.stmt.setRole.run('owner', conversationId, successor);
      this.stmt.bumpEpoch.run(conversationId);
    })();
  }

  setRole(conversationId: string, userId: string, role: MemberRole): void {
    this.stmt.setRole.run(role, conversationId, userId);
  }

  /** Hands ownership to `to`; the previous owner stays as an admin. */
  transferOwnership(conversationId: string, from: string, to: string): void {
    this.db.transaction(() => {
      this.stmt.setRole.run('admin', conversationId, from);
      this.stmt.setRole.run('owner', conversationId, to);
    })();
  }

  setMuted(conversationId: string, userId: string, muted: boolean): void {
    this.stmt.setMuted.run(muted ? 1 : 0, conversationId, userId);
  }

  setDetails(conversationId: string, name: string | null, description: string | null): void {
    this.stmt.setDetails.run(name, description, conversationId);
  }

  /** Everyone who shares a conversation with the user (the user included, when in any). */
  partnersOf(orgId: string, userId: string): string[] {
    return this.stmt.partners.all(orgId, userId).map((r) => r.user_id);
  }
}

function toConversation(row: ConversationRow): Conversation {
  return { id: row.id, orgId: row.org_id, kind: row.kind, name: row.name, description: row.description, epoch: row.epoch, createdAt: new Date(row.created_ms).toISOString(), createdBy: row.created_by };
}

function toMember(row: MemberRow): ConversationMember {
  return { userId: row.user_id, role: row.role, muted: row.muted === 1, joinedAt: new Date(row.joined_ms).toISOString() };
}
