// A stand-in hub for uplink tests: a real aedes broker on a fixed port that can go down and come
// back on the same port, a ledger of what it accepted from gateways (recorded in authorizePublish,
// i.e. before the PUBACK, which is where a real hub must persist), and a real subscriber client
// (the control plane's view) on a separate internal port, so it is subscribed before any gateway
// can reach the broker. Both views dedup by the envelope id and count the repeats.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { decodeHubEnvelope, type HubEnvelope } from '@unibos/mesh-protocol';
import { waitUntil } from '@unibos/test-support';

export interface Arrival {
  clientId: string;
  topic: string;
  envelope: HubEnvelope;
}

/** Keeps first arrivals in order and counts repeats by envelope id. */
export class DedupLedger {
  readonly unique: Arrival[] = [];
  total = 0;
  duplicates = 0;
  private readonly seen = new Set<string>();

  add(a: Arrival): void {
    this.total++;
    if (this.seen.has(a.envelope.id)) this.duplicates++;
    else {
      this.seen.add(a.envelope.id);
      this.unique.push(a);
    }
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  from(clientId: string): Arrival[] {
    return this.unique.filter((a) => a.clientId === clientId);
  }
}

export interface StatusEvent {
  topic: string;
  body: Record<string, unknown>;
  retain: boolean;
  clientId: string | undefined;
}

const OBSERVER_ID = 'hub-observer';

export class TestHub {
  /** Emits 'change' on every arrival, status, connection or state change. */
  readonly events = new EventEmitter();
  /** What the broker accepted from gateways; survives broker restarts. */
  readonly accepted = new DedupLedger();
  /** What the subscriber client received (one ledger per broker life would be stricter; tests that restart the broker do not rely on it). */
  readonly delivered = new DedupLedger();
  /** Status publications seen by the broker, wills included, with their retain flag. */
  readonly statuses: StatusEvent[] = [];
  readonly malformed: string[] = [];
  /** PUBACKs the broker received per client id (for downlinks delivered to gateways). */
  readonly acks = new Map<string, number>();
  port = 0;
  broker: Aedes | undefined;
  /** Messages for which this returns true are refused (the connection ends), as a hub does with what it will not take. */
  refuse: ((topic: string, payload: Buffer) => boolean) | undefined;
  refused = 0;
  observer: MqttClient | undefined;
  private publicServer: net.Server | undefined;
  private internalServer: net.Server | undefined;
  private internalPort = 0;
  private readonly publicSockets = new Set<net.Socket>();
  private readonly internalSockets = new Set<net.Socket>();
  private readonly conns = new Map<string, { destroy(): void }>();

  get isUp(): boolean {
    return this.broker !== undefined;
  }

  async up(): Promise<void> {
    const broker = await Aedes.createBroker({
      authorizePublish: (client, packet, done) => {
        const payload = Buffer.from(packet.payload);
        // A refused publish makes aedes end the connection, as a real hub does with what it will not take.
        if (client && client.id !== OBSERVER_ID && this.refuse?.(packet.topic, payload)) {
          this.refused++;
          this.changed();
          return done(new Error('refused by the test hub'));
        }
        if (client && client.id !== OBSERVER_ID) this.record(this.accepted, client.id, packet.topic, payload);
        done(null);
      },
    });
    broker.on('publish', (packet, client) => {
      if (!packet.topic.endsWith('/status')) return;
      try {
        const body = JSON.parse(Buffer.from(packet.payload).toString('utf8')) as Record<string, unknown>;
        this.statuses.push({ topic: packet.topic, body, retain: packet.retain, clientId: client?.id });
      } catch {
        this.malformed.push(packet.topic);
      }
      this.changed();
    });
    broker.on('client', (client) => {
      this.conns.set(client.id, client.conn);
      this.changed();
    });
    broker.on('clientDisconnect', () => this.changed());
    broker.on('ack', (_packet, client) => {
      this.acks.set(client.id, (this.acks.get(client.id) ?? 0) + 1);
      this.changed();
    });
    this.broker = broker;

    this.internalServer = net.createServer((s) => this.track(this.internalSockets, s, broker));
    this.internalPort = await listen(this.internalServer, 0);
    const observer = await connectAsync(`mqtt://127.0.0.1:${this.internalPort}`, {
      protocolVersion: 4,
      clientId: OBSERVER_ID,
      clean: true,
      reconnectPeriod: 0,
    });
    observer.on('error', () => {});
    observer.on('message', (topic, payload) => {
      if (topic.endsWith('/status') || topic.endsWith('/tx')) return;
      this.record(this.delivered, 'observer', topic, payload);
    });
    await observer.subscribeAsync('unibos/v1/#', { qos: 1 });
    this.observer = observer;
    await this.openPublic();
  }

  /** Gateways can connect again (same port). */
  async openPublic(): Promise<void> {
    const broker = this.broker!;
    this.publicServer = net.createServer((s) => this.track(this.publicSockets, s, broker));
    this.port = await listen(this.publicServer, this.port);
    this.changed();
  }

  /** Gateways are cut off and refused (the broker keeps its sessions). */
  async closePublic(): Promise<void> {
    for (const s of this.publicSockets) s.destroy();
    if (this.publicServer) await closeServer(this.publicServer);
    this.publicServer = undefined;
    this.changed();
  }

  /** The whole broker goes away: sessions, retained messages and connections with it. */
  async down(): Promise<void> {
    await this.closePublic();
    this.observer?.end(true);
    this.observer = undefined;
    const broker = this.broker;
    this.broker = undefined;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const s of this.internalSockets) s.destroy();
    if (this.internalServer) await closeServer(this.internalServer);
    this.internalServer = undefined;
    this.conns.clear();
    this.changed();
  }

  /** Cuts one client's socket from the broker side, as a flaky network would. */
  dropClient(clientId: string): boolean {
    const conn = this.conns.get(clientId);
    if (!conn) return false;
    conn.destroy();
    return true;
  }

  /** Publishes as the control plane would (through the observer client). */
  async publish(topic: string, payload: Buffer | string, qos: 0 | 1 = 1): Promise<void> {
    await this.observer!.publishAsync(topic, payload, { qos });
  }

  /** The retained status a client subscribing now receives (fails if none arrives in time). */
  async retainedStatus(gatewayId: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const probe = await connectAsync(`mqtt://127.0.0.1:${this.internalPort}`, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    probe.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    try {
      const got = new Promise<Record<string, unknown>>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no retained status for ${gatewayId} within ${timeoutMs} ms`)), timeoutMs);
        probe.on('message', (_topic, payload, packet) => {
          if (packet.retain) resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
        });
      });
      await probe.subscribeAsync(`unibos/v1/gw/${gatewayId}/status`, { qos: 1 });
      return await got;
    } finally {
      clearTimeout(timer);
      probe.end(true);
    }
  }

  statusesOf(gatewayId: string): StatusEvent[] {
    return this.statuses.filter((s) => s.topic === `unibos/v1/gw/${gatewayId}/status`);
  }

  waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return waitUntil(condition, what, [{ emitter: this.events, event: 'change' }], timeoutMs);
  }

  private record(ledger: DedupLedger, clientId: string, topic: string, payload: Buffer | string): void {
    if (topic.endsWith('/status') || topic.endsWith('/tx')) return;
    try {
      ledger.add({ clientId, topic, envelope: decodeHubEnvelope(Buffer.from(payload)) });
    } catch {
      this.malformed.push(topic);
    }
    this.changed();
  }

  private track(set: Set<net.Socket>, socket: net.Socket, broker: Aedes): void {
    set.add(socket);
    socket.on('close', () => set.delete(socket));
    broker.handle(socket);
  }

  private changed(): void {
    this.events.emit('change');
  }
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
