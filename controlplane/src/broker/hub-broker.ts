// The broker gateways connect to (aedes over TCP). Every client is a claimed gateway: MQTT user
// name = its 8-hex id = its client id, password = the secret it got when it claimed. A gateway
// may publish only its own gw/{id}/... topics plus mesh/# and sensor/#, and subscribe only to its
// own tx topic. What it publishes is ingested inside authorizePublish, before aedes sends the
// PUBACK, so an acknowledged message is already stored (gateway/docs/uplink.md).

import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type AuthErrorCode, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceCredentials } from '../fleet/device-credentials.ts';
import { HubError } from '../hub-error.ts';

export interface HubBrokerOptions {
  host: string;
  port: number;
  credentials: DeviceCredentials;
  logger: Logger;
  /**
   * Called for every authorized publish, synchronously, before the PUBACK. Bad input is the
   * callee's to count and drop; a throw means the hub could not store it: no PUBACK goes out and
   * the gateway sends it again after reconnecting.
   */
  ingest: (gateway: { orgId: string; id: string }, topic: string, payload: Buffer) => void;
  maxConnections?: number;
  maxPayloadBytes?: number;
}

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
}

const GATEWAY_ID = /^[0-9a-f]{8}$/;

class Refusal extends Error {}

function refusal(code: AuthErrorCode, message: string): AuthenticateError {
  return Object.assign(new Refusal(message), { returnCode: code });
}

export class HubBroker extends EventEmitter<HubBrokerEvents> {
  readonly stats: HubBrokerStats = { connected: 0, authFailures: 0, denied: 0, published: 0, storeFailures: 0 };
  private readonly gateways = new WeakMap<Client, { orgId: string; id: string }>();
  private readonly online = new Map<string, Client>();
  private aedes!: Aedes;
  private server!: Server;
  private boundPort = 0;

  private constructor(private readonly o: HubBrokerOptions) {
    super();
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
    this.aedes.publish({ cmd: 'publish', topic: `unibos/v1/gw/${gatewayId}/tx`, payload, qos: 1, retain: false, dup: false }, (err) => {
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
    await closed;
  }

  private async open(): Promise<void> {
    const maxPayload = this.o.maxPayloadBytes ?? 256 * 1024;
    this.aedes = await Aedes.createBroker({
      connectTimeout: 10_000,
      drainTimeout: 30_000,
      maxInflightInbound: 1024,
      maxTopicLevels: 8,
      authenticate: (client, username, password, done) => {
        const refused = this.admit(client, username, password);
        if (refused) done(refused, false);
        else done(null, true);
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
      this.aedes.handle(socket);
    });
    this.server.maxConnections = this.o.maxConnections ?? 1000;
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
    const own = `unibos/v1/gw/${gw.id}/`;
    const allowed = t.startsWith(own) ? ['status', 'rx', 'txstatus'].includes(t.slice(own.length)) : t.startsWith('unibos/v1/mesh/') || t.startsWith('unibos/v1/sensor/');
    if (!allowed) return this.deny(gw.id, t, 'topic outside the gateway\u2019s own');
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (payload.length > maxPayload) return this.deny(gw.id, t, 'payload too large');
    // Only a gateway's status is state worth keeping for later subscribers; nothing else is retained.
    if (packet.retain && !t.endsWith('/status')) packet.retain = false;
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
    if (gw && sub.topic === `unibos/v1/gw/${gw.id}/tx`) return [null, sub];
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
