// The broker's counters, kept as plain numbers so /metrics can read them without the broker
// depending on a metrics library.

import { STORE_CAP_REASONS, type StoreCapReason } from './store-quotas.ts';

export type DenialKind = 'connect' | 'publish' | 'subscribe';

/**
 * Why a PUBLISH was denied (acknowledged and dropped): a topic the client's ACL does not allow, a
 * `$` topic (the broker's own), or a topic deeper than the broker's level limit.
 */
export const PUBLISH_DENIAL_REASONS = ['acl', 'reserved_topic', 'topic_levels'] as const;
export type PublishDenialReason = (typeof PUBLISH_DENIAL_REASONS)[number];

/**
 * Why a CONNECT was refused for credentials: no login where one is needed, a login without a
 * password, an unknown device or wrong secret, or an address past its failed-login limit
 * (refused without checking the password, auth-throttle.ts).
 */
export type AuthFailureReason = 'anonymous' | 'no_password' | 'bad_secret' | 'throttled';

export interface BrokerStats {
  readonly clientsConnected: number;
  /** PUBLISH packets (and wills) from clients that passed the ACL. */
  readonly messagesIn: number;
  /** Messages the broker wrote to client connections. */
  readonly messagesOut: number;
  /** Authenticated clients refused something: a client id, a will topic, a publish or a subscription. */
  readonly denials: Readonly<Record<DenialKind, number>>;
  /**
   * Publishes denied and so acknowledged and dropped, by why (MQTT 3.1.1 has no negative PUBACK;
   * closing the connection had a persistent QoS 1 session resend it forever). Also in denials.publish.
   */
  readonly publishDenials: Readonly<Record<PublishDenialReason, number>>;
  /** CONNECTs refused for credentials: unknown device, wrong secret, anonymous not allowed, too many failures from the address. */
  readonly authFailures: number;
  /** The same, by reason; they add up to authFailures. */
  readonly authFailuresByReason: Readonly<Record<AuthFailureReason, number>>;
  /** Payloads over maxPayloadBytes and packets whose header announced more than the frame limit. */
  readonly oversizedDrops: number;
  /** Connections shed by the connection caps (oldest unauthenticated evicted, or over the total). */
  readonly connectionsShed: number;
  /** Connections closed for a protocol error: garbage, malformed packets, timeouts. */
  readonly protocolErrors: number;
  /** Connections of devices closed by the gateway: removed from the device list while connected (or disconnectDevice). */
  readonly devicesCut: number;
  /** Connections closed for publishes denied (or refused for the hub) more than 100 times within 10 s (BROKER_DEFAULTS.deniedPublishCut). */
  readonly deniedFloodsCut: number;
  /**
   * Publishes the hub would refuse, by the hub limit they break: acknowledged (MQTT 3.1.1 has no
   * negative PUBACK; unacknowledged, a persistent session resends it at every reconnect) and
   * dropped: neither queued for the hub nor routed to subscribers.
   */
  readonly hubRefusals: Readonly<Record<string, number>>;
  /** QoS 1/2 resends of a message already taken (after a crash before our acknowledgement): acknowledged again, not taken twice. */
  readonly resendsRecognised: number;
  /** Publishes to `$…` topics denied (acknowledged and dropped): those belong to the broker ($SYS), never to a client. */
  readonly reservedTopicRefusals: number;
  /** QoS 0 deliveries dropped (oldest first) for subscribers whose queue was full (maxQueuedQos0). */
  readonly qos0Dropped: number;
  /** QoS 0 publishes forwarded as the publisher's own frame, below aedes (publish-fast-path.ts); also counted in messagesIn. */
  readonly qos0Forwarded: number;
  /** QoS 1 publishes acknowledged and forwarded below aedes (publish-fast-path.ts); also counted in messagesIn. */
  readonly qos1Forwarded: number;
  /**
   * Messages not kept on disk for a storage cap (store-quotas.ts), by cap: `retained_topics`, a
   * retained publish to a new topic by a login at maxRetainedPerLogin (delivered live, not
   * retained); `offline_queue`, a message not queued for a persistent session away with
   * maxQueuedPerSession already queued; `offline_queue_login`, the same for a login with
   * maxQueuedPerLogin queued over all its away sessions; `inbound_qos2`, a QoS 2 PUBLISH of a
   * persistent session that already has maxInflightInbound stored awaiting PUBREL (connection
   * closed, not acknowledged); `session_expired`, a message queued for a persistent session
   * discarded when the session expired (away longer than sessionExpiryMs); `disk_reserve`, a
   * retained publish of a device login (delivered live, not retained), a message for a persistent
   * session, or a persistent session's QoS 2 publish (connection closed) not stored because the
   * filesystem was at minFreeBytes (mesh-protocol's DiskReserve; see GatewayBrokerOptions).
   */
  readonly storeCapped: Readonly<Record<StoreCapReason, number>>;
  /** Persistent sessions expired for being away longer than sessionExpiryMs (their queued messages in storeCapped.session_expired). */
  readonly sessionsExpired: number;
  /** Free bytes under the broker database, as last measured less what was stored since (DiskReserve); null: not measured. */
  readonly diskFreeBytes?: number | null;
}

export class BrokerCounters {
  messagesIn = 0;
  messagesOut = 0;
  readonly denials: Record<DenialKind, number> = { connect: 0, publish: 0, subscribe: 0 };
  readonly publishDenials = Object.fromEntries(PUBLISH_DENIAL_REASONS.map((r) => [r, 0])) as Record<PublishDenialReason, number>;
  readonly authFailuresByReason: Record<AuthFailureReason, number> = { anonymous: 0, no_password: 0, bad_secret: 0, throttled: 0 };
  oversizedDrops = 0;
  connectionsShed = 0;
  protocolErrors = 0;
  devicesCut = 0;
  deniedFloodsCut = 0;
  readonly hubRefusals: Record<string, number> = {};
  resendsRecognised = 0;
  reservedTopicRefusals = 0;
  qos0Dropped = 0;
  qos0Forwarded = 0;
  qos1Forwarded = 0;
  sessionsExpired = 0;
  readonly storeCapped = Object.fromEntries(STORE_CAP_REASONS.map((r) => [r, 0])) as Record<StoreCapReason, number>;

  snapshot(clientsConnected: number): BrokerStats {
    return {
      clientsConnected,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      denials: { ...this.denials },
      publishDenials: { ...this.publishDenials },
      authFailures: Object.values(this.authFailuresByReason).reduce((a, b) => a + b, 0),
      authFailuresByReason: { ...this.authFailuresByReason },
      oversizedDrops: this.oversizedDrops,
      connectionsShed: this.connectionsShed,
      protocolErrors: this.protocolErrors,
      devicesCut: this.devicesCut,
      deniedFloodsCut: this.deniedFloodsCut,
      hubRefusals: { ...this.hubRefusals },
      resendsRecognised: this.resendsRecognised,
      reservedTopicRefusals: this.reservedTopicRefusals,
      qos0Dropped: this.qos0Dropped,
      qos0Forwarded: this.qos0Forwarded,
      qos1Forwarded: this.qos1Forwarded,
      storeCapped: { ...this.storeCapped },
      sessionsExpired: this.sessionsExpired,
    };
  }
}
