// A sensor speaking hand-made MQTT 3.1.1, so a test decides packet ids and the DUP flag itself:
// what a client resending after a reconnect puts on the wire (mqtt.js 5 resends with DUP=0, so it
// cannot stand in for a client that follows [MQTT-3.3.1-1]).

import { RawClient, encodeConnect, encodePacket } from './broker-raw-socket.ts';

export type AckKind = 'puback' | 'pubrec' | 'pubcomp';
const ACK_TYPE: Record<AckKind, number> = { puback: 4, pubrec: 5, pubcomp: 7 };

export interface SensorLogin {
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
}

/** A QoS 1 or 2 PUBLISH with the given packet id; `dup` marks a resend. */
export function encodePublishPacket(qos: 1 | 2, topic: string, packetId: number, payload: Buffer, dup: boolean): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt16BE(name.length, 0);
  head.writeUInt16BE(packetId, 2);
  const body = Buffer.concat([head.subarray(0, 2), name, head.subarray(2), payload]);
  return encodePacket(0x30 | (dup ? 0x08 : 0) | (qos << 1), body);
}

function encodePubrel(packetId: number): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(packetId);
  return encodePacket(0x62, id);
}

/** The packets in `bytes` as [type, packet id (or 0)], skipping a trailing partial packet. */
function parsePackets(bytes: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i + 2 <= bytes.length) {
    let length = 0;
    let multiplier = 1;
    let j = i + 1;
    for (;;) {
      if (j >= bytes.length) return out;
      const b = bytes[j++]!;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (j + length > bytes.length) return out;
    const type = bytes[i]! >> 4;
    out.push([type, length >= 2 && type >= 4 && type <= 7 ? bytes.readUInt16BE(j) : 0]);
    i = j + length;
  }
  return out;
}

export class RawSensor {
  private constructor(private readonly raw: RawClient) {}

  /** Connects and waits for a CONNACK that accepts; throws with the return code otherwise. */
  static async connect(port: number, login: SensorLogin, clean: boolean): Promise<RawSensor> {
    const raw = new RawClient(port);
    await raw.connected();
    raw.write(encodeConnect({ clientId: login.clientId, username: login.username, password: login.password, clean }));
    const code = await raw.connack();
    if (code !== 0) {
      raw.destroy();
      throw new Error(`CONNACK refused with return code ${code}`);
    }
    return new RawSensor(raw);
  }

  get closed(): boolean {
    return this.raw.closed;
  }

  publish(qos: 1 | 2, topic: string, packetId: number, payload: string, options: { dup?: boolean } = {}): void {
    this.raw.write(encodePublishPacket(qos, topic, packetId, Buffer.from(payload, 'utf8'), options.dup ?? false));
  }

  pubrel(packetId: number): void {
    this.raw.write(encodePubrel(packetId));
  }

  /** Whether the broker has sent this acknowledgement. */
  has(kind: AckKind, packetId: number): boolean {
    return parsePackets(this.raw.received).some(([type, id]) => type === ACK_TYPE[kind] && id === packetId);
  }

  /** Waits for the acknowledgement; throws if the connection closes first. */
  async ack(kind: AckKind, packetId: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.has(kind, packetId)) {
      if (this.raw.closed) throw new Error(`connection closed before ${kind} ${packetId}`);
      await this.raw.receivedAtLeast(this.raw.received.length + 1, Math.max(1, deadline - Date.now())).catch((err: Error) => {
        if (!this.raw.closed) throw err;
      });
    }
  }

  /** Waits until the broker's end of the connection is gone (a killed gateway). */
  hangup(timeoutMs = 10_000): Promise<void> {
    return this.raw.hangup(timeoutMs);
  }

  /** A DISCONNECT, then waits for the broker to close the connection. */
  async disconnect(): Promise<void> {
    this.raw.write(Buffer.from([0xe0, 0x00]));
    await this.raw.hangup();
  }

  destroy(): void {
    this.raw.destroy();
  }
}
