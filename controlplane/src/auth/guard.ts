// The preHandler every protected route uses: authenticate, then check one permission (none: any
// valid caller, e.g. /me for a key scoped to 'send' only).

import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../hub-error.ts';
import { can, type Permission } from './auth-context.ts';
import type { AuthServices } from './auth-services.ts';

export type Guard = (permission?: Permission) => (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function createGuard(auth: AuthServices): Guard {
  return (permission) => async (request) => {
    const ctx = request.auth ?? (await auth.authenticate(request));
    if (!ctx) throw new HubError('E_AUTH_REQUIRED', 'authentication required: send Authorization: Bearer <access token or API key>');
    request.auth = ctx;
    if (permission !== undefined && !can(ctx, permission)) throw new HubError('E_FORBIDDEN', `this ${ctx.kind === 'apiKey' ? 'API key' : 'role'} may not ${permission}`);
  };
}
