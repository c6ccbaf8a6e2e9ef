// The accounts repository: users, orgs, memberships and API-key records. Reads are synchronous
// (the whole set is small and held in memory); each write is one atomic, durable, serialized change
// that enforces the invariants needing a consistent view (an org always keeps an owner).

import type { Permission, Role } from '../auth/auth-context.ts';

export interface User {
  id: string;
  /** Lower-cased and trimmed; unique. */
  email: string;
  name: string;
  /** scrypt PHC string ($scrypt$ln=..$salt$hash). */
  passwordHash: string;
  createdAt: string;
}

export interface Org {
  id: string;
  name: string;
  createdAt: string;
}

export interface Membership {
  userId: string;
  orgId: string;
  role: Role;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  name: string;
  scopes: Permission[];
  /** hex SHA-256 of the key's secret part. */
  secretHash: string;
  createdBy: string;
  createdAt: string;
  /** Persisted lazily (see api-keys.ts); the live value is kept in memory. */
  lastUsedAt: string | null;
}

export interface AccountsData {
  version: 1;
  users: User[];
  orgs: Org[];
  memberships: Membership[];
  apiKeys: ApiKeyRecord[];
}

export function emptyAccounts(): AccountsData {
  return { version: 1, users: [], orgs: [], memberships: [], apiKeys: [] };
}

export interface AccountStore {
  hasUsers(): boolean;
  /** The org made first (at setup): the hub's own. */
  firstOrgId(): string | undefined;
  userById(id: string): User | undefined;
  userByEmail(email: string): User | undefined;
  orgById(id: string): Org | undefined;
  roleOf(userId: string, orgId: string): Role | undefined;
  /** The user's memberships, oldest first. */
  membershipsOf(userId: string): Membership[];
  membersOf(orgId: string): Membership[];
  apiKeyById(id: string): ApiKeyRecord | undefined;
  apiKeysOf(orgId: string): ApiKeyRecord[];
  allApiKeys(): ApiKeyRecord[];

  /** Refuses with E_SETUP_DONE when any user exists (the first admin is created exactly once). */
  createFirstUser(user: User, org: Org): Promise<void>;
  /** A new user (E_CONFLICT if the email is taken), optionally straight into an org with a role. */
  createUser(user: User, membership?: { orgId: string; role: Role }): Promise<void>;
  /** A new org owned by `ownerId`. */
  createOrg(org: Org, ownerId: string): Promise<void>;
  renameOrg(orgId: string, name: string): Promise<void>;
  /** E_CONFLICT if already a member. */
  addMember(orgId: string, userId: string, role: Role, createdAt: string): Promise<void>;
  /** E_NOT_FOUND if not a member; E_CONFLICT if it would leave the org without an owner. */
  setRole(orgId: string, userId: string, role: Role): Promise<void>;
  /** The same rules as setRole. Also deletes the API keys the user created in that org. */
  removeMember(orgId: string, userId: string): Promise<void>;
  addApiKey(key: ApiKeyRecord): Promise<void>;
  /** false if there was no such key in that org. */
  deleteApiKey(orgId: string, id: string): Promise<boolean>;
  /** Persists lastUsedAt values collected in memory (unknown ids are ignored). */
  recordApiKeyUse(lastUsed: ReadonlyMap<string, string>): Promise<void>;
  close(): Promise<void>;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
