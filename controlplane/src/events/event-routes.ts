// GET /ws: the org's event stream over a WebSocket (protocol in docs/api.md, "Event stream").
// The route only validates the query and hands the socket to an EventStreamSession.

import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { AuthContext } from '../auth/auth-context.ts';
import type { EventLog } from './event-log.ts';
import { EventFanout } from './event-fanout.ts';
import { eventStreamMetrics } from './event-stream-metrics.ts';
import { CLOSE_TRY_AGAIN_LATER } from './event-stream-messages.ts';
import { EVENT_STREAM_DEFAULTS, EventStreamSession, type EventStreamOptions } from './event-stream-session.ts';
import { StreamLimits, type StreamLimitOptions } from './stream-limits.ts';

interface StreamQuery {
  token?: string;
  since?: number;
}

export interface EventStreamRoutesOptions {
  log: Pick<EventLog, 'after' | 'lastId' | 'subscribe'>;
  authenticateToken: (token: string) => Promise<AuthContext>;
  metrics: Registry;
  limits: StreamLimitOptions;
  stream?: Partial<EventStreamOptions>;
}

export const eventStreamRoutes: FastifyPluginAsync<EventStreamRoutesOptions> = async (app, o) => {
  const options: EventStreamOptions = { ...EVENT_STREAM_DEFAULTS, ...o.stream };
  const logger = app.log.child({ component: 'event-stream' });
  const metrics = eventStreamMetrics(o.metrics);
  const limits = new StreamLimits(o.limits);
  const fanout = new EventFanout(o.log, (err) => logger.error({ err }, 'event stream: delivery failed'));
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
      if (!limits.admit()) {
        metrics.connections.inc({ result: 'hub_full' });
        socket.close(CLOSE_TRY_AGAIN_LATER, 'the hub holds its most event streams: try again later');
        return;
      }
      const session = new EventStreamSession(socket, { log: o.log, fanout, authenticateToken: o.authenticateToken, metrics, logger, options, limits });
      session.start(request.query.token, request.query.since).catch((err: unknown) => {
        logger.error({ err }, 'event stream: session failed');
        socket.terminate();
      });
    },
  );
};
