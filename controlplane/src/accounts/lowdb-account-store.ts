// The accounts repository on a lowdb JSON file (<dataDir>/accounts.json, 0600): small, rarely
// written, readable by an admin. Every write runs in one queue on a copy of the data, is written
// by atomic rename, and only then replaces what readers see, so a failed write changes nothing.

import { join } from 'node:path';
import { Low } from 'lowdb';
import type { Role } from '../auth/auth-context.ts';
import { HubError, notFound } from '../hub-error.ts';
import { emptyAccounts, normalizeEmail, type AccountStore, type AccountsData, type ApiKeyRecord, type Membership, type Org, type User } from './account-store.ts';
import { SecureJsonFile } from './secure-json-file.ts';

export const ACCOUNTS_FILE = 'accounts.json';

export async function openLowdbAccountStore(dataDir: string): Promise<LowdbAccountStore> {
  const db = new Low<AccountsData>(new SecureJsonFile<AccountsData>(join(dataDir, ACCOUNTS_FILE)), emptyAccounts());
  await db.read();
  const data = db.data;
  if (data?.version !== 1 || !Array.isArray(data.users) || !Array.isArray(data.orgs) || !Array.isArray(data.memberships) || !Array.isArray(data.apiKeys)) {
    throw new HubError('E_CONFIG', `${join(dataDir, ACCOUNTS_FILE)} is not a version 1 accounts file`);
  }
  return new LowdbAccountStore(db);
}

export class LowdbAccountStore implements AccountStore {
  private usersById = new Map<string, User>();
  private usersByEmail = new Map<string, User>();
  private orgsById = new Map<string, Org>();
  /** `${userId} ${orgId}` -> membership: the per-request role check is one map lookup. */
  private membership = new Map<string, Membership>();
  private keysById = new Map<string, ApiKeyRecord>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly db: Low<AccountsData>) {
    this.index();
  }

  hasUsers(): boolean {
    return this.db.data.users.length > 0;
  }
  firstOrgId(): string | undefined {
    return this.db.data.orgs[0]?.id;
  }
  userById(id: string): User | undefined {
    return this.usersById.get(id);
  }
  userByEmail(email: string): User | undefined {
    return this.usersByEmail.get(normalizeEmail(email));
  }
  orgById(id: string): Org | undefined {
    return this.orgsById.get(id);
  }
  roleOf(userId: string, orgId: string): Role | undefined {
    return this.membership.get(`${userId} ${orgId}`)?.role;
  }
  membershipsOf(userId: string): Membership[] {
    return this.db.data.memberships.filter((m) => m.userId === userId);
  }
  membersOf(orgId: string): Membership[] {
    return this.db.data.memberships.filter((m) => m.orgId === orgId);
  }
  apiKeyById(id: string): ApiKeyRecord | undefined {
    return this.keysById.get(id);
  }
  apiKeysOf(orgId: string): ApiKeyRecord[] {
    return this.db.data.apiKeys.filter((k) => k.orgId === orgId);
  }
  allApiKeys(): ApiKeyRecord[] {
    return [...this.db.data.apiKeys];
  }

  createFirstUser(user: User, org: Org): Promise<void> {
    return this.update((d) => {
      if (d.users.length > 0) throw new HubError('E_SETUP_DONE', 'setup is done: the hub already has users');
      d.users.push(user);
      d.orgs.push(org);
      d.memberships.push({ userId: user.id, orgId: org.id, role: 'owner', createdAt: user.createdAt });
    });
  }

  createUser(user: User, membership?: { orgId: string; role: Role }): Promise<void> {
    return this.update((d) => {
      if (d.users.some((u) => u.email === user.email)) throw new HubError('E_CONFLICT', `a user with email ${user.email} exists`);
      if (membership && !d.orgs.some((o) => o.id === membership.orgId)) throw notFound('org');
      d.users.push(user);
      if (membership) d.memberships.push({ userId: user.id, orgId: membership.orgId, role: membership.role, createdAt: user.createdAt });
    });
  }

  createOrg(org: Org, ownerId: string): Promise<void> {
    return this.update((d) => {
      if (!d.users.some((u) => u.id === ownerId)) throw notFound('user');
      d.orgs.push(org);
      d.memberships.push({ userId: ownerId, orgId: org.id, role: 'owner', createdAt: org.createdAt });
    });
  }

  renameOrg(orgId: string, name: string): Promise<void> {
    return this.update((d) => {
      const org = d.orgs.find((o) => o.id === orgId);
      if (!org) throw notFound('org');
      org.name = name;
    });
  }

  addMember(orgId: string, userId: string, role: Role, createdAt: string): Promise<void> {
    return this.update((d) => {
      if (!d.orgs.some((o) => o.id === orgId)) throw notFound('org');
      if (!d.users.some((u) => u.id === userId)) throw notFound('user');
      if (d.memberships.some((m) => m.orgId === orgId && m.userId === userId)) throw new HubError('E_CONFLICT', 'already a member of this org');
      d.memberships.push({ userId, orgId, role, createdAt });
    });
  }

  setRole(orgId: string, userId: string, role: Role): Promise<void> {
    return this.update((d) => {
      const m = findMember(d, orgId, userId);
      if (m.role === 'owner' && role !== 'owner') assertAnotherOwner(d, orgId, userId);
      m.role = role;
    });
  }

  removeMember(orgId: string, userId: string): Promise<void> {
    return this.update((d) => {
      const m = findMember(d, orgId, userId);
      if (m.role === 'owner') assertAnotherOwner(d, orgId, userId);
      d.memberships = d.memberships.filter((x) => x !== m);
      d.apiKeys = d.apiKeys.filter((k) => !(k.orgId === orgId && k.createdBy === userId));
    });
  }

  addApiKey(key: ApiKeyRecord): Promise<void> {
    return this.update((d) => {
      if (d.apiKeys.some((k) => k.id === key.id)) throw new HubError('E_CONFLICT', 'API key id collision');
      d.apiKeys.push(key);
    });
  }

  deleteApiKey(orgId: string, id: string): Promise<boolean> {
    return this.update((d) => {
      const before = d.apiKeys.length;
      d.apiKeys = d.apiKeys.filter((k) => !(k.id === id && k.orgId === orgId));
      return d.apiKeys.length !== before;
    });
  }

  recordApiKeyUse(lastUsed: ReadonlyMap<string, string>): Promise<void> {
    return this.update((d) => {
      for (const k of d.apiKeys) {
        const at = lastUsed.get(k.id);
        if (at && (!k.lastUsedAt || at > k.lastUsedAt)) k.lastUsedAt = at;
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.catch(() => undefined);
  }

  /** Serialized: `fn` sees the result of every earlier write; readers see the new data only once it is on disk. */
  private update<T>(fn: (draft: AccountsData) => T): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new HubError('E_UNAVAILABLE', 'accounts store is closed');
      const draft = structuredClone(this.db.data);
      const result = fn(draft);
      await this.db.adapter.write(draft);
      this.db.data = draft;
      this.index();
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private index(): void {
    const d = this.db.data;
    this.usersById = new Map(d.users.map((u) => [u.id, u]));
    this.usersByEmail = new Map(d.users.map((u) => [u.email, u]));
    this.orgsById = new Map(d.orgs.map((o) => [o.id, o]));
    this.membership = new Map(d.memberships.map((m) => [`${m.userId} ${m.orgId}`, m]));
    this.keysById = new Map(d.apiKeys.map((k) => [k.id, k]));
  }
}

function findMember(d: AccountsData, orgId: string, userId: string): Membership {
  const m = d.memberships.find((x) => x.orgId === orgId && x.userId === userId);
  if (!m) throw notFound('member');
  return m;
}

function assertAnotherOwner(d: AccountsData, orgId: string, userId: string): void {
  if (!d.memberships.some((m) => m.orgId === orgId && m.role === 'owner' && m.userId !== userId)) {
    throw new HubError('E_CONFLICT', 'an org must keep at least one owner: make someone else owner first');
  }
}
