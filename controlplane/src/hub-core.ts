// The hub's data services, wired together: fleet, records, sensors, alerts, downlink messages,
// and the ingest that feeds them from the hub broker. Routes and the broker use these.

import type { Logger } from 'pino';
import { AlertStore } from './alerts/alert-store.ts';
import type { EventLog } from './events/event-log.ts';
import { DeviceCredentials } from './fleet/device-credentials.ts';
import { FleetStore } from './fleet/fleet-store.ts';
import { OfflineSweeper } from './fleet/offline-sweeper.ts';
import type { HubConfig } from './hub-config.ts';
import { HubIngest } from './ingest/hub-ingest.ts';
import { RecordStore } from './ingest/record-store.ts';
import { SensorStore } from './ingest/sensor-store.ts';
import { UplinkDedup } from './ingest/uplink-dedup.ts';
import { Downlink, type GatewayLink } from './messages/downlink.ts';
import { MessageStore } from './messages/message-store.ts';
import type { HubDb } from './storage/hub-db.ts';

export interface HubCore {
  fleet: FleetStore;
  credentials: DeviceCredentials;
  records: RecordStore;
  sensors: SensorStore;
  alerts: AlertStore;
  messages: MessageStore;
  downlink: Downlink;
  ingest: HubIngest;
  sweeper: OfflineSweeper;
  /** Set once the broker is up; until then downlinks stay queued. */
  setGatewayLink(link: GatewayLink & { connectedGateways(): Array<{ orgId: string; id: string }> }): void;
}

export function createHubCore(o: { db: HubDb; events: EventLog; config: HubConfig; logger: Logger; now: () => number }): HubCore {
  const offlineAfterMs = o.config.offlineAfterS * 1000;
  const fleet = new FleetStore(o.db, (err) => o.logger.error({ err }, 'writing heartbeats failed; kept for the next try'));
  const records = new RecordStore(o.db);
  const sensors = new SensorStore(o.db);
  const alerts = new AlertStore(o.db);
  const messages = new MessageStore(o.db);
  let link: (GatewayLink & { connectedGateways(): Array<{ orgId: string; id: string }> }) | null = null;
  const downlink = new Downlink({
    store: messages,
    fleet,
    events: o.events,
    now: o.now,
    heardWithinMs: Math.max(offlineAfterMs, 24 * 3600_000),
    alerts,
    link: { isConnected: (org, id) => link?.isConnected(org, id.replace(/^!/, '')) ?? false, publishTx: (org, id, p) => link?.publishTx(org, id.replace(/^!/, ''), p) },
  });
  const ingest = new HubIngest({
    records,
    sensors,
    alerts,
    fleet,
    dedup: new UplinkDedup(o.db),
    events: o.events,
    downlink,
    logger: o.logger.child({ component: 'ingest' }),
    now: o.now,
    dedupWindowMs: o.config.dedupWindowMs,
    offlineAfterMs,
    transaction: (fn) => o.events.batch(() => o.db.transaction(fn)()),
  });
  const sweeper = new OfflineSweeper({
    offlineAfterMs,
    now: o.now,
    sweep: (cutoff) => fleet.sweepOffline(cutoff),
    touchConnected: (now) => {
      for (const g of link?.connectedGateways() ?? []) ingest.gatewaySeen(g.orgId, `!${g.id}`, now);
    },
    announce: (orgId, id) => ingest.nodeEvent(orgId, id, 'node.offline'),
    onError: (err) => o.logger.error({ err }, 'offline sweep failed'),
  });
  return {
    fleet,
    credentials: new DeviceCredentials(o.db),
    records,
    sensors,
    alerts,
    messages,
    downlink,
    ingest,
    sweeper,
    setGatewayLink: (l) => {
      link = l;
    },
  };
}
