// The events feature: the org event log every feature appends to (typed by HubEventType, its
// topic taken from HUB_EVENT_TOPIC) and the /ws stream that replays and pushes it.

import fp from 'fastify-plugin';
import { EventLog } from './event-log.ts';
import { eventStreamRoutes } from './event-routes.ts';
import type { EventStreamOptions } from './event-stream-session.ts';

export interface EventsOptions {
  /** Stream tuning (keepalive period, send-buffer limit, replay paging); defaults otherwise. */
  stream?: Partial<EventStreamOptions>;
}

declare module 'fastify' {
  interface FastifyInstance {
    events: EventLog;
  }
}

export const eventsPlugin = fp<EventsOptions>(
  async (app, options) => {
    const events = new EventLog(app.db, { now: app.now });
    app.decorate('events', events);
    await app.register(eventStreamRoutes, {
      log: events,
      authenticateToken: (token) => app.auth.authenticateToken(token),
      metrics: app.metrics,
      limits: { maxStreams: app.config.maxStreams, maxStreamsPerUser: app.config.maxStreamsPerUser },
      ...(options.stream ? { stream: options.stream } : {}),
    });
  },
  { name: 'hub-events', dependencies: ['hub-platform', 'hub-accounts'], decorators: { fastify: ['db', 'now', 'metrics', 'auth', 'config'] } },
);
