// Users, orgs and memberships as the API sees them: the rules about who may grant which role
// live here, the rules needing a consistent view (an org keeps an owner) in the store.

import { randomUUID } from 'node:crypto';
import type { AuthContext, Role } from '../auth/auth-context.ts';
import { HubError, notFound } from '../hub-error.ts';
import { normalizeEmail, type AccountStore, type Org, type User } from './account-store.ts';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './password-hash.ts';

/** Orgs one user may own (make); joining others' orgs is not counted. */
export const MAX_ORGS_OWNED = 20;
/** Members one org has at most: the accounts file is rewritten whole at every change. */
export const MAX_MEMBERS_PER_ORG = 5000;

export interface OrgView {
  id: string;
  name: string;
  role: Role;
}

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export interface UserView {
  id: string;
  email: string;
  name: string;
}

export interface NewOwnerInput {
  email: string;
  password: string;
  name?: string | undefined;
  orgName?: string | undefined;
}

export class Accounts {
  constructor(
    readonly store: AccountStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Builds a user and their own org (not yet stored). */
  async newOwner(input: NewOwnerInput): Promise<{ user: User; org: Org }> {
    checkPassword(input.password);
    const createdAt = this.isoNow();
    const email = normalizeEmail(input.email);
    const user: User = { id: randomUUID(), email, name: input.name?.trim() || defaultName(email), passwordHash: await hashPassword(input.password), createdAt };
    const org: Org = { id: randomUUID(), name: input.orgName?.trim() || `${user.name}'s org`, createdAt };
    return { user, org };
  }

  /** The first user, owner of a new org; E_SETUP_DONE once any user exists. */
  async createFirstAdmin(input: NewOwnerInput): Promise<{ user: User; org: Org }> {
    if (this.store.hasUsers()) throw new HubError('E_SETUP_DONE', 'setup is done: the hub already has users');
    const created = await this.newOwner(input);
    await this.store.createFirstUser(created.user, created.org);
    return created;
  }

  /** Another user who owns a new org of their own (CLI, demo, tests); E_CONFLICT if the email is taken. */
  async createOwner(input: NewOwnerInput): Promise<{ user: User; org: Org }> {
    if (this.store.userByEmail(input.email)) throw new HubError('E_CONFLICT', `a user with email ${normalizeEmail(input.email)} exists`);
    const { user, org } = await this.newOwner(input);
    await this.store.createUser(user);
    await this.store.createOrg(org, user.id);
    return { user, org };
  }

  /** The user with this email and password; a wrong password and an unknown email look and cost the same. */
  async checkLogin(email: string, password: string): Promise<User> {
    const user = this.store.userByEmail(email);
    if (!(await verifyPassword(password, user?.passwordHash)) || !user) throw new HubError('E_AUTH_INVALID', 'wrong email or password');
    return user;
  }

  userView(userId: string): UserView | null {
    const u = this.store.userById(userId);
    return u ? { id: u.id, email: u.email, name: u.name } : null;
  }

  orgsOf(userId: string): OrgView[] {
    const out: OrgView[] = [];
    for (const m of this.store.membershipsOf(userId)) {
      const org = this.store.orgById(m.orgId);
      if (org) out.push({ id: org.id, name: org.name, role: m.role });
    }
    return out;
  }

  orgView(userId: string, orgId: string): OrgView | null {
    const org = this.store.orgById(orgId);
    const role = this.store.roleOf(userId, orgId);
    return org && role ? { id: org.id, name: org.name, role } : null;
  }

  async createOrg(userId: string, name: string): Promise<OrgView> {
    // Any signed-in user may start an org; without a bound one account could grow the accounts
    // file (rewritten whole on every write) without end.
    if (this.orgsOf(userId).filter((o) => o.role === 'owner').length >= MAX_ORGS_OWNED) {
      throw new HubError('E_LIMIT_REACHED', `a user owns at most ${MAX_ORGS_OWNED} orgs`);
    }
    const org: Org = { id: randomUUID(), name: name.trim(), createdAt: this.isoNow() };
    await this.store.createOrg(org, userId);
    return { id: org.id, name: org.name, role: 'owner' };
  }

  async renameOrg(orgId: string, name: string): Promise<void> {
    await this.store.renameOrg(orgId, name.trim());
  }

  listMembers(orgId: string): MemberView[] {
    const out: MemberView[] = [];
    for (const m of this.store.membersOf(orgId)) {
      const u = this.store.userById(m.userId);
      if (u) out.push({ userId: u.id, email: u.email, name: u.name, role: m.role });
    }
    return out;
  }

  /**
   * Adds an existing user (by email) to the caller's org, or creates one with `password`. Any
   * signed-in user may make an org, so an existing account is added only by an owner or admin of
   * an org it is in already, or of the hub's own org: a new org of someone who merely shares an
   * org with it (a viewer there) cannot put itself into its org list and login.
   */
  async addMember(actor: AuthContext, input: { email: string; name?: string | undefined; password?: string | undefined; role: Role }): Promise<MemberView> {
    assertMayGrant(actor, input.role);
    if (this.store.membersOf(actor.orgId).length >= MAX_MEMBERS_PER_ORG) throw new HubError('E_LIMIT_REACHED', `an org has at most ${MAX_MEMBERS_PER_ORG} members`);
    const existing = this.store.userByEmail(input.email);
    if (existing) {
      if (!this.knows(actor.userId, existing.id)) {
        throw new HubError('E_FORBIDDEN', 'you are not an admin of any org this account is in: an admin of one of its orgs, or of the hub, can add it');
      }
      // An existing user's password and name are theirs: adding them to an org never changes either.
      await this.store.addMember(actor.orgId, existing.id, input.role, this.isoNow());
      return { userId: existing.id, email: existing.email, name: existing.name, role: input.role };
    }
    if (input.password === undefined) throw new HubError('E_BAD_REQUEST', 'body/password is required to create a new user (no user has this email)');
    checkPassword(input.password);
    const email = normalizeEmail(input.email);
    const user: User = { id: randomUUID(), email, name: input.name?.trim() || defaultName(email), passwordHash: await hashPassword(input.password), createdAt: this.isoNow() };
    await this.store.createUser(user, { orgId: actor.orgId, role: input.role });
    return { userId: user.id, email: user.email, name: user.name, role: input.role };
  }

  async setRole(actor: AuthContext, userId: string, role: Role): Promise<MemberView> {
    const current = this.memberOf(actor.orgId, userId);
    assertMayGrant(actor, role);
    assertMayChange(actor, current);
    await this.store.setRole(actor.orgId, userId, role);
    const u = this.store.userById(userId)!;
    return { userId, email: u.email, name: u.name, role };
  }

  async removeMember(actor: AuthContext, userId: string): Promise<void> {
    assertMayChange(actor, this.memberOf(actor.orgId, userId));
    await this.store.removeMember(actor.orgId, userId);
  }

  /** Whether `userId` administers an org `other` is in, or the hub's own org. */
  private knows(userId: string, other: string): boolean {
    const administers = (orgId: string | undefined) => {
      const role = orgId === undefined ? undefined : this.store.roleOf(userId, orgId);
      return role === 'owner' || role === 'admin';
    };
    return administers(this.store.firstOrgId()) || this.store.membershipsOf(other).some((m) => administers(m.orgId));
  }

  private memberOf(orgId: string, userId: string): Role {
    const role = this.store.roleOf(userId, orgId);
    if (!role) throw notFound('member');
    return role;
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new HubError('E_BAD_REQUEST', `password must have at least ${MIN_PASSWORD_LENGTH} characters`);
}

function defaultName(email: string): string {
  return email.split('@')[0] || email;
}

// Only an owner makes owners: otherwise an admin could promote themselves past their role.
function assertMayGrant(actor: AuthContext, role: Role): void {
  if (role === 'owner' && actor.role !== 'owner') throw new HubError('E_FORBIDDEN', 'only an owner may grant the owner role');
}

function assertMayChange(actor: AuthContext, targetRole: Role): void {
  if (targetRole === 'owner' && actor.role !== 'owner') throw new HubError('E_FORBIDDEN', 'only an owner may change or remove an owner');
}
