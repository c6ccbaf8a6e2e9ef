// GET /ws: the org's event stream over a WebSocket (protocol in docs/api.md, "Event stream").
// The route only validates the query and hands the socket to an EventStreamSession.

import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { EventFanout } from './event-fanout.ts';
import { eventStreamMetrics } from './event-stream-metrics.ts';
import { EVENT_STREAM_DEFAULTS, EventStreamSession, type EventStreamOptions } from './event-stream-session.ts';

interface StreamQuery {
  token?: string;
  since?: number;
}

/** The /ws plugin with its tuning (keepalive period, send-buffer limit, replay paging). */
export function createEventRoutes(overrides: Partial<EventStreamOptions> = {}): (app: FastifyInstance, deps: RouteDeps) => Promise<void> {
  const options: EventStreamOptions = { ...EVENT_STREAM_DEFAULTS, ...overrides };
  return async (app, { services }) => {
    const logger = services.logger.child({ component: 'event-stream' });
    const metrics = eventStreamMetrics(services.metrics);
    const fanout = new EventFanout(services.events, (err) => logger.error({ err }, 'event stream: delivery failed'));
    app.addHook('onClose', async () => fanout.close());

    app.get<{ Querystring: StreamQuery }>(
      '/ws',
      {
        websocket: true,
        schema: {
          summary: 'Event stream (WebSocket): hello, replay after `since`, then live events of the caller\u2019s org',
          querystring: {
            type: 'object',
            properties: {
              token: { type: 'string', description: 'access token or API key (needs read); a missing or bad one closes with 4001' },
              since: { type: 'integer', minimum: 0, description: 'last event id seen; events after it are replayed first' },
            },
          },
        },
      },
      (socket, request) => {
        const session = new EventStreamSession(socket, { log: services.events, fanout, authenticateToken: (token) => services.auth.authenticateToken(token), metrics, logger, options });
        session.start(request.query.token, request.query.since).catch((err: unknown) => {
          logger.error({ err }, 'event stream: session failed');
          socket.terminate();
        });
      },
    );
  };
}

export const eventRoutes = createEventRoutes();
