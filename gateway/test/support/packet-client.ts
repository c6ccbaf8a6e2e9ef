// An MQTT 3.1.1 client made of mqtt-packet's generator and parser over a bare socket: the test
// decides every flag (clean session, DUP, whether to acknowledge) and sees every packet the broker
// sends, including the DUP bit that client libraries hide.

import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { EventWaiter } from '@unibos/test-support';

export type Packet = mqttPacket.Packet;
export type PublishPacket = mqttPacket.IPublishPacket;

export interface PacketLogin {
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
}

export class PacketClient {
  readonly received: Packet[] = [];
  closed = false;
  /** Answer every QoS 1 delivery with its PUBACK, as a client library does (off: the test decides). */
  acknowledgeDeliveries = false;
  private readonly waiter = new EventWaiter();
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });

  private constructor(private readonly socket: Socket) {
    this.parser.on('packet', (p: Packet) => {
      if (this.acknowledgeDeliveries && p.cmd === 'publish' && p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId! });
      this.received.push(p);
      this.waiter.wake();
    });
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter.wake();
    });
    socket.on('error', () => undefined);
  }

  /** Connects and returns the client with its CONNACK; a refused CONNACK is returned, not thrown. */
  static async connect(port: number, login: PacketLogin, clean: boolean): Promise<{ client: PacketClient; connack: mqttPacket.IConnackPacket }> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new PacketClient(socket);
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId: login.clientId, keepalive: 30, username: login.username, password: Buffer.from(login.password) });
    const connack = (await client.next((p) => p.cmd === 'connack', 'CONNACK')) as mqttPacket.IConnackPacket;
    return { client, connack };
  }

  /** Connects and requires the broker to accept; the client joins `open`, which the test closes after it. */
  static async connectAccepted(port: number, login: PacketLogin, open: PacketClient[], clean = true): Promise<PacketClient> {
    const { client, connack } = await PacketClient.connect(port, login, clean);
    open.push(client);
    if (connack.returnCode !== 0) throw new Error(`the broker refused ${login.clientId}: CONNACK return code ${connack.returnCode}`);
    return client;
  }

  /** Waits until `cond` holds; throws if the connection closes first. */
  async until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await this.waiter.until(() => cond() || this.closed, () => `${what}; received ${this.received.length} packet(s)`, timeoutMs);
    if (!cond()) throw new Error(`connection closed before ${what}`);
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  subscribe(topic: string, qos: 0 | 1 | 2, messageId: number): Promise<mqttPacket.ISubackPacket> {
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    return this.next((p) => p.cmd === 'suback' && p.messageId === messageId, `SUBACK ${messageId}`) as Promise<mqttPacket.ISubackPacket>;
  }

  publish(topic: string, payload: string, qos: 0 | 1 | 2, messageId?: number, dup = false): void {
    this.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup, ...(messageId === undefined ? {} : { messageId }) });
  }

  /** The first packet received (counting those already here) that `match` accepts; throws if the connection closes first. */
  async next(match: (p: Packet) => boolean, what: string, timeoutMs = 5000): Promise<Packet> {
    let found: Packet | undefined;
    await this.waiter.until(
      () => (found = this.received.find(match)) !== undefined || this.closed,
      () => `${what}; received ${JSON.stringify(this.received.map((p) => p.cmd))}`,
      timeoutMs,
    );
    if (!found) throw new Error(`connection closed before ${what}; received ${JSON.stringify(this.received.map((p) => p.cmd))}`);
    return found;
  }

  publishes(): PublishPacket[] {
    return this.received.filter((p): p is PublishPacket => p.cmd === 'publish');
  }

  /** Waits for the broker to close the connection. */
  async hangup(timeoutMs = 5000): Promise<void> {
    await this.waiter.until(() => this.closed, 'the broker to close the connection', timeoutMs);
  }

  /** A DISCONNECT, then waits for the close. */
  async disconnect(): Promise<void> {
    this.send({ cmd: 'disconnect' });
    await this.hangup();
  }

  /** Bytes exactly as the test cut them, resolved once the socket took them. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** Stops reading: what the broker sends piles up in the kernel's buffers, then in the broker's. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
