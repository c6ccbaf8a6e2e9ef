// Every request the hub refuses or fails, counted by route and code, in one place: each limit and
// check answers with its own code (E_RATE_LIMITED, E_LOGIN_THROTTLED, E_TOO_LARGE, E_CONFLICT...),
// and an operator reads on /metrics which of them turn people away, without one counter per check.

import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';

/** An error body's code, which the hub's error replies all put first after the status (`{"statusCode":429,"code":"E_RATE_LIMITED",...`). */
const BODY_CODE = /^\{"statusCode":\d{3},"code":"(E_[A-Z0-9_]{1,40})"/;

/**
 * Counts every answer of 400 or above as `unibos_hub_requests_refused_total{route, code}`: the
 * route as registered (`/api/v1/nodes/:id`, not the URL asked for, so the labels stay few;
 * `unmatched` for a path no route has), and the code its body carried (the error handler's, the
 * not-found handler's, or a route's own error reply), else `http_<status>`.
 */
export function countRefusals(app: FastifyInstance): void {
  const refused = new Counter({
    name: 'unibos_hub_requests_refused_total',
    help: 'HTTP requests answered with an error (4xx refused, 5xx failed), by route and code',
    labelNames: ['route', 'code'] as const,
    registers: [app.metrics],
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400) {
      const code = typeof payload === 'string' ? BODY_CODE.exec(payload)?.[1] : undefined;
      refused.inc({ route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'), code: code ?? `http_${reply.statusCode}` });
    }
    done(null, payload);
  });
}
