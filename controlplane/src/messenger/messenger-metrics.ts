// Prometheus counters of the messenger: what it refused and why (size limits, bad encoding,
// stale recipient lists), and what it relayed and expired.

import { Counter, type Registry } from 'prom-client';

export type MessengerRefusal = 'too_large' | 'bad_encoding' | 'devices_changed' | 'attachment_too_large' | 'bad_bundle' | 'limit_reached';

export interface MessengerMetrics {
  refused: Counter<'reason'>;
  relayed: Counter<'kind'>;
  expired: Counter;
  /** Mesh direct messages not filed, by reason (bad_payload, unknown_device, own_echo). */
  meshDropped: Counter<'reason'>;
}

export function messengerMetrics(registry: Registry): MessengerMetrics {
  // A second app on the same registry (tests, benches) reuses the metrics instead of failing.
  const reuse = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    refused: reuse('unibos_messenger_refused_total', () => new Counter({ name: 'unibos_messenger_refused_total', help: 'Messenger requests refused, by reason', labelNames: ['reason'] as const, registers })),
    relayed: reuse('unibos_messenger_relayed_total', () => new Counter({ name: 'unibos_messenger_relayed_total', help: 'Messenger messages stored and relayed, by kind', labelNames: ['kind'] as const, registers })),
    expired: reuse('unibos_messenger_expired_total', () => new Counter({ name: 'unibos_messenger_expired_total', help: 'Messenger messages deleted at their expiry', registers })),
    meshDropped: reuse('unibos_messenger_mesh_dropped_total', () => new Counter({ name: 'unibos_messenger_mesh_dropped_total', help: 'Mesh direct messages the hub did not file, by reason', labelNames: ['reason'] as const, registers })),
  };
}
