// `unibos gateway` as a library call: a firmware node in the GATEWAY role (it acknowledges SOS),
// plus the embedded broker, the mesh<->MQTT bridge and, when a hub is configured, the durable
// uplink. Started in that order, stopped in reverse; SIGTERM drains what it can to the hub.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Gauge, Registry } from 'prom-client';
import { Device, runNode, scrapedGauge, type NodeConfig, type RunningNode } from '@unibos/firmware';
import { formatMode, makePrivate, nodeIdHex, sqliteFileNames, topics, type ModeFix } from '@unibos/mesh-protocol';
import { DeviceCredentials, GatewayBroker } from './broker/index.ts';
import { HubOutbox, HubUplink, UplinkError } from './uplink/index.ts';
import { MeshBridge } from './bridge/mesh-bridge.ts';
import { readAclFile } from './broker/acl-file.ts';
import { ProfileRouter, type ReadingSink, type UplinkMessage } from './profiles/profile-router.ts';
import { SwitchCommander } from './profiles/switch-commander.ts';
import { FAMILY_PROFILES, genericProfile } from './profiles/device-profiles.ts';
import { GatewayError } from './gateway-error.ts';

export interface GatewaySettings {
  /** Address the MQTT listeners bind to (127.0.0.1 unless sensors on the LAN must reach it). */
  mqttHost: string;
  mqttPort: number;
  /** null = no MQTT over WebSocket. */
  wsPort: number | null;
  allowAnonymous: boolean;
  /** Topic rules for devices' own topic trees, in mosquitto's ACL file format (broker/topic-rules.ts). */
  aclFile?: string | undefined;
  /** Topic patterns read by the generic JSON/number profile, e.g. `home/{device}/{metric}`. */
  genericTopics?: readonly string[] | undefined;
  hub?: { url: string; username?: string; password?: string } | undefined;
}

export interface RunningGateway {
  gatewayId: string;
  node: RunningNode;
  broker: GatewayBroker;
  bridge: MeshBridge;
  uplink: HubUplink | undefined;
  outbox: HubOutbox;
  stop(): Promise<void>;
}

/**
 * What the bridge and the device profiles hand on for the hub, written to the hub outbox: accepted
 * once committed. A message's readings go in one transaction (one fsync for 256 values, not 256),
 * each one the hub would refuse left out alone.
 */
export function outboxSink(outbox: HubOutbox): Required<ReadingSink> {
  const row = (m: UplinkMessage) => ({ source: m.source, topic: m.topic, payload: m.payload, retain: m.retain ?? false, lane: m.lane, urgency: m.urgency, msgId: m.msgId });
  return {
    forward: (m) => void outbox.add(row(m)),
    forwardMany: (ms) => outbox.addEach(ms.map(row)).flatMap((r, index) => (r instanceof UplinkError ? [{ index, error: r }] : [])),
  };
}

/**
 * The gateway's own database: device credentials and the hub outbox (durable: WAL, FULL sync).
 * Private: the data dir 0700, gateway.db and its -wal and -shm 0600, fixed (and logged) if wider.
 */
export function openGatewayDb(dataDir: string, logger?: Pick<Logger, 'warn'>): Database.Database {
  const files = sqliteFileNames('gateway.db');
  const report = (fixes: ModeFix[]): void => {
    for (const f of fixes) logger?.warn({ path: f.path, oldMode: formatMode(f.oldMode), newMode: formatMode(f.newMode) }, 'gateway data was readable by others: permissions fixed');
  };
  report(makePrivate(dataDir, files, { create: 'gateway.db' }));
  const db = new Database(join(dataDir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  report(makePrivate(dataDir, files));
  return db;
}

export async function runGateway(config: NodeConfig, settings: GatewaySettings, options: { logger: Logger }): Promise<RunningGateway> {
  const logger = options.logger;
  // A bad generic pattern is a configuration error before anything starts, not a half-started gateway.
  const generic = (settings.genericTopics ?? []).map((p) => {
    try {
      return genericProfile(p);
    } catch (err) {
      throw new GatewayError('E_CONFIG', `generic topic pattern '${p}': ${(err as Error).message}`);
    }
  });
  let broker: GatewayBroker | undefined;
  let outbox: HubOutbox | undefined;
  let uplink: HubUplink | undefined;
  let bridge: MeshBridge | undefined;
  let profileRouter: ProfileRouter | undefined;
  const selfReports: NodeJS.Timeout[] = [];
  const node = await runNode({ ...config, role: 'GATEWAY' }, { logger, metrics: (r) => gatewayMetrics(r, () => ({ broker, outbox, uplink, bridge, profiles: profileRouter })) });
  const gatewayId = nodeIdHex(node.device.nodeId);
  const log = logger.child({ gateway: gatewayId });
  const db = openGatewayDb(config.dataDir, log);
  try {
    const credentials = new DeviceCredentials(db);
    broker = await GatewayBroker.start({
      dataDir: config.dataDir,
      credentials,
      gatewayId,
      logger: log.child({ component: 'broker' }),
      host: settings.mqttHost,
      port: settings.mqttPort,
      wsPort: settings.wsPort,
      allowAnonymous: settings.allowAnonymous,
      ...(settings.aclFile ? { topicRules: readAclFile(settings.aclFile) } : {}),
      // Sensor messages are taken exactly once for the hub; without one that would only cost a commit each.
      db: settings.hub ? db : undefined,
    });
    outbox = new HubOutbox(db, { logger: log.child({ component: 'outbox' }) });
    const hubOutbox = outbox;
    if (settings.hub) {
      uplink = new HubUplink({ ...settings.hub, gatewayId, outbox: hubOutbox, logger: log.child({ component: 'uplink' }) });
    }
    const hubSink = uplink ? outboxSink(hubOutbox) : undefined;
    // Devices' own topic trees (Tasmota, ESPHome, Shelly, Zigbee2MQTT, discovery) read into readings for the hub.
    const profiles = new ProfileRouter({
      broker,
      uplink: hubSink,
      logger: log.child({ component: 'profiles' }),
      profiles: [...FAMILY_PROFILES, ...generic],
    });
    profiles.start();
    profileRouter = profiles;
    const activeBroker = broker;
    // What it learnt of devices' switches outlives a restart, in gateway.db.
    const switches = new SwitchCommander({ router: profiles, source: `unibos-${gatewayId}`, publish: (topic, payload) => activeBroker.publish(topic, payload, { qos: 1 }), db, profiles: [...FAMILY_PROFILES, ...generic] });
    const activeBridge = new MeshBridge({
      switches,
      gatewayId,
      device: node.device,
      params: Device.radioParams(config),
      local: broker,
      // Without a hub nothing is kept for one: the outbox would only fill up.
      uplink: hubSink,
      // Taken hub command refs outlive a crash, next to the hub outbox their reports go through.
      db,
      logger: log.child({ component: 'bridge' }),
    });
    bridge = activeBridge;
    broker.subscribe(topics.sensorFilter, (topic, payload, _clientId, msgId) => activeBridge.handleSensor(topic, payload, msgId));
    broker.subscribe(activeBridge.txTopic, (_topic, payload) => void activeBridge.handleTx(payload, 'local'));
    // After the subscriptions: a reading that comes while the store is read still reaches the hub.
    await activeBridge.restore((filter) => activeBroker.retained(filter)).catch((err: Error) => log.warn({ err: err.message }, 'could not take up what earlier runs announced; the bound counts from now'));
    // Devices' discovery configs from earlier runs, each as its login announced it.
    await profiles.restore((filter) => activeBroker.retained(filter)).catch((err: Error) => log.warn({ err: err.message }, 'could not take up the discovery configs devices announced in earlier runs; they are read again when announced'));
    uplink?.onDownlink((topic, payload) => void activeBridge.handleTx(Buffer.from(payload), 'hub'));
    uplink?.start();
    const localStatus = (): Promise<void> => activeBridge.publishStatus('online', { nodeId: `!${gatewayId}`, deadLetters: hubOutbox.deadLetterCount });
    hubOutbox.onDeadLetter(() => void localStatus());
    hubOutbox.onDeadLetterRetried(() => void localStatus());
    await localStatus();
    // Its own name and place on the hub's map: now, soon after (a GPS fix may take a while), then
    // every 15 minutes (the gateway may move).
    activeBridge.reportSelf();
    for (const ms of [10_000, 60_000]) selfReports.push(setTimeout(() => activeBridge.reportSelf(), ms).unref());
    selfReports.push(setInterval(() => activeBridge.reportSelf(), 15 * 60_000).unref());
    log.info({ mqtt: broker.ports.mqtt, ws: broker.ports.ws, hub: settings.hub?.url ?? null }, 'gateway started');
  } catch (err) {
    await broker?.close().catch(() => undefined);
    db.close();
    await node.stop();
    throw err;
  }
  const started = { broker, bridge, outbox };
  let stopping: Promise<void> | undefined;
  return {
    gatewayId,
    node,
    broker: started.broker,
    bridge: started.bridge,
    uplink,
    outbox: started.outbox,
    stop: () =>
      (stopping ??= (async () => {
        for (const t of selfReports) clearTimeout(t);
        await started.bridge.publishStatus('offline');
        // What the hub has not acknowledged stays in the outbox for the next start.
        await uplink?.stop();
        await started.broker.close();
        await node.stop();
        db.close();
      })()),
  };
}

/** The gateway's figures on the node's /metrics, read at scrape time. */
function gatewayMetrics(registry: Registry, parts: () => { broker?: GatewayBroker | undefined; outbox?: HubOutbox | undefined; uplink?: HubUplink | undefined; bridge?: MeshBridge | undefined; profiles?: ProfileRouter | undefined }): void {
  const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) => scrapedGauge(registry, name, help, read, labelNames);
  gauge('unibos_broker_clients', 'MQTT clients connected to the gateway broker', (g) => g.set(parts().broker?.stats.clientsConnected ?? 0));
  gauge('unibos_broker_messages_in', 'PUBLISH packets accepted from clients', (g) => g.set(parts().broker?.stats.messagesIn ?? 0));
  gauge('unibos_broker_messages_out', 'Messages written to clients', (g) => g.set(parts().broker?.stats.messagesOut ?? 0));
  gauge(
    'unibos_broker_auth_failures',
    'CONNECTs refused for credentials, by reason (throttled: the address had too many failures, no password was checked)',
    (g) => {
      for (const [reason, n] of Object.entries(parts().broker?.stats.authFailuresByReason ?? {})) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge(
    'unibos_broker_denials',
    'ACL denials, by kind',
    (g) => {
      for (const [kind, n] of Object.entries(parts().broker?.stats.denials ?? {})) g.set({ kind }, n);
    },
    ['kind'],
  );
  gauge(
    'unibos_broker_publish_denials',
    'Publishes acknowledged and dropped, the connection kept: by reason (acl, reserved_topic, topic_levels)',
    (g) => {
      for (const [reason, n] of Object.entries(parts().broker?.stats.publishDenials ?? {})) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge('unibos_broker_devices_cut', 'Connections closed because their device was removed (unibos gateway device remove) or re-added', (g) => g.set(parts().broker?.stats.devicesCut ?? 0));
  gauge('unibos_broker_denied_floods_cut', 'Connections closed for over 100 denied publishes within 10 s', (g) => g.set(parts().broker?.stats.deniedFloodsCut ?? 0));
  gauge('unibos_bridge_sensor_metrics_not_announced', "A sensor's metrics past its 256 announced to Home Assistant: forwarded as readings, not announced", (g) => g.set(parts().bridge?.stats.sensorMetricsNotAnnounced ?? 0));
  gauge('unibos_broker_oversized_drops', 'Payloads over the size limit', (g) => g.set(parts().broker?.stats.oversizedDrops ?? 0));
  gauge('unibos_broker_qos0_dropped', 'QoS 0 deliveries dropped (oldest first) for subscribers that did not read as fast as they came', (g) => g.set(parts().broker?.stats.qos0Dropped ?? 0));
  gauge('unibos_broker_qos0_forwarded', 'QoS 0 publishes forwarded to subscribers below aedes, as the publisher sent them (the fast path)', (g) => g.set(parts().broker?.stats.qos0Forwarded ?? 0));
  gauge('unibos_broker_sessions_expired', 'Persistent sessions expired for being away longer than sessionExpiryMs, their subscriptions and queues removed', (g) => g.set(parts().broker?.stats.sessionsExpired ?? 0));
  gauge(
    'unibos_broker_store_capped',
    'Messages the broker did not keep on disk for a storage cap, by cap (retained_topics: a retained publish to a new topic by a login at maxRetainedPerLogin, delivered live only; offline_queue: a message not queued for a persistent session away with maxQueuedPerSession queued; offline_queue_login: the same with maxQueuedPerLogin queued over the sessions of its login; inbound_qos2: a QoS 2 publish of a persistent session with its window already stored awaiting PUBREL, connection closed; session_expired: messages queued for a persistent session discarded when it expired after sessionExpiryMs away; disk_reserve: not stored for the free space under the broker database: below minFreeBytes a sensor\u2019s retained publish to a new topic, a message for an away persistent session or its QoS 2 publish (connection closed); below half of it also replaced retained values (cleared) and deliveries to connected persistent sessions (connection closed))',
    (g) => {
      for (const [reason, n] of Object.entries(parts().broker?.stats.storeCapped ?? {})) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge('unibos_broker_disk_free_bytes', 'Free bytes under the broker database, as last measured less what was stored since (-1: not measured)', (g) => g.set(parts().broker?.stats.diskFreeBytes ?? -1));
  gauge('unibos_broker_qos1_forwarded', 'QoS 1 publishes acknowledged and forwarded to clean-session subscribers below aedes (the fast path)', (g) => g.set(parts().broker?.stats.qos1Forwarded ?? 0));
  gauge('unibos_hub_outbox_depth', 'Messages stored for the hub, not yet acknowledged', (g) => g.set(parts().outbox?.size ?? 0));
  gauge('unibos_hub_outbox_dropped_full', 'Oldest messages dropped because the outbox was full', (g) => g.set(parts().outbox?.stats.droppedFull ?? 0));
  gauge('unibos_hub_outbox_dead_letters', 'Messages the hub would not take, kept in the dead-letter table', (g) => g.set(parts().outbox?.deadLetterCount ?? 0));
  gauge('unibos_hub_outbox_dead_lettered', 'Messages moved to the dead-letter table since start', (g) => g.set(parts().outbox?.stats.deadLettered ?? 0));
  gauge('unibos_hub_outbox_urgent_dead_letters', 'Urgent dead letters (SOS, alerts) in the table, each waiting for its automatic retry', (g) => g.set(parts().outbox?.urgentDeadLetterCount ?? 0));
  gauge('unibos_hub_outbox_dead_letter_retries', 'Urgent dead letters put back in the queue automatically since start', (g) => g.set(parts().outbox?.stats.deadLetterRetries ?? 0));
  gauge(
    'unibos_broker_hub_refusals',
    'Publishes the hub would refuse, acknowledged and dropped at the door (neither queued for the hub nor routed), by reason',
    (g) => {
      for (const [reason, n] of Object.entries(parts().broker?.stats.hubRefusals ?? {})) g.set({ reason }, n);
    },
    ['reason'],
  );
  gauge('unibos_profile_readings', "Readings made from devices' own topics (Tasmota, ESPHome, Shelly, Zigbee2MQTT, discovery, generic)", (g) => g.set(parts().profiles?.stats.readings ?? 0));
  gauge('unibos_profile_availability', "Devices' availability reports (online or offline: Tasmota LWT, Shelly online, Zigbee2MQTT availability, discovery availability topics) sent for the hub", (g) => g.set(parts().profiles?.stats.availability ?? 0));
  gauge(
    'unibos_profile_drops',
    "Device messages acknowledged but unreadable by their profile, by profile (the reason is logged)",
    (g) => {
      for (const [profile, n] of Object.entries(parts().profiles?.stats.drops ?? {})) g.set({ profile }, n);
    },
    ['profile'],
  );
  gauge('unibos_hub_connected', '1 while connected to the hub', (g) => g.set(parts().uplink?.connected ? 1 : 0));
  gauge('unibos_hub_acked', 'Messages the hub acknowledged', (g) => g.set(parts().uplink?.stats.acked ?? 0));
  gauge('unibos_bridge_frames_heard', 'Mesh frames bridged to MQTT', (g) => g.set(parts().bridge?.stats.framesHeard ?? 0));
  gauge('unibos_bridge_tx_rejected', 'tx commands refused', (g) => g.set(parts().bridge?.stats.txRejected ?? 0));
  gauge('unibos_bridge_sensor_clears', 'Zero-length publishes on sensor topics (retained readings cleared), not forwarded to the hub as readings', (g) => g.set(parts().bridge?.stats.sensorClears ?? 0));
  gauge(
    'unibos_bridge_forgotten',
    'Mesh nodes and sensor metrics forgotten on the local broker (their retained messages cleared) to stay within the bound',
    (g) => {
      g.set({ kind: 'node' }, parts().bridge?.stats.nodesForgotten ?? 0);
      g.set({ kind: 'sensor' }, parts().bridge?.stats.sensorsForgotten ?? 0);
    },
    ['kind'],
  );
}
