// The gateway's MQTT broker for local sensors: aedes over TCP and WebSocket, with device
// authentication, the ACL, size and connection limits, and a level database so retained messages,
// QoS 1/2 state and persistent sessions outlive a restart. The gateway's own code talks to it
// through publish() and subscribe(), which bypass the network and the ACL.

import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import {
  Aedes,
  type AedesPublishPacket,
  type AuthenticateError,
  type AuthErrorCode,
  type Client,
  type ConnectPacket,
  type PublishPacket,
  type Subscription,
} from 'aedes';
import aedesPersistenceLevel, { type LevelPersistence } from 'aedes-persistence-level';
import type Database from 'better-sqlite3';
import { memoryPersistence, sessionAwarePersistence } from './session-aware-persistence.ts';
import { Level } from 'level';
import type { Logger } from 'pino';
import type { WebSocketServer } from 'ws';
import { GatewayError } from '../gateway-error.ts';
import { canPublish, canSubscribe, canUseClientId, ANONYMOUS_ID, type AclSubject, type DeviceRole } from './acl.ts';
import { BrokerCounters, type AuthFailureReason, type BrokerStats, type DenialKind, type PublishDenialReason } from './broker-stats.ts';
import { AUTH_THROTTLE_DEFAULTS, AuthThrottle, type AuthThrottleOptions } from './auth-throttle.ts';
import { VerifyQueue } from './verify-queue.ts';
import { ConnectionGate, DiskReserve, MqttFrameScanner, availableBytes, formatMode, makePrivate } from '@unibos/mesh-protocol';
import type { DeviceCredentials, DeviceRecord } from './device-credentials.ts';
import { PublishDedup } from './publish-dedup.ts';
import { coalesceWrites } from './write-coalescer.ts';
import { Qos0Queue } from './qos0-queue.ts';
import { PublishFastPath } from './publish-fast-path.ts';
import { isValidTopicFilter, isValidTopicName, topicMatches } from '@unibos/mesh-protocol';
import { NO_RULES, bindRules, withDeviceRules, type TopicRuleSet } from './topic-rules.ts';
import { INCOMING_RANGE, InboundQos2Bound, OUTGOING_RANGE, OfflineQueueBound, RetainedQuota, WarnOncePer, countQueued, storedInbound, type RetainedAdmission } from './store-quotas.ts';
import { SessionExpiry } from './session-expiry.ts';

export interface GatewayBrokerOptions {
  /** The gateway's data directory; the broker keeps its database in <dataDir>/broker-db. */
  readonly dataDir: string;
  readonly credentials: DeviceCredentials;
  readonly gatewayId: string;
  readonly logger: Logger;
  /** Address both listeners bind to. Default 127.0.0.1: sensors on the LAN need it set explicitly. */
  readonly host?: string;
  /** MQTT over TCP; default 1883, 0 for an ephemeral port. */
  readonly port?: number;
  /** MQTT over WebSocket; default 8083, 0 for an ephemeral port, null for none. */
  readonly wsPort?: number | null;
  /** Accept clients without a username, and then only from loopback addresses. Default false. */
  readonly allowAnonymous?: boolean;
  /** Largest PUBLISH payload accepted; default 256 KiB. */
  readonly maxPayloadBytes?: number;
  /** Time a new connection has to send CONNECT; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Connections not yet authenticated; past this the oldest is dropped. Default 128. */
  readonly maxPendingConnections?: number;
  /** All connections; past this new ones are refused. Default 1024. */
  readonly maxConnections?: number;
  /**
   * The gateway's database, the one the hub outbox lives in. With it, a QoS 1/2 message from a
   * persistent session is taken exactly once: its record and what the gateway's handlers write
   * commit together, and a resend of it (same packet id, DUP set) after a crash is not taken again.
   */
  readonly db?: Database.Database;
  /**
   * Topic rules from the gateway's ACL file (mosquitto format, topic-rules.ts), on top of the role
   * table and of each device's own rules (DeviceCredentials.rules). Read at each CONNECT.
   */
  readonly topicRules?: TopicRuleSet;
  /**
   * QoS 0 deliveries that may wait for a stalled subscriber (its socket full and nothing sent for
   * a second); beyond this the oldest is dropped and counted (stats.qos0Dropped), so a subscriber
   * that stopped reading does not hold back the publishers. 0: never drop, a QoS 0 delivery waits
   * for the socket as aedes makes it (and so does everyone publishing to it, until drainTimeout
   * cuts it off). Default 1000 (mosquitto's max_queued_messages default).
   */
  readonly maxQueuedQos0?: number;
  /**
   * Failed logins before more are refused without a password check (auth-throttle.ts): `maxFailures`
   * per address and user name (default 10), `maxFailuresPerAddress` whatever the name (default 100).
   */
  readonly authThrottle?: AuthThrottleOptions & { readonly maxFailuresPerAddress?: number };
  /** Password verifications (scrypt) running at once; the rest wait their turn (verify-queue.ts). Default 2. */
  readonly maxConcurrentVerifications?: number;
  /**
   * Retained topics one login may have (a device id; all anonymous clients count as one login;
   * store-quotas.ts). At the limit it may still replace and clear its retained messages; a retained
   * publish to a topic it has none on is delivered live but not kept, counted
   * (stats.storeCapped.retained_topics) and logged at most once a minute per login. 0: no limit.
   * Default 1000.
   */
  readonly maxRetainedPerLogin?: number;
  /**
   * Messages kept for a persistent session (clean=false, subscribed at QoS 1/2) while it is away;
   * beyond this the newest are not queued for it, counted (stats.storeCapped.offline_queue) and
   * logged at most once a minute per client id. While it is connected the same cap holds for its
   * deliveries not yet acknowledged: a client that leaves this many unacknowledged gets no more
   * queued, and aedes closes its connection (a delivery without a queue entry), counted and logged
   * the same way. 0: no limit. Default 1000 (mosquitto's max_queued_messages).
   */
  readonly maxQueuedPerSession?: number;
  /**
   * The same over all the persistent sessions of one login (a device may use any number of client
   * ids `<id>:<suffix>`; firmware that makes up a new one at each boot leaves a session behind each
   * time): counted in stats.storeCapped.offline_queue_login. A connected session is held to it by
   * its own unacknowledged deliveries only, not cut off for its login's away sessions, which free
   * their part when they expire (sessionExpiryMs). 0: no limit. Default 10000.
   */
  readonly maxQueuedPerLogin?: number;
  /**
   * A persistent session whose client has been away longer than this (ms) expires, as with
   * mosquitto's persistent_client_expiration: its subscriptions, queued messages and inbound QoS 2
   * are removed from the store and from the caps' counts, counted in stats.sessionsExpired (and its
   * queued messages in stats.storeCapped.session_expired), and a client coming back with the id
   * finds no session (CONNACK session present 0). When each session left is kept in the store, so a
   * restart does not make it younger. Checked at start and every BROKER_DEFAULTS.sessionExpiryCheckMs,
   * or now with expireSessions(). 0: never. Default 14 days.
   */
  readonly sessionExpiryMs?: number;
  /**
   * Free bytes kept on the filesystem under dataDir (mesh-protocol's DiskReserve) for the hub
   * outbox, the SOS path and the database's compactions: below it a device login's retained publish
   * to a new topic is delivered but not kept, nothing is queued for persistent sessions that are
   * away and their QoS 2 publishes are refused; deliveries to connected sessions and replaced
   * retained values are stored down to half of it (see roomOnDisk). Each refusal is counted in
   * stats.storeCapped.disk_reserve; reaching the reserve and the room coming back are logged.
   * Measured at start and every diskCheckMs (or now with checkDisk()), estimated in between from
   * what was stored. 0: none. Default 256 MiB.
   */
  readonly minFreeBytes?: number;
  /** Measures the free bytes on the filesystem holding a path. Default statfs. */
  readonly freeBytesOf?: (path: string) => Promise<number>;
  /** How often (ms) the free space is measured. Default BROKER_DEFAULTS.diskCheckMs. */
  readonly diskCheckMs?: number;
  /** The wall clock (ms) for session expiry. Default Date.now; tests move it on. */
  readonly now?: () => number;
}

export interface BrokerPublishOptions {
  readonly qos?: 0 | 1 | 2;
  readonly retain?: boolean;
}

/**
 * Receives messages for the gateway itself. It runs before the publishing client is acknowledged,
 * so a handler that stores the message synchronously (the uplink's outbox) makes the PUBACK mean
 * "stored"; if it throws, the publish is refused and the client, never acknowledged, sends it again,
 * unless the error carries a `refusal` (the hub would refuse it, hubWouldRefuse): then it is
 * acknowledged and dropped, counted by reason, so the client's session goes on.
 * `clientId` is null for the gateway's own publishes. `msgId` is set when the broker tracks the
 * message for exactly-once (QoS 1/2 from a persistent session, the broker given the gateway's db):
 * the handler runs inside the transaction that records it, so an outbox row added synchronously
 * under this id commits with the record, and a resend of the message never reaches the handler.
 * `deviceId` is who the publisher logged in as (`anonymous` for anonymous clients, null for the
 * gateway's own publishes): unlike the client id (which the broker may have assigned), it says
 * whose message this is.
 */
export type BrokerMessageHandler = (topic: string, payload: Buffer, clientId: string | null, msgId: string | undefined, deviceId: string | null) => void | Promise<void>;

export interface BrokerClientInfo {
  readonly clientId: string;
  readonly role: DeviceRole | 'anonymous';
  readonly deviceId: string | null;
  readonly transport: 'tcp' | 'ws';
  readonly remoteAddress: string;
}

export interface BrokerDenial {
  readonly kind: DenialKind;
  readonly clientId: string | null;
  readonly reason: string;
  readonly topic?: string;
}

export interface GatewayBrokerEvents {
  clientConnected: [BrokerClientInfo];
  clientDisconnected: [{ readonly clientId: string }];
  /** A SUBSCRIBE was answered; a refused filter has qos 128. */
  subscribed: [{ readonly clientId: string; readonly subscriptions: ReadonlyArray<{ readonly filter: string; readonly qos: number }> }];
  denied: [BrokerDenial];
  authFailed: [{ readonly clientId: string; readonly username: string | null; readonly remoteAddress: string; readonly reason: string }];
  /** `bytes` is null when only "over the limit" is known (a WebSocket message cut off by ws). */
  oversized: [{ readonly clientId: string | null; readonly bytes: number | null; readonly remoteAddress: string }];
}

export const BROKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 1883,
  wsPort: 8083,
  maxPayloadBytes: 256 * 1024,
  connectTimeoutMs: 10_000,
  maxPendingConnections: 128,
  maxConnections: 1024,
  /** A subscriber whose socket stays full this long is cut off rather than stalling everyone (aedes' concurrency slots). */
  drainTimeoutMs: 15_000,
  /** Inbound QoS 2 messages a client may leave waiting for PUBREL before it is cut off; for a persistent session, counted over all its connections (what is on disk). */
  maxInflightInbound: 100,
  /** Our topics have 5 levels; a few times that leaves room for sensors' own structure. */
  maxTopicLevels: 32,
  /** Packets a client may pipeline before its CONNECT is answered. */
  queueLimit: 42,
  /**
   * Publishes being routed at once: no limit (aedes' default is 100, we had 1000). Past the limit
   * mqemitter keeps a waiting line in an array it empties with shift(), O(n) per message: in a QoS 0
   * fan-in that line grew long and shift() took most of the broker's CPU (profiled). Nothing grows
   * without it: aedes reads a client's next packets only once its current ones are routed.
   */
  concurrency: 0,
  /** QoS 0 deliveries waiting for one subscriber's socket before the oldest is dropped. */
  maxQueuedQos0: 1000,
  /** Unsent bytes a subscriber's socket may hold before publishes to it wait for it to drain. */
  qos0SocketBytes: 1024 * 1024,
  /** How long a subscriber's full socket may send nothing before it counts as stalled and its QoS 0 deliveries queue (and drop). */
  qos0StallMs: 1000,
  /** scrypt verifications at once: half of libuv's default thread pool, the rest left to the store. */
  maxConcurrentVerifications: 2,
  /** Retained topics per login. Room for a Zigbee2MQTT bridge's discovery configs; a counter in a topic stops here. */
  maxRetainedPerLogin: 1000,
  /** Messages queued per persistent session while it is away (mosquitto's max_queued_messages default). */
  maxQueuedPerSession: 1000,
  /** Messages queued over all the away sessions of one login: ten sessions' worth. */
  maxQueuedPerLogin: 10_000,
  /** A persistent session away this long expires: long enough for a sensor off for a holiday, short enough that sessions left behind at each boot do not pile up. */
  sessionExpiryMs: 14 * 24 * 3_600_000,
  /** How often away sessions are checked for expiry (and at start). */
  sessionExpiryCheckMs: 3_600_000,
  /** A login (or session) at a storage cap is logged at most this often, with how many were not kept since. */
  storeCapLogPeriodMs: 60_000,
  /**
   * A connection whose publishes are denied (or refused for the hub) more than this often within
   * deniedPublishWindowMs is closed: a client pipelining denied publishes costs a judgement and a
   * count each, and is cut; a misconfigured device publishing one denied topic every few seconds
   * goes on (each denial acknowledged and dropped, logged at most once a minute per client and reason).
   */
  deniedPublishCut: 100,
  deniedPublishWindowMs: 10_000,
  /** A denied topic (up to 64 KiB) or reason is logged cut to this many characters. */
  deniedLogChars: 200,
  /** Free space kept on the database's filesystem: the hub outbox's bound (64 MiB), its journal and LevelDB's compactions, with room to spare. */
  minFreeBytes: 256 * 1024 * 1024,
  /** How often the free space is measured (statfs). */
  diskCheckMs: 5_000,
  /** How often the device list is looked at for devices removed while connected (by the CLI, in another process): a read of SQLite's data_version. */
  deviceCheckMs: 500,
} as const;

/** aedes' hard ceiling on topic levels (its bundled matcher's), above BROKER_DEFAULTS.maxTopicLevels. */
const AEDES_MAX_TOPIC_LEVELS = 100;

/** Room above the payload limit for a PUBLISH's topic (up to 64 KiB) and packet id. */
const FRAME_OVERHEAD_BYTES = 65_535 + 2 + 2;

interface ConnectionInfo {
  readonly transport: 'tcp' | 'ws';
  readonly remoteAddress: string;
  /** The TCP socket underneath (for WebSocket, the upgraded HTTP socket). */
  readonly socket: Socket;
}

interface ClientState {
  /** The CONNECT carried an empty client id and aedes made one up. */
  readonly serverAssignedId: boolean;
  /** The client id this connection holds in GatewayBroker.arriving until it is registered or closed; null once it does not. */
  arrivingAs: string | null;
  /** Unique per connection (across restarts too): a client resends only on a later connection. */
  readonly connection: string;
  readonly will: { readonly topic: string; readonly bytes: number } | null;
  subject: AclSubject | null;
  /** The credential of the device row it logged in with: another (its secret rotated, the device removed and added again) is not its login. */
  deviceCredential: string | null;
  /** The created_ms of that row: stamped on its retained messages, so a device added again under the id does not inherit them. */
  deviceCreatedMs: number | null;
  /**
   * The topic this client last published to and the ACL allowed. Devices publish to a handful of
   * topics over and over, so this spares canPublish on most messages; the subject never changes
   * once set (it is only dropped, with this, when the device is cut off), so the decision cannot go stale. Denials are never cached: each is judged, logged and counted.
   */
  lastAllowedTopic: string | null;
  /** QoS 0 deliveries dropped for this client (logged at 1, 10, 100, ...). */
  qos0Dropped: number;
  /** Publishes denied in the current window (BROKER_DEFAULTS.deniedPublishWindowMs), from when it began. */
  denied: { since: number; n: number };
  /** The broker's number of the message last handed to this client's deliveries: the same one again is a copy (firstCopy). */
  lastDelivered: number;
}

interface InternalSubscription {
  readonly filter: string;
  readonly handler: BrokerMessageHandler;
}

/** Refusals the broker decided on; aedes reports them back as client errors, which are not counted again. */
class BrokerRefusal extends Error {}

/** A publish acknowledged but taken nowhere: the hub would refuse it (see untakeable). */
const DROPPED = 'dropped' as const;

export class GatewayBroker extends EventEmitter<GatewayBrokerEvents> {
  private readonly counters = new BrokerCounters();
  private readonly clientState = new WeakMap<Client, ClientState>();
  private readonly connections = new WeakMap<object, ConnectionInfo>();
  private readonly connected = new Set<Client>();
  /** Replaced, never mutated, so a delivery can iterate it while a handler unsubscribes. */
  private internal: readonly InternalSubscription[] = [];
  private readonly gate: ConnectionGate;
  private readonly log: Logger;
  private readonly maxPayloadBytes: number;
  private readonly maxFrameBytes: number;
  private readonly allowAnonymous: boolean;
  private readonly credentials: DeviceCredentials;
  private readonly dedup: PublishDedup | null;
  private readonly topicRules: TopicRuleSet;
  private readonly maxQueuedQos0: number;
  private readonly retainedQuota: RetainedQuota;
  private readonly queueLimits: { readonly perSession: number; readonly perLogin: number };
  private queueBound: OfflineQueueBound | null = null;
  private readonly sessionExpiryMs: number;
  private readonly now: () => number;
  private sessionExpiry: SessionExpiry | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private deviceTimer: NodeJS.Timeout | null = null;
  /** The device list's change mark when the connected devices were last checked against it. */
  private devicesMark: string | null = null;
  private readonly diskReserve: DiskReserve;
  /** Client ids with a CONNECT being handled (preConnect until registered or closed): their sessions do not expire meanwhile. */
  private readonly arriving = new Map<string, number>();
  private readonly capWarnings = new WarnOncePer(BROKER_DEFAULTS.storeCapLogPeriodMs);
  /** Failed logins per address and user name, and per address (auth-throttle.ts). */
  private readonly loginThrottle: AuthThrottle;
  private readonly authThrottle: AuthThrottle;
  private readonly verifyQueue: VerifyQueue;
  private readonly runId = randomBytes(6).toString('base64url');
  private connectionCount = 0;
  private aedes!: Aedes;
  /** Publishes forwarded below aedes, and the rest handed to it one at a time (publish-fast-path.ts); null until started. */
  private fastPath: PublishFastPath | null = null;
  /** Publishes authorizePublish let through to be acknowledged, which aedes.publish then routes nowhere (and does not retain). */
  private readonly dropping = new WeakSet<PublishPacket>();
  private persistence!: LevelPersistence;
  /** The last retained publish per topic still being stored (publish() keeps them in order). */
  private readonly retainedInFlight = new Map<string, Promise<void>>();
  private tcp: TcpServer | null = null;
  private http: HttpServer | null = null;
  private wss: WebSocketServer | null = null;
  private closing: Promise<void> | null = null;
  private boundPorts: { mqtt: number; ws: number | null } = { mqtt: 0, ws: null };

  private constructor(options: GatewayBrokerOptions) {
    super();
    this.log = options.logger.child({ component: 'broker', gatewayId: options.gatewayId });
    this.credentials = options.credentials;
    this.allowAnonymous = options.allowAnonymous ?? false;
    this.topicRules = options.topicRules ?? NO_RULES;
    try {
      const { maxFailuresPerAddress, ...perLogin } = options.authThrottle ?? {};
      this.loginThrottle = new AuthThrottle(perLogin);
      this.authThrottle = new AuthThrottle({ ...perLogin, maxFailures: maxFailuresPerAddress ?? AUTH_THROTTLE_DEFAULTS.maxFailuresPerAddress });
      this.verifyQueue = new VerifyQueue(options.maxConcurrentVerifications ?? BROKER_DEFAULTS.maxConcurrentVerifications);
    } catch (err) {
      throw new GatewayError('E_CONFIG', (err as Error).message);
    }
    this.maxQueuedQos0 = options.maxQueuedQos0 ?? BROKER_DEFAULTS.maxQueuedQos0;
    if (!Number.isInteger(this.maxQueuedQos0) || this.maxQueuedQos0 < 0) {
      throw new GatewayError('E_CONFIG', `maxQueuedQos0 must be an integer >= 0, got ${this.maxQueuedQos0}`);
    }
    for (const key of ['maxRetainedPerLogin', 'maxQueuedPerSession', 'maxQueuedPerLogin', 'sessionExpiryMs', 'minFreeBytes'] as const) {
      const value = options[key] ?? BROKER_DEFAULTS[key];
      if (!Number.isInteger(value) || value < 0) throw new GatewayError('E_CONFIG', `${key} must be an integer >= 0, got ${value}`);
    }
    this.retainedQuota = new RetainedQuota(options.maxRetainedPerLogin ?? BROKER_DEFAULTS.maxRetainedPerLogin);
    this.sessionExpiryMs = options.sessionExpiryMs ?? BROKER_DEFAULTS.sessionExpiryMs;
    const freeBytesOf = options.freeBytesOf ?? availableBytes;
    this.diskReserve = new DiskReserve(options.minFreeBytes ?? BROKER_DEFAULTS.minFreeBytes, () => freeBytesOf(options.dataDir), (low, freeBytes) => {
      const at = { freeBytes, minFreeBytes: this.diskReserve.minFreeBytes };
      if (low) this.log.warn(at, 'free space under the broker database is at its reserve: new retained topics of sensors, the queues of away sessions and their QoS 2 publishes are not stored until there is room (retained values still delivered live, and replaced down to half the reserve)');
      else this.log.info({ ...at, notStored: this.counters.storeCapped.disk_reserve }, 'free space under the broker database is above its reserve again: storing retained messages and queues');
    });
    this.now = options.now ?? Date.now;
    this.queueLimits = {
      perSession: options.maxQueuedPerSession ?? BROKER_DEFAULTS.maxQueuedPerSession,
      perLogin: options.maxQueuedPerLogin ?? BROKER_DEFAULTS.maxQueuedPerLogin,
    };
    this.maxPayloadBytes = options.maxPayloadBytes ?? BROKER_DEFAULTS.maxPayloadBytes;
    if (!Number.isInteger(this.maxPayloadBytes) || this.maxPayloadBytes < 1) {
      throw new GatewayError('E_CONFIG', `maxPayloadBytes must be a positive integer, got ${this.maxPayloadBytes}`);
    }
    this.maxFrameBytes = this.maxPayloadBytes + FRAME_OVERHEAD_BYTES;
    this.dedup = options.db ? new PublishDedup(options.db, { gatewayId: options.gatewayId }) : null;
    this.gate = new ConnectionGate({
      maxPending: options.maxPendingConnections ?? BROKER_DEFAULTS.maxPendingConnections,
      maxTotal: options.maxConnections ?? BROKER_DEFAULTS.maxConnections,
      onShed: (socket, why) => {
        this.counters.connectionsShed++;
        this.log.warn({ remoteAddress: socket.remoteAddress, why }, 'connection shed by the connection limits');
      },
    });
  }

  /** Opens the database, starts aedes and both listeners; throws GatewayError E_STORAGE or E_CONFIG. */
  static async start(options: GatewayBrokerOptions): Promise<GatewayBroker> {
    const broker = new GatewayBroker(options);
    await broker.open(options);
    return broker;
  }

  get ports(): { readonly mqtt: number; readonly ws: number | null } {
    return this.boundPorts;
  }

  get stats(): BrokerStats {
    return { ...this.counters.snapshot(this.connected.size), diskFreeBytes: this.diskReserve.freeBytes };
  }

  /**
   * Publishes as the gateway: no ACL, no size limit. Resolves once aedes has stored and routed it
   * and the event loop has had a turn: QoS 0 deliveries complete at once, and a caller publishing
   * in a loop would otherwise never let the sockets it writes to send anything (their queues would
   * fill and drop, however fast the subscribers read).
   */
  async publish(topic: string, payload: Buffer | string, options: BrokerPublishOptions = {}): Promise<void> {
    if (this.closing) throw new GatewayError('E_BAD_REQUEST', 'the broker is closed');
    if (!isValidTopicName(topic) || topic.startsWith('$')) {
      throw new GatewayError('E_BAD_REQUEST', `cannot publish to ${JSON.stringify(topic)}: not a topic name`);
    }
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    // The gateway's own retained messages are nobody's to count (the bridge bounds them itself):
    // once stored, the topic is freed from whoever had it (RetainedQuota.wrap).
    this.deliverInternally(topic, body, null, undefined, null);
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: body,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: false,
    };
    const send = () => new Promise<void>((resolve, reject) => this.aedes.publish(packet, (err) => (err ? reject(err) : setImmediate(resolve))));
    if (!packet.retain) return send();
    // The store does not keep the order of two writes to one key in flight at once (a clear and
    // the announcement after it could land the other way round): one retained publish per topic
    // at a time, in the order they were made.
    const before = this.retainedInFlight.get(topic);
    const done = before ? before.then(send, send) : send();
    this.retainedInFlight.set(topic, done);
    const settled = () => {
      if (this.retainedInFlight.get(topic) === done) this.retainedInFlight.delete(topic);
    };
    done.then(settled, settled);
    return done;
  }

  /**
   * The retained messages in the store whose topics match `filter`, as a subscriber would get
   * them (the bridge rebuilds what it announced from them after a restart), each with the device
   * that published it (`owner`; null for the gateway's own, an anonymous client's or a removed device's).
   */
  async *retained(filter: string): AsyncIterable<{ topic: string; payload: Buffer; owner: string | null }> {
    for await (const packet of this.persistence.createRetainedStream(filter)) {
      const login = this.loginOfStoredClientId((packet as { clientId?: unknown }).clientId);
      yield { topic: packet.topic, payload: Buffer.from(packet.payload), owner: login === ANONYMOUS_ID ? null : login };
    }
  }

  /** Hands the gateway every message whose topic `filter` matches, from clients and from publish(). Returns the unsubscribe. */
  subscribe(filter: string, handler: BrokerMessageHandler): () => void {
    if (!isValidTopicFilter(filter)) {
      throw new GatewayError('E_BAD_REQUEST', `cannot subscribe to ${JSON.stringify(filter)}: not a topic filter`);
    }
    const entry: InternalSubscription = { filter, handler };
    this.internal = [...this.internal, entry];
    this.fastPath?.invalidate();
    return () => {
      this.internal = this.internal.filter((e) => e !== entry);
      this.fastPath?.invalidate();
    };
  }

  /**
   * Expires now the persistent sessions away longer than sessionExpiryMs (the broker does so at
   * start and every BROKER_DEFAULTS.sessionExpiryCheckMs); resolves with their client ids.
   */
  expireSessions(): Promise<string[]> {
    if (this.closing || !this.sessionExpiry) return Promise.resolve([]);
    return this.sessionExpiry.sweep();
  }

  /** Cuts every connection of a device, e.g. after its credentials were removed; returns how many. */
  disconnectDevice(deviceId: string): number {
    let n = 0;
    for (const client of this.connected) {
      const state = this.clientState.get(client);
      const subject = state?.subject;
      if (state && subject && subject.role !== 'anonymous' && subject.id === deviceId) {
        this.cut(client, state, 'device disconnected by the gateway');
        n++;
      }
    }
    return n;
  }

  /**
   * Closes the connections of devices removed (or removed and added again) since they logged in.
   * `unibos gateway device remove` runs in another process and changes only the database, so this
   * runs every deviceCheckMs and looks at the connected devices' rows when the list's change mark
   * has moved; returns how many connections it closed.
   */
  cutRemovedDevices(): number {
    let mark: string;
    try {
      mark = this.credentials.changeMark();
    } catch (err) {
      if (this.capWarnings.hit('device check') !== null) this.log.error({ err }, 'cannot read the device list: removed devices stay connected until it can be read');
      return 0;
    }
    if (mark === this.devicesMark) return 0;
    this.devicesMark = mark;
    let n = 0;
    for (const client of this.connected) {
      const state = this.clientState.get(client);
      if (state && this.removedDevice(state)) {
        this.cut(client, state, 'device removed: its connection closed');
        n++;
      }
    }
    return n;
  }

  /**
   * Whether the credential this connection logged in with is gone: the device removed from the
   * device list (or another by the same id), or its secret rotated.
   */
  private removedDevice(state: ClientState): boolean {
    const subject = state.subject;
    if (!subject || subject.role === 'anonymous') return false;
    return this.credentials.get(subject.id)?.credential !== state.deviceCredential;
  }

  /** Closes a device's connection; with its login gone at once, nothing more it sent (a packet already read, its will) is taken. */
  private cut(client: Client, state: ClientState, why: string): void {
    const deviceId = deviceIdOf(state.subject);
    state.subject = null;
    state.lastAllowedTopic = null;
    this.counters.devicesCut++;
    this.log.warn({ clientId: client.id, deviceId }, why);
    client.close();
  }

  /** Stops listening, disconnects every client, closes aedes and then the database. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async open(options: GatewayBrokerOptions): Promise<void> {
    const dbDir = join(options.dataDir, 'broker-db');
    let db: Level;
    try {
      for (const f of makePrivate(dbDir)) this.log.warn({ path: f.path, oldMode: formatMode(f.oldMode), newMode: formatMode(f.newMode) }, 'broker data was readable by others: permissions fixed');
      db = new Level(dbDir);
      await db.open();
    } catch (err) {
      const hint = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED' ? ' (is another gateway using it?)' : '';
      throw new GatewayError('E_STORAGE', `cannot open the broker database ${dbDir}${hint}: ${(err as Error).message}`, { cause: err });
    }
    this.persistence = sessionAwarePersistence(aedesPersistenceLevel(db), memoryPersistence());
    let runId: string;
    try {
      runId = await nextRunId(db, this.log);
      await this.loadStoreQuotas(db);
    } catch (err) {
      await this.persistence.destroy().catch(() => undefined);
      throw new GatewayError('E_STORAGE', `cannot read the broker database ${dbDir}: ${(err as Error).message}`, { cause: err });
    }
    // Which persistent sessions subscribe decides what the fast path may carry (aedes stores QoS 1
    // for them). Judged again when a change starts and when it is done: cleanSubscriptions reads
    // the store before it removes anything, and removes through the store's own method.
    for (const name of ['addSubscriptions', 'removeSubscriptions', 'cleanSubscriptions'] as const) {
      const change = this.persistence[name];
      this.persistence[name] = (...args: unknown[]) => {
        this.fastPath?.invalidate();
        return change(...args).finally(() => this.fastPath?.invalidate());
      };
    }
    try {
      this.aedes = await Aedes.createBroker({
        id: runId,
        persistence: this.persistence,
        connectTimeout: options.connectTimeoutMs ?? BROKER_DEFAULTS.connectTimeoutMs,
        drainTimeout: BROKER_DEFAULTS.drainTimeoutMs,
        maxInflightInbound: BROKER_DEFAULTS.maxInflightInbound,
        // aedes' own limit closes the connection before authorizePublish is asked; ours is judged
        // there (judgePublish, authorizeSubscribe), so a deep topic is denied, not cut off. aedes
        // keeps its ceiling (its matcher cannot go deeper) for the rest.
        maxTopicLevels: AEDES_MAX_TOPIC_LEVELS,
        // aedes checks this only for MQTT 3.1; canUseClientId bounds 3.1.1 ids to the same length.
        maxClientsIdLength: 129,
        queueLimit: BROKER_DEFAULTS.queueLimit,
        concurrency: BROKER_DEFAULTS.concurrency,
        preConnect: (client, packet, done) => this.preConnect(client, packet, done),
        authenticate: (client, username, password, done) => void this.authenticate(client, username, password, done),
        authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
        authorizeSubscribe: (client, sub, done) => this.authorizeSubscribe(client, sub, done),
        authorizeForward: (client, packet) => this.authorizeForward(client, packet),
      });
    } catch (err) {
      await this.persistence.destroy().catch(() => undefined);
      throw new GatewayError('E_STORAGE', `cannot start the broker on ${dbDir}: ${(err as Error).message}`, { cause: err });
    }
    this.watchAedes();
    await this.diskReserve.start(options.diskCheckMs ?? BROKER_DEFAULTS.diskCheckMs, (err) => this.diskUnmeasured(err));
    this.sessionExpiry = new SessionExpiry(db as unknown as ConstructorParameters<typeof SessionExpiry>[0], this.sessionExpiryMs, this.now, {
      busy: (clientId) => this.arriving.has(clientId) || (this.aedes as Aedes & { clients?: Record<string, unknown> }).clients?.[clientId] !== undefined,
      expire: (clientId, awayMs, why) => this.expireSession(clientId, awayMs, why),
      failed: (err, clientId) => this.log.error({ err, clientId }, 'persistent session expiry: the store failed; tried again at the next check'),
    });
    // Before the listeners: what expired while the gateway was off is gone before anyone connects.
    await this.expireSessions().catch((err: unknown) => this.log.error({ err }, 'persistent session expiry failed'));
    this.devicesMark = this.credentials.changeMark();
    this.deviceTimer = setInterval(() => this.cutRemovedDevices(), BROKER_DEFAULTS.deviceCheckMs);
    this.deviceTimer.unref();
    if (this.sessionExpiryMs > 0) {
      this.expiryTimer = setInterval(() => {
        this.expireSessions().catch((err: unknown) => this.log.error({ err }, 'persistent session expiry failed'));
      }, BROKER_DEFAULTS.sessionExpiryCheckMs);
      this.expiryTimer.unref();
    }
    // aedes acknowledges a publish and then routes it through publish(); a refused one it would
    // only close the connection for. So a dropped publish goes on to be acknowledged, and stops here.
    // (aedes' types know only publish(packet, done); it also takes the publishing client in between.)
    type Done = (err?: Error) => void;
    const publish = this.aedes.publish.bind(this.aedes) as (packet: PublishPacket, client: Client | null | Done, done?: Done) => void;
    // A retained publish is judged against its login's cap here, where aedes is about to store it
    // (its first step, synchronously), not when it was authorized: a publish authorized and then
    // refused (a QoS 2 one over its window) or never routed takes no place.
    this.aedes.publish = ((packet: PublishPacket, client: Client | null | Done, done?: Done) => {
      if (this.dropping.has(packet)) {
        this.dropping.delete(packet);
        (typeof client === 'function' ? client : done)?.();
        return;
      }
      if (!packet.retain) return publish(packet, client, done);
      this.retainedQuota.offer(this.capRetained(typeof client === 'function' ? null : client, packet));
      try {
        publish(packet, client, done);
      } finally {
        this.retainedQuota.withdraw();
      }
    }) as unknown as Aedes['publish'];
    // Always there, for it hands aedes a client's publishes one at a time; it forwards nothing
    // without QoS 0 queues (maxQueuedQos0 0: aedes delivers everything).
    this.fastPath = new PublishFastPath(this.aedes as unknown as ConstructorParameters<typeof PublishFastPath>[0], {
      take: (client, topic, payload, deliveries, qos) => this.takeForwarded(client, topic, payload, deliveries, qos),
      takesInternally: (topic) => this.internal.some((s) => topicMatches(s.filter, topic)),
      allows: (client, topic) => this.allowsForwarding(client, topic),
      deliveryQos: (subscriber, topic) => (grantedQos(subscriber, topic, 1) ?? 1) === 0 ? 0 : 1,
      durablySubscribed: async (topic) => (await this.persistence.subscriptionsByTopic(topic)).length > 0,
    }, this.maxPayloadBytes);
    const host = options.host ?? BROKER_DEFAULTS.host;
    try {
      this.tcp = createTcpServer({ noDelay: true }, (socket) => this.acceptTcp(socket));
      this.boundPorts = { mqtt: await listen(this.tcp, options.port ?? BROKER_DEFAULTS.port, host, 'MQTT'), ws: null };
      const wsPort = options.wsPort === undefined ? BROKER_DEFAULTS.wsPort : options.wsPort;
      if (wsPort !== null) {
        this.http = await this.createWebSocketServer(options.connectTimeoutMs ?? BROKER_DEFAULTS.connectTimeoutMs);
        this.boundPorts = { mqtt: this.boundPorts.mqtt, ws: await listen(this.http, wsPort, host, 'MQTT over WebSocket') };
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    this.tcp.on('error', (err) => this.log.error({ err }, 'MQTT listener error'));
    this.http?.on('error', (err) => this.log.error({ err }, 'WebSocket listener error'));
    this.log.info({ host, ports: this.boundPorts, allowAnonymous: this.allowAnonymous }, 'broker listening');
  }

  /**
   * The storage caps' counts, from what the store holds: each retained message's owner (the login
   * stamped on it when it was stored; see capRetained) and each persistent session's queued messages.
   */
  private async loadStoreQuotas(db: Level): Promise<void> {
    for await (const packet of this.persistence.createRetainedStream('#')) {
      const login = this.loginOfStoredClientId((packet as { clientId?: unknown }).clientId);
      if (login !== null) this.retainedQuota.load(packet.topic, login);
    }
    this.retainedQuota.wrap(this.persistence);
    const queued = await countQueued(db.keys(OUTGOING_RANGE));
    const queueBound = new OfflineQueueBound(this.queueLimits, queued, {
      // aedes' own register of connected clients by id (not in its type declarations).
      online: (clientId) => (this.aedes as (Aedes & { clients?: Record<string, unknown> }) | undefined)?.clients?.[clientId] !== undefined,
      loginOf: (clientId) => this.loginOfStoredClientId(clientId) ?? ANONYMOUS_ID,
      room: (topic, payload, online) => this.roomOnDisk(topic, payload, online ? 'on_its_way' : 'for_later'),
      rewritten: (topic, payload) => this.diskReserve.charge(2 * storedBytes(topic, payload)),
      dropped: (clientId, topic, full) => {
        if (full.by === 'disk') {
          // Counted in roomOnDisk. A connected session is closed for it (aedes finds no entry): said, once a minute.
          const since = full.online ? this.capWarnings.hit(`disk delivery ${clientId}`) : null;
          if (since !== null) this.log.warn({ clientId, topic, closed: since }, 'persistent session connected with the disk below half its reserve: a delivery could not be stored and its connection is closed');
          return;
        }
        this.counters.storeCapped[full.by === 'session' ? 'offline_queue' : 'offline_queue_login']++;
        const since = this.capWarnings.hit(`queue ${clientId}`);
        if (since !== null) {
          const limit = full.by === 'session' ? this.queueLimits.perSession : this.queueLimits.perLogin;
          const msg = full.online
            ? `persistent session connected with its ${full.by === 'session' ? 'queue full of deliveries it has not acknowledged' : "login's queue full (its sessions' messages not acknowledged or queued while away)"}: the next is not queued and its connection is closed`
            : `persistent session away with its ${full.by === 'session' ? '' : "login's "}queue full: newer messages are not queued for it`;
          this.log.warn({ clientId, topic, queued: full.session, queuedForLogin: full.login, full: full.by, online: full.online, limit, notQueued: since }, msg);
        }
      },
    });
    queueBound.wrap(this.persistence);
    this.queueBound = queueBound;
    const inbound = new InboundQos2Bound(BROKER_DEFAULTS.maxInflightInbound, await storedInbound(db.keys(INCOMING_RANGE)), {
      refused: (clientId, stored) => {
        this.counters.storeCapped.inbound_qos2++;
        const since = this.capWarnings.hit(`inbound ${clientId}`);
        if (since !== null) this.log.warn({ clientId, stored, limit: BROKER_DEFAULTS.maxInflightInbound, refused: since }, 'persistent session with its QoS 2 window full on disk (never released with PUBREL): connection closed');
        return new BrokerRefusal('inbound QoS 2 messages awaiting PUBREL over the limit');
      },
      room: (clientId, topic, payload) => {
        if (this.roomOnDisk(topic, payload, 'for_later')) return null;
        const since = this.capWarnings.hit(`disk qos2 ${clientId}`);
        if (since !== null) this.log.warn({ clientId, topic, refused: since }, 'QoS 2 publish of a persistent session not stored, the disk at its reserve: connection closed (the client sends it again)');
        return new BrokerRefusal('the disk is at its reserve');
      },
    });
    // A will is stored at each CONNECT, whatever the reserve (refusing it would refuse the connection): charged.
    const putWill = this.persistence.putWill.bind(this.persistence);
    this.persistence.putWill = async (client, packet) => {
      await putWill(client, packet);
      this.diskReserve.charge(storedBytes(packet.topic, packet.payload));
    };
    inbound.wrap(this.persistence);
  }

  /**
   * Measures the free space under the database now (the timer does every diskCheckMs), logging when
   * the reserve is reached and when there is room again: the free bytes, or null if it could not be measured.
   */
  async checkDisk(): Promise<number | null> {
    try {
      return await this.diskReserve.check();
    } catch (err) {
      this.diskUnmeasured(err);
      return null;
    }
  }

  private diskUnmeasured(err: unknown): void {
    if (this.capWarnings.hit('disk check') !== null) this.log.error({ err }, 'cannot measure the free space under the broker database: stored as if there were room');
  }

  /**
   * Whether a sensor's message may still be stored (the disk keeps its reserve); counted when not.
   * `for_later` (a new retained topic, a queue for an away session, a QoS 2 publish awaiting
   * PUBREL) only above the reserve; `on_its_way` (a delivery to a connected session, a sensor's
   * retained value replaced) above half of it, so values do not go stale and connected clients are
   * not cut off while there is room for the outbox.
   */
  private roomOnDisk(topic: string, payload: Buffer | string, kind: 'for_later' | 'on_its_way'): boolean {
    const min = this.diskReserve.minFreeBytes;
    if (this.diskReserve.take(storedBytes(topic, payload), kind === 'for_later' ? min : min / 2)) return true;
    this.counters.storeCapped.disk_reserve++;
    return false;
  }

  /**
   * Ends a persistent session away longer than sessionExpiryMs: its subscriptions, then (nothing
   * more being queued for it) its queue and inbound QoS 2 through the store's own operations, which
   * the caps' wrappers count down; its exactly-once records go too, as at a clean connect.
   */
  private async expireSession(clientId: string, awayMs: number, why: 'away' | 'left_behind'): Promise<void> {
    const queued = this.queueBound?.countOf(clientId) ?? 0;
    await this.persistence.cleanSubscriptions({ id: clientId });
    await this.persistence.cleanIncoming({ id: clientId, clean: false });
    this.dedup?.forgetClient(clientId);
    this.counters.sessionsExpired++;
    this.counters.storeCapped.session_expired += queued;
    const msg =
      why === 'away'
        ? 'persistent session away too long: expired, its subscriptions and queued messages removed'
        : "persistent session left behind: ended for a session of its login that connected with the login's queue total full, its subscriptions and queued messages removed";
    this.log.info({ clientId, awayMs, expiryMs: this.sessionExpiryMs, queuedDiscarded: queued, why }, msg);
  }

  /**
   * A new persistent session (a client id with nothing stored) of a login whose queue total is full
   * is connecting: the sessions its login left behind (firmware that makes up an id at each boot
   * leaves one each time), away longest first, end until the new session's own cap fits under the
   * total. A connected session is held to its own count only (store-quotas.ts), so without this a
   * crash-looping device piled up a session's cap per boot until expiry. A session coming back
   * ends none (a device's other persistent ids may be away with their queues for good reason), nor
   * one connected or connecting.
   */
  private async evictLeftBehind(clientId: string): Promise<void> {
    const bound = this.queueBound;
    const expiry = this.sessionExpiry;
    if (!bound || !expiry || this.queueLimits.perLogin <= 0) return;
    const login = bound.loginOf(clientId);
    const room = Math.max(0, this.queueLimits.perLogin - this.queueLimits.perSession);
    if (bound.loginCountOf(login) < this.queueLimits.perLogin || bound.countOf(clientId) > 0) return;
    if (((await this.persistence.subscriptionsByClient({ id: clientId })) ?? []).length > 0) return;
    const since = await expiry.awaySince();
    const leftBehind = bound
      .sessionsOf(login)
      .filter((id) => id !== clientId)
      .sort((a, b) => (since.get(a) ?? 0) - (since.get(b) ?? 0));
    for (const id of leftBehind) {
      if (bound.loginCountOf(login) <= room) break;
      await expiry.expireNow(id);
    }
  }

  /**
   * Whose a stored retained message is, by the client id on it: the login stamped by capRetained
   * (a device id or `anonymous`), or a will's real client id (a device's own id or `<id>:<suffix>`).
   * Null (counted for nobody) when there is none: the gateway's own, or stored before the caps.
   * An id no device has (anonymous clients', a removed device's) counts as anonymous, and so does
   * a stamp of a device since removed and added again under its id (retainedStamp: another created_ms).
   */
  private loginOfStoredClientId(clientId: unknown): string | null {
    if (typeof clientId !== 'string' || clientId === '') return null;
    const owner = clientId.split(':', 1)[0]!;
    const device = owner !== ANONYMOUS_ID ? this.credentials.get(owner) : null;
    if (!device) return ANONYMOUS_ID;
    const stamped = STAMP.exec(clientId.slice(owner.length));
    return stamped && Number(stamped[1]) !== device.createdMs ? ANONYMOUS_ID : owner;
  }

  private async createWebSocketServer(connectTimeoutMs: number): Promise<HttpServer> {
    // Loaded only when a WebSocket listener is configured: a gateway with --ws-port off is spared it.
    const { WebSocketServer, createWebSocketStream } = await import('ws');
    const http = createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('MQTT over WebSocket only\n');
    });
    // An HTTP connection that never finishes its upgrade request is an idle connect like any other.
    http.headersTimeout = connectTimeoutMs;
    http.requestTimeout = connectTimeoutMs;
    http.on('connection', (socket: Socket) => {
      this.gate.admit(socket);
    });
    this.wss = new WebSocketServer({
      server: http,
      // One WebSocket message carries one MQTT packet (mqtt.js, browsers), so the frame limit applies.
      maxPayload: this.maxFrameBytes + 16,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
    });
    this.wss.on('error', (err) => this.log.error({ err }, 'WebSocket server error'));
    this.wss.on('connection', (ws, req) => {
      const info: ConnectionInfo = { transport: 'ws', remoteAddress: req.socket.remoteAddress ?? '', socket: req.socket };
      const stream = createWebSocketStream(ws);
      ws.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.countOversized(clientIdOf(stream), null, info.remoteAddress);
      });
      this.connections.set(stream, info);
      // Not inside `fastPath?.watch(...)`: with no fast path that would skip handle() itself.
      const client = this.aedes.handle(stream, req);
      this.fastPath?.watch(client);
      this.guardFrames(stream, info);
    });
    return http;
  }

  private acceptTcp(socket: Socket): void {
    if (!this.gate.admit(socket)) return;
    const info: ConnectionInfo = { transport: 'tcp', remoteAddress: socket.remoteAddress ?? '', socket };
    this.connections.set(socket, info);
    coalesceWrites(socket);
    const client = this.aedes.handle(socket);
    this.fastPath?.watch(client);
    this.guardFrames(socket, info);
  }

  /** Watches packet sizes as bytes arrive, before aedes' parser has buffered a whole packet. */
  private guardFrames(conn: Duplex, info: ConnectionInfo): void {
    const scanner = new MqttFrameScanner(this.maxFrameBytes);
    // aedes reads in paused mode ('readable'); a 'data' listener then sees each chunk as aedes reads
    // it, without switching the stream to flowing mode.
    const onData = (chunk: Buffer): void => {
      const verdict = scanner.feed(chunk);
      if (verdict.kind === 'ok') return;
      conn.off('data', onData);
      if (verdict.kind === 'oversized') this.countOversized(clientIdOf(conn), verdict.declaredBytes, info.remoteAddress);
      // Destroy outside Readable.read(), which is what emitted this chunk.
      process.nextTick(() => conn.destroy());
    };
    conn.on('data', onData);
  }

  private countOversized(clientId: string | null, bytes: number | null, remoteAddress: string): void {
    this.counters.oversizedDrops++;
    this.log.warn({ clientId, bytes, limit: this.maxPayloadBytes, remoteAddress }, 'oversized packet dropped, connection closed');
    this.emit('oversized', { clientId, bytes, remoteAddress });
  }

  private watchAedes(): void {
    const aedes = this.aedes;
    // 'client' (registered, CONNACK about to go out), not 'clientReady': the latter waits for the
    // queued-message replay, and the client may already be subscribing by then.
    aedes.on('client', (client) => {
      const state = this.clientState.get(client);
      const info = this.connections.get(client.conn);
      if (!state?.subject || !info) return;
      // Removed after its password was checked, before the check above could see it connected.
      if (this.removedDevice(state)) return this.cut(client, state, 'device removed while it connected: its connection closed');
      this.connected.add(client);
      this.sessionExpiry?.connected(client.id);
      this.arrived(state);
      const subject = state.subject;
      const event: BrokerClientInfo = {
        clientId: client.id,
        role: subject.role,
        deviceId: subject.role === 'anonymous' ? null : subject.id,
        transport: info.transport,
        remoteAddress: info.remoteAddress,
      };
      this.log.debug(event, 'client connected');
      this.emit('clientConnected', event);
    });
    aedes.on('clientDisconnect', (client) => {
      if (!this.connected.delete(client)) return;
      if (client.clean === false) this.sessionExpiry?.left(client.id);
      this.log.debug({ clientId: client.id }, 'client disconnected');
      this.emit('clientDisconnected', { clientId: client.id });
    });
    aedes.on('subscribe', (subscriptions, client) => {
      this.emit('subscribed', {
        clientId: client.id,
        subscriptions: subscriptions.map((s) => ({ filter: s.topic, qos: s.qos })),
      });
    });
    const onConnectionError = (client: Client, err: Error): void => {
      if (err instanceof BrokerRefusal) return;
      this.counters.protocolErrors++;
      this.log.debug({ clientId: client.id, err: err.message }, 'connection closed on error');
    };
    aedes.on('clientError', onConnectionError);
    aedes.on('connectionError', onConnectionError);
    // Without a listener an 'error' (a persistence failure) would throw and take the gateway down.
    (aedes as EventEmitter).on('error', (err: unknown) => this.log.error({ err }, 'broker error'));
  }

  private preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void): void {
    const will = packet.will ? { topic: packet.will.topic, bytes: byteLength(packet.will.payload) } : null;
    const connection = `${this.runId}.${++this.connectionCount}`;
    const arrivingAs = packet.clientId || null;
    const state: ClientState = { serverAssignedId: !packet.clientId, arrivingAs, connection, will, subject: null, deviceCredential: null, deviceCreatedMs: null, lastAllowedTopic: null, qos0Dropped: 0, lastDelivered: 0, denied: { since: 0, n: 0 } };
    this.clientState.set(client, state);
    // Before any subscription exists: aedes binds a subscription to the client's deliver0/deliverQoS when it is made.
    if (this.maxQueuedQos0 > 0) this.boundQos0Delivery(client, state);
    this.dropOnlyCopies(client, state);
    // A connection already gone is never registered, and its 'close' will not come again.
    if (arrivingAs === null || (client.conn as Duplex).closed) {
      state.arrivingAs = null;
      return done(null, true);
    }
    // Its session does not expire while it connects; one expiring now is gone before aedes looks for it.
    this.arriving.set(arrivingAs, (this.arriving.get(arrivingAs) ?? 0) + 1);
    client.conn.once('close', () => this.arrived(state));
    const expiring = this.sessionExpiry?.inProgress(arrivingAs);
    if (expiring) void expiring.then(() => done(null, true));
    else done(null, true);
  }

  /** The connection is registered with aedes (or closed): no longer in `arriving`. */
  private arrived(state: ClientState): void {
    const id = state.arrivingAs;
    if (id === null) return;
    state.arrivingAs = null;
    const n = (this.arriving.get(id) ?? 1) - 1;
    if (n > 0) this.arriving.set(id, n);
    else this.arriving.delete(id);
  }

  /**
   * Replaces aedes' QoS 0 delivery for this client (qos0-queue.ts): written at once (no setImmediate
   * per message); a publish waits for this subscriber only while its socket is behind, and not at
   * all once it is stalled, when its deliveries queue and the oldest beyond maxQueuedQos0 are dropped.
   */
  private boundQos0Delivery(client: Client, state: ClientState): void {
    const queue = new Qos0Queue(client.conn, {
      limit: this.maxQueuedQos0,
      socketBytes: BROKER_DEFAULTS.qos0SocketBytes,
      stallMs: BROKER_DEFAULTS.qos0StallMs,
      onStall: () => {
        this.log.warn({ clientId: client.id, stallMs: BROKER_DEFAULTS.qos0StallMs, limit: this.maxQueuedQos0 }, 'subscriber stalled: publishes no longer wait for it; its QoS 0 deliveries queue, the oldest dropped beyond the limit');
      },
      onDrop: (packet) => {
        this.counters.qos0Dropped++;
        const n = ++state.qos0Dropped;
        // 1, 10, 100, ...: a subscriber that stays behind is visible in the log without flooding it.
        if (/^10*$/.test(String(n))) {
          this.log.warn({ clientId: client.id, dropped: n, limit: this.maxQueuedQos0, topic: packet.topic }, 'QoS 0 messages dropped: the subscriber does not read as fast as they come');
        }
      },
      onError: (err) => {
        this.counters.protocolErrors++;
        this.log.debug({ clientId: client.id, err: err.message }, 'QoS 0 delivery could not be written; closing');
        client.conn.destroy();
      },
    });
    client.conn.once('close', () => queue.close());
    this.fastPath?.serveWith(client, queue);
    const aedesClient = client as Client & { deliver0: Deliver };
    aedesClient.deliver0 = (packet, cb) => {
      // What aedes' own deliver0 checks: no-local (MQTT 5); copies are dropped by dropOnlyCopies.
      const skip = packet.nl && packet.clientId === client.id;
      // Never synchronously: aedes may be inside its parser's loop for the publisher's packets.
      if (skip) return void process.nextTick(cb);
      this.counters.messagesOut++;
      queue.deliver({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain === true, dup: false }, cb);
    };
  }

  /**
   * aedes keeps one copy per message for a client whose subscriptions overlap by comparing each
   * message's number with the highest it delivered to the client. Messages do not leave aedes in
   * the order they were numbered: a retained one waits for the store, a QoS 1 one for the queue
   * of a persistent session that is away, while later ones go straight through. The earlier one
   * then counted as a copy and was dropped, after its publisher had its PUBACK. Here copies are
   * dropped by firstCopy, and aedes' own check is left to pass.
   */
  private dropOnlyCopies(client: Client, state: ClientState): void {
    const aedesClient = client as Client & { deliverQoS: Deliver; deliver0: Deliver; duplicates: Record<string, number> };
    const { deliverQoS, deliver0 } = aedesClient;
    let inDeliverQoS = false;
    const delivers = (packet: DeliveredPacket): boolean => {
      if (!firstCopy(state, packet, this.aedes.id)) return false;
      if (packet.brokerId) aedesClient.duplicates[packet.brokerId] = (packet.brokerCounter ?? 0) - 1;
      return true;
    };
    aedesClient.deliverQoS = (packet, cb) => {
      // Never synchronously: aedes may be inside its parser's loop for the publisher's packets.
      if (!delivers(packet)) return void setImmediate(cb);
      inDeliverQoS = true;
      try {
        deliverQoS.call(client, packet, cb);
      } finally {
        inDeliverQoS = false;
      }
    };
    aedesClient.deliver0 = (packet, cb) => {
      // aedes' deliverQoS hands a message published at QoS 0 on to deliver0: judged there already.
      if (!inDeliverQoS && !delivers(packet)) return void setImmediate(cb);
      deliver0.call(client, packet, cb);
    };
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): Promise<void> {
    let refused: AuthenticateError | null;
    try {
      refused = await this.admit(client, username, password);
    } catch (err) {
      this.log.error({ err, clientId: client.id }, 'authentication failed with an error');
      refused = refusal(3, 'server unavailable');
    }
    if (refused) done(refused, false);
    else done(null, true);
  }

  /** Decides a CONNECT: null to let the client in (its ACL subject recorded), else the refusal to send. */
  private async admit(client: Client, username: string | undefined, password: Buffer | undefined): Promise<AuthenticateError | null> {
    const info = this.connections.get(client.conn);
    const state = this.clientState.get(client);
    if (!info || !state) return refusal(3, 'connection not tracked');
    const remoteAddress = info.remoteAddress;
    // [MQTT-3.1.3-8]: a session needs a name to be found again; aedes would invent one nobody can reuse.
    if (state.serverAssignedId && !client.clean) {
      this.deny('connect', null, 'empty client id with a persistent session');
      return refusal(2, 'empty client id requires a clean session');
    }
    let subject: AclSubject;
    if (username === undefined || username === '') {
      if (!this.allowAnonymous || !isLoopback(remoteAddress)) {
        const reason = this.allowAnonymous ? 'anonymous clients only from loopback' : 'anonymous access disabled';
        this.authFailed(client.id, null, remoteAddress, reason, 'anonymous');
        return refusal(5, reason);
      }
      const rules = bindRules(this.topicRules, { deviceId: null, clientId: client.id });
      subject = rules.length > 0 ? { role: 'anonymous', rules } : { role: 'anonymous' };
    } else {
      // Counted per login (this address and user name) and per address: a device left with an old
      // password locks out only itself, not the other clients sharing its address (a host running
      // Home Assistant, a NAT); one address trying many user names is stopped by the second count.
      const login = `${remoteAddress} ${username}`;
      if (password === undefined) {
        this.loginThrottle.failed(login);
        this.authThrottle.failed(remoteAddress);
        this.authFailed(client.id, username, remoteAddress, 'no password', 'no_password');
        return refusal(4, 'bad user name or password');
      }
      // Past its failed-login limit, an address is refused before any scrypt runs. "Server
      // unavailable" because it is temporary: clients retry it, and once the window is over a
      // correct password gets in again.
      if (!this.loginThrottle.tryBegin(login)) {
        this.authFailed(client.id, username, remoteAddress, 'too many failed logins for this user name from this address', 'throttled');
        return refusal(3, 'too many failed logins: try again later');
      }
      if (!this.authThrottle.tryBegin(remoteAddress)) {
        this.loginThrottle.settle(login, false);
        this.authFailed(client.id, username, remoteAddress, 'too many failed logins from this address', 'throttled');
        return refusal(3, 'too many failed logins: try again later');
      }
      let device: DeviceRecord | null | undefined;
      try {
        device = await this.verifyQueue.run(() => this.credentials.verifyDevice(username, password), () => !info.socket.destroyed);
      } finally {
        this.loginThrottle.settle(login, device === null);
        this.authThrottle.settle(remoteAddress, device === null);
      }
      // Gone while waiting for its turn: nobody to answer, nothing verified.
      if (device === undefined) return refusal(3, 'connection closed before its password was checked');
      // Removed, or its secret rotated, while its password was being checked: as unknown.
      if (!device || this.credentials.get(username)?.credential !== device.credential) {
        this.authFailed(client.id, username, remoteAddress, 'unknown device or wrong secret', 'bad_secret');
        return refusal(4, 'bad user name or password');
      }
      const role = device.role;
      state.deviceCredential = device.credential;
      state.deviceCreatedMs = device.createdMs;
      const rules = bindRules(withDeviceRules(this.topicRules, username, this.credentials.rules(username)), { deviceId: username, clientId: client.id });
      subject = rules.length > 0 ? { role, id: username, rules } : { role, id: username };
    }
    const idDecision = canUseClientId(subject, client.id, {
      serverAssigned: state.serverAssignedId,
      isDeviceId: (id) => this.credentials.get(id) !== null,
    });
    if (!idDecision.allow) {
      this.deny('connect', client.id, idDecision.reason);
      return refusal(2, idDecision.reason);
    }
    // A will is a publish made later on the client's behalf, so it is judged now, while the client can still be told.
    if (state.will) {
      if (state.will.bytes > this.maxPayloadBytes) {
        this.countOversized(client.id, state.will.bytes, remoteAddress);
        return refusal(5, 'will payload too large');
      }
      const willLevels = topicLevels(state.will.topic);
      const willDecision: ReturnType<typeof canPublish> =
        willLevels > BROKER_DEFAULTS.maxTopicLevels ? { allow: false, reason: `topic has ${willLevels} levels, over the limit of ${BROKER_DEFAULTS.maxTopicLevels}` } : canPublish(subject, state.will.topic);
      if (!willDecision.allow) {
        this.deny('connect', client.id, `will: ${willDecision.reason}`, state.will.topic);
        return refusal(5, `will topic not allowed: ${willDecision.reason}`);
      }
    }
    // A clean session starts afresh: nothing it sends is a resend of what an earlier session sent.
    if (client.clean) this.dedup?.forgetClient(client.id);
    else await this.evictLeftBehind(client.id);
    state.subject = subject;
    this.gate.promote(info.socket);
    return null;
  }

  /**
   * Runs for every PUBLISH, so the usual case (QoS 0 or 1, a topic the ACL allows) is decided and
   * answered synchronously; only a QoS 2 message waits, for the store to say whether it is a resend.
   */
  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    let refused: Error | null;
    try {
      const verdict = this.judgePublish(client, packet);
      if (verdict === DROPPED) {
        this.dropping.add(packet);
        return done(null);
      }
      refused = verdict;
      if (refused === null && client !== null && packet.qos === 2 && packet.messageId !== undefined) {
        // A QoS 2 PUBLISH resent because our PUBREC was lost is already stored; aedes will only
        // re-acknowledge it, and the gateway must not take it twice.
        this.persistence.incomingGetPacket(client, packet).then(
          () => this.takenPublish(client, packet, true, done),
          () => this.takenPublish(client, packet, false, done),
        );
        return;
      }
    } catch (err) {
      // Judging itself failed: nothing was handed over yet, so a drop is acknowledged without taking it.
      refused = this.refuseOrDrop(client, packet, err);
      if (refused === null) return done(null);
    }
    if (refused === null) this.takenPublish(client, packet, false, done);
    else done(refused);
  }

  /** Hands an allowed message to the gateway's own subscribers (unless it is a resend) and lets aedes go on. */
  private takenPublish(client: Client | null, packet: PublishPacket, resent: boolean, done: (error?: Error | null) => void): void {
    let refused: Error | null = null;
    try {
      if (resent) this.counters.resendsRecognised++;
      else if (this.internal.length > 0) this.takeInternally(client, packet);
      this.counters.messagesIn++;
    } catch (err) {
      refused = this.refuseOrDrop(client, packet, err);
    }
    // The publisher's DUP says it may have sent this before, to us; the copies we deliver are
    // first sends [MQTT-3.3.1-3] (aedes would copy the flag to every subscriber and retained copy).
    packet.dup = false;
    done(refused);
  }

  /**
   * Applies the login's retained-topic cap to a retained publish aedes is about to store: kept (its
   * admission returned, for the store's write to apply), or delivered live only (retain cleared, so
   * aedes does not store it). A kept one carries its login (retainedStamp) as its client id into the store (aedes
   * copies a packet's clientId, and sets the real one again for delivery), so the counts are rebuilt
   * from the store at the next start. A clear, and the gateway's own, need no admission.
   */
  private capRetained(client: Client | null, packet: PublishPacket): RetainedAdmission | null {
    const subject = client ? this.clientState.get(client)?.subject : this.subjectOfStoredWill(storedWillClientId(packet));
    const login = deviceIdOf(subject);
    if (login === null || byteLength(packet.payload) === 0) return null;
    const admission = this.retainedQuota.admit(login, packet.topic);
    if (admission && !this.roomOnDisk(packet.topic, packet.payload, admission.reserved ? 'for_later' : 'on_its_way')) {
      // Delivered live only. A value it replaces (stored, or on its way to the store) is cleared
      // after it rather than left stale for the next subscriber.
      this.retainedQuota.withdrawAdmission(admission);
      packet.retain = false;
      if (!admission.reserved || this.retainedQuota.writingTo(packet.topic)) {
        this.persistence.storeRetained({ ...packet, payload: Buffer.alloc(0), retain: true }).catch((err: unknown) => this.log.error({ err, topic: packet.topic }, 'clearing a retained message the disk had no room to replace failed'));
      }
      return null;
    }
    if (admission) {
      if (client) (packet as PublishPacket & { clientId?: string }).clientId = retainedStamp(login, this.clientState.get(client)?.deviceCreatedMs ?? null);
      return admission;
    }
    packet.retain = false;
    this.counters.storeCapped.retained_topics++;
    const since = this.capWarnings.hit(`retained ${login}`);
    if (since !== null) {
      this.log.warn({ login, clientId: client?.id ?? storedWillClientId(packet), topic: packet.topic, limit: this.retainedQuota.limit, notRetained: since }, 'login at its retained-topic limit: a retained publish to a new topic is delivered but not kept');
    }
    return null;
  }

  /** untakeable's verdict for the aedes path: an Error closes the connection; a drop lets aedes acknowledge the packet, routed nowhere. */
  private refuseOrDrop(client: Client | null, packet: PublishPacket, err: unknown): Error | null {
    const verdict = this.untakeable(client, packet, err);
    if (verdict !== DROPPED) return verdict;
    this.dropping.add(packet);
    return null;
  }

  /**
   * Delivers to the gateway's subscribers. A QoS 1/2 message of a persistent session goes through
   * the dedup record first: the client may be resending it because we were killed after taking it
   * and before our PUBACK/PUBREC left. Clean sessions are not recorded: their state ends with the
   * connection, and a clean connect forgets the client's records.
   */
  private takeInternally(client: Client | null, packet: PublishPacket): void {
    const payload = payloadOf(packet);
    const state = client ? this.clientState.get(client) : undefined;
    if (
      !this.dedup ||
      !client ||
      !state ||
      client.clean ||
      packet.qos === 0 ||
      packet.messageId === undefined ||
      !this.internal.some((s) => topicMatches(s.filter, packet.topic))
    ) {
      const clientId = client?.id ?? storedWillClientId(packet);
      const subject = client ? state?.subject : this.subjectOfStoredWill(clientId);
      this.deliverInternally(packet.topic, payload, clientId, undefined, deviceIdOf(subject));
      return;
    }
    const verdict = this.dedup.take(
      { clientId: client.id, packetId: packet.messageId, dup: packet.dup, topic: packet.topic, payload, connection: state.connection },
      (msgId) => this.deliverInternally(packet.topic, payload, client.id, msgId, deviceIdOf(state.subject)),
    );
    if (verdict.kind === 'resend') {
      this.counters.resendsRecognised++;
      this.log.info({ clientId: client.id, packetId: packet.messageId, msgId: verdict.msgId, topic: packet.topic }, 'resend of a message already taken: acknowledged again, not taken twice');
    }
  }

  /**
   * What to do with a message a gateway handler threw for. One the hub would refuse (too deep, too
   * large once wrapped, a payload it cannot store) is dropped: acknowledged, counted and logged with
   * the reason, neither queued for the hub nor routed. MQTT 3.1.1 has no negative PUBACK, and left
   * unacknowledged (the connection closed) a persistent session resends it first thing at every
   * reconnect, forever, and nothing it sends after it ever gets through; mosquitto too acknowledges
   * and drops a publish its ACL denies. Anything else (the outbox's disk failing) may pass: not
   * acknowledged, so the client sends it again.
   */
  private untakeable(client: Client | null, packet: PublishPacket, err: unknown): Error | typeof DROPPED {
    const clientId = client?.id ?? storedWillClientId(packet);
    const refusal = (err as { refusal?: unknown } | null)?.refusal;
    if (typeof refusal === 'string') {
      this.counters.hubRefusals[refusal] = (this.counters.hubRefusals[refusal] ?? 0) + 1;
      this.deny('publish', clientId, `the hub would refuse it (${refusal}): ${(err as Error).message}; acknowledged and dropped`, packet.topic, `hub_${refusal}`);
      return this.deniedTooOften(client, clientId) ?? DROPPED;
    }
    this.log.error({ err, clientId, topic: packet.topic }, 'the gateway could not take a message; not acknowledging it');
    return new BrokerRefusal('gateway could not take the message');
  }

  /**
   * Judges a client's PUBLISH (or a will): null if it may be taken, acknowledged and routed; DROPPED
   * if it is to be acknowledged and routed nowhere (a topic the client may not use); else the
   * refusal that closes the connection.
   */
  private judgePublish(client: Client | null, packet: PublishPacket): Error | typeof DROPPED | null {
    const state = client ? this.clientState.get(client) : undefined;
    const topic = packet.topic;
    const payloadBytes = byteLength(packet.payload);
    if (state?.subject && topic === state.lastAllowedTopic && payloadBytes <= this.maxPayloadBytes) return null;
    const clientId = client?.id ?? storedWillClientId(packet);
    const subject = client ? (state?.subject ?? null) : this.subjectOfStoredWill(clientId);
    if (!subject) {
      this.deny('publish', clientId, 'no authenticated client', topic);
      return new BrokerRefusal('not authenticated');
    }
    if (payloadBytes > this.maxPayloadBytes) {
      const remoteAddress = client ? (this.connections.get(client.conn)?.remoteAddress ?? '') : '';
      this.countOversized(clientId, payloadBytes, remoteAddress);
      return new BrokerRefusal('payload too large');
    }
    // Not a topic name at all (U+0000, a wildcard): a malformed packet, which closes its connection.
    if (!isValidTopicName(topic)) {
      this.deny('publish', clientId, 'not a valid topic name', topic);
      return new BrokerRefusal('not a valid topic name');
    }
    // A publish the client may not make is acknowledged and dropped, as mosquitto does: MQTT 3.1.1
    // has no negative PUBACK, and closing the connection instead had a persistent QoS 1 session
    // resend it first at every reconnect, cut off again each time, with its readings stuck behind it.
    if (topicLevels(topic) > BROKER_DEFAULTS.maxTopicLevels) {
      return this.denyPublish(client, clientId, 'topic_levels', `topic has ${topicLevels(topic)} levels, over the limit of ${BROKER_DEFAULTS.maxTopicLevels}`, topic);
    }
    const decision = canPublish(subject, topic);
    if (!decision.allow) {
      if (topic.startsWith('$')) this.counters.reservedTopicRefusals++;
      return this.denyPublish(client, clientId, topic.startsWith('$') ? 'reserved_topic' : 'acl', decision.reason, topic);
    }
    if (state) state.lastAllowedTopic = topic;
    if (client) this.fastPath?.allow(client, topic);
    return null;
  }

  /** judgePublish's verdict on a topic for the fast path, without its side effects (a refusal is left to judgePublish). */
  private allowsForwarding(client: Client, topic: string): boolean {
    const subject = this.clientState.get(client)?.subject;
    if (!subject || topic.startsWith('$') || !isValidTopicName(topic) || topicLevels(topic) > BROKER_DEFAULTS.maxTopicLevels) return false;
    return canPublish(subject, topic).allow;
  }

  /**
   * A QoS 0 publish the fast path forwards: its topic was allowed for this client before, so what
   * is left is takenPublish's part (the gateway's own subscribers, the counters).
   */
  private takeForwarded(client: Client, topic: string, payload: Buffer | null, deliveries: number, qos: 0 | 1): Error | typeof DROPPED | null {
    try {
      if (payload !== null) this.deliverInternally(topic, payload, client.id, undefined, deviceIdOf(this.clientState.get(client)?.subject));
    } catch (err) {
      return this.untakeable(client, { cmd: 'publish', topic, payload: payload ?? Buffer.alloc(0), qos, retain: false, dup: false }, err);
    }
    this.counters.messagesIn++;
    if (qos === 0) this.counters.qos0Forwarded++;
    else this.counters.qos1Forwarded++;
    this.counters.messagesOut += deliveries;
    return null;
  }

  private authorizeSubscribe(
    client: Client,
    sub: Subscription,
    done: (error: Error | null, subscription?: Subscription | null) => void,
  ): void {
    const subject = this.clientState.get(client)?.subject;
    const levels = topicLevels(sub.topic);
    const decision: ReturnType<typeof canSubscribe> = !subject
      ? { allow: false, reason: 'no authenticated client' }
      : levels > BROKER_DEFAULTS.maxTopicLevels
        ? { allow: false, reason: `filter has ${levels} levels, over the limit of ${BROKER_DEFAULTS.maxTopicLevels}` }
        : canSubscribe(subject, sub.topic);
    if (!decision.allow) {
      this.deny('subscribe', client.id, decision.reason, sub.topic);
      // A null subscription makes aedes answer 0x80 for this filter and keep the connection.
      return done(null, null);
    }
    done(null, sub);
  }

  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket {
    // aedes caps a delivery's QoS only when the subscription's filter is literally the topic, and
    // not at all for messages queued while a persistent session was away; [MQTT-3.8.4-6] wants the
    // lower of the publish's and the granted QoS. The packet is this client's own copy.
    if (packet.qos > 0) {
      const granted = grantedQos(client, packet.topic, packet.qos);
      if (granted !== null && granted < packet.qos) packet.qos = granted;
    }
    this.counters.messagesOut++;
    return packet;
  }

  /** A will left by a previous run has no client object; its id tells whose it is, if that device still exists. */
  private subjectOfStoredWill(clientId: string | null): AclSubject | null {
    if (!clientId) return null;
    const owner = clientId.split(':', 1)[0]!;
    if (owner === ANONYMOUS_ID) return null;
    const device = this.credentials.get(owner);
    if (!device) return null;
    const rules = bindRules(withDeviceRules(this.topicRules, device.id, this.credentials.rules(device.id)), { deviceId: device.id, clientId });
    return rules.length > 0 ? { role: device.role, id: device.id, rules } : { role: device.role, id: device.id };
  }

  private deliverInternally(topic: string, payload: Buffer, clientId: string | null, msgId: string | undefined, deviceId: string | null): void {
    for (const sub of this.internal) {
      if (!topicMatches(sub.filter, topic)) continue;
      const result = sub.handler(topic, payload, clientId, msgId, deviceId);
      if (result instanceof Promise) {
        result.catch((err: unknown) => this.log.error({ err, topic, filter: sub.filter }, 'gateway message handler failed'));
      }
    }
  }

  /** A publish denied: counted by why, logged, and acknowledged and dropped (see judgePublish), unless the client is flooding denials (closed). */
  private denyPublish(client: Client | null, clientId: string | null, why: PublishDenialReason, reason: string, topic: string): typeof DROPPED | BrokerRefusal {
    this.counters.publishDenials[why]++;
    this.deny('publish', clientId, `${reason}; acknowledged and dropped`, topic, why);
    return this.deniedTooOften(client, clientId) ?? DROPPED;
  }

  /**
   * Counted and reported to the listeners each time; logged at most once a minute per client, kind
   * and why (with how many since), the topic and reason cut short: a client pipelining denied
   * publishes to a 64 KiB topic wrote 120 MB of log in 2 s.
   */
  private deny(kind: DenialKind, clientId: string | null, reason: string, topic?: string, why: string = kind): void {
    this.counters.denials[kind]++;
    const since = this.capWarnings.hit(`denied ${kind} ${why} ${clientId ?? ''}`);
    if (since !== null) {
      const clip = (text: string): string => (text.length > BROKER_DEFAULTS.deniedLogChars ? `${text.slice(0, BROKER_DEFAULTS.deniedLogChars)}… (${text.length} characters)` : text);
      this.log.warn({ clientId, kind, ...(topic !== undefined ? { topic: clip(topic) } : {}), reason: clip(reason), ...(since > 1 ? { deniedSinceLastLogged: since } : {}) }, `${kind} denied`);
    }
    this.emit('denied', topic === undefined ? { kind, clientId, reason } : { kind, clientId, reason, topic });
  }

  /**
   * A client's publishes denied more than deniedPublishCut times within deniedPublishWindowMs: the
   * refusal that closes its connection (counted, logged once), else null. Wills (no client) are never cut.
   */
  private deniedTooOften(client: Client | null, clientId: string | null): BrokerRefusal | null {
    const state = client ? this.clientState.get(client) : undefined;
    if (!state) return null;
    const now = this.now();
    if (now - state.denied.since >= BROKER_DEFAULTS.deniedPublishWindowMs || now < state.denied.since) state.denied = { since: now, n: 0 };
    const n = ++state.denied.n;
    if (n <= BROKER_DEFAULTS.deniedPublishCut) return null;
    if (n === BROKER_DEFAULTS.deniedPublishCut + 1) {
      this.counters.deniedFloodsCut++;
      this.log.warn({ clientId, denied: n, windowMs: BROKER_DEFAULTS.deniedPublishWindowMs }, 'connection closed: too many denied publishes in a short time');
    }
    return new BrokerRefusal('too many denied publishes');
  }

  private authFailed(clientId: string, username: string | null, remoteAddress: string, reason: string, kind: AuthFailureReason): void {
    const n = ++this.counters.authFailuresByReason[kind];
    // Refusals of a throttled address cost nothing, and neither may their logging: the 1st, 10th, 100th, ...
    if (kind !== 'throttled' || Number.isInteger(Math.log10(n))) this.log.warn({ clientId, username, remoteAddress, reason, ...(kind === 'throttled' ? { throttledSoFar: n } : {}) }, 'authentication failed');
    this.emit('authFailed', { clientId, username, remoteAddress, reason });
  }

  private async shutdown(): Promise<void> {
    const closed = (server: TcpServer | HttpServer | null): Promise<void> =>
      server?.listening ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
    const listenersClosed = Promise.all([closed(this.tcp), closed(this.http)]);
    this.wss?.close();
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    if (this.deviceTimer) clearInterval(this.deviceTimer);
    this.diskReserve.stop();
    if (this.aedes) await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // Whatever aedes did not own yet: sockets still before CONNECT, half-finished upgrades.
    this.gate.closeAll();
    await listenersClosed;
    // The sessions aedes just disconnected are recorded as away from now, before the store closes.
    await this.sessionExpiry?.settle();
    await this.persistence.destroy().catch((err: unknown) => this.log.error({ err }, 'closing the broker database failed'));
    this.log.info('broker closed');
  }
}

function listen(server: TcpServer | HttpServer, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new GatewayError('E_CONFIG', `cannot listen for ${what} on ${host}:${port}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function refusal(returnCode: 2 | 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new BrokerRefusal(message), { returnCode: returnCode as AuthErrorCode });
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function byteLength(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
}

/** What storing a message costs the disk: LevelDB writes it twice (its log, then a table), with its key. */
function storedBytes(topic: string, payload: Buffer | string): number {
  return 2 * (Buffer.byteLength(topic) + byteLength(payload) + 128);
}

function clientIdOf(conn: Duplex): string | null {
  return (conn as Duplex & { client?: { id?: string | null } }).client?.id ?? null;
}

/**
 * The highest QoS granted to any of the client's subscriptions that match `topic`; null if none
 * does. Matching is skipped when no subscription was granted less than `wanted`, as then whatever
 * matches grants at least that (the usual case: it runs for every delivery).
 */
function grantedQos(client: Client, topic: string, wanted: number): 0 | 1 | 2 | null {
  const subscriptions = (client as Client & { subscriptions?: Record<string, { qos?: number }> }).subscriptions;
  if (!subscriptions) return null;
  let lowest = 2;
  for (const filter in subscriptions) lowest = Math.min(lowest, subscriptions[filter]?.qos ?? 0);
  if (lowest >= wanted) return null;
  let best: number | null = null;
  for (const filter in subscriptions) {
    const qos = subscriptions[filter]?.qos ?? 0;
    if ((best === null || qos > best) && topicMatches(filter, topic)) best = qos;
  }
  return best === null ? null : (Math.min(best, 2) as 0 | 1 | 2);
}

/** A message as aedes hands it to a client's delivery function. */
interface DeliveredPacket {
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly retain?: boolean;
  readonly nl?: boolean;
  readonly clientId?: string;
  readonly brokerId?: string | null;
  readonly brokerCounter?: number;
}
type Deliver = (packet: DeliveredPacket, cb: () => void) => void;

/** Where the broker database keeps how many times the broker has started on it. */
const RUN_KEY = 'unibos-broker-run';

/**
 * This start's broker id, which sorts after every earlier start's. aedes keys a session's queued
 * messages `outgoing:<client>:<broker id>:<counter>` and replays them in key order; with its
 * default id, a random UUID per start, messages queued before and after a restart came back in a
 * random order (a plug told ON and then OFF could end ON). The start count is kept in the database,
 * and the starts whose messages are still queued say how far it had got, should it be lost or not
 * have been written (logged; the broker starts all the same). `r` sorts after the hex digits of
 * the UUIDs of earlier versions; the random tail keeps two starts' keys apart whatever happens.
 */
async function nextRunId(db: Level, log: Pick<Logger, 'warn'>): Promise<string> {
  const stored = Number(await db.get(RUN_KEY));
  let last = Number.isSafeInteger(stored) && stored > 0 ? stored : 0;
  for await (const key of db.keys(OUTGOING_RANGE)) {
    const run = RUN_IN_KEY.exec(key);
    if (run) last = Math.max(last, Number(run[1]));
  }
  const run = last + 1;
  await db.put(RUN_KEY, String(run)).catch((err: unknown) => log.warn({ err, run }, 'cannot record the broker\u2019s start count: messages queued in this run and the next may be replayed out of order'));
  return `r${String(run).padStart(12, '0')}-${randomBytes(4).toString('hex')}`;
}

/** A start's count in a queued message's key (`outgoing:<client>:r<count>-<tail>:<counter>`). */
const RUN_IN_KEY = /^outgoing:[^:]*:r(\d{12})-[0-9a-f]{8}:/;

/** aedes' dedupe: a client takes each broker's message numbers in increasing order, once. */
/**
 * Whether `packet` is not a copy of the message last delivered to the client: mqemitter hands a
 * message to each of a client's matching subscriptions one right after the other, each a copy
 * with the message's number (aedes numbers every message it routes; messages of other brokers,
 * without our id, are not ours to judge).
 */
function firstCopy(state: ClientState, packet: DeliveredPacket, brokerId: string): boolean {
  if (packet.brokerId !== brokerId || packet.brokerCounter === undefined) return true;
  if (packet.brokerCounter === state.lastDelivered) return false;
  state.lastDelivered = packet.brokerCounter;
  return true;
}

function topicLevels(topic: string): number {
  let levels = 1;
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47) levels++;
  return levels;
}

function payloadOf(packet: PublishPacket): Buffer {
  return Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
}

/** Whose a message is, by the login of its publisher: a device id, or `anonymous`. */
function deviceIdOf(subject: AclSubject | null | undefined): string | null {
  if (!subject) return null;
  return subject.role === 'anonymous' ? ANONYMOUS_ID : subject.id;
}

/**
 * The owner a device's retained message is stored with: its login and the created_ms of the device
 * row it logged in with (`{login}:@{createdMs}`; ':' never occurs in a login, so the login is still
 * the part before the first ':'), so a device removed and added again under the same id is not
 * taken for the owner of the old one's messages (its Home Assistant configs). Kept messages stamped
 * before this carry the login alone and stay its own.
 */
function retainedStamp(login: string, createdMs: number | null): string {
  return createdMs === null ? login : `${login}:@${createdMs}`;
}
const STAMP = /^:@(\d+)$/;

function storedWillClientId(packet: PublishPacket): string | null {
  const id = (packet as PublishPacket & { clientId?: unknown }).clientId;
  return typeof id === 'string' ? id : null;
}
