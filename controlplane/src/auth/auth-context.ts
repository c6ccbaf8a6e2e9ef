// Who is calling and what they may do in which org. Every org-owned resource is looked up with
// the caller's orgId, so another org's resource answers 404, never 403.

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs. read: fleet, records, sensors, events, alerts, messages.
 * send: downlink texts and alerts. alerts: acknowledge/resolve SOS and alerts.
 * fleet: claim tokens, rename/remove devices. members: users, roles, API keys. org: the org itself.
 */
export const PERMISSIONS = ['read', 'send', 'alerts', 'fleet', 'members', 'org'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  member: ['read', 'send', 'alerts'],
  admin: ['read', 'send', 'alerts', 'fleet', 'members'],
  owner: ['read', 'send', 'alerts', 'fleet', 'members', 'org'],
};

export interface AuthContext {
  kind: 'user' | 'apiKey';
  /** The user, or the user who created the API key. */
  userId: string;
  apiKeyId?: string;
  orgId: string;
  role: Role;
  /** For a user, the role's permissions; for an API key, its scopes (never beyond its creator's role). */
  permissions: readonly Permission[];
}

export function can(auth: AuthContext, permission: Permission): boolean {
  return auth.permissions.includes(permission);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin for a request with a valid access token or API key. */
    auth: AuthContext | null;
  }
}
