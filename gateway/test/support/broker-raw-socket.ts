// Hand-made MQTT bytes over a raw TCP socket, for what no well-behaved client library will send:
// empty client ids with persistent sessions, broken packets, lying length headers.

import { connect, type Socket } from 'node:net';
import { EventWaiter } from '@unibos/test-support';

function utf8Field(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([len, body]);
}

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

export function encodePacket(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

export interface RawConnect {
  readonly clientId: string;
  readonly clean: boolean;
  readonly username?: string;
  readonly password?: string;
  readonly keepaliveSeconds?: number;
}

/** An MQTT 3.1.1 CONNECT. */
export function encodeConnect(c: RawConnect): Buffer {
  let flags = c.clean ? 0x02 : 0;
  if (c.username !== undefined) flags |= 0x80;
  if (c.password !== undefined) flags |= 0x40;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(c.keepaliveSeconds ?? 30);
  const parts = [utf8Field('MQTT'), Buffer.from([4, flags]), keepalive, utf8Field(c.clientId)];
  if (c.username !== undefined) parts.push(utf8Field(c.username));
  if (c.password !== undefined) parts.push(utf8Field(c.password));
  return encodePacket(0x10, Buffer.concat(parts));
}

/** A QoS 0 PUBLISH. */
export function encodePublish(topic: string, payload: Buffer): Buffer {
  return encodePacket(0x30, Buffer.concat([utf8Field(topic), payload]));
}

/** A QoS 2 PUBLISH with the given packet id; `dup` marks a resend. */
export function encodePublishQos2(topic: string, messageId: number, payload: Buffer, dup = false): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return encodePacket(0x34 | (dup ? 0x08 : 0), Buffer.concat([utf8Field(topic), id, payload]));
}

/** A TCP connection that records what the broker sends and when it hangs up. */
export class RawClient {
  received = Buffer.alloc(0);
  closed = false;
  private readonly waiter = new EventWaiter();
  readonly socket: Socket;

  /** `localAddress` (e.g. 127.0.0.9) makes the broker see the connection come from another address. */
  constructor(port: number, host = '127.0.0.1', localAddress?: string) {
    this.socket = connect(localAddress === undefined ? { port, host } : { port, host, localAddress });
    this.socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter.wake();
    });
    // The broker cutting us off mid-write is the expected outcome, not a test failure.
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.waiter.wake();
    });
  }

  async connected(timeoutMs = 5000): Promise<void> {
    if (!this.socket.connecting) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('raw connect timed out')), timeoutMs);
      this.socket.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The CONNACK return code, once the broker answered. */
  async connack(timeoutMs = 5000): Promise<number> {
    await this.waiter.until(() => this.received.length >= 4 || this.closed, 'a CONNACK', timeoutMs);
    if (this.received.length < 4 || this.received[0] !== 0x20) throw new Error(`no CONNACK; got ${this.received.toString('hex')}`);
    return this.received[3]!;
  }

  /** Waits until the broker has sent at least `bytes` bytes in total. */
  async receivedAtLeast(bytes: number, timeoutMs = 5000): Promise<Buffer> {
    await this.waiter.until(() => this.received.length >= bytes || this.closed, `${bytes} bytes from the broker`, timeoutMs);
    if (this.received.length < bytes) throw new Error(`connection closed after ${this.received.toString('hex')}`);
    return this.received;
  }

  async hangup(timeoutMs = 5000): Promise<void> {
    await this.waiter.until(() => this.closed, 'the broker to close the connection', timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
