// The accounts feature: users, orgs, sessions and API keys (auth-services.ts) with their routes,
// and the guard every protected route of every feature uses. Both are shared on purpose.

import fp from 'fastify-plugin';
import { authRoutes } from './auth-routes.ts';
import { createAuthServices, type AuthServices } from './auth-services.ts';
import { createGuard, type Guard } from './guard.ts';

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthServices;
    /** `preHandler: app.guard('read')`: authenticates the caller and checks one permission. */
    guard: Guard;
  }
}

export const authPlugin = fp(
  async (app) => {
    const auth = await createAuthServices({ db: app.db, config: app.config, logger: app.log.child({ component: 'auth' }), now: app.now });
    const guard = createGuard(auth);
    app.decorate('auth', auth);
    app.decorate('guard', guard);
    app.decorateRequest('auth', null);
    app.addHook('onClose', async () => auth.close());
    await app.register(authRoutes, { auth, guard, now: app.now });
  },
  { name: 'hub-accounts', dependencies: ['hub-platform'], decorators: { fastify: ['db', 'config', 'now'] } },
);
