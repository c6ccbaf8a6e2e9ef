// The load generator's own ceiling, each side measured against something that does nothing else:
//   publishers: a sink that answers CONNECT and acknowledges each QoS 1 PUBLISH at once, and
//     otherwise drops what it reads (no routing, no auth, no persistence);
//   subscriber: the same sink, asked to write `total` PUBLISH packets to the subscriber as fast as
//     its socket takes them.
// No broker can deliver faster than the slower of the two on this machine with this load.

import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { coalesceWrites } from '../src/broker/write-coalescer.ts';
import { BENCH_TOPIC_PREFIX, encodePayload, type Qos } from './worker-protocol.ts';

export interface NoopSink {
  readonly port: number;
  /** PUBLISH packets read since start. */
  readonly received: number;
  /** Writes `total` messages (publisher i % 100, in sequence) to the last subscriber; resolves once the socket took the last. */
  blast(total: number, qos: Qos): Promise<void>;
  close(): Promise<void>;
}

export async function startNoopSink(): Promise<NoopSink> {
  const sockets = new Set<Socket>();
  let subscriber: Socket | null = null;
  let received = 0;
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    // The write batching the gateway broker uses: the sink is no slower than it for want of it.
    coalesceWrites(socket);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (p: mqttPacket.Packet): void => {
      mqttPacket.writeToStream(p, socket);
    };
    parser.on('packet', (p: mqttPacket.Packet) => {
      switch (p.cmd) {
        case 'connect':
          return send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
        case 'subscribe':
          subscriber = socket;
          return send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => Math.min(1, s.qos)) });
        case 'publish':
          received++;
          if (p.qos === 1) send({ cmd: 'puback', messageId: p.messageId! });
          return;
        case 'pingreq':
          return send({ cmd: 'pingresp' });
        case 'disconnect':
          socket.end();
          return;
        default:
          return;
      }
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (subscriber === socket) subscriber = null;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get received() {
      return received;
    },
    async blast(total, qos) {
      const socket = subscriber;
      if (!socket) throw new Error('no subscriber on the sink');
      let id = 0;
      for (let i = 0; i < total; i++) {
        const publisher = i % 100;
        const packet: mqttPacket.IPublishPacket = { cmd: 'publish', topic: `${BENCH_TOPIC_PREFIX}/${publisher}`, payload: encodePayload(publisher, Math.floor(i / 100)), qos, retain: false, dup: false };
        if (qos === 1) packet.messageId = id = id === 0xffff ? 1 : id + 1;
        if (!mqttPacket.writeToStream(packet, socket)) await once(socket, 'drain');
      }
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
