// Prometheus metrics of the /ws event stream, registered once on the hub's registry.

import { Counter, Gauge, type Registry } from 'prom-client';

export type CloseReason = 'auth_failed' | 'too_many_streams' | 'slow_consumer' | 'ping_timeout' | 'client';

export interface EventStreamMetrics {
  /** Authenticated streams open now. */
  open: Gauge;
  /** Connection attempts by outcome. */
  connections: Counter<'result'>;
  /** Event frames written to clients (replay and live). */
  sent: Counter;
  /** Events a client should have had but did not get because it was closed as a slow consumer. */
  dropped: Counter;
  /** Streams ended, by why. */
  closed: Counter<'reason'>;
}

export function eventStreamMetrics(registry: Registry): EventStreamMetrics {
  // A second app on the same registry (tests, benches) reuses the metrics instead of failing.
  const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    open: reuse('unibos_ws_open_streams', () => new Gauge({ name: 'unibos_ws_open_streams', help: 'Authenticated /ws event streams open now', registers })),
    connections: reuse('unibos_ws_connections_total', () => new Counter({ name: 'unibos_ws_connections_total', help: '/ws connection attempts by result (accepted, auth_failed, hub_full, too_many_streams)', labelNames: ['result'] as const, registers })),
    sent: reuse('unibos_ws_events_sent_total', () => new Counter({ name: 'unibos_ws_events_sent_total', help: 'Event frames sent to /ws clients, replayed and live', registers })),
    dropped: reuse('unibos_ws_events_dropped_total', () => new Counter({ name: 'unibos_ws_events_dropped_total', help: 'Events not delivered because the client was closed as a slow consumer', registers })),
    closed: reuse('unibos_ws_closed_total', () => new Counter({ name: 'unibos_ws_closed_total', help: '/ws streams ended, by reason', labelNames: ['reason'] as const, registers })),
  };
}
