// The hub's own Prometheus metrics, read when scraped: fleet, ingest, broker, event log.

import { Gauge, type Registry } from 'prom-client';
import type { GatewayLink } from '../broker/gateway-link.ts';
import type { EventLog } from '../events/event-log.ts';
import { CLAIM_REFUSALS } from '../fleet/device-credentials.ts';
import type { Fleet } from '../fleet/fleet.ts';
import { INGEST_DROP_REASONS, type IngestStats } from '../ingest/ingest-dispatcher.ts';
import type { SensorHistory } from '../sensors/sensor-history.ts';

export interface HubMetricSources {
  fleet: Pick<Fleet, 'store' | 'credentials'>;
  ingest: { stats: IngestStats };
  gateways: Pick<GatewayLink, 'stats'>;
  events: Pick<EventLog, 'lastId'>;
  sensorHistory: SensorHistory;
}

export function registerHubMetrics(registry: Registry, { fleet, ingest: { stats: ingest }, gateways, events, sensorHistory }: HubMetricSources): void {
  const gauge = (name: string, help: string, collect: (g: Gauge) => void, labelNames: string[] = []): void => {
    registry.registerMetric(new Gauge({ name, help, labelNames, registers: [], collect() { collect(this); } }));
  };
  const broker = () => gateways.stats;
  gauge('unibos_hub_nodes', 'Nodes and gateways known, by state', (g) => {
    const c = fleet.store.counts();
    g.set({ state: 'online' }, c.online);
    g.set({ state: 'offline' }, c.total - c.online);
  }, ['state']);
  gauge('unibos_hub_ingest_stored_total', 'Gateway messages stored', (g) => g.set(ingest.stored));
  gauge('unibos_hub_ingest_live_only_total', 'Gateway messages raised live but not stored: sensor data at the data disk\u2019s reserve with no room kept for it', (g) => g.set(ingest.liveOnly));
  gauge('unibos_hub_ingest_duplicates_total', 'Gateway messages dropped as repeats of a delivered id', (g) => g.set(ingest.duplicates));
  gauge('unibos_hub_ingest_dropped_total', 'Gateway messages dropped, by reason', (g) => {
    for (const r of INGEST_DROP_REASONS) g.set({ reason: r }, ingest.drops[r]);
  }, ['reason']);
  gauge('unibos_hub_gateways_connected', 'Gateways connected to the hub broker', (g) => g.set(broker()?.connected ?? 0));
  gauge('unibos_hub_broker_auth_failures_total', 'Refused hub broker connections', (g) => g.set(broker()?.authFailures ?? 0));
  gauge('unibos_hub_broker_denied_total', 'Publishes and subscriptions the hub broker denied', (g) => g.set(broker()?.denied ?? 0));
  gauge('unibos_hub_broker_store_failures_total', 'Gateway publishes not acknowledged because storing them failed', (g) => g.set(broker()?.storeFailures ?? 0));
  gauge('unibos_hub_broker_oversized_total', 'Hub broker connections cut because a packet (a CONNECT included) declared more bytes than allowed', (g) => g.set(broker()?.oversized ?? 0));
  gauge('unibos_hub_broker_malformed_total', 'Hub broker connections cut because the stream was not MQTT', (g) => g.set(broker()?.malformed ?? 0));
  gauge('unibos_hub_broker_connections_shed_total', 'Hub broker sockets dropped by the connection limits (oldest unauthenticated, or past the total)', (g) => g.set(broker()?.shed ?? 0));
  gauge('unibos_hub_device_claims_total', 'Device claims, by outcome (accepted, or the reason it was refused)', (g) => {
    const c = fleet.credentials.claimStats;
    g.set({ outcome: 'accepted' }, c.accepted);
    for (const r of CLAIM_REFUSALS) g.set({ outcome: r }, c.refused[r]);
  }, ['outcome']);
  gauge('unibos_hub_fleet_forgotten_total', 'Heard, unclaimed nodes forgotten to keep an org within maxHeardNodes', (g) => g.set(fleet.store.forgotten));
  gauge('unibos_hub_last_event_id', 'Newest event id', (g) => g.set(events.lastId()));
  gauge('unibos_hub_sensor_readings_replaced_total', 'Sensor readings deleted for a new reading of their metric to take their place, the data disk being at sensorMinFreeBytes', (g) => g.set(sensorHistory.replaced));
  gauge('unibos_hub_sensor_readings_not_kept_total', 'Sensor readings not kept for charts, the data disk being at sensorMinFreeBytes: older than their metric\u2019s oldest kept, larger than 64 of them, or of a metric first reported then (not stored at all)', (g) => g.set(sensorHistory.notKept));
  gauge('unibos_hub_data_disk_free_bytes', 'Free bytes on the data disk, as last measured less what readings took since (-1: not measured)', (g) => g.set(sensorHistory.reserve.freeBytes ?? -1));
}
