// The broker gateways connect to (aedes over TCP). Every client is a claimed gateway: MQTT user
// name = its 8-hex id = its client id, password = the secret it got when it claimed. A gateway
// may publish only its own gw/{id}/... topics plus mesh/# and sensor/#, and subscribe only to its
// own tx topic. What it publishes is ingested inside authorizePublish, before aedes sends the
// PUBACK, so an acknowledged message is already stored (gateway/docs/uplink.md).
// Bytes are capped before anyone has authenticated: each packet's size is read from its fixed
// header as it arrives (the first, the CONNECT, with a much smaller cap) and the socket is cut
// before aedes' parser buffers it; unauthenticated sockets are few, and the oldest goes first.

import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type AuthErrorCode, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { FastifyBaseLogger } from 'fastify';
import { ConnectionGate, HUB_UPLINK_LIMITS, MqttFrameScanner, topics, type GatewayLeaf } from '@unibos/mesh-protocol';
import type { DeviceCredentials } from '../fleet/device-credentials.ts';
import { HubError } from '../hub-error.ts';

export interface HubBrokerOptions {
  host: string;
  port: number;
  credentials: DeviceCredentials;
  logger: FastifyBaseLogger;
  /**
   * Called for every authorized publish, synchronously, before the PUBACK. Bad input is the
   * callee's to count and drop; a throw means the hub could not store it: no PUBACK goes out and
   * the gateway sends it again after reconnecting.
   */
  ingest: (gateway: { orgId: string; id: string }, topic: string, payload: Buffer) => void;
  /** All sockets, authenticated or not; past this new ones are refused. Default 1000. */
  maxConnections?: number;
  /** Sockets that have not authenticated yet; past this the oldest is dropped. Default 64. */
  maxPendingConnections?: number;
  /** Bytes of a CONNECT after its fixed header (id, gateway id, secret, will). Default 4 KiB. */
  maxConnectBytes?: number;
  /** Default and upper bound: HUB_UPLINK_LIMITS.maxPublishBytes, what gateways are told the hub takes. */
  maxPayloadBytes?: number;
}

export const HUB_BROKER_DEFAULTS = {
  maxConnections: 1000,
  maxPendingConnections: 64,
  // A gateway's CONNECT carries an 8-hex id twice, a 43-character secret and a small status will.
  maxConnectBytes: 4096,
  connectTimeoutMs: 10_000,
} as const;

/** Beyond the payload, a PUBLISH carries a topic (at most 65,535 bytes) with its length and a packet id. */
const PUBLISH_OVERHEAD_BYTES = 65_535 + 2 + 2;

export interface HubBrokerEvents {
  gatewayConnected: [{ orgId: string; id: string }];
  gatewayDisconnected: [{ orgId: string; id: string }];
}

export interface HubBrokerStats {
  connected: number;
  authFailures: number;
  denied: number;
  published: number;
  /** Publishes refused because storing them failed (disk full, I/O error). */
  storeFailures: number;
  /** Connections cut because a packet's header declared more bytes than allowed (a CONNECT included). */
  oversized: number;
  /** Connections cut because the stream was not MQTT (e.g. a reserved packet type). */
  malformed: number;
  /** Sockets dropped by the connection limits (the oldest unauthenticated one, or any past the total cap). */
  shed: number;
}

const GATEWAY_ID = /^[0-9a-f]{8}$/;
/** What a gateway may publish under its own gw/{id}/ (tx is the hub's to publish). */
const GATEWAY_PUBLISHES: readonly GatewayLeaf[] = ['status', 'rx', 'txstatus'];

class Refusal extends Error {}

function refusal(code: AuthErrorCode, message: string): AuthenticateError {
  return Object.assign(new Refusal(message), { returnCode: code });
}

export class HubBroker extends EventEmitter<HubBrokerEvents> {
  readonly stats: HubBrokerStats = { connected: 0, authFailures: 0, denied: 0, published: 0, storeFailures: 0, oversized: 0, malformed: 0, shed: 0 };
  private readonly gateways = new WeakMap<Client, { orgId: string; id: string }>();
  private readonly online = new Map<string, Client>();
  private aedes!: Aedes;
  private server!: Server;
  private boundPort = 0;
  private readonly gate: ConnectionGate;
  private readonly maxPayload: number;
  private readonly maxConnect: number;

  private constructor(private readonly o: HubBrokerOptions) {
    super();
    this.maxPayload = Math.min(o.maxPayloadBytes ?? HUB_UPLINK_LIMITS.maxPublishBytes, HUB_UPLINK_LIMITS.maxPublishBytes);
    this.maxConnect = o.maxConnectBytes ?? HUB_BROKER_DEFAULTS.maxConnectBytes;
    this.gate = new ConnectionGate({
      maxPending: o.maxPendingConnections ?? HUB_BROKER_DEFAULTS.maxPendingConnections,
      maxTotal: o.maxConnections ?? HUB_BROKER_DEFAULTS.maxConnections,
      onShed: (socket, why) => {
        this.stats.shed++;
        this.o.logger.warn({ remoteAddress: socket.remoteAddress, why }, 'hub broker shed a connection (connection limits)');
      },
    });
  }

  static async start(options: HubBrokerOptions): Promise<HubBroker> {
    const broker = new HubBroker(options);
    await broker.open();
    return broker;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Whether gateway `gatewayId` of org `orgId` is connected (an id alone is not enough: orgs never reach each other's gateways). */
  isConnected(orgId: string, gatewayId: string): boolean {
    const client = this.online.get(gatewayId);
    return client !== undefined && this.gateways.get(client)?.orgId === orgId;
  }

  /** A downlink for org `orgId`'s gateway (QoS 1; aedes keeps it for the gateway's persistent session). */
  publishTx(orgId: string, gatewayId: string, payload: Buffer): void {
    if (!this.isConnected(orgId, gatewayId)) return;
    this.aedes.publish({ cmd: 'publish', topic: topics.gateway(gatewayId, 'tx'), payload, qos: 1, retain: false, dup: false }, (err) => {
      if (err) this.o.logger.error({ err, gatewayId }, 'could not publish a downlink');
    });
  }

  connectedGateways(): Array<{ orgId: string; id: string }> {
    return [...this.online.values()].flatMap((c) => this.gateways.get(c) ?? []);
  }

  /** Ends org `orgId`'s gateway's connection (its credentials were revoked). */
  disconnect(orgId: string, gatewayId: string): void {
    if (this.isConnected(orgId, gatewayId)) this.online.get(gatewayId)?.close();
  }

  async close(): Promise<void> {
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    // Sockets aedes never owned: those still before their CONNECT.
    this.gate.closeAll();
    await closed;
  }

  private async open(): Promise<void> {
    const maxPayload = this.maxPayload;
    this.aedes = await Aedes.createBroker({
      connectTimeout: HUB_BROKER_DEFAULTS.connectTimeoutMs,
      drainTimeout: 30_000,
      maxInflightInbound: 1024,
      maxTopicLevels: HUB_UPLINK_LIMITS.maxTopicLevels,
      authenticate: (client, username, password, done) => {
        const refused = this.admit(client, username, password);
        if (refused) done(refused, false);
        else {
          this.gate.promote(client.conn as Socket);
          done(null, true);
        }
      },
      authorizePublish: (client, packet, done) => done(this.authorizePublish(client, packet, maxPayload)),
      authorizeSubscribe: (client, sub, done) => done(...this.authorizeSubscribe(client, sub)),
    });
    this.aedes.on('client', (client) => {
      const gw = this.gateways.get(client);
      if (!gw) return;
      // A gateway that reconnects before its old connection times out replaces it (aedes closes the old one).
      this.online.set(gw.id, client);
      this.stats.connected = this.online.size;
      this.o.logger.info({ gateway: gw.id }, 'gateway connected');
      this.emit('gatewayConnected', gw);
    });
    this.aedes.on('clientDisconnect', (client) => {
      const gw = this.gateways.get(client);
      if (!gw || this.online.get(gw.id) !== client) return;
      this.online.delete(gw.id);
      this.stats.connected = this.online.size;
      this.o.logger.info({ gateway: gw.id }, 'gateway disconnected');
      this.emit('gatewayDisconnected', gw);
    });
    (this.aedes as EventEmitter).on('error', (err: unknown) => this.o.logger.error({ err }, 'hub broker error'));
    this.aedes.on('clientError', (client, err) => {
      if (!(err instanceof Refusal)) this.o.logger.debug({ clientId: client.id, err: err.message }, 'gateway connection error');
    });
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      socket.on('error', () => socket.destroy());
      if (!this.gate.admit(socket)) return;
      this.aedes.handle(socket);
      this.guardFrames(socket);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', (err) => reject(new HubError('E_CONFIG', `hub broker cannot listen on ${this.o.host}:${this.o.port} (${err.message}); set mqttPort (--mqtt-port) to a free port`)));
        this.server.listen(this.o.port, this.o.host, () => resolve());
      });
    } catch (err) {
      // aedes runs timers of its own: without this a failed start would keep the process alive.
      await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
      throw err;
    }
    this.boundPort = (this.server.address() as AddressInfo).port;
    this.o.logger.info({ host: this.o.host, port: this.boundPort }, 'hub broker listening');
  }

  /** Cuts a socket whose next packet declares more than it may carry, before aedes' parser buffers it. */
  private guardFrames(socket: Socket): void {
    const scanner = new MqttFrameScanner(this.maxPayload + PUBLISH_OVERHEAD_BYTES, this.maxConnect);
    // aedes reads in paused mode ('readable'); a 'data' listener sees each chunk as aedes reads it
    // without switching the socket to flowing mode.
    const onData = (chunk: Buffer): void => {
      const verdict = scanner.feed(chunk);
      if (verdict.kind === 'ok') return;
      socket.off('data', onData);
      const gateway = this.gatewayOf(socket);
      if (verdict.kind === 'oversized') {
        this.stats.oversized++;
        const limit = scanner.completePackets === 0 ? this.maxConnect : this.maxPayload + PUBLISH_OVERHEAD_BYTES;
        this.o.logger.warn({ remoteAddress: socket.remoteAddress, gateway, declaredBytes: verdict.declaredBytes, limit, connect: scanner.completePackets === 0 }, 'hub broker cut a connection: packet larger than allowed');
      } else {
        this.stats.malformed++;
        this.o.logger.warn({ remoteAddress: socket.remoteAddress, gateway, reason: verdict.reason }, 'hub broker cut a connection: not MQTT');
      }
      // Destroyed outside Readable.read(), which is what emitted this chunk.
      process.nextTick(() => socket.destroy());
    };
    socket.on('data', onData);
  }

  private gatewayOf(socket: Socket): string | null {
    for (const [id, client] of this.online) if (client.conn === socket) return id;
    return null;
  }

  private admit(client: Client, username: string | undefined, password: Buffer | undefined): AuthenticateError | null {
    if (!username || !password || !GATEWAY_ID.test(username)) return this.authFailed(client, username, 'no gateway id and secret');
    const cred = this.o.credentials.verify(username, password.toString('utf8'));
    if (!cred || cred.kind !== 'gateway') return this.authFailed(client, username, 'unknown gateway or wrong secret');
    if (client.id !== username) return this.authFailed(client, username, 'client id must be the gateway id');
    this.gateways.set(client, { orgId: cred.orgId, id: cred.id });
    return null;
  }

  private authFailed(client: Client, username: string | undefined, reason: string): AuthenticateError {
    this.stats.authFailures++;
    this.o.logger.warn({ clientId: client.id, username, reason }, 'hub broker refused a connection');
    return refusal(4, 'bad user name or password');
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, maxPayload: number): Error | null {
    const gw = client ? this.gateways.get(client) : undefined;
    if (!gw) return this.deny(null, packet.topic, 'not a gateway');
    const t = packet.topic;
    // By prefix, not by parse: a malformed mesh or sensor topic is let in and counted as a drop by
    // ingest (acknowledged, so the gateway moves on) instead of being refused (resent forever).
    const allowed = GATEWAY_PUBLISHES.some((leaf) => t === topics.gateway(gw.id, leaf)) || t.startsWith(topics.meshRoot) || t.startsWith(topics.sensorRoot);
    if (!allowed) return this.deny(gw.id, t, 'topic outside the gateway\u2019s own');
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (payload.length > maxPayload) return this.deny(gw.id, t, 'payload too large');
    // Only a gateway's own status is state worth keeping for later subscribers; nothing else is
    // retained (a mesh or sensor topic ending in /status included: kept, they would only pile up).
    if (packet.retain && t !== topics.gateway(gw.id, 'status')) packet.retain = false;
    try {
      this.o.ingest(gw, t, payload);
    } catch (err) {
      this.stats.storeFailures++;
      this.o.logger.error({ err, gateway: gw.id, topic: t }, 'could not store a gateway message; not acknowledged, the gateway will resend it');
      return new Refusal('storage failed');
    }
    this.stats.published++;
    return null;
  }

  private authorizeSubscribe(client: Client | null, sub: Subscription): [Error | null, Subscription | null] {
    const gw = client ? this.gateways.get(client) : undefined;
    if (gw && sub.topic === topics.gateway(gw.id, 'tx')) return [null, sub];
    this.deny(gw?.id ?? null, sub.topic, 'gateways subscribe only to their own tx topic');
    // A null subscription is a SUBACK failure (0x80) for this filter; the connection stays up.
    return [null, null];
  }

  private deny(gateway: string | null, topic: string, reason: string): Error {
    this.stats.denied++;
    this.o.logger.warn({ gateway, topic, reason }, 'hub broker denied');
    return new Refusal(reason);
  }
}
