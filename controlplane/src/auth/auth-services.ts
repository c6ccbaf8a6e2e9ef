// The hub's accounts and sessions as one service: who a bearer token belongs to (access JWT or
// API key, with the role re-read from the store on every request), logins, refresh-token
// rotation, the first-admin setup, and the org/member/API-key operations behind the routes.

import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { normalizeEmail, type AccountStore } from '../accounts/account-store.ts';
import { Accounts, type NewOwnerInput, type OrgView, type UserView } from '../accounts/accounts.ts';
import { openLowdbAccountStore } from '../accounts/lowdb-account-store.ts';
import { primeDecoyHash } from '../accounts/password-hash.ts';
import type { HubConfig } from '../hub-config.ts';
import { HubError, notFound } from '../hub-error.ts';
import type { HubDb } from '../storage/hub-db.ts';
import { AccessTokens, loadJwtKey } from './access-token.ts';
import { ApiKeys, isApiKey } from './api-keys.ts';
import { ROLE_PERMISSIONS, type AuthContext, type Permission } from './auth-context.ts';
import { KnownDevices } from './known-devices.ts';
import { LoginThrottle, type LoginThrottlePolicy } from './login-throttle.ts';
import { RefreshTokens } from './refresh-tokens.ts';
import { SetupTokens } from './setup-token.ts';

export { createFirstAdmin, type CreateFirstAdminOptions } from '../accounts/first-admin.ts';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn: number;
  user: UserView;
  org: OrgView;
  orgs: OrgView[];
  /** After a password login: proof that this device logged in before, to send with later logins (they then skip the per-account lock). */
  deviceToken?: string;
}

export interface AuthServices {
  /** The caller from `Authorization: Bearer <access JWT | API key>`; null when the header is absent; throws HubError E_AUTH_* when it is present but not valid. */
  authenticate(request: FastifyRequest): Promise<AuthContext | null>;
  /** The same for a bare token (the /ws `token` query parameter). */
  authenticateToken(token: string): Promise<AuthContext>;
  /** Whether any user exists yet (before the first, the hub offers its one-time setup link). */
  hasUsers(): boolean;
  /** Orgs ids a user belongs to (used when a device claim names no org). */
  orgIdsOf(userId: string): string[];
  /** Whether an org with this id exists. */
  hasOrg(orgId: string): boolean;
  /**
   * The hub's own org: the first, made at setup. What is the whole hub's, not one org's (its
   * modules and their settings), is for this org's admins to change; other orgs' users, who may
   * have made their orgs themselves, only see it.
   */
  hubOrgId(): string | undefined;
  /** id, email and name of a user (e.g. who acknowledged an alert); null if unknown. */
  userView(userId: string): UserView | null;
  /** The one-time setup token while no user exists (print it as <url>/#setup=<token>); null once set up. */
  setupToken(): string | null;
  /** Users, orgs and memberships. */
  accounts: Accounts;
  apiKeys: ApiKeys;

  setup(input: NewOwnerInput & { token: string }): Promise<Session>;
  /** Throws LoginThrottledError (429) while the account is locked by failures, unless `deviceToken` proves an earlier login to it. */
  login(email: string, password: string, deviceToken?: string): Promise<Session>;
  refresh(refreshToken: string): Promise<Session>;
  logout(refreshToken: string): void;
  switchOrg(auth: AuthContext, orgId: string): Session;
  /** A new session (new refresh-token family) for a user in one of their orgs (default: their first). */
  issueSession(userId: string, orgId?: string): Session;
  /** Creates a user who owns a new org (for the CLI, the demo and tests). */
  createOwner(input: NewOwnerInput): Promise<{ userId: string; orgId: string }>;
  close(): Promise<void>;
}

export interface AuthServicesOptions {
  db: HubDb;
  config: HubConfig;
  logger: FastifyBaseLogger;
  now?: () => number;
  /** Another accounts repository (default: lowdb at <dataDir>/accounts.json). */
  store?: AccountStore;
  /** Per-account login protection (default LOGIN_THROTTLE_DEFAULTS). */
  loginThrottle?: LoginThrottlePolicy;
}

export async function createAuthServices(options: AuthServicesOptions): Promise<AuthServices> {
  const { db, config, logger } = options;
  const now = options.now ?? Date.now;
  void primeDecoyHash();
  const store = options.store ?? (await openLowdbAccountStore(config.dataDir));
  const accounts = new Accounts(store, now);
  const access = new AccessTokens(loadJwtKey(config.dataDir), config.accessTokenTtlS, now);
  const refreshTokens = new RefreshTokens(db, config.refreshTokenTtlS, now);
  const apiKeys = new ApiKeys(store, now, logger);
  const setupTokens = new SetupTokens(db, now);
  const throttle = new LoginThrottle(db, now, options.loginThrottle);
  const knownDevices = new KnownDevices(db, now);
  if (store.hasUsers()) setupTokens.clear();
  else setupTokens.issue();

  /** A password login: the account's lock, the password, a session and a device token. */
  const tryLogin = async (email: string, password: string, deviceToken: string | undefined): Promise<Session & { deviceToken: string }> => {
    const claimed = store.userByEmail(email);
    const known = deviceToken !== undefined && claimed !== undefined && knownDevices.proves(deviceToken, claimed.id);
    // A known device neither waits for nor adds to the account's lock: the failures that caused
    // it came from somewhere else.
    if (!known) throttle.check(email);
    let user;
    try {
      user = await accounts.checkLogin(email, password);
    } catch (err) {
      if (!known && err instanceof HubError && err.code === 'E_AUTH_INVALID') throttle.failed(email);
      throw err;
    }
    if (known) knownDevices.renew(deviceToken);
    else throttle.succeeded(email);
    return { ...issueSession(user.id), deviceToken: known ? deviceToken : knownDevices.issue(user.id) };
  };
  /** Each account's login tries, one after another (login below). */
  const loginQueue = new Map<string, Promise<unknown>>();

  const issueSession = (userId: string, orgId?: string): Session => {
    const user = accounts.userView(userId);
    if (!user) throw new HubError('E_AUTH_INVALID', 'unknown user');
    const orgs = accounts.orgsOf(userId);
    const org = orgId ? orgs.find((o) => o.id === orgId) : orgs[0];
    if (!org) throw orgId ? notFound('org') : new HubError('E_FORBIDDEN', 'this account belongs to no org');
    const { token: refreshToken } = refreshTokens.issue(userId, org.id);
    return sessionFor(user, org, orgs, refreshToken);
  };

  const sessionFor = (user: UserView, org: OrgView, orgs: OrgView[], refreshToken: string): Session => {
    const { token, expiresIn } = access.issue(user.id, org.id, org.role);
    return { accessToken: token, refreshToken, expiresIn, user, org, orgs };
  };

  const authenticateToken = async (token: string): Promise<AuthContext> => {
    if (isApiKey(token)) {
      const key = apiKeys.verify(token);
      // A key never outlives or outranks its creator's membership.
      const role = store.roleOf(key.createdBy, key.orgId);
      if (!role) throw new HubError('E_AUTH_INVALID', 'invalid API key: its creator left the org');
      const allowed = ROLE_PERMISSIONS[role];
      const permissions: Permission[] = key.scopes.filter((s) => allowed.includes(s));
      return { kind: 'apiKey', userId: key.createdBy, apiKeyId: key.id, orgId: key.orgId, role, permissions };
    }
    const claims = access.verify(token);
    // The token's role is only a hint: the current membership decides, so a removed or demoted
    // member loses access on their next request rather than when the token expires.
    const role = store.roleOf(claims.sub, claims.org);
    if (!role) throw new HubError('E_AUTH_INVALID', 'invalid access token: no longer a member of this org');
    return { kind: 'user', userId: claims.sub, orgId: claims.org, role, permissions: ROLE_PERMISSIONS[role] };
  };

  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return null;
      const m = /^Bearer +(\S+) *$/i.exec(header);
      if (!m) throw new HubError('E_AUTH_INVALID', 'Authorization must be "Bearer <access token or API key>"');
      return authenticateToken(m[1]!);
    },
    authenticateToken,
    hasUsers: () => store.hasUsers(),
    orgIdsOf: (userId) => store.membershipsOf(userId).map((m) => m.orgId),
    hasOrg: (orgId) => store.orgById(orgId) !== undefined,
    hubOrgId: () => store.firstOrgId(),
    userView: (userId) => accounts.userView(userId),
    setupToken: () => (store.hasUsers() ? null : setupTokens.current()),
    accounts,
    apiKeys,

    async setup(input) {
      if (store.hasUsers()) throw new HubError('E_SETUP_DONE', 'setup is done: log in instead');
      const check = setupTokens.check(input.token);
      if (check !== 'ok') throw new HubError(check === 'expired' ? 'E_AUTH_EXPIRED' : 'E_AUTH_INVALID', check === 'expired' ? 'setup token expired: restart the hub for a new link' : 'invalid setup token');
      const { user, org } = await accounts.createFirstAdmin(input);
      setupTokens.clear();
      logger.info({ userId: user.id, orgId: org.id }, 'first admin created');
      return issueSession(user.id, org.id);
    },

    async login(email, password, deviceToken) {
      // One try at a time per account: the lock is checked before the password hash and counted
      // after it, so tries sent all at once would otherwise all pass the check.
      const account = normalizeEmail(email);
      const run = (loginQueue.get(account) ?? Promise.resolve()).then(() => tryLogin(email, password, deviceToken));
      const settled = run.catch(() => {});
      loginQueue.set(account, settled);
      try {
        return await run;
      } finally {
        if (loginQueue.get(account) === settled) loginQueue.delete(account);
      }
    },

    async refresh(refreshToken) {
      const { grant, token } = refreshTokens.rotate(refreshToken, ({ userId, orgId }) => {
        // Stay in the session's org while still a member, else fall back to another of the user's orgs.
        if (store.roleOf(userId, orgId)) return orgId;
        return store.membershipsOf(userId)[0]?.orgId ?? null;
      });
      const user = accounts.userView(grant.userId);
      const orgs = accounts.orgsOf(grant.userId);
      const org = orgs.find((o) => o.id === grant.orgId);
      if (!user || !org) throw new HubError('E_AUTH_INVALID', 'invalid refresh token: log in again');
      return sessionFor(user, org, orgs, token);
    },

    logout(refreshToken) {
      refreshTokens.revoke(refreshToken);
    },

    switchOrg(auth, orgId) {
      if (auth.kind !== 'user') throw new HubError('E_FORBIDDEN', 'an API key is bound to its org');
      return issueSession(auth.userId, orgId);
    },

    issueSession,

    async createOwner(input) {
      const { user, org } = await accounts.createOwner(input);
      return { userId: user.id, orgId: org.id };
    },

    async close() {
      await apiKeys.close();
      if (!options.store) await store.close();
    },
  };
}
