// PLACEHOLDER owned by the event-stream work.
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
export async function eventRoutes(_app: FastifyInstance, _deps: RouteDeps): Promise<void> {}
