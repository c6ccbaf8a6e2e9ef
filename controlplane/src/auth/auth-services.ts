// PLACEHOLDER owned by the auth work: accounts, sessions, API keys. Replaced by the real implementation.

import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { HubConfig } from '../hub-config.ts';
import type { HubDb } from '../storage/hub-db.ts';
import type { AuthContext } from './auth-context.ts';

export interface AuthServices {
  /** The caller from `Authorization: Bearer <access JWT | API key>`; null when the header is absent; throws HubError E_AUTH_* when it is present but not valid. */
  authenticate(request: FastifyRequest): Promise<AuthContext | null>;
  /** The same for a bare token (the /ws `token` query parameter). */
  authenticateToken(token: string): Promise<AuthContext>;
  /** Whether any user exists yet (before the first, the hub offers its one-time setup link). */
  hasUsers(): boolean;
  /** Orgs ids a user belongs to (used when a device claim names no org). */
  close(): Promise<void>;
}

export interface AuthServicesOptions {
  db: HubDb;
  config: HubConfig;
  logger: Logger;
  now?: () => number;
}

export async function createAuthServices(_options: AuthServicesOptions): Promise<AuthServices> {
  throw new Error('not built yet');
}
