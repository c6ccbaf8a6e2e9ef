// PLACEHOLDER owned by the admin UI work.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
export async function uiRoutes(_app: FastifyInstance, _deps: RouteDeps): Promise<void> {}
